// Long-lived healthy pods: the scenario runs of bench:detect last an hour, too short for the members that
// need days of history (the seasonal profiles after two days, range novelty after a day per channel). This
// run keeps a healthy cluster for days at a coarser tick, with a real 24-hour cycle, and counts alerts.
// Rows come from the sim's own truth (no HTTP: days of collector ticks would take too long) and go through
// the agent's PodScorer with the named detector, so the detector's code path is the agent's.
import { SimCluster } from '../../sim/cluster.ts';
import { baseScenario, rowsFromTruth } from '../sim-data/rows.ts';
import { PodScorer } from '../../models/pod-scorer.ts';
import { createDetector } from '../../models/registry.ts';
import { POD_FEATURES } from '../../models/pod-features.ts';
import { LstmDetector, type DetectorParams } from '../../models/lstm/detector.ts';
import { sequenceModel } from '../../models/lstm/index.ts';

export interface LongLivedOptions {
  days: number;
  tickSeconds: number;
  seed: number;
  threshold: number;
  /** Replicas per workload of the base scenario (7 pods at 2). */
  replicas?: number;
  /** LSTM parameters other than the defaults (tests: to show what a member costs). */
  params?: Partial<DetectorParams>;
}

export interface LongLivedResult {
  detector: string;
  days: number;
  tickSeconds: number;
  pods: number;
  rows: number;
  /** Alerts opened (a healthy pod turning anomalous) in each day of the run. */
  alertsPerDay: number[];
  /** Every alert opened is a false alarm here; per 20 pod-hours over the whole run. */
  falsePer20PodHours: number;
}

export async function longLivedRun(detector: string, o: LongLivedOptions): Promise<LongLivedResult> {
  const scenario = { ...baseScenario({}, o.replicas ?? 2), dayPeriodTicks: Math.round(86_400 / o.tickSeconds) };
  const cluster = new SimCluster({ scenario, seed: o.seed, tickSeconds: o.tickSeconds, startTime: new Date(Date.UTC(2026, 0, 5)) });
  const d = o.params
    ? new LstmDetector({ features: POD_FEATURES, threshold: o.threshold, model: sequenceModel(), params: o.params })
    : await createDetector(detector, { features: POD_FEATURES, threshold: o.threshold });
  const scorer = new PodScorer(d);
  const ticks = Math.round((o.days * 86_400) / o.tickSeconds);
  const was = new Map<string, boolean>();
  const alertsPerDay = new Array<number>(Math.ceil(o.days)).fill(0);
  const podTicks = new Map<string, number>();
  let rows = 0;
  for (let tick = 0; tick < ticks; tick++) {
    cluster.tick();
    for (const row of rowsFromTruth(cluster)) {
      const s = scorer.score(row);
      if (!s) continue;
      rows++;
      podTicks.set(row.pod, (podTicks.get(row.pod) ?? 0) + 1);
      const a = s.verdict.anomalous;
      if (a && !was.get(row.pod)) alertsPerDay[Math.floor((tick * o.tickSeconds) / 86_400)]!++;
      was.set(row.pod, a);
    }
  }
  const podHours = (rows * o.tickSeconds) / 3600;
  const alerts = alertsPerDay.reduce((a, b) => a + b, 0);
  return {
    detector,
    days: o.days,
    tickSeconds: o.tickSeconds,
    pods: podTicks.size,
    rows,
    alertsPerDay,
    falsePer20PodHours: podHours > 0 ? (20 * alerts) / podHours : 0,
  };
}
