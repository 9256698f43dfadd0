// Scores a detector's --scores-file against the simulated cluster's fault ground truth: faults found,
// detection delay in ticks, false-alarm episodes on healthy pods per pod-hour, start-up false alarms,
// the memory leak's lead over its first OOMKilled, and the threshold at which every fault is found.
import { readFileSync } from 'node:fs';

/** Ground truth of one generated scenario (written by generate.ts as truth.json). */
export interface ScenarioTruth {
  scenario: string;
  seed: number;
  ticks: number;
  tickSeconds: number;
  /** Row timestamp (as written in the CSV) → tick it was collected at. */
  tickOf: Record<string, number>;
  faults: FaultRecord[];
  rows: number;
  pods: number;
}

export interface FaultRecord {
  id: string;
  kind: string;
  namespace: string;
  /** Every pod the fault affected. */
  pods: string[];
  startTick: number;
  endTick?: number | undefined;
  firstOomKilledTick?: number | undefined;
}

export interface ScoreRow {
  tick: number;
  probability: number;
  anomalous: boolean;
  /** anomaly_type as reported (none when not anomalous). */
  type?: string;
}

/** The anomaly_type a detector should name for each fault kind of the sim. */
export const EXPECTED_TYPE: Record<string, string> = {
  memory_leak: 'oom_risk',
  cpu_exhaustion: 'resource_exhaustion',
  cpu_creep: 'resource_exhaustion',
  crash_loop: 'crash_loop',
  network_drops: 'network_issue',
  io_pressure: 'io_pressure',
};

/** Per pod ("namespace/pod"), its scored rows in tick order. */
export type ScoresByPod = Map<string, ScoreRow[]>;

export function readScores(path: string, truth: ScenarioTruth): { byPod: ScoresByPod; unmapped: number } {
  const text = readFileSync(path, 'utf8');
  const byPod: ScoresByPod = new Map();
  let unmapped = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const f = line.split(',');
    const tick = truth.tickOf[f[0]!];
    if (tick === undefined) {
      unmapped++;
      continue;
    }
    const key = `${f[1]}/${f[2]}`;
    let rows = byPod.get(key);
    if (!rows) byPod.set(key, (rows = []));
    rows.push({ tick, probability: Number(f[3]), anomalous: f[4] === 'true', type: f[5] });
  }
  for (const rows of byPod.values()) rows.sort((a, b) => a.tick - b.tick);
  return { byPod, unmapped };
}

export interface FaultResult {
  id: string;
  kind: string;
  found: boolean;
  /** Ticks from the fault's start to the first flagged row of an affected pod. */
  delay: number | null;
  /** memory_leak: ticks between the first flag and the first OOMKilled (positive = before). */
  leadBeforeOom: number | null;
  /** anomaly_type of the first flagged row (with the detector's own verdicts). */
  typeAtDetection: string | null;
  /** Whether that type is the one expected for the fault kind. */
  typeRight: boolean;
}

export interface Evaluation {
  faults: FaultResult[];
  found: number;
  injected: number;
  /** False-alarm episodes: maximal flagged runs on healthy pod-ticks. */
  falseEpisodes: number;
  healthyPodHours: number;
  /** Episodes that begin within `startupTicks` of a pod's first row. */
  startupFalseAlarms: number;
  /** Every false-alarm episode, for diagnosis. */
  episodes: FalseEpisode[];
}

export interface FalseEpisode {
  pod: string;
  startTick: number;
  ticks: number;
  startup: boolean;
}

export interface EvaluateOptions {
  /** A fault counts as found when flagged within this many ticks of its start (default 360). */
  window?: number;
  /** A pod's first ticks, for start-up false alarms (default 24: two minutes). */
  startupTicks?: number;
  /** Judge `probability >= threshold` instead of the detector's own predicted_anomaly. */
  threshold?: number;
  ticksPerPodHour?: number;
}

/**
 * Healthy pod-ticks are the rows of pods no fault touched, and the rows of faulted pods before their
 * fault began. Rows of a faulted pod from its fault's start on are neither (the fault, or its recovery).
 */
export function evaluate(byPod: ScoresByPod, truth: ScenarioTruth, opts: EvaluateOptions = {}): Evaluation {
  const window = opts.window ?? 360;
  const startupTicks = opts.startupTicks ?? 24;
  const perHour = opts.ticksPerPodHour ?? 720;
  const flagged = (r: ScoreRow) => (opts.threshold === undefined ? r.anomalous : r.probability >= opts.threshold);

  const faultStart = new Map<string, number>(); // pod → earliest fault start on it
  for (const f of truth.faults) {
    for (const p of f.pods) {
      const key = `${f.namespace}/${p}`;
      faultStart.set(key, Math.min(faultStart.get(key) ?? Infinity, f.startTick));
    }
  }

  const faults: FaultResult[] = truth.faults.map((f) => {
    let first = Infinity;
    let type: string | null = null;
    for (const p of f.pods) {
      for (const r of byPod.get(`${f.namespace}/${p}`) ?? []) {
        if (r.tick < f.startTick) continue;
        if (r.tick > f.startTick + window) break;
        if (flagged(r)) {
          if (r.tick < first) {
            first = r.tick;
            type = r.type ?? null;
          }
          break;
        }
      }
    }
    const found = Number.isFinite(first);
    return {
      id: f.id,
      kind: f.kind,
      found,
      delay: found ? first - f.startTick : null,
      leadBeforeOom: found && f.firstOomKilledTick !== undefined ? f.firstOomKilledTick - first : null,
      typeAtDetection: type,
      typeRight: found && type === EXPECTED_TYPE[f.kind],
    };
  });

  let falseEpisodes = 0;
  let startupFalseAlarms = 0;
  let healthyTicks = 0;
  const episodes: FalseEpisode[] = [];
  for (const [key, rows] of byPod) {
    const limit = faultStart.get(key) ?? Infinity;
    const firstTick = rows[0]?.tick ?? 0;
    let inEpisode = false;
    let prevTick = -Infinity;
    for (const r of rows) {
      if (r.tick >= limit) break;
      healthyTicks++;
      const on = flagged(r);
      // A gap in the pod's rows (not collected for a while) ends an episode.
      if (on && (!inEpisode || r.tick - prevTick > 2)) {
        falseEpisodes++;
        const startup = r.tick - firstTick < startupTicks;
        if (startup) startupFalseAlarms++;
        episodes.push({ pod: key, startTick: r.tick, ticks: 0, startup });
      }
      if (on) episodes[episodes.length - 1]!.ticks++;
      inEpisode = on;
      prevTick = r.tick;
    }
  }
  return {
    faults,
    found: faults.filter((f) => f.found).length,
    injected: faults.length,
    falseEpisodes,
    healthyPodHours: healthyTicks / perHour,
    startupFalseAlarms,
    episodes,
  };
}

/** Sums evaluations of several scenarios. */
export function combine(evals: readonly Evaluation[]): Evaluation {
  return {
    faults: evals.flatMap((e) => e.faults),
    found: evals.reduce((n, e) => n + e.found, 0),
    injected: evals.reduce((n, e) => n + e.injected, 0),
    falseEpisodes: evals.reduce((n, e) => n + e.falseEpisodes, 0),
    healthyPodHours: evals.reduce((n, e) => n + e.healthyPodHours, 0),
    startupFalseAlarms: evals.reduce((n, e) => n + e.startupFalseAlarms, 0),
    episodes: evals.flatMap((e) => e.episodes),
  };
}

/**
 * The highest probability threshold at which every fault is found (recall 100%), by bisection (recall
 * only falls as the threshold rises); null when even a threshold of 0.001 misses one.
 */
export function thresholdForFullRecall(
  runs: ReadonlyArray<{ byPod: ScoresByPod; truth: ScenarioTruth }>,
  opts: EvaluateOptions = {},
): number | null {
  const allFound = (t: number) =>
    runs.every((r) => {
      const e = evaluate(r.byPod, r.truth, { ...opts, threshold: t });
      return e.found === e.injected;
    });
  let lo = 0.001;
  if (!allFound(lo)) return null;
  let hi = 1.000001;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (allFound(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
