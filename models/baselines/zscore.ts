// Per-metric z-score baseline: an exponentially weighted mean and variance per series and metric; the
// raw score is the largest |z| of the row. No persistence: every tick stands alone.
import type { Detector, Observation, Verdict } from '../detector-api.ts';
import { SinceTracker, toProbability, topContributors } from './common.ts';

export interface ZScoreOptions {
  features: readonly string[];
  threshold: number;
  /** EWMA weight of a new value (default 0.02: a memory of about 50 ticks). */
  alpha?: number;
  /** |z| that maps to probability 0.7 (default 4). */
  alertAt?: number;
  /** Observations of a series before it is scored (default 10). */
  minHistory?: number;
}

interface Series {
  n: number;
  mean: number[];
  variance: number[];
  count: number[];
}

export class ZScoreDetector implements Detector {
  readonly name = 'zscore';
  readonly features: readonly string[];
  private readonly threshold: number;
  private readonly alpha: number;
  private readonly alertAt: number;
  private readonly minHistory: number;
  private series = new Map<string, Series>();
  private readonly since = new SinceTracker();
  private readonly expected: Float64Array;
  private readonly deviation: Float64Array;

  constructor(opts: ZScoreOptions) {
    this.features = opts.features;
    this.threshold = opts.threshold;
    this.alpha = opts.alpha ?? 0.02;
    this.alertAt = opts.alertAt ?? 4;
    this.minHistory = opts.minHistory ?? 10;
    this.expected = new Float64Array(this.features.length);
    this.deviation = new Float64Array(this.features.length);
  }

  observe(obs: Observation): Verdict {
    const f = this.features.length;
    let s = this.series.get(obs.key);
    if (!s) {
      s = { n: 0, mean: new Array<number>(f).fill(0), variance: new Array<number>(f).fill(0), count: new Array<number>(f).fill(0) };
      this.series.set(obs.key, s);
    }
    let raw = 0;
    for (let i = 0; i < f; i++) {
      const x = obs.values[i]!;
      this.expected[i] = s.mean[i]!;
      this.deviation[i] = NaN;
      if (!Number.isFinite(x)) continue;
      const c = s.count[i]!;
      if (c >= this.minHistory) {
        const m = s.mean[i]!;
        const floor = Math.max(1e-3, 0.01 * Math.abs(m));
        const z = (x - m) / Math.sqrt(s.variance[i]! + floor * floor);
        this.deviation[i] = z;
        if (Math.abs(z) > raw) raw = Math.abs(z);
      }
      // Update after scoring; the weight starts as a plain running mean.
      const a = Math.max(this.alpha, 1 / (c + 1));
      const d = x - s.mean[i]!;
      s.mean[i] = s.mean[i]! + a * d;
      s.variance[i] = (1 - a) * (s.variance[i]! + a * d * d);
      s.count[i] = c + 1;
    }
    s.n++;
    const p = toProbability(raw, this.alertAt);
    return this.since.verdict(
      obs.key,
      obs.time,
      p,
      this.threshold,
      topContributors(this.features, obs.values, this.expected, this.deviation),
    );
  }

  forget(key: string): void {
    this.series.delete(key);
    this.since.forget(key);
  }

  snapshot(): unknown {
    return { series: [...this.series], since: this.since.snapshot() };
  }

  restore(state: unknown): void {
    const st = state as { series?: Array<[string, Series]>; since?: unknown };
    this.series = new Map(st.series ?? []);
    this.since.restore(st.since);
  }
}
