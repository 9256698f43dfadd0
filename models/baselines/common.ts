// Shared pieces of the baseline detectors: the raw-score → probability map, the
// anomaly type guessed from a feature's name, and the per-series "since" bookkeeping.
import type { AnomalyType, ContributingMetric } from '../../lib/schemas.ts';
import type { Verdict } from '../detector-api.ts';

/** The probability a raw score reaching `alertAt` maps to (the product's default threshold). */
export const REFERENCE_PROBABILITY = 0.7;
const LOGIT_REF = Math.log(REFERENCE_PROBABILITY / (1 - REFERENCE_PROBABILITY));

/**
 * Maps a non-negative raw score to 0..1: a logistic in log(raw/alertAt) with p(alertAt) = 0.7,
 * p(alertAt/2) ≈ 0.23, p(2·alertAt) ≈ 0.95, p(0) = 0. On the log scale, scores far beyond the alert point
 * stay distinguishable in float64 (up to about 10^5 × alertAt), so a threshold sweep (NAB, equal-recall)
 * can still rank them. Each baseline's natural alert point (e.g. |z| = 4) is the default threshold, and a
 * different --alert-threshold moves along the same curve.
 */
export function toProbability(raw: number, alertAt: number): number {
  if (!(raw > 0)) return 0;
  if (!Number.isFinite(raw)) return 1;
  const x = 3 * Math.log(raw / alertAt) + LOGIT_REF;
  return 1 / (1 + Math.exp(-x));
}

/** The anomaly type suggested by the name of the metric that deviates most. */
export function typeOfFeature(name: string): AnomalyType {
  const n = name.toLowerCase();
  if (/restart|crash|ready/.test(n)) return 'crash_loop';
  if (/mem|oom/.test(n)) return 'oom_risk';
  if (/cpu/.test(n)) return 'resource_exhaustion';
  if (/net|drop|rx|tx|packet/.test(n)) return 'network_issue';
  if (/fs|disk|io|read|write/.test(n)) return 'io_pressure';
  return 'unknown';
}

/** The top deviations (|deviation| descending) as contributing metrics. */
export function topContributors(
  features: readonly string[],
  values: Float64Array,
  expected: Float64Array,
  deviation: Float64Array,
  count = 3,
): ContributingMetric[] {
  const idx: number[] = [];
  for (let i = 0; i < features.length; i++) if (Number.isFinite(deviation[i]!) && Number.isFinite(values[i]!)) idx.push(i);
  idx.sort((a, b) => Math.abs(deviation[b]!) - Math.abs(deviation[a]!));
  return idx.slice(0, count).map((i) => ({
    metric: features[i]!,
    value: round(values[i]!),
    expected: round(expected[i]!),
    deviation: round(Math.min(1e6, Math.max(-1e6, deviation[i]!))),
  }));
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : 0;
}

/** Builds a verdict and keeps the start of the current anomalous stretch per series. */
export class SinceTracker {
  private readonly since = new Map<string, number>();

  verdict(key: string, time: number, probability: number, threshold: number, contributing: ContributingMetric[]): Verdict {
    const anomalous = probability >= threshold;
    let since: number | null = null;
    if (anomalous) {
      since = this.since.get(key) ?? time;
      this.since.set(key, since);
    } else this.since.delete(key);
    const top = contributing[0];
    const type: AnomalyType = anomalous ? (top ? typeOfFeature(top.metric) : 'unknown') : 'none';
    return { probability, anomalous, type, contributing: anomalous ? contributing : [], since };
  }

  forget(key: string): void {
    this.since.delete(key);
  }

  snapshot(): Array<[string, number]> {
    return [...this.since];
  }

  restore(entries: unknown): void {
    this.since.clear();
    if (Array.isArray(entries)) for (const e of entries as Array<[string, number]>) this.since.set(e[0], e[1]);
  }
}
