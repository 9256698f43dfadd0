// The production detector: per series, per channel, an online robust normaliser feeds a shared
// univariate LSTM (fused step, cell.ts) that predicts the next normalised value. Two sustained
// deviations per channel (prediction error and level against the series' own baseline) are turned
// into tail probabilities against the series' own recent history, seeded by the calibration measured
// on normal training data (the anomaly-likelihood idea of Numenta's HTM). A trend test on memory
// projects the time to the limit (leaks inside GC sawtooths), hard signals from Kubernetes raise the
// probability directly, and hysteresis decides the anomalous stretch. Features ['value'] serve a
// single series (NAB) with the same class and parameters.
import type { AnomalyType, ContributingMetric } from '../../lib/schemas.ts';
import type { Detector, HardSignal, Observation, Verdict } from '../detector-api.ts';
import { featureSpec, type FeatureSpec } from '../pod-features.ts';
import { lstmStep } from './cell.ts';
import type { SequenceModel } from './model.ts';

/** Tunables: one set for every cluster and for NAB (no per-file tuning). */
export interface DetectorParams {
  /** Slowest adaptation rate of the per-channel baseline (1/ticks). */
  baselineRate: number;
  /** Residuals beyond this many scales are clipped when updating the baseline (robustness). */
  clip: number;
  /** Slowest adaptation rate of the per-channel history of deviations. */
  historyRate: number;
  /** Pseudo-count given to the calibration prior of the deviation history. */
  priorCount: number;
  /** Ticks after a series appears during which only hard signals count (start-up). */
  grace: number;
  /** Ticks after the grace over which statistical evidence is phased in. */
  ramp: number;
  /** Leak trend: rate of the EW regression, horizon (ticks) for projected time-to-limit. */
  leakRate: number;
  leakHorizon: number;
  /** Hysteresis: leave the anomalous state after this many ticks below exitRatio·threshold. */
  exitRatio: number;
  exitTicks: number;
  /** Probability = S / (S + scoreScale), S = -log10(tail probability): never saturates, so rankings stay. */
  scoreScale: number;
}

export const DEFAULT_PARAMS: DetectorParams = {
  baselineRate: 1 / 200,
  clip: 3,
  historyRate: 1 / 1000,
  priorCount: 50,
  grace: 12,
  ramp: 24,
  leakRate: 1 / 60,
  leakHorizon: 200,
  exitRatio: 0.75,
  exitTicks: 3,
  scoreScale: 2,
};

export const LSTM_CLIP = 6;
const Z_CLIP = 50;

/**
 * The robust z-scores of one raw series as the detector computes them (from the series' own first
 * value, no workload prior), clipped to the LSTM's input range: training data for the shared model.
 */
export function normaliseSeries(xs: ArrayLike<number>, spec: FeatureSpec, params: DetectorParams = DEFAULT_PARAMS): Float64Array {
  const out = new Float64Array(xs.length);
  let m = 0, s = 1;
  for (let n = 0; n < xs.length; n++) {
    const x = xs[n]!;
    if (n === 0) {
      m = x;
      const floor = spec.absFloor + spec.relFloor * Math.abs(x);
      s = Math.max(floor, 0.1 * Math.abs(x));
      out[0] = 0;
      continue;
    }
    const z = (x - m) / s;
    out[n] = z > LSTM_CLIP ? LSTM_CLIP : z < -LSTM_CLIP ? -LSTM_CLIP : z;
    const a = Math.max(1 / (n + 1), params.baselineRate);
    const lim = params.clip * s;
    const r = x - m > lim ? lim : x - m < -lim ? -lim : x - m;
    m += a * r;
    s = Math.max(spec.absFloor + spec.relFloor * Math.abs(m), s + a * (1.2533 * Math.abs(r) - s));
  }
  return out;
}
// per-channel slots in SeriesState.f
const N = 0, M = 1, S = 2, ZP = 3, EP = 4, PRED = 5, MUE = 6, VARE = 7, MUL = 8, VARL = 9, SC = 10, DEV = 11;
const CH = 12;
// per-series slots (after the channels)
const T_N = 0, T_LAST = 1, T_ANOM = 2, T_SINCE = 3, T_BELOW = 4, T_NOTREADY = 5, T_RESTART_AGE = 6;
const L_T = 7, L_X = 8, L_TT = 9, L_TX = 10, L_XX = 11, L_N = 12, T_PREVP = 13;
const PER_SERIES = 14;

interface SeriesState {
  f: Float64Array;
  h: Float32Array;
  c: Float32Array;
}

/** Standard normal upper tail, as -log10(Q(x)), accurate far into the tail. */
export function log10Tail(x: number): number {
  if (x <= 0) return x <= -8 ? 0 : -Math.log10(1 - 0.5 * erfcApprox(-x / Math.SQRT2));
  if (x < 5) return -Math.log10(0.5 * erfcApprox(x / Math.SQRT2));
  // asymptotic: Q(x) ≈ φ(x)/x
  return (x * x) / 2 / Math.LN10 + Math.log10(x * Math.sqrt(2 * Math.PI));
}

function erfcApprox(x: number): number {
  // Numerical Recipes erfc (Chebyshev), relative error < 1.2e-7
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function b64(a: Float64Array | Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
function fromB64F64(s: string): Float64Array {
  const b = Buffer.from(s, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
function fromB64F32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface LstmDetectorOptions {
  features: readonly string[];
  threshold: number;
  model: SequenceModel;
  params?: Partial<DetectorParams>;
  name?: string;
}

export class LstmDetector implements Detector {
  readonly name: string;
  readonly features: readonly string[];
  readonly threshold: number;
  readonly params: DetectorParams;
  readonly model: SequenceModel;
  private readonly specs: FeatureSpec[];
  private readonly seqIdx: number[];
  private readonly memIdx: number;
  private readonly series = new Map<string, SeriesState>();
  /** Workload priors: per channel EW of baseline level and log scale over mature siblings. */
  private readonly groups = new Map<string, Float64Array>();
  private readonly gates: Float64Array;
  private readonly units: number;
  private readonly stride: number;
  private readonly priorMuE: number;
  private readonly priorVarE: number;
  private readonly priorMuL: number;
  private readonly priorVarL: number;
  private chScore: Float64Array;

  constructor(opts: LstmDetectorOptions) {
    this.name = opts.name ?? 'lstm';
    this.features = [...opts.features];
    this.threshold = opts.threshold;
    this.params = { ...DEFAULT_PARAMS, ...opts.params };
    this.model = opts.model;
    this.units = opts.model.weights.units;
    this.gates = new Float64Array(4 * this.units);
    this.specs = this.features.map(featureSpec);
    this.seqIdx = this.specs.flatMap((s, i) => (s.kind === 'sequence' ? [i] : []));
    this.memIdx = this.features.indexOf('mem_pct');
    this.stride = PER_SERIES + CH * this.features.length;
    const cal = opts.model.meta.calibration;
    this.priorMuE = cal.error_mean;
    this.priorVarE = cal.error_std * cal.error_std;
    this.priorMuL = cal.level_mean ?? 0.45;
    const sdL = cal.level_std ?? 0.6;
    this.priorVarL = sdL * sdL;
    this.chScore = new Float64Array(this.features.length);
  }

  private newSeries(): SeriesState {
    const f = new Float64Array(this.stride);
    f[T_SINCE] = NaN;
    f[T_LAST] = NaN;
    f[T_RESTART_AGE] = Infinity;
    for (let ch = 0; ch < this.features.length; ch++) {
      const o = PER_SERIES + ch * CH;
      f[o + MUE] = this.priorMuE;
      f[o + VARE] = this.priorVarE;
      f[o + MUL] = this.priorMuL;
      f[o + VARL] = this.priorVarL;
    }
    const n = this.features.length * this.units;
    return { f, h: new Float32Array(n), c: new Float32Array(n) };
  }

  observeBatch(batch: readonly Observation[]): Verdict[] {
    return batch.map((o) => this.observe(o));
  }

  observe(obs: Observation): Verdict {
    let st = this.series.get(obs.key);
    if (!st) {
      st = this.newSeries();
      this.series.set(obs.key, st);
    }
    const f = st.f;
    const p = this.params;
    const age = f[T_N]!;
    f[T_N] = age + 1;
    f[T_LAST] = obs.time;
    const group = obs.group ? this.groupPrior(obs.group) : undefined;
    const values = obs.values;
    const chScore = this.chScore;
    chScore.fill(0);
    let best = 0;
    let bestCh = -1;
    let valid = 0;

    for (const ch of this.seqIdx) {
      const x = values[ch]!;
      chScore[ch] = 0;
      if (!Number.isFinite(x)) continue;
      const o = PER_SERIES + ch * CH;
      const spec = this.specs[ch]!;
      const n = f[o + N]!;
      if (n === 0) {
        // first value: baseline from the workload's siblings when known, else from the value itself
        const gm = group ? group[2 * ch]! : NaN;
        const gls = group ? group[2 * ch + 1]! : NaN;
        f[o + M] = x;
        const floor = spec.absFloor + spec.relFloor * Math.abs(x);
        f[o + S] = Number.isFinite(gls) ? Math.max(Math.exp(gls), floor) : Math.max(floor, 0.1 * Math.abs(x));
        if (Number.isFinite(gm) && Number.isFinite(gls) && Math.abs(x - gm) < 3 * Math.exp(gls)) f[o + M] = gm;
        f[o + N] = 1;
        f[o + ZP] = 0;
        f[o + EP] = 0;
        f[o + PRED] = lstmStep(this.model.weights, 0, st.h, st.c, ch * this.units, this.gates);
        valid++;
        continue;
      }
      valid++;
      const m = f[o + M]!;
      const s = f[o + S]!;
      let z = (x - m) / s;
      if (z > Z_CLIP) z = Z_CLIP;
      else if (z < -Z_CLIP) z = -Z_CLIP;
      const zin = z > LSTM_CLIP ? LSTM_CLIP : z < -LSTM_CLIP ? -LSTM_CLIP : z;
      const err = zin - f[o + PRED]!;
      // sustained deviations: the smaller of this tick's and the previous tick's, when on the same side
      const zp = f[o + ZP]!;
      const ep = f[o + EP]!;
      const dL = z * zp > 0 ? Math.min(Math.abs(z), Math.abs(zp)) : 0;
      const dE = err * ep > 0 ? Math.min(Math.abs(err), Math.abs(ep)) : 0;
      // tails against this series' own history of deviations (seeded by the training calibration)
      const muE = f[o + MUE]!, varE = f[o + VARE]!, muL = f[o + MUL]!, varL = f[o + VARL]!;
      const sE = log10Tail((dE - muE) / Math.sqrt(varE));
      const sL = log10Tail((dL - muL) / Math.sqrt(varL));
      const sc = Math.max(sE, sL) - 0.30103; // two tests per channel
      chScore[ch] = sc;
      f[o + SC] = sc;
      f[o + DEV] = z;
      if (sc > best) {
        best = sc;
        bestCh = ch;
      }
      // update history of deviations (clipped so an anomaly is not absorbed at once)
      const hr = Math.max(1 / (n + p.priorCount), p.historyRate);
      const cE = Math.min(dE, muE + 4 * Math.sqrt(varE));
      const cL = Math.min(dL, muL + 4 * Math.sqrt(varL));
      const dMuE = cE - muE;
      f[o + MUE] = muE + hr * dMuE;
      f[o + VARE] = Math.max(1e-4, (1 - hr) * (varE + hr * dMuE * dMuE));
      const dMuL = cL - muL;
      f[o + MUL] = muL + hr * dMuL;
      f[o + VARL] = Math.max(1e-4, (1 - hr) * (varL + hr * dMuL * dMuL));
      // robust baseline update
      const a = Math.max(1 / (n + 1), p.baselineRate);
      const lim = p.clip * s;
      const r = x - m > lim ? lim : x - m < -lim ? -lim : x - m;
      const mNew = m + a * r;
      const floor = spec.absFloor + spec.relFloor * Math.abs(mNew);
      f[o + M] = mNew;
      f[o + S] = Math.max(floor, s + a * (1.2533 * Math.abs(r) - s));
      f[o + N] = n + 1;
      f[o + ZP] = z;
      f[o + EP] = err;
      f[o + PRED] = lstmStep(this.model.weights, zin, st.h, st.c, ch * this.units, this.gates);
      if (group && n >= 60) {
        // mature series teach their workload's prior
        group[2 * ch] = Number.isFinite(group[2 * ch]!) ? group[2 * ch]! + 0.02 * (mNew - group[2 * ch]!) : mNew;
        const ls = Math.log(f[o + S]!);
        group[2 * ch + 1] = Number.isFinite(group[2 * ch + 1]!) ? group[2 * ch + 1]! + 0.02 * (ls - group[2 * ch + 1]!) : ls;
      }
    }
    // several channels tested at once: Bonferroni
    let stat = valid > 1 ? best - Math.log10(valid) : best;
    // start-up: statistics phased in after the grace period
    if (age < p.grace) stat = 0;
    else if (age < p.grace + p.ramp) stat *= (age - p.grace + 1) / (p.ramp + 1);

    let type: AnomalyType = bestCh >= 0 ? this.specs[bestCh]!.type : 'unknown';
    if (bestCh >= 0 && bestCh === this.memIdx && (f[PER_SERIES + bestCh * CH + DEV]! > 0) && values[bestCh]! > 80) type = 'oom_risk';

    // memory leak: EW regression on mem_pct, projected ticks until the limit
    if (this.memIdx >= 0) {
      const leak = this.leakScore(f, values[this.memIdx]!);
      if (leak > stat && age >= p.grace) {
        stat = leak;
        type = 'oom_risk';
      }
    }
    let prob = stat > 0 ? stat / (stat + p.scoreScale) : 0;

    // hard signals reported by Kubernetes
    const hard = obs.hard;
    f[T_RESTART_AGE] = f[T_RESTART_AGE]! + 1;
    const ri = this.features.indexOf('restarts_delta');
    const restarted = ri >= 0 && values[ri]! > 0;
    if (hard && hard.length > 0) {
      const r = this.hardProbability(hard, age, f);
      if (r && r.p > prob) {
        prob = r.p;
        type = r.type;
      }
    } else {
      f[T_NOTREADY] = 0;
    }
    if (restarted) {
      const again = f[T_RESTART_AGE]! < 60;
      f[T_RESTART_AGE] = 0;
      const pr = again ? 0.93 : 0.75;
      if (pr > prob) {
        prob = pr;
        type = 'crash_loop';
      }
    }
    if (prob > 1) prob = 1;

    // hysteresis: enter at the threshold, leave after exitTicks below exitRatio·threshold
    let anomalous = f[T_ANOM]! > 0;
    if (!anomalous) {
      if (prob >= this.threshold) {
        anomalous = true;
        f[T_SINCE] = obs.time;
        f[T_BELOW] = 0;
      }
    } else if (prob < this.threshold * p.exitRatio) {
      f[T_BELOW] = f[T_BELOW]! + 1;
      if (f[T_BELOW]! >= p.exitTicks) {
        anomalous = false;
        f[T_SINCE] = NaN;
      }
    } else {
      f[T_BELOW] = 0;
    }
    f[T_ANOM] = anomalous ? 1 : 0;
    f[T_PREVP] = prob;

    return {
      probability: prob,
      anomalous,
      type: prob >= this.threshold * p.exitRatio || anomalous ? type : 'none',
      contributing: this.contributing(f, values),
      since: anomalous ? f[T_SINCE]! : null,
    };
  }

  private leakScore(f: Float64Array, x: number): number {
    if (!Number.isFinite(x)) return 0;
    const a = this.params.leakRate;
    const b = 1 - a;
    // ages: the newest point has age 0, older ones age by one each tick
    const t = f[L_T]!, sx = f[L_X]!, tt = f[L_TT]!, tx = f[L_TX]!;
    f[L_TT] = b * (tt + 2 * t + 1);
    f[L_TX] = b * (tx + sx);
    f[L_T] = b * (t + 1);
    f[L_X] = b * sx + a * x;
    f[L_XX] = b * f[L_XX]! + a * x * x;
    const n = f[L_N]! + 1;
    f[L_N] = n;
    const w = 1 - Math.pow(b, n); // weight mass so far (bias correction while young)
    if (n < 40) return 0;
    const mt = f[L_T]! / w, mx = f[L_X]! / w;
    const vt = f[L_TT]! / w - mt * mt;
    const cov = f[L_TX]! / w - mt * mx;
    if (vt <= 0) return 0;
    const slope = -cov / vt; // per tick, forward in time
    if (slope <= 0) return 0;
    const vx = f[L_XX]! / w - mx * mx;
    const resVar = Math.max(1e-9, vx - (cov * cov) / vt);
    const neff = 2 / a;
    const tstat = slope / Math.sqrt(resVar / (neff * vt));
    if (tstat < 4) return 0;
    const fit = mx + slope * mt; // fitted level now (age 0)
    const peak = fit + 1.8 * Math.sqrt(resVar);
    const ttl = Math.max(0, (100 - peak) / slope);
    const H = this.params.leakHorizon;
    if (ttl >= H) return 0;
    return 10 * (1 - ttl / H) + 2;
  }

  private hardProbability(hard: readonly HardSignal[], age: number, f: Float64Array): { p: number; type: AnomalyType } | null {
    let best: { p: number; type: AnomalyType } | null = null;
    const take = (p: number, type: AnomalyType) => {
      if (!best || p > best.p) best = { p, type };
    };
    let notReady = false;
    for (const h of hard) {
      if (h === 'crash_loop') take(0.95, 'crash_loop');
      else if (h === 'oom_killed') take(0.92, 'oom_risk');
      else if (h === 'image_pull') take(0.9, 'unknown');
      else if (h === 'error') take(0.85, 'unknown');
      else if (h === 'not_ready') notReady = true;
    }
    if (notReady) {
      f[T_NOTREADY] = f[T_NOTREADY]! + 1;
      // a pod still starting is expected to be not ready for a while
      if (age >= this.params.grace && f[T_NOTREADY]! >= 3) take(Math.min(0.9, 0.7 + 0.02 * f[T_NOTREADY]!), 'unknown');
    } else {
      f[T_NOTREADY] = 0;
    }
    return best;
  }

  private contributing(f: Float64Array, values: Float64Array): ContributingMetric[] {
    // top three channels by |deviation| from their baseline (robust scale units)
    const top: number[] = [];
    for (const ch of this.seqIdx) {
      const o = PER_SERIES + ch * CH;
      if (f[o + N]! < 2 || !Number.isFinite(values[ch]!)) continue;
      const d = Math.abs(f[o + DEV]!);
      let i = top.length;
      while (i > 0 && Math.abs(f[PER_SERIES + top[i - 1]! * CH + DEV]!) < d) i--;
      if (i < 3) {
        top.splice(i, 0, ch);
        if (top.length > 3) top.pop();
      }
    }
    return top.map((ch) => {
      const o = PER_SERIES + ch * CH;
      return {
        metric: this.features[ch]!,
        value: values[ch]!,
        expected: f[o + M]!,
        deviation: Math.round(f[o + DEV]! * 100) / 100,
      };
    });
  }

  private groupPrior(group: string): Float64Array {
    let g = this.groups.get(group);
    if (!g) {
      g = new Float64Array(2 * this.features.length).fill(NaN);
      this.groups.set(group, g);
    }
    return g;
  }

  /** Number of series with state (for memory accounting). */
  get size(): number {
    return this.series.size;
  }

  forget(key: string): void {
    this.series.delete(key);
  }

  snapshot(): unknown {
    const series: Record<string, [string, string, string]> = {};
    for (const [k, s] of this.series) series[k] = [b64(s.f), b64(s.h), b64(s.c)];
    const groups: Record<string, string> = {};
    for (const [k, g] of this.groups) groups[k] = b64(g);
    return { v: 1, detector: this.name, features: this.features, units: this.units, series, groups };
  }

  restore(state: unknown): void {
    const s = state as {
      v?: number;
      features?: string[];
      units?: number;
      series?: Record<string, [string, string, string]>;
      groups?: Record<string, string>;
    };
    if (!s || s.v !== 1 || !s.series || JSON.stringify(s.features) !== JSON.stringify(this.features) || s.units !== this.units) {
      throw new Error('detector snapshot does not match this detector (features, model units or format differ)');
    }
    this.series.clear();
    this.groups.clear();
    for (const [k, [f, h, c]] of Object.entries(s.series)) {
      const st = { f: fromB64F64(f), h: fromB64F32(h), c: fromB64F32(c) };
      if (st.f.length !== this.stride || st.h.length !== this.features.length * this.units) {
        throw new Error(`detector snapshot entry ${k} has the wrong size`);
      }
      this.series.set(k, st);
    }
    for (const [k, g] of Object.entries(s.groups ?? {})) this.groups.set(k, fromB64F64(g));
  }
}
