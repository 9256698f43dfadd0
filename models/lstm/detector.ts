// The production detector: per series, per channel, an online robust normaliser feeds a shared
// univariate LSTM (fused step, cell.ts) that predicts the next normalised value. Two sustained
// deviations per channel (prediction error and level against the series' own baseline) are turned
// into tail probabilities against the series' own recent history, seeded by the calibration measured
// on normal training data (the anomaly-likelihood idea of Numenta's HTM). A trend test on memory
// projects the time to the limit (leaks inside GC sawtooths), hard signals from Kubernetes raise the
// probability directly, and hysteresis decides the anomalous stretch. Novelty (a value beyond the series'
// established range, or inside it but far from every value seen: range-map.ts) opens an alert by itself.
// Features ['value'] serve a single series (NAB) with the same class and parameters.
import type { AnomalyType, ContributingMetric } from '../../lib/schemas.ts';
import type { Detector, HardSignal, Observation, Verdict } from '../detector-api.ts';
import { featureSpec, type FeatureSpec } from '../pod-features.ts';
import { LstmCell } from './cell.ts';
import { slabItems } from '../../lib/state-slabs.ts';
import { resetSeasonalState, SEASONAL_LAYOUT, SEASONAL_SIZE, seasonalStep } from './seasonal.ts';
import type { SequenceModel } from './model.ts';
import { inGap, markRangeMapsEmpty, RANGE_MAP_LAYOUT, RANGE_MAP_SIZE, resetRangeMap, visit } from './range-map.ts';
import { erfc } from '../erfc.ts';

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
  /** Ticks after the grace over which statistical evidence is phased in, for a pod first seen starting. */
  ramp: number;
  /** The same for a series first seen already running (its history predates the detector). */
  matureRamp: number;
  /** A series first seen this long after the detector's first observation is a new pod (start-up ramp). */
  newSeriesAfterMs: number;
  /** Leak trend: rate of the EW regression, horizon (ticks) for projected time-to-limit. */
  leakRate: number;
  leakHorizon: number;
  /** Ticks of regression (after start-up) before the leak test speaks. */
  leakMinTicks: number;
  /** CPU creep: flagged when the fitted climb would add creepGrowth × the level (at least creepMinLevel) within creepHorizon ticks. */
  creepHorizon: number;
  creepGrowth: number;
  creepMinLevel: number;
  creepPoints: number;
  /** Values of CPU regression before the creep test speaks (a young fit extrapolates an AR wander). */
  creepMinTicks: number;
  /** Hysteresis: leave the anomalous state after this many ticks below exitRatio·threshold. */
  exitRatio: number;
  exitTicks: number;
  /** Probability = S / (S + scoreScale), S = -log10(tail probability): never saturates, so rankings stay. */
  scoreScale: number;
  /** Weight of the level test against the prediction-error test (0 = prediction error only). */
  levelWeight: number;
  /** Ticks a deviation must last, on the same side, to count (1 = every tick, 2 = sustained). */
  persistTicks: number;
  /** Rate of the short-term average of raw scores (1 = no averaging). */
  shortRate: number;
  /** Onset score: per-tick decay of the running peak of evidence; re-alarms below it are damped. */
  onsetDecay: number;
  onsetDamp: number;
  /** Evidence above onsetRatio × the decayed peak counts as a new alert. */
  onsetRatio: number;
  /** Baseline adaptation is multiplied by this while the series is anomalous. */
  anomalousRateFactor: number;
  /** A series whose last probability reached suspectRatio·threshold also learns slowly. */
  suspectRatio: number;
  /** After a sibling appears, load deviations of the workload's pods are weighted by churnWeight for this long. */
  churnWindowMs: number;
  churnWeight: number;
  /** ... and the baseline learns churnRate times faster then (the pods' new share of the load). */
  churnRate: number;
  /** The scale is at least slowWeight × a slower, unclipped deviation (rate slowRate × baseline rate). */
  slowWeight: number;
  slowRate: number;
  /** Range novelty (HTM's "spatial anomaly"): a value beyond the channel's own min/max so far by more
   * than noveltyMargin × that range, after noveltyWarm values, scores noveltyOnset on the onset score. */
  noveltyMargin: number;
  noveltyWarm: number;
  /** ... and only once the series has been watched this long per channel tested (see `established` in observe). */
  noveltySpanMs: number;
  noveltyOnset: number;
  /**
   * Gap novelty: a value inside the range with no earlier value within gapReach × the range is novel too
   * (same conditions as range novelty; 0 = off). The default sits in a plateau of reaches that all beat no
   * gap test on NAB, so it is not one lucky setting (measured in docs/notes/nab-tuning.md).
   */
  gapReach: number;
  /** Weight of the seasonal member (time-of-day/week expectation; 0 = off). */
  seasonalWeight: number;
  /**
   * Episode history: the onset evidence is divided by 1 + episodeWeight × (how many earlier episodes of the
   * series, decayed by onsetDecay per row, peaked at least as high); an episode is a run of evidence above episodeFloor.
   */
  episodeWeight: number;
  episodeFloor: number;
  /**
   * Sustained shift: a run of at least sustainTicks rows on one side of the baseline, every one beyond
   * sustainFloor scales, scores sustainWeight × the Gaussian tail of the run's lower envelope (0 = off).
   * A level shift shows as such a run before the baseline follows it; one-tick bursts never do.
   */
  sustainTicks: number;
  sustainWeight: number;
  sustainFloor: number;
  /** ... and every row of the run at least sustainRel of the baseline away from it (a wander of a quiet series is no shift). */
  sustainRel: number;
}

export const DEFAULT_PARAMS: DetectorParams = {
  baselineRate: 1 / 60,
  clip: 3,
  historyRate: 1 / 1000,
  priorCount: 50,
  grace: 12,
  ramp: 200,
  matureRamp: 4,
  newSeriesAfterMs: 5 * 60_000,
  leakRate: 1 / 40,
  leakHorizon: 150,
  leakMinTicks: 15,
  creepHorizon: 60,
  creepGrowth: 0.5,
  creepMinLevel: 20,
  creepPoints: 30,
  creepMinTicks: 40,
  exitRatio: 0.75,
  exitTicks: 3,
  scoreScale: 2,
  levelWeight: 1,
  persistTicks: 2,
  shortRate: 1,
  onsetDecay: 0.9995,
  onsetDamp: 0.1,
  onsetRatio: 1,
  anomalousRateFactor: 0.1,
  suspectRatio: 0.6,
  churnWindowMs: 15 * 60_000,
  churnWeight: 0.5,
  churnRate: 3,
  slowWeight: 0.6,
  slowRate: 0.25,
  noveltyMargin: 0.02,
  noveltyWarm: 100,
  noveltySpanMs: 86_400_000,
  noveltyOnset: 0.99,
  gapReach: 0.05,
  seasonalWeight: 3,
  episodeWeight: 1,
  episodeFloor: 0.5,
  sustainTicks: 5,
  sustainWeight: 1,
  sustainFloor: 1,
  sustainRel: 0.3,
};

export const LSTM_CLIP = 6;
const Z_CLIP = 50;

/**
 * The robust z-scores of one raw series as the detector computes them (from the series' own first
 * value, no workload prior), clipped to the LSTM's input range: training data for the shared model.
 */
export function normaliseSeries(xs: ArrayLike<number>, spec: FeatureSpec, params: DetectorParams = DEFAULT_PARAMS): Float64Array {
  const out = new Float64Array(xs.length);
  let m = 0,
    s = 1,
    slow = 1;
  for (let n = 0; n < xs.length; n++) {
    const x = xs[n]!;
    if (n === 0) {
      m = x;
      const floor = spec.absFloor + spec.relFloor * Math.abs(x);
      s = Math.max(floor, 0.1 * Math.abs(x));
      slow = s;
      out[0] = 0;
      continue;
    }
    const sEff = s > params.slowWeight * slow ? s : params.slowWeight * slow;
    const z = (x - m) / sEff;
    out[n] = z > LSTM_CLIP ? LSTM_CLIP : z < -LSTM_CLIP ? -LSTM_CLIP : z;
    const a = Math.max(1 / (n + 1), params.baselineRate);
    const lim = params.clip * s;
    const r = x - m > lim ? lim : x - m < -lim ? -lim : x - m;
    const dev = Math.abs(x - m);
    m += a * r;
    const ar = Math.abs(r) < s ? Math.abs(r) : s;
    s = Math.max(spec.absFloor + spec.relFloor * Math.abs(m), s + a * (1.2533 * ar - s));
    slow += a * params.slowRate * (1.2533 * dev - slow);
  }
  return out;
}
// per-channel slots in SeriesState.f (RMIN and RLEN, the sustained run, took the slots of a stored score and of a
// copy of ZP that nothing read)
const N = 0,
  M = 1,
  S = 2,
  ZP = 3,
  EP = 4,
  PRED = 5,
  MUE = 6,
  VARE = 7,
  MUL = 8,
  VARL = 9,
  RMIN = 10,
  RLEN = 11,
  RE = 12,
  RL = 13,
  SLOW = 14,
  LO = 15,
  HI = 16;
const CH = 17;
/** Slots per channel, and per series, in snapshots of older layouts (migrated on restore). */
const CH_V1 = 15;
const PER_SERIES_V1 = 22;
// per-series slots (after the channels)
const T_N = 0,
  T_LAST = 1,
  T_ANOM = 2,
  T_SINCE = 3,
  T_BELOW = 4,
  T_NOTREADY = 5,
  T_RESTART_AGE = 6;
// L_T..+5: memory trend regression (see trend()), C_T..+5: CPU trend regression
const L_T = 7,
  T_PREVP = 13,
  T_PEAK = 14,
  T_RAMP = 15,
  C_T = 16,
  T_FIRST = 22;
// episode history (see observe): open episode's peak, rows since the history was last decayed, then the bins
const T_EP_PEAK = 23,
  T_EP_AGE = 24,
  T_EP_BINS = 25;
const EP_BINS = 16;
/**
 * Workload prior slots after the per-feature pairs: churn time, the round's time, its pod count, the last round's,
 * and the time a sibling last went away.
 */
const GROUP_TAIL = 5;
const PER_SERIES = T_EP_BINS + EP_BINS;
/** Episode-history bin of an evidence value: half-steps of log2, from 2^-2. */
function epBin(e: number): number {
  const b = Math.floor(2 * Math.log2(e) + 4);
  return b < 0 ? 0 : b >= EP_BINS ? EP_BINS - 1 : b;
}

/**
 * One series' state: f (Float64 slots), and in one Float32 view the LSTM's h and c (units per sequence
 * channel each) then the channels' range maps (gap novelty; RANGE_MAP_SIZE slots each, see range-map.ts) at
 * `cBase` and `rBase`. One view instead of three: at 150,000 pods each view object is about 100 bytes.
 */
interface SeriesState {
  f: Float64Array;
  s: Float32Array;
  /** The seasonal member's state (SEASONAL_SIZE slots per sequence channel, see seasonal.ts), from the first value it learns. */
  ss: Float32Array | null;
}

/** Standard normal upper tail, as -log10(Q(x)), accurate far into the tail. */
export function log10Tail(x: number): number {
  if (x <= 0) return x <= -8 ? 0 : -Math.log10(1 - 0.5 * erfc(-x / Math.SQRT2));
  if (x < 5) return -Math.log10(0.5 * erfc(x / Math.SQRT2));
  // asymptotic: Q(x) ≈ φ(x)/x
  return (x * x) / 2 / Math.LN10 + Math.log10(x * Math.sqrt(2 * Math.PI));
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
  /** Ignore the model's exceedance table (used while measuring it). */
  uncalibrated?: boolean;
}

/**
 * Maps a raw channel statistic through the exceedance table measured on normal data: points
 * [raw, -log10 P(raw statistic >= raw)], ascending; linear between points, slope 1 beyond the last.
 */
export function applyTable(table: ReadonlyArray<readonly [number, number]>, raw: number): number {
  const n = table.length;
  if (n === 0) return raw;
  const first = table[0]!;
  if (raw <= first[0]) return first[1] * Math.max(0, raw / (first[0] || 1));
  // indexed, not destructured: array destructuring allocated an iterator per row (~185 bytes a row at 150,000 pods)
  for (let i = 1; i < n; i++) {
    const hi = table[i]!;
    const x1 = hi[0];
    if (raw <= x1) {
      const lo = table[i - 1]!;
      const x0 = lo[0];
      const y0 = lo[1];
      const y1 = hi[1];
      return x1 > x0 ? y0 + ((raw - x0) / (x1 - x0)) * (y1 - y0) : y1;
    }
  }
  const last = table[n - 1]!;
  return last[1] + (raw - last[0]);
}

/** The exceedance table of raw statistics gathered on normal data (see applyTable). */
export function exceedanceTable(raws: number[]): Array<[number, number]> {
  const sorted = Float64Array.from(raws).sort();
  const n = sorted.length;
  const out: Array<[number, number]> = [];
  for (let k = 1; ; k++) {
    const level = k / 4; // every quarter decade
    const rank = Math.floor(n * (1 - Math.pow(10, -level)));
    if (rank >= n - 3) break; // keep at least a few samples above the point
    const x = sorted[rank]!;
    if (out.length > 0 && x <= out[out.length - 1]![0]) continue;
    out.push([x, level]);
  }
  return out;
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
  /** Position of mem_pct among the sequence channels (its slots in f), or -1. */
  private readonly memSlot: number;
  private readonly cpuIdx: number;
  private readonly restartIdx: number;
  private readonly series = new Map<string, SeriesState>();
  /** Workload priors: per channel EW of baseline level and log scale over mature siblings. */
  private readonly groups = new Map<string, Float64Array>();
  /** The shared model's weights, prepared for stepping. */
  private readonly cell: LstmCell;
  private readonly units: number;
  private readonly stride: number;
  /** Where c and the range maps start in SeriesState.s (h starts at 0). */
  private readonly cBase: number;
  /** Bytes of one series' f, h, c and range maps in a slab, and series per slab (lib/state-slabs.ts). */
  private readonly seriesBytes: number;
  private readonly seriesPerSlab: number;
  /** Slots of one series' seasonal state, and seasonal states per slab. */
  private readonly seasonalSize: number;
  private readonly seasonalPerSlab: number;
  private readonly rBase: number;
  private readonly kE: number;
  /** A series' deviation history never claims less than half the spread seen on normal data. */
  private readonly minVarE: number;
  private readonly minVarL: number;
  private readonly kL: number;
  private readonly priorMuE: number;
  private readonly priorVarE: number;
  private readonly priorMuL: number;
  private readonly priorVarL: number;
  private chScore: Float64Array;
  private readonly table: ReadonlyArray<readonly [number, number]> | undefined;
  private readonly levelTable: ReadonlyArray<readonly [number, number]> | undefined;
  /** When set, every mature channel's raw statistics are appended (training-time calibration). */
  collect: number[] | undefined;
  collectLevel: number[] | undefined;
  /** Time of the first observation this detector saw (series appearing long after it are new pods). */
  private clockStart = NaN;
  /** Whether the last leak fit of the series being observed found memory climbing (names a memory alert oom_risk). */
  private memRising = false;

  constructor(opts: LstmDetectorOptions) {
    this.name = opts.name ?? 'lstm';
    this.features = [...opts.features];
    this.threshold = opts.threshold;
    this.params = { ...DEFAULT_PARAMS, ...opts.params };
    this.model = opts.model;
    this.units = opts.model.weights.units;
    this.cell = new LstmCell(opts.model.weights);
    this.specs = this.features.map(featureSpec);
    this.seqIdx = this.specs.flatMap((s, i) => (s.kind === 'sequence' ? [i] : []));
    this.memIdx = this.features.indexOf('mem_pct');
    this.cpuIdx = this.features.indexOf('cpu_pct');
    this.restartIdx = this.features.indexOf('restarts_delta');
    // slots for sequence channels only (info features are carried for explanations, never modelled)
    this.stride = PER_SERIES + CH * this.seqIdx.length;
    this.cBase = this.seqIdx.length * this.units;
    this.rBase = 2 * this.cBase;
    const nr = this.seqIdx.length * RANGE_MAP_SIZE;
    this.seriesBytes = this.stride * 8 + 2 * this.cBase * 4 + nr * 4 + ((nr & 1) << 2); // a multiple of 8: the next series' f stays aligned
    this.seriesPerSlab = slabItems(this.seriesBytes);
    this.seasonalSize = this.seqIdx.length * SEASONAL_SIZE;
    this.seasonalPerSlab = slabItems(this.seasonalSize * 4);
    this.memSlot = this.seqIdx.indexOf(this.memIdx);
    const cal = opts.model.meta.calibration;
    this.kE = cal.error_scale;
    this.kL = cal.level_scale;
    this.priorMuE = cal.error_mean;
    this.priorVarE = cal.error_std * cal.error_std;
    this.priorMuL = cal.level_mean;
    this.priorVarL = cal.level_std * cal.level_std;
    this.minVarE = this.priorVarE / 4;
    this.minVarL = this.priorVarL / 4;
    this.chScore = new Float64Array(this.features.length);
    this.table = opts.uncalibrated ? undefined : cal.table;
    this.levelTable = opts.uncalibrated ? undefined : cal.level_table;
  }

  private newSeries(): SeriesState {
    const st = this.allocSeries();
    const f = st.f;
    f[T_SINCE] = NaN;
    f[T_LAST] = NaN;
    f[T_FIRST] = NaN;
    f[T_RESTART_AGE] = Infinity;
    for (let k = 0; k < this.seqIdx.length; k++) {
      const o = PER_SERIES + k * CH;
      f[o + MUE] = this.priorMuE;
      f[o + VARE] = this.priorVarE;
      f[o + MUL] = this.priorMuL;
      f[o + VARL] = this.priorVarL;
    }
    return st;
  }

  /**
   * Zeroed f, h and c of a series: views of slabs (lib/state-slabs.ts), and the views of forgotten series
   * again. One ArrayBuffer per series (three before) cost per-buffer overhead at large pod counts and
   * allocation time where pods are new every few rows (measured in docs/notes/performance-history.md).
   */
  private allocSeries(): SeriesState {
    const reuse = this.spareSeries.pop();
    if (reuse) {
      reuse.f.fill(0);
      reuse.s.fill(0);
      resetRangeMap(reuse.s, this.rBase);
      reuse.ss = null;
      return reuse;
    }
    const bytes = this.seriesBytes;
    if (!this.slab || this.slabUsed === this.seriesPerSlab) {
      this.slab = new ArrayBuffer(bytes * this.seriesPerSlab);
      this.slabUsed = 0;
    }
    const o = bytes * this.slabUsed++;
    const oh = o + this.stride * 8;
    // a new slab is zeroed already: only the range maps' frames need their "nothing seen" mark
    return {
      f: new Float64Array(this.slab, o, this.stride),
      s: markRangeMapsEmpty(new Float32Array(this.slab, oh, 2 * this.cBase + this.seqIdx.length * RANGE_MAP_SIZE), this.rBase),
      ss: null,
    };
  }

  private slab: ArrayBuffer | null = null;
  private slabUsed = 0;

  /**
   * Seasonal state of a new series: a view of a zeroed slab (lib/state-slabs.ts), set to "nothing seen" here
   * so that only the slab's pages in use are touched, or a forgotten series' view.
   */
  private allocSeasonal(): Float32Array {
    const reuse = this.spareSeasonal.pop();
    if (reuse) return resetSeasonalState(reuse);
    const size = this.seasonalSize;
    if (!this.seasonalSlab || this.seasonalSlabUsed === this.seasonalPerSlab) {
      this.seasonalSlab = new Float32Array(size * this.seasonalPerSlab);
      this.seasonalSlabUsed = 0;
    }
    const o = size * this.seasonalSlabUsed++;
    return resetSeasonalState(this.seasonalSlab.subarray(o, o + size));
  }

  private seasonalSlab: Float32Array | null = null;
  private seasonalSlabUsed = 0;
  private spareSeasonal: Float32Array[] = [];
  /** States of forgotten series, reused by allocSeries (a slab is freed only when none of its views lives). */
  private spareSeries: SeriesState[] = [];

  observeBatch(batch: readonly Observation[]): Verdict[] {
    return batch.map((o) => this.observe(o));
  }

  observe(obs: Observation): Verdict {
    this.memRising = false;
    let st = this.series.get(obs.key);
    const group = obs.group ? this.groupPrior(obs.group) : undefined;
    if (!st) {
      st = this.newSeries();
      this.series.set(obs.key, st);
      if (group) group[2 * this.features.length] = obs.time; // a sibling appeared: the workload is churning
    }
    if (group) this.countRound(group, obs.time, st.f[T_LAST]!);
    const f = st.f;
    const p = this.params;
    const age = f[T_N]!;
    if (age === 0) {
      // a pod first seen while starting (no metrics yet, or not ready) gets the long start-up ramp; one
      // already running when the detector meets it is judged after a short warm-up, from priors
      let anyValue = false;
      for (const ch of this.seqIdx) if (Number.isFinite(obs.values[ch]!)) anyValue = true;
      // a series appearing once the detector has been watching for a while is a new pod starting
      if (!Number.isFinite(this.clockStart)) this.clockStart = obs.time;
      const starting = !anyValue || (obs.hard?.length ?? 0) > 0 || obs.time - this.clockStart > p.newSeriesAfterMs;
      f[T_RAMP] = starting ? p.ramp : p.matureRamp;
    }
    const ramp = f[T_RAMP]!;
    f[T_N] = age + 1;
    f[T_LAST] = obs.time;
    if (!Number.isFinite(f[T_FIRST]!)) f[T_FIRST] = obs.time;
    const values = obs.values;
    // while anomalous or close to it, the baseline learns slowly so a sustained fault is not absorbed
    // load moves between siblings while pods come and go (rollouts, scale-outs): damp load deviations then
    const churning = group !== undefined && obs.time - group[2 * this.features.length]! < p.churnWindowMs;
    // a sibling gone steps the rest's load up at once, which a trend fit takes for a climb: the creep test waits then
    const shrunk = group !== undefined && obs.time - group[2 * this.features.length + 4]! < p.churnWindowMs;
    // (but not while the workload churns: its pods' new load is to be learnt within the churn window)
    const suspicious = f[T_ANOM]! > 0 || (!churning && f[T_PREVP]! >= this.threshold * p.suspectRatio);
    const chScore = this.chScore;
    chScore.fill(0);
    let best = 0;
    let bestCh = -1;
    let valid = 0;
    let novel = false;
    let novelCh = -1;
    let bestSustained = false;
    // a range means something only once it spans a whole daily cycle (a young pod's first evening peak is not
    // news), and a value beyond it is only a record: for iid noise the n-th value is one with probability 1/n
    // in each channel. Waiting noveltySpanMs per channel tested keeps a pod's chance of a record in any of
    // its channels no higher than a single series' (Bonferroni, as for the other tests).
    const established = obs.time - f[T_FIRST]! >= p.noveltySpanMs * this.seqIdx.length;

    for (let k = 0; k < this.seqIdx.length; k++) {
      const ch = this.seqIdx[k]!;
      const x = values[ch]!;
      chScore[ch] = 0;
      if (!Number.isFinite(x)) continue;
      const o = PER_SERIES + k * CH;
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
        f[o + SLOW] = f[o + S]!;
        f[o + LO] = x;
        f[o + HI] = x;
        f[o + N] = 1;
        f[o + ZP] = 0;
        f[o + EP] = 0;
        f[o + PRED] = this.cell.start(st.s, st.s, k * this.units, this.cBase + k * this.units);
        visit(st.s, this.rBase + k * RANGE_MAP_SIZE, x);
        valid++;
        continue;
      }
      valid++;
      if (p.seasonalWeight > 0) {
        let ss = st.ss;
        if (!ss) ss = st.ss = this.allocSeasonal();
        const zs = seasonalStep(ss, k * SEASONAL_SIZE, obs.time, x);
        if (zs !== 0) {
          const sS = p.seasonalWeight * log10Tail(Math.abs(zs)) - 0.30103;
          if (sS > best) {
            best = sS;
            bestCh = ch;
            bestSustained = false;
          }
        }
      }
      // range novelty: beyond anything this channel has shown, by a margin of its own range
      const lo = f[o + LO]!,
        hi = f[o + HI]!;
      const margin = p.noveltyMargin * (hi - lo);
      if (n >= p.noveltyWarm && established && hi > lo && (x > hi + margin || x < lo - margin)) {
        novel = true;
        if (novelCh < 0) novelCh = ch;
      }
      // gap novelty: inside the range, but far from every value seen (the map learns every value)
      const ro = this.rBase + k * RANGE_MAP_SIZE;
      if (p.gapReach > 0 && !novel && n >= p.noveltyWarm && established && x > lo && x < hi && inGap(st.s, ro, x, p.gapReach * (hi - lo))) {
        novel = true;
        novelCh = ch;
      }
      visit(st.s, ro, x);
      if (x < lo) f[o + LO] = x;
      if (x > hi) f[o + HI] = x;
      const m = f[o + M]!;
      const s = f[o + S]!;
      // slow swings (daily cycles the baseline lags behind) widen the scale: SLOW tracks them
      const slow = f[o + SLOW]!;
      const sEff = s > p.slowWeight * slow ? s : p.slowWeight * slow;
      let z = (x - m) / sEff;
      if (z > Z_CLIP) z = Z_CLIP;
      else if (z < -Z_CLIP) z = -Z_CLIP;
      const zin = z > LSTM_CLIP ? LSTM_CLIP : z < -LSTM_CLIP ? -LSTM_CLIP : z;
      const err = zin - f[o + PRED]!;
      // sustained deviations: the smaller of this tick's and the previous tick's, when on the same side
      const zp = f[o + ZP]!;
      const ep = f[o + EP]!;
      const sustained = p.persistTicks >= 2;
      let wz = z < 0 ? spec.downWeight : 1; // falling load matters less than rising (scale-outs)
      if (churning && spec.downWeight < 1) wz *= p.churnWeight;
      const dL = wz * (sustained ? (z * zp > 0 ? Math.min(Math.abs(z), Math.abs(zp)) : 0) : Math.abs(z));
      // (a step of the whole workload's load surprises the sequence model as much as the level: damp both)
      const dE =
        (sustained ? (err * ep > 0 ? Math.min(Math.abs(err), Math.abs(ep)) : 0) : Math.abs(err)) *
        (churning && spec.downWeight < 1 ? p.churnWeight : 1);
      // sustained run on one side of the baseline: its length and its smallest weighted deviation
      const wAbs = wz * Math.abs(z);
      const rmin = f[o + RMIN]!;
      const am = Math.abs(m);
      // while the workload churns, load moves between siblings by up to 1/churnWeight: a shift must be larger
      const rel = churning && spec.downWeight < 1 ? p.sustainRel / p.churnWeight : p.sustainRel;
      if (wAbs < p.sustainFloor || Math.abs(x - m) < rel * (am > spec.absFloor ? am : spec.absFloor)) {
        f[o + RLEN] = 0;
        f[o + RMIN] = 0;
      } else if (z * rmin > 0) {
        // the run's lower envelope: falls to a smaller deviation at once, rises towards a larger one over sustainTicks
        f[o + RLEN] = f[o + RLEN]! + 1;
        const env = wAbs < Math.abs(rmin) ? wAbs : Math.abs(rmin) + (wAbs - Math.abs(rmin)) / p.sustainTicks;
        f[o + RMIN] = z > 0 ? env : -env;
      } else {
        f[o + RLEN] = 1;
        f[o + RMIN] = z > 0 ? wAbs : -wAbs;
      }
      // (load channels only: a share of the level means something for ratio-scale load, not for any series)
      if (p.sustainWeight > 0 && spec.downWeight < 1 && f[o + RLEN]! >= p.sustainTicks) {
        const sR = p.sustainWeight * log10Tail(Math.abs(f[o + RMIN]!)) - 0.30103;
        if (sR > best) {
          best = sR;
          bestCh = ch;
          bestSustained = true;
        }
      }
      // tails against this series' own history of deviations (seeded by the training calibration)
      const muE = f[o + MUE]!,
        varE = f[o + VARE]!,
        muL = f[o + MUL]!,
        varL = f[o + VARL]!;
      // bounded raw scores (as HTM's), then tails against this series' own history of them
      const rE = f[o + RE]! + p.shortRate * (1 - Math.exp(-dE / this.kE) - f[o + RE]!);
      const rL = f[o + RL]! + p.shortRate * (1 - Math.exp(-dL / this.kL) - f[o + RL]!);
      f[o + RE] = rE;
      f[o + RL] = rL;
      const sE = log10Tail((rE - muE) / Math.sqrt(varE));
      const sL = log10Tail((rL - muL) / Math.sqrt(varL));
      // the level test is already in robust-scale units: calibrated directly by the level table
      const sLw = p.levelWeight * (this.levelTable ? dL : sL);
      if (this.collect && age >= p.grace + ramp) {
        this.collect.push(sE);
        this.collectLevel!.push(p.levelWeight * dL);
      }
      // calibrated: -log10 of how often normal channels reach each statistic; two tests per channel
      const sc =
        (this.table && this.levelTable ? Math.max(applyTable(this.table, sE), applyTable(this.levelTable, sLw)) : Math.max(sE, sLw)) -
        0.30103;
      chScore[ch] = sc;
      if (sc > best) {
        best = sc;
        bestCh = ch;
        bestSustained = false;
      }
      // the history learns from ordinary ticks only: clipped, and frozen while the series is anomalous
      const hr = f[T_ANOM]! > 0 ? 0 : Math.max(1 / (n + p.priorCount), p.historyRate);
      const cE = Math.min(rE, muE + 2 * Math.sqrt(varE));
      const cL = Math.min(rL, muL + 2 * Math.sqrt(varL));
      const dMuE = cE - muE;
      f[o + MUE] = muE + hr * dMuE;
      f[o + VARE] = Math.max(this.minVarE, (1 - hr) * (varE + hr * dMuE * dMuE));
      const dMuL = cL - muL;
      f[o + MUL] = muL + hr * dMuL;
      f[o + VARL] = Math.max(this.minVarL, (1 - hr) * (varL + hr * dMuL * dMuL));
      // robust baseline update
      // (slowed down while the series is anomalous, so a sustained fault is not learnt as normal)
      const a =
        Math.max(1 / (n + 1), p.baselineRate * (churning && spec.downWeight < 1 ? p.churnRate : 1)) *
        (suspicious ? p.anomalousRateFactor : 1);
      const lim = p.clip * s;
      const r = x - m > lim ? lim : x - m < -lim ? -lim : x - m;
      const mNew = m + a * r;
      const floor = spec.absFloor + spec.relFloor * Math.abs(mNew);
      f[o + M] = mNew;
      const ar = Math.abs(r) < s ? Math.abs(r) : s; // the scale grows slowly under a sustained shift
      f[o + S] = Math.max(floor, s + a * (1.2533 * ar - s));
      f[o + SLOW] = slow + a * p.slowRate * (1.2533 * Math.abs(x - m) - slow);
      f[o + N] = n + 1;
      f[o + ZP] = z;
      f[o + EP] = err;
      f[o + PRED] = this.cell.step(zin, st.s, st.s, k * this.units, this.cBase + k * this.units);
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
    else if (age < p.grace + ramp) stat *= (age - p.grace + 1) / (ramp + 1);

    let type: AnomalyType = bestCh >= 0 ? this.specs[bestCh]!.type : 'unknown';
    // memory high, or held above its baseline for good (the road to the limit), is an OOM risk
    if (bestCh >= 0 && bestCh === this.memIdx && f[PER_SERIES + this.memSlot * CH + ZP]! > 0 && (values[bestCh]! > 80 || bestSustained))
      type = 'oom_risk';

    // memory leak: EW regression on mem_pct, projected ticks until the limit
    if (this.memIdx >= 0 && age >= p.grace + (ramp > p.matureRamp ? ramp : 0)) {
      const leak = this.leakScore(f, values[this.memIdx]!);
      if (leak > stat && age >= p.grace) {
        stat = leak;
        type = 'oom_risk';
      } else if (this.memRising && bestCh === this.memIdx && type === 'resource_exhaustion') type = 'oom_risk'; // memory leads while it climbs
    }
    // CPU creep: a steady climb on cpu_pct
    if (this.cpuIdx >= 0) {
      const creep = this.creepScore(f, values[this.cpuIdx]!);
      if (creep > stat && !shrunk && age >= p.grace + (ramp > p.matureRamp ? ramp : 0)) {
        stat = creep;
        type = 'resource_exhaustion';
      }
    }
    let prob = stat > 0 ? stat / (stat + p.scoreScale) : 0;

    // hard signals reported by Kubernetes: facts, so they open an alert even when one was raised before
    const hard = obs.hard;
    f[T_RESTART_AGE] = f[T_RESTART_AGE]! + 1;
    const restarted = this.restartIdx >= 0 && values[this.restartIdx]! > 0;
    let hardP = 0;
    if (hard && hard.length > 0) {
      const r = this.hardProbability(hard, age, f);
      if (r) {
        hardP = r.p;
        if (r.p > prob) type = r.type;
      }
    } else {
      f[T_NOTREADY] = 0;
    }
    if (restarted) {
      const again = f[T_RESTART_AGE]! < 60;
      f[T_RESTART_AGE] = 0;
      const pr = again ? 0.93 : 0.75;
      if (pr > hardP) {
        hardP = pr;
        if (pr > prob) type = 'crash_loop';
      }
    }
    if (hardP > prob) prob = hardP;
    if (prob > 1) prob = 1;

    // onset, the alert score: statistical evidence above its own recent peak opens a new alert, while the
    // rest of a raised stretch (and a repeat of it soon after) is damped, so one fault is one alert
    const ev = stat > 0 ? stat / p.scoreScale : 0; // = p/(1-p) of the statistical probability
    const peak = f[T_PEAK]!;
    const onsetEv = ev > peak * p.onsetRatio ? ev : ev * p.onsetDamp;
    f[T_PEAK] = Math.max(ev, peak * p.onsetDecay);
    let onset = onsetEv / (1 + onsetEv);
    // ... and evidence that earlier episodes of this series already reached is less news (spiky series)
    if (p.episodeWeight > 0) {
      const d = onsetEv / (1 + p.episodeWeight * this.episodes(f, ev, p.episodeFloor, p.onsetDecay));
      onset = d / (1 + d);
    }
    // a value beyond the series' established range is strong evidence by itself: it opens an alert and its
    // probability says so (so an alert always opens at probability >= threshold)
    if (novel && age >= p.grace + ramp && onset < p.noveltyOnset) {
      onset = p.noveltyOnset;
      if (prob < onset) {
        prob = onset;
        if (hardP < onset) type = this.specs[novelCh]!.type;
      }
    }
    if (hardP > onset) onset = hardP;

    // the stretch opens when the alert score reaches the threshold, and lasts until the probability has
    // stayed below exitRatio·threshold for exitTicks
    let anomalous = f[T_ANOM]! > 0;
    if (!anomalous) {
      if (onset >= this.threshold) {
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
      contributing: anomalous || !(prob < (obs.explainFrom ?? 0)) ? this.contributing(f, values) : [],
      since: anomalous ? f[T_SINCE]! : null,
      onset,
    };
  }

  /**
   * Episode history: the peaks of past stretches of evidence (ev above `floor`) in log2 half-step bins,
   * decayed by `decay` per row. Returns how many past episodes (decayed) reached at least `ev`.
   */
  private episodes(f: Float64Array, ev: number, floor: number, decay: number): number {
    const age = f[T_EP_AGE]! + 1;
    f[T_EP_AGE] = age;
    if (ev > floor) {
      if (ev > f[T_EP_PEAK]!) f[T_EP_PEAK] = ev;
      let n = 0;
      for (let b = epBin(ev); b < EP_BINS; b++) n += f[T_EP_BINS + b]!;
      return n * Math.pow(decay, age);
    }
    if (f[T_EP_PEAK]! > 0) {
      // an episode ended: decay the history to now, then record its peak
      const d = Math.pow(decay, age);
      for (let b = 0; b < EP_BINS; b++) f[T_EP_BINS + b] = f[T_EP_BINS + b]! * d;
      const b = T_EP_BINS + epBin(f[T_EP_PEAK]!);
      f[b] = f[b]! + 1;
      f[T_EP_PEAK] = 0;
      f[T_EP_AGE] = 0;
    }
    return 0;
  }

  /**
   * EW linear regression of one channel against time (ticks), in six slots from `base`: returns the
   * slope per tick, its t statistic, the fitted level now and the residual spread, or null while young.
   */
  private trend(f: Float64Array, base: number, x: number): { slope: number; tstat: number; fit: number; resSd: number } | null {
    if (!Number.isFinite(x)) return null;
    const a = this.params.leakRate;
    const b = 1 - a;
    // ages: the newest point has age 0, older ones age by one each tick
    const t = f[base]!,
      sx = f[base + 1]!,
      tt = f[base + 2]!,
      tx = f[base + 3]!;
    const mass = 1 - Math.pow(b, f[base + 5]!); // weight held by the older points (sums are unnormalised)
    f[base + 2] = b * (tt + 2 * t + mass);
    f[base + 3] = b * (tx + sx);
    f[base] = b * (t + mass);
    f[base + 1] = b * sx + a * x;
    f[base + 4] = b * f[base + 4]! + a * x * x;
    const n = f[base + 5]! + 1;
    f[base + 5] = n;
    const w = 1 - Math.pow(b, n); // weight mass so far (bias correction while young)
    if (n < this.params.leakMinTicks) return null;
    const mt = f[base]! / w,
      mx = f[base + 1]! / w;
    const vt = f[base + 2]! / w - mt * mt;
    const cov = f[base + 3]! / w - mt * mx;
    if (vt <= 0) return null;
    const slope = -cov / vt; // per tick, forward in time
    const vx = f[base + 4]! / w - mx * mx;
    const resVar = Math.max(1e-9, vx - (cov * cov) / vt);
    const neff = Math.min(n, 2 / a);
    return { slope, tstat: slope / Math.sqrt(resVar / (neff * vt)), fit: mx + slope * mt, resSd: Math.sqrt(resVar) };
  }

  /** Memory leak: rising working set (troughs and peaks of a GC sawtooth alike), projected time to the limit. */
  private leakScore(f: Float64Array, x: number): number {
    const r = this.trend(f, L_T, x);
    this.memRising = r !== null && r.slope > 0 && r.tstat >= 2;
    if (!r || r.slope <= 0 || r.tstat < 4) return 0;
    const peak = r.fit + 1.8 * r.resSd;
    const ttl = Math.max(0, (100 - peak) / r.slope);
    const H = this.params.leakHorizon;
    if (ttl >= H) return 0;
    return 12 * (1 - ttl / H);
  }

  /** CPU creep: a steady climb that would add creepGrowth of the current level within creepHorizon ticks. */
  private creepScore(f: Float64Array, x: number): number {
    const r = this.trend(f, C_T, x);
    const p = this.params;
    if (!r || r.slope <= 0 || r.tstat < 6 || f[C_T + 5]! < p.creepMinTicks) return 0;
    const level = Math.max(r.fit, p.creepMinLevel);
    // the climb that counts: half the level for small pods, creepPoints (or a fifth of the level) for big ones
    const needed = Math.min(p.creepGrowth * level, Math.max(p.creepPoints, 0.2 * level));
    const climb = r.slope * p.creepHorizon;
    if (climb < needed) return 0;
    return Math.min(12, 6 * (climb / needed));
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
    const top: number[] = []; // sequence channel positions
    for (let k = 0; k < this.seqIdx.length; k++) {
      const o = PER_SERIES + k * CH;
      if (f[o + N]! < 2 || !Number.isFinite(values[this.seqIdx[k]!]!)) continue;
      const d = Math.abs(f[o + ZP]!);
      let i = top.length;
      while (i > 0 && Math.abs(f[PER_SERIES + top[i - 1]! * CH + ZP]!) < d) i--;
      if (i < 3) {
        top.splice(i, 0, k);
        if (top.length > 3) top.pop();
      }
    }
    return top.map((k) => {
      const o = PER_SERIES + k * CH;
      const ch = this.seqIdx[k]!;
      return {
        metric: this.features[ch]!,
        value: values[ch]!,
        expected: f[o + M]!,
        deviation: Math.round(f[o + ZP]! * 100) / 100,
      };
    });
  }

  private groupPrior(group: string): Float64Array {
    let g = this.groups.get(group);
    if (!g) {
      g = new Float64Array(2 * this.features.length + GROUP_TAIL).fill(NaN);
      this.groups.set(group, g);
    }
    return g;
  }

  /** A restored workload prior, widened when it comes from a build with fewer slots. */
  private fitGroup(g: Float64Array): Float64Array {
    const size = 2 * this.features.length + GROUP_TAIL;
    if (g.length >= size) return g;
    const out = new Float64Array(size).fill(NaN);
    out.set(g);
    return out;
  }

  /**
   * Counts the workload's pods per collection round (rows within half a pod's own interval of the round's
   * first row): a round with fewer pods than the one before means a sibling went away (a scale-in, the end
   * of a rollout), and load moves to the rest, so the workload counts as churning from now, as when one appears.
   */
  private countRound(g: Float64Array, time: number, last: number): void {
    const G = 2 * this.features.length;
    const tol = Number.isFinite(last) && time > last ? 0.5 * (time - last) : 1000;
    if (time - g[G + 1]! <= tol) {
      g[G + 2] = g[G + 2]! + 1;
      return;
    }
    if (g[G + 2]! < g[G + 3]!) g[G] = g[G + 4] = time;
    g[G + 3] = Number.isFinite(g[G + 2]!) ? g[G + 2]! : NaN;
    g[G + 2] = 1;
    g[G + 1] = time;
  }

  /**
   * Per-series state of an older layout, copied into the current one. Older layouts kept slots (in f, h and c)
   * for every feature, info features included; before the range slots (CH_V1 slots per channel) a channel's
   * range starts at its baseline; before T_FIRST (PER_SERIES_V1 per-series slots) the series counts as first
   * seen at its last observation (novelty waits noveltySpanMs from there). Returns null for an unknown size.
   */
  private migrate(f: Float64Array, h: Float32Array, c: Float32Array): { f: Float64Array; h: Float32Array; c: Float32Array } | null {
    const nf = this.features.length,
      u = this.units,
      n = this.seqIdx.length * u;
    if (f.length === this.stride && h.length === n && c.length === n) return { f, h, c };
    const layout = (
      [
        [PER_SERIES_V1, CH_V1],
        [PER_SERIES_V1, CH],
        [PER_SERIES, CH],
      ] as const
    ).find(([head, ch]) => f.length === head + ch * nf);
    if (!layout || h.length !== nf * u || c.length !== nf * u) return null;
    const [head, ch] = layout;
    const out = { f: new Float64Array(this.stride), h: new Float32Array(n), c: new Float32Array(n) };
    out.f.set(f.subarray(0, head));
    if (head === PER_SERIES_V1) out.f[T_FIRST] = f[T_LAST]!;
    this.seqIdx.forEach((i, k) => {
      const o = PER_SERIES + k * CH;
      out.f.set(f.subarray(head + i * ch, head + (i + 1) * ch), o);
      if (ch === CH_V1) {
        out.f[o + LO] = out.f[o + M]!;
        out.f[o + HI] = out.f[o + M]!;
      }
      out.h.set(h.subarray(i * u, (i + 1) * u), k * u);
      out.c.set(c.subarray(i * u, (i + 1) * u), k * u);
    });
    return out;
  }

  /** Number of series with state (for memory accounting). */
  get size(): number {
    return this.series.size;
  }

  forget(key: string): void {
    const st = this.series.get(key);
    if (!st) return;
    const ss = st.ss;
    // up to a slab's worth of spare views (a slab is freed only when none of its views lives)
    if (ss && ss.length === this.seasonalSize && this.spareSeasonal.length < this.seasonalPerSlab) this.spareSeasonal.push(ss);
    st.ss = null;
    if (this.spareSeries.length < this.seriesPerSlab) this.spareSeries.push(st);
    this.series.delete(key);
  }

  /**
   * Operator feedback (Detector.rebaseline): the series starts again as a running pod first met now (baseline
   * from its next value, the short warm-up of matureRamp after the grace), so the level or mix that alerted
   * becomes normal within grace + matureRamp rows; hard signals count from the next row. Everything learnt
   * before is dropped with the stretch judged normal (LSTM state, deviation history, seasonal profile, range),
   * so novelty waits a whole established span again. The workload's prior is kept.
   */
  rebaseline(key: string): void {
    if (!this.series.has(key)) return;
    this.forget(key);
    const st = this.newSeries();
    st.f[T_N] = 1; // past age 0, where observe() would choose the long ramp of a pod appearing late
    st.f[T_RAMP] = this.params.matureRamp;
    this.series.set(key, st);
  }

  snapshot(): unknown {
    const series: Record<string, [string, string, string, string]> = {};
    for (const [k, s] of this.series) {
      const [f, h, c, r] = this.arraysOf(s);
      series[k] = [b64(f), b64(h), b64(c), b64(r)];
    }
    const groups: Record<string, string> = {};
    for (const [k, g] of this.groups) groups[k] = b64(g);
    const seasonal: Record<string, string> = {};
    for (const [k, st] of this.series) if (st.ss) seasonal[k] = b64(st.ss);
    return {
      v: 1,
      seasonalLayout: SEASONAL_LAYOUT,
      rangeMapLayout: RANGE_MAP_LAYOUT,
      detector: this.name,
      features: this.features,
      units: this.units,
      clockStart: Number.isFinite(this.clockStart) ? this.clockStart : null,
      series,
      groups,
      seasonal,
    };
  }

  restore(state: unknown): void {
    const s = state as {
      v?: number;
      features?: string[];
      units?: number;
      series?: Record<string, string[]>;
      groups?: Record<string, string>;
      seasonal?: Record<string, unknown>;
      seasonalLayout?: string;
      rangeMapLayout?: string;
      clockStart?: number | null;
    };
    if (!s || s.v !== 1 || !s.series || JSON.stringify(s.features) !== JSON.stringify(this.features) || s.units !== this.units) {
      throw new Error('detector snapshot does not match this detector (features, model units or format differ)');
    }
    this.clearState();
    const ours = s.rangeMapLayout === RANGE_MAP_LAYOUT;
    for (const [k, [f, h, c, r]] of Object.entries(s.series)) {
      if (f === undefined || h === undefined || c === undefined) throw new Error(`detector snapshot entry ${k} is malformed`);
      const fhc = [fromB64F64(f), fromB64F32(h), fromB64F32(c)];
      if (ours && r !== undefined) this.restoreSeries(k, [...fhc, fromB64F32(r)], 'ours');
      else this.restoreSeries(k, fhc, 'none');
    }
    for (const [k, g] of Object.entries(s.groups ?? {})) this.groups.set(k, this.fitGroup(fromB64F64(g)));
    // snapshots without seasonal state, or of another layout, leave the series to learn their profiles again
    if (s.seasonalLayout === SEASONAL_LAYOUT) {
      for (const [k, ss] of Object.entries(s.seasonal ?? {})) {
        const v = typeof ss === 'string' ? fromB64F32(ss) : undefined;
        if (!v || v.length !== this.seqIdx.length * SEASONAL_SIZE)
          throw new Error(`detector snapshot seasonal entry ${k} has the wrong size`);
        const st = this.series.get(k);
        if (st) st.ss = v;
      }
    }
    this.clockStart = typeof s.clockStart === 'number' ? s.clockStart : NaN;
  }

  // ---- Binary checkpoints (see Detector.seriesState): raw arrays, no base64 ----

  /** Whether the shared state being restored has this build's seasonal layout (else profiles are learnt again). */
  private restoreSeasonal = true;
  /** Whether its series carry range maps (after f, h, c), and of this build's layout. */
  private restoreMaps: 'none' | 'ours' | 'other' = 'ours';

  snapshotShared(): unknown {
    const groups: Record<string, string> = {};
    for (const [k, g] of this.groups) groups[k] = b64(g);
    return {
      v: 2,
      seasonalLayout: SEASONAL_LAYOUT,
      detector: this.name,
      features: this.features,
      units: this.units,
      stride: this.stride,
      rangeMapLayout: RANGE_MAP_LAYOUT,
      clockStart: Number.isFinite(this.clockStart) ? this.clockStart : null,
      groups,
    };
  }

  /** Drops every series, workload prior and spare state (before a restore). */
  private clearState(): void {
    this.series.clear();
    this.spareSeries = [];
    this.spareSeasonal = [];
    this.groups.clear();
  }

  restoreShared(state: unknown): void {
    const s = state as {
      v?: number;
      features?: string[];
      units?: number;
      stride?: number;
      groups?: Record<string, string>;
      clockStart?: number | null;
      seasonalLayout?: string;
      rangeMapLayout?: string;
    };
    if (
      !s ||
      s.v !== 2 ||
      JSON.stringify(s.features) !== JSON.stringify(this.features) ||
      s.units !== this.units ||
      (s.stride !== this.stride && s.stride !== PER_SERIES + CH * this.features.length)
    ) {
      throw new Error('detector snapshot does not match this detector (features, model units or format differ)');
    }
    this.clearState();
    for (const [k, g] of Object.entries(s.groups ?? {})) this.groups.set(k, this.fitGroup(fromB64F64(g)));
    this.clockStart = typeof s.clockStart === 'number' ? s.clockStart : NaN;
    this.restoreSeasonal = s.seasonalLayout === SEASONAL_LAYOUT;
    this.restoreMaps = s.rangeMapLayout === undefined ? 'none' : s.rangeMapLayout === RANGE_MAP_LAYOUT ? 'ours' : 'other';
  }

  /** [f, h, c, range maps] or [f, h, c, range maps, seasonal] of a series (the live arrays), or null when it has no state. */
  seriesState(key: string): ReadonlyArray<Float64Array | Float32Array> | null {
    const s = this.series.get(key);
    if (!s) return null;
    return s.ss ? [...this.arraysOf(s), s.ss] : this.arraysOf(s);
  }

  /** [f, h, c, range maps]: views of the live state, in the layout snapshots and checkpoints have always had. */
  private arraysOf(st: SeriesState): [Float64Array, Float32Array, Float32Array, Float32Array] {
    const { cBase, rBase } = this;
    return [st.f, st.s.subarray(0, cBase), st.s.subarray(cBase, rBase), st.s.subarray(rBase)];
  }

  /**
   * Restores a series from seriesState()'s arrays, or from an older build's ([f, h, c, seasonal?] before
   * range maps; `maps` tells, by default from the shared state being restored).
   */
  restoreSeries(key: string, arrays: ReadonlyArray<Float64Array | Float32Array>, maps: 'none' | 'ours' | 'other' = this.restoreMaps): void {
    const withMaps = maps !== 'none';
    const [f0, h0, c0] = arrays;
    const r = withMaps ? arrays[3] : undefined;
    const ss = arrays[withMaps ? 4 : 3];
    const nr = this.seqIdx.length * RANGE_MAP_SIZE;
    const fhc =
      f0 instanceof Float64Array && h0 instanceof Float32Array && c0 instanceof Float32Array && arrays.length <= (withMaps ? 5 : 4)
        ? this.migrate(f0, h0, c0)
        : null;
    if (!fhc) throw new Error(`detector snapshot entry ${key} has the wrong size`);
    const st = this.allocSeries();
    st.f.set(fhc.f);
    st.s.set(fhc.h, 0);
    st.s.set(fhc.c, this.cBase);
    if (maps === 'ours') {
      if (!(r instanceof Float32Array) || r.length !== nr) throw new Error(`detector snapshot range map ${key} has the wrong size`);
      st.s.set(r, this.rBase);
    } else {
      // no map (or one of another layout): it learns again, and novelty waits a whole established span from now
      st.f[T_FIRST] = st.f[T_LAST]!;
    }
    this.series.set(key, st);
    if (!ss || !this.restoreSeasonal) return; // another seasonal layout: the series learns its profiles again
    if (!(ss instanceof Float32Array) || ss.length !== this.seqIdx.length * SEASONAL_SIZE) {
      throw new Error(`detector snapshot seasonal entry ${key} has the wrong size`);
    }
    st.ss = ss;
  }
}
