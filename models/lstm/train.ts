// Training of the shared univariate model on normal history: every sequence channel of every series is
// normalised exactly as the detector does online, cut into long windows (so a stateful stream stays in
// distribution), and the LSTM learns to predict the next normalised value. Calibration then measures
// the detector's deviation statistics on the same normal data with the fused step.
import type * as TF from '@tensorflow/tfjs';
import { featureSpec } from '../pod-features.ts';
import { runSequence, type LstmWeights } from './cell.ts';
import { DEFAULT_PARAMS, normaliseSeries } from './detector.ts';
import type { Calibration } from './model.ts';
import { mulberry32 } from '../../lib/prng.ts';

export interface TrainOptions {
  window: number;
  stride: number;
  maxWindows: number;
  epochs: number;
  batchSize: number;
  seed: number;
  log?: (msg: string) => void;
}

export const DEFAULT_TRAIN: TrainOptions = { window: 96, stride: 24, maxWindows: 2400, epochs: 6, batchSize: 64, seed: 7 };

/** Raw channel series (one feature of one series) → normalised sequences for training. */
export function normalisedSequences(channels: ReadonlyArray<{ feature: string; values: Float64Array }>): Float64Array[] {
  return channels
    .filter((c) => featureSpec(c.feature).kind === 'sequence' && c.values.length > DEFAULT_PARAMS.grace + 8)
    .map((c) => normaliseSeries(c.values, featureSpec(c.feature)).subarray(DEFAULT_PARAMS.grace));
}

/** Input/target windows (target = next step) sampled deterministically from the sequences. */
export function makeWindows(seqs: readonly Float64Array[], o: TrainOptions): { xs: Float32Array; ys: Float32Array; count: number } {
  const starts: Array<[number, number]> = [];
  seqs.forEach((s, k) => {
    for (let i = 0; i + o.window + 1 <= s.length; i += o.stride) starts.push([k, i]);
  });
  const rand = mulberry32(o.seed);
  for (let i = starts.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [starts[i], starts[j]] = [starts[j]!, starts[i]!];
  }
  const chosen = starts.slice(0, o.maxWindows);
  const xs = new Float32Array(chosen.length * o.window);
  const ys = new Float32Array(chosen.length * o.window);
  chosen.forEach(([k, i], w) => {
    const s = seqs[k]!;
    for (let t = 0; t < o.window; t++) {
      xs[w * o.window + t] = s[i + t]!;
      ys[w * o.window + t] = s[i + t + 1]!;
    }
  });
  return { xs, ys, count: chosen.length };
}

export async function fit(tf: typeof TF, model: TF.LayersModel, seqs: readonly Float64Array[], o: TrainOptions): Promise<number> {
  const { xs, ys, count } = makeWindows(seqs, o);
  if (count === 0) throw new Error(`not enough history to train: need series of at least ${o.window + 1 + DEFAULT_PARAMS.grace} rows`);
  o.log?.(`training on ${count} windows of ${o.window} steps (${seqs.length} channel series)`);
  const x = tf.tensor3d(xs, [count, o.window, 1]);
  const y = tf.tensor3d(ys, [count, o.window, 1]);
  let last = NaN;
  try {
    await model.fit(x, y, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      shuffle: false, // windows are already shuffled with a seed: deterministic
      verbose: 0,
      callbacks: {
        onEpochEnd: (epoch, logs) => {
          last = Number(logs?.loss);
          o.log?.(`epoch ${epoch + 1}/${o.epochs}: loss ${last.toFixed(5)}`);
        },
      },
    });
  } finally {
    x.dispose();
    y.dispose();
  }
  return last;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The detector's deviation statistics on normal data, measured with the fused step. */
export function calibrate(w: LstmWeights, seqs: readonly Float64Array[], levelScale = 6): Calibration {
  const errs: number[] = [];
  const dEs: number[] = [];
  const dLs: number[] = [];
  for (const z of seqs) {
    const pred = runSequence(w, z);
    for (let t = 2; t < z.length; t++) {
      const e = z[t]! - pred[t - 1]!;
      const ep = z[t - 1]! - pred[t - 2]!;
      dEs.push(e * ep > 0 ? Math.min(Math.abs(e), Math.abs(ep)) : 0);
      dLs.push(z[t]! * z[t - 1]! > 0 ? Math.min(Math.abs(z[t]!), Math.abs(z[t - 1]!)) : 0);
      errs.push(Math.abs(e));
    }
  }
  const sorted = Float64Array.from(errs).sort();
  const sortedE = Float64Array.from(dEs).sort();
  const errorScale = Math.max(0.05, quantile(sortedE, 0.99));
  const stats = (ds: number[], k: number) => {
    let s = 0,
      s2 = 0;
    for (const d of ds) {
      const r = 1 - Math.exp(-d / k);
      s += r;
      s2 += r * r;
    }
    const m = s / ds.length;
    return [m, Math.sqrt(Math.max(1e-6, s2 / ds.length - m * m))] as const;
  };
  const [mE, sdE] = stats(dEs, errorScale);
  const [mL, sdL] = stats(dLs, levelScale);
  return {
    error_scale: errorScale,
    level_scale: levelScale,
    error_mean: mE,
    error_std: sdE,
    level_mean: mL,
    level_std: sdL,
    error_quantiles: { q50: quantile(sorted, 0.5), q90: quantile(sorted, 0.9), q99: quantile(sorted, 0.99), q999: quantile(sorted, 0.999) },
    samples: errs.length,
  };
}
