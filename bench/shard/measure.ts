// What bench:shard reports, computed from each replica's scores file (one line per scored row): coverage
// per tick after the takeover, rows scored twice (one pod, one tick, two replicas), and how long the
// killed replica's pods waited for a survivor.
import { readFileSync } from 'node:fs';

export interface ScoredRow {
  replica: string;
  tick: number;
  ms: number;
  pod: string;
}

export function readScored(replica: string, path: string, tickMs: number): ScoredRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: ScoredRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const [ts, ns, pod] = line.split(',');
    const ms = Date.parse(ts!);
    if (!Number.isFinite(ms)) continue;
    out.push({ replica, tick: Math.floor(ms / tickMs), ms, pod: `${ns}/${pod}` });
  }
  return out;
}

export interface ShardMeasures {
  pods: number;
  pods_before_kill_fraction: number;
  pods_covered_fraction: number;
  pods_covered_fraction_min: number;
  ticks_measured: number;
  double_scored_rows: number;
  takeover_seconds: number | null;
  killed_replica_pods: number;
  rows_scored: number;
}

/**
 * rows: every replica's scored rows. killMs: when the replica was killed; lastTick: the last tick every
 * live replica had time to finish. Pods: those scored in the ticks before the kill (the healthy scenario
 * has no churn).
 */
export function measure(rows: ScoredRow[], killed: string, killMs: number, tickMs: number, lastTick: number): ShardMeasures {
  const killTick = Math.floor(killMs / tickMs);
  const byTick = new Map<number, Map<string, Set<string>>>();
  let double = 0;
  for (const r of rows) {
    let t = byTick.get(r.tick);
    if (!t) byTick.set(r.tick, (t = new Map()));
    let reps = t.get(r.pod);
    if (!reps) t.set(r.pod, (reps = new Set()));
    if (reps.size > 0 && !reps.has(r.replica)) double++;
    reps.add(r.replica);
  }
  const all = new Set<string>();
  const killedPods = new Set<string>();
  for (const r of rows) {
    if (r.tick >= killTick) continue;
    all.add(r.pod);
    if (r.replica === killed) killedPods.add(r.pod);
  }
  // Coverage of the last full tick before the kill: the steady state.
  const pre = byTick.get(killTick - 1)?.size ?? 0;
  // Takeover: until the last of the killed replica's pods got a row from a survivor after the kill.
  const firstAfter = new Map<string, number>();
  for (const r of rows) {
    if (r.replica === killed || r.ms < killMs || !killedPods.has(r.pod)) continue;
    const prev = firstAfter.get(r.pod);
    if (prev === undefined || r.ms < prev) firstAfter.set(r.pod, r.ms);
  }
  const takeover = firstAfter.size === killedPods.size && killedPods.size > 0 ? (Math.max(...firstAfter.values()) - killMs) / 1000 : null;
  const takeoverTick = takeover === null ? Infinity : Math.floor((killMs + takeover * 1000) / tickMs);
  const fractions: number[] = [];
  for (let t = takeoverTick + 1; t <= lastTick; t++) {
    const covered = [...(byTick.get(t)?.keys() ?? [])].filter((p) => all.has(p)).length;
    fractions.push(all.size ? covered / all.size : 0);
  }
  return {
    pods: all.size,
    pods_before_kill_fraction: all.size ? pre / all.size : 0,
    pods_covered_fraction: fractions.length ? fractions.reduce((a, b) => a + b, 0) / fractions.length : 0,
    pods_covered_fraction_min: fractions.length ? Math.min(...fractions) : 0,
    ticks_measured: fractions.length,
    double_scored_rows: double,
    takeover_seconds: takeover === null ? null : Math.round(takeover * 10) / 10,
    killed_replica_pods: killedPods.size,
    rows_scored: rows.length,
  };
}
