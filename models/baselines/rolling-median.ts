// Rolling-median baseline with consecutive-anomaly confirmation (the pysad notebook's fix for alert
// storms): per series and metric, the distance of the value from the median of the last `window`
// values in units of their MAD; a tick counts only when the last `confirm` ticks all did, which the
// probability carries (the minimum of the last `confirm` raw probabilities).
import type { Detector, Observation, Verdict } from '../detector-api.ts';
import { SinceTracker, toProbability, topContributors } from './common.ts';

export interface RollingMedianOptions {
  features: readonly string[];
  threshold: number;
  /** Values per metric in the rolling window (default 60). */
  window?: number;
  /** Consecutive anomalous ticks required (default 3). */
  confirm?: number;
  /** Robust |z| (MAD units) that maps to probability 0.7 (default 5). */
  alertAt?: number;
  /** Values in the window before a metric is scored (default 10). */
  minHistory?: number;
}

interface Series {
  /** Ring buffers, metric-major: values[i * window + slot]. NaN = empty. */
  values: number[];
  counts: number[];
  heads: number[];
  recent: number[];
}

export class RollingMedianDetector implements Detector {
  readonly name = 'rolling-median';
  readonly features: readonly string[];
  private readonly threshold: number;
  private readonly window: number;
  private readonly confirm: number;
  private readonly alertAt: number;
  private readonly minHistory: number;
  private series = new Map<string, Series>();
  private readonly since = new SinceTracker();
  private readonly scratch: Float64Array;
  private readonly expected: Float64Array;
  private readonly deviation: Float64Array;

  constructor(opts: RollingMedianOptions) {
    this.features = opts.features;
    this.threshold = opts.threshold;
    this.window = opts.window ?? 60;
    this.confirm = Math.max(1, opts.confirm ?? 3);
    this.alertAt = opts.alertAt ?? 5;
    this.minHistory = Math.min(opts.minHistory ?? 10, this.window);
    this.scratch = new Float64Array(this.window);
    this.expected = new Float64Array(this.features.length);
    this.deviation = new Float64Array(this.features.length);
  }

  observe(obs: Observation): Verdict {
    const f = this.features.length;
    const w = this.window;
    let s = this.series.get(obs.key);
    if (!s) {
      s = {
        values: new Array<number>(f * w).fill(NaN),
        counts: new Array<number>(f).fill(0),
        heads: new Array<number>(f).fill(0),
        recent: [],
      };
      this.series.set(obs.key, s);
    }
    let raw = 0;
    for (let i = 0; i < f; i++) {
      const x = obs.values[i]!;
      this.deviation[i] = NaN;
      this.expected[i] = NaN;
      if (!Number.isFinite(x)) continue;
      const n = s.counts[i]!;
      if (n >= this.minHistory) {
        for (let k = 0; k < n; k++) this.scratch[k] = s.values[i * w + k]!;
        const win = this.scratch.subarray(0, n);
        win.sort();
        const med = median(win);
        let meanAbs = 0;
        for (let k = 0; k < n; k++) {
          win[k] = Math.abs(win[k]! - med);
          meanAbs += win[k]!;
        }
        win.sort();
        // MAD, or the mean absolute deviation when more than half the window sits on the median (a
        // mostly flat metric), then a small floor so a constant metric's first change still stands out.
        const mad = median(win);
        const spread = mad > 0 ? 1.4826 * mad : 1.2533 * (meanAbs / n);
        const scale = spread + Math.max(1e-6, 1e-3 * Math.abs(med));
        const z = (x - med) / scale;
        this.expected[i] = med;
        this.deviation[i] = z;
        if (Math.abs(z) > raw) raw = Math.abs(z);
      }
      const head = s.heads[i]!;
      s.values[i * w + head] = x;
      s.heads[i] = (head + 1) % w;
      s.counts[i] = Math.min(n + 1, w);
    }
    s.recent.push(toProbability(raw, this.alertAt));
    if (s.recent.length > this.confirm) s.recent.shift();
    const p = s.recent.length < this.confirm ? 0 : Math.min(...s.recent);
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
    // NaN does not survive JSON: store empty slots as null.
    const series = [...this.series].map(([k, s]) => [k, { ...s, values: s.values.map((v) => (Number.isFinite(v) ? v : null)) }]);
    return { series, since: this.since.snapshot() };
  }

  restore(state: unknown): void {
    const st = state as { series?: Array<[string, Series & { values: Array<number | null> }]>; since?: unknown };
    this.series = new Map(
      (st.series ?? []).map(([k, s]) => [k, { ...s, values: s.values.map((v) => (v === null ? NaN : v)) }] as [string, Series]),
    );
    this.since.restore(st.since);
  }
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  const m = n >> 1;
  return n % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}
