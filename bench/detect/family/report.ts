// The randomised family's figures: recall against magnitude per fault family (a detection curve in bins),
// false-alarm episodes per 20 healthy pod-hours, delays, leak lead before OOM and creep ratio at detection.
import { median, type Evaluation, type FaultResult } from '../evaluate.ts';
import type { FamilyFault, FamilyKind } from './generate.ts';

export interface JudgedFault {
  seed: number;
  fault: FamilyFault;
  result: FaultResult;
  /** cpu_creep: the metric's ratio to its pre-fault level at the first flag (1 + rate × delay). */
  ratioAtDetection: number | null;
}

export interface Bin {
  family: FamilyKind;
  label: string;
  faults: number;
  found: number;
  recall: number;
  medianDelay: number | null;
  /** cpu_creep: median ratio at detection; memory_leak: median lead before the first OOMKilled. */
  extra: number | null;
}

export interface FamilySummary {
  seeds: number[];
  bins: Bin[];
  falseEpisodes: number;
  startupFalseAlarms: number;
  healthyPodHours: number;
  falsePer20PodHours: number;
  goals: Array<{ goal: string; value: string; met: boolean }>;
}

const EDGES: Record<FamilyKind, { edges: number[]; label: (lo: number, hi: number) => string }> = {
  level_shift: { edges: [1.3, 1.5, 1.8, 2.2, 2.51], label: (lo, hi) => `×${lo.toFixed(1)}–${Math.min(hi, 2.5).toFixed(1)}` },
  cpu_creep: {
    edges: [0.003, 0.006, 0.01, 0.015, 0.0201],
    label: (lo, hi) => `${(lo * 100).toFixed(1)}–${(Math.min(hi, 0.02) * 100).toFixed(1)} %/tick`,
  },
  memory_leak: { edges: [0, 120, 250, 501], label: (lo, hi) => `${lo}–${hi - 1} ticks to OOM` },
  network_drops: { edges: [20, 60, 150, 301], label: (lo, hi) => `${lo}–${Math.min(hi, 300)} drops/s` },
};

/** Abrupt faults: the delay goal (median ≤ 2 ticks) applies to them. */
export const ABRUPT: ReadonlySet<FamilyKind> = new Set(['level_shift', 'network_drops']);

/** A leak counts as found only when flagged before its first OOMKilled (the kill itself is no forecast). */
function found(j: JudgedFault): boolean {
  if (!j.result.found) return false;
  return j.fault.kind !== 'memory_leak' || (j.result.leadBeforeOom ?? 0) > 0;
}

export function summarise(seeds: number[], judged: JudgedFault[], evals: Evaluation[]): FamilySummary {
  const bins: Bin[] = [];
  for (const kind of Object.keys(EDGES) as FamilyKind[]) {
    const { edges } = EDGES[kind];
    for (let i = 0; i + 1 < edges.length; i++) {
      const lo = edges[i]!,
        hi = edges[i + 1]!;
      const mine = judged.filter((j) => j.fault.kind === kind && j.fault.magnitude >= lo && j.fault.magnitude < hi);
      const hit = mine.filter(found);
      const extra =
        kind === 'cpu_creep'
          ? median(hit.map((j) => j.ratioAtDetection!))
          : kind === 'memory_leak'
            ? median(mine.filter((j) => j.result.leadBeforeOom !== null).map((j) => j.result.leadBeforeOom!))
            : null;
      bins.push({
        family: kind,
        label: EDGES[kind].label(lo, hi),
        faults: mine.length,
        found: hit.length,
        recall: mine.length ? hit.length / mine.length : NaN,
        medianDelay: median(hit.map((j) => j.result.delay!)),
        extra,
      });
    }
  }
  for (const metric of ['cpu', 'mem', 'net'] as const) {
    const mine = judged.filter((j) => j.fault.kind === 'level_shift' && j.fault.metric === metric && j.fault.magnitude >= 1.5);
    const hit = mine.filter(found);
    bins.push({
      family: 'level_shift',
      label: `${metric}, ≥ ×1.5`,
      faults: mine.length,
      found: hit.length,
      recall: mine.length ? hit.length / mine.length : NaN,
      medianDelay: median(hit.map((j) => j.result.delay!)),
      extra: null,
    });
  }
  const falseEpisodes = evals.reduce((n, e) => n + e.falseEpisodes, 0);
  const startupFalseAlarms = evals.reduce((n, e) => n + e.startupFalseAlarms, 0);
  // each seed's evaluation counted its pod-hours at its own tick length
  const healthyPodHours = evals.reduce((n, e) => n + e.healthyPodHours, 0);
  const falsePer20PodHours = healthyPodHours > 0 ? (20 * falseEpisodes) / healthyPodHours : 0;

  const recallOf = (xs: JudgedFault[]) => (xs.length ? xs.filter(found).length / xs.length : NaN);
  const shifts = judged.filter((j) => j.fault.kind === 'level_shift' && j.fault.magnitude >= 1.5);
  const creeps = judged.filter((j) => j.fault.kind === 'cpu_creep' && j.fault.magnitude >= 0.01);
  const abrupt = judged.filter((j) => ABRUPT.has(j.fault.kind) && found(j)).map((j) => j.result.delay!);
  const leaks = judged.filter((j) => j.fault.kind === 'memory_leak').map((j) => j.result.leadBeforeOom ?? -Infinity);
  const shiftIn10 = shifts.filter((j) => found(j) && j.result.delay! <= 10).length / (shifts.length || 1);
  const creepBeforeDouble = creeps.filter((j) => found(j) && j.ratioAtDetection! < 2).length / (creeps.length || 1);
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '–');
  const md = median(abrupt);
  const minLead = leaks.length ? Math.min(...leaks) : NaN;
  return {
    seeds,
    bins,
    falseEpisodes,
    startupFalseAlarms,
    healthyPodHours,
    falsePer20PodHours,
    goals: [
      {
        goal: 'recall, level shifts ≥ ×1.5 (≥ 95 %)',
        value: `${pct(recallOf(shifts))} of ${shifts.length}`,
        met: recallOf(shifts) >= 0.95,
      },
      { goal: '  … flagged within 10 ticks', value: pct(shiftIn10), met: shiftIn10 >= 0.95 },
      { goal: 'recall, creeps ≥ 1 %/tick (≥ 95 %)', value: `${pct(recallOf(creeps))} of ${creeps.length}`, met: recallOf(creeps) >= 0.95 },
      { goal: '  … before the metric doubled', value: pct(creepBeforeDouble), met: creepBeforeDouble >= 0.95 },
      {
        goal: 'false-alarm episodes / 20 healthy pod-h (≤ 1)',
        value: `${falsePer20PodHours.toFixed(2)} (${falseEpisodes} in ${healthyPodHours.toFixed(0)} pod-h)`,
        met: falsePer20PodHours <= 1,
      },
      { goal: 'median delay, abrupt faults (≤ 2 ticks)', value: md === null ? '–' : String(md), met: md !== null && md <= 2 },
      {
        goal: 'leak lead before OOM, worst (≥ 30 ticks)',
        value: Number.isFinite(minLead) ? String(minLead) : 'missed',
        met: minLead >= 30,
      },
    ],
  };
}

export function formatSummary(s: FamilySummary): string {
  const out: string[] = [];
  out.push(`| family | magnitude | faults | found | recall | median delay (ticks) | creep: ratio at detection / leak: median lead |`);
  out.push('|---|---|---:|---:|---:|---:|---:|');
  for (const b of s.bins) {
    const extra = b.extra === null ? '–' : b.family === 'cpu_creep' ? `×${b.extra.toFixed(2)}` : String(b.extra);
    const recall = Number.isFinite(b.recall) ? `${(100 * b.recall).toFixed(0)} %` : '–';
    out.push(`| ${b.family} | ${b.label} | ${b.faults} | ${b.found} | ${recall} | ${b.medianDelay ?? '–'} | ${extra} |`);
  }
  out.push('');
  out.push('| goal | value | met |');
  out.push('|---|---|---|');
  for (const g of s.goals) out.push(`| ${g.goal} | ${g.value} | ${g.met ? 'yes' : 'no'} |`);
  out.push('');
  out.push(`start-up false alarms (within a pod's first 24 rows): ${s.startupFalseAlarms}`);
  return out.join('\n');
}
