// Reference detectors that live only in the NAB harness: re-implementations of NAB's own baselines, used
// to check the harness end to end against NAB's published rows. They are NOT the project's detector and
// are never used by the agent; the project's detectors come from models/registry.ts.
import type { Detector, Observation, Verdict } from '../../models/detector-api.ts';

// ---------------------------------------------------------------------------------------------------------
// erfc with double precision (NAB's baselines use Python's math.erfc)

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

/** Complementary error function, relative error ~1e-15 (series below 2.5, continued fraction above). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), all terms positive.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - 2 * INV_SQRT_PI * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated backwards.
  let f = x;
  for (let k = 80; k >= 1; k--) f = x + k / 2 / f;
  return (INV_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The normal tail probability beyond x (symmetric: the tail on x's side of the mean), Q(|x - mean|/std). */
export function normalTailProbability(x: number, mean: number, std: number): number {
  if (x < mean) return normalTailProbability(2 * mean - x, mean, std);
  const z = (x - mean) / std;
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Python's float formatting with 12 significant digits ("%.12g"), as NAB's published result files hold. */
export function round12(x: number): number {
  return Number(x.toPrecision(12));
}

function verdict(probability: number, threshold: number, time: number): Verdict {
  const anomalous = probability >= threshold;
  return { probability, anomalous, type: anomalous ? 'unknown' : 'none', contributing: [], since: anomalous ? time : null };
}

interface GaussianState {
  window: number[];
  stepBuffer: number[];
  mean: number;
  std: number;
}

/**
 * NAB's windowedGaussian baseline as published in 2016 (nab/detectors/gaussian): the score of a value is
 * 1 - its tail probability (on its side of the mean) under a normal fitted to a window of past values (up to
 * 6400, slid forward 100 values at a time; numpy mean and population std, std 0 → 1e-6). Streaming and
 * label-free; one series per key.
 */
export class WindowedGaussianReference implements Detector {
  readonly name = 'windowed-gaussian-reference';
  readonly features: readonly string[] = ['value'];
  readonly windowSize: number;
  readonly stepSize: number;
  readonly threshold: number;
  private series = new Map<string, GaussianState>();

  constructor(opts: { windowSize?: number; stepSize?: number; threshold?: number } = {}) {
    this.windowSize = opts.windowSize ?? 6400;
    this.stepSize = opts.stepSize ?? 100;
    this.threshold = opts.threshold ?? 1.0;
  }

  observe(obs: Observation): Verdict {
    const x = obs.values[0] ?? NaN;
    let st = this.series.get(obs.key);
    if (!st) {
      st = { window: [], stepBuffer: [], mean: 0, std: 1 };
      this.series.set(obs.key, st);
    }
    if (Number.isNaN(x)) return verdict(0, this.threshold, obs.time);
    const score = st.window.length > 0 ? 1 - normalTailProbability(x, st.mean, st.std) : 0.0;
    if (st.window.length < this.windowSize) {
      st.window.push(x);
      updateWindow(st);
    } else {
      st.stepBuffer.push(x);
      if (st.stepBuffer.length === this.stepSize) {
        st.window = st.window.slice(this.stepSize).concat(st.stepBuffer);
        st.stepBuffer = [];
        updateWindow(st);
      }
    }
    return verdict(score, this.threshold, obs.time);
  }

  forget(key: string): void {
    this.series.delete(key);
  }

  snapshot(): unknown {
    return Object.fromEntries(this.series);
  }

  restore(state: unknown): void {
    this.series = new Map(Object.entries((state ?? {}) as Record<string, GaussianState>));
  }
}

let scratch = new Float64Array(1024);

function updateWindow(st: GaussianState): void {
  const n = st.window.length;
  st.mean = pairwiseSum(st.window) / n;
  const mean = st.mean;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  for (let i = 0; i < n; i++) scratch[i] = (st.window[i]! - mean) ** 2;
  st.std = Math.sqrt(pairwiseSum(scratch, 0, n) / n);
  if (st.std === 0) st.std = 0.000001;
}

/** numpy's pairwise summation (blocks of 128 with 8 accumulators), so means match numpy to the last bit. */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += a[i]!;
    return s;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k]! += a[start + i + k]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
