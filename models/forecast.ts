// Exhaustion forecasts: while a pod's usage trends towards a limit, when it gets there. Per metric, an
// exponentially weighted linear regression of usage (as a fraction of the limit) on time in seconds, so
// irregular or slow collection intervals weigh the same span of time, not the same number of rows. Each
// row costs O(1) (per window one exp and a dozen multiply-adds; one fit) on a few dozen numbers per metric; the fit itself
// (slope, t statistic, ETA) is only computed when a forecast is asked for (pod_insights.json).
// Robustness: a point far from the fit is clipped to clipSd residual spreads before it updates the sums
// (spikes); a new container (the restart count changed) or a fall far below the fit (an OOM kill the rows
// missed, a cache dropped) starts the fit again. The ETA is the median first passage of the trend plus its
// fluctuations (the tops of a GC sawtooth kill the container, not its mean): see metricForecast.
import { CPU_LIMIT_COLUMN, EPHEMERAL_LIMIT_COLUMN, EPHEMERAL_USAGE_COLUMN, type MetricRow } from '../lib/metrics-csv.ts';
import type { Forecast } from '../lib/schemas.ts';
import { erfc } from './erfc.ts';

export interface ForecastParams {
  /**
   * Time constants (seconds) of the exponential weights, shortest first: one regression per window. A forecast
   * uses the longest window whose slope agrees with every shorter one's (Lepski's rule): long windows while
   * the trend is steady (less noise), short ones right after it changes (a leak starting, a faster leak).
   */
  windowsSeconds: readonly number[];
  /** Slopes agree when they differ by at most this many standard errors of the shorter window's slope. */
  agreeSe: number;
  /** No forecast when the limit is further away than this (seconds). */
  horizonSeconds: number;
  /** Points and seconds of data before a forecast is made. */
  minPoints: number;
  minSpanSeconds: number;
  /** The slope's t statistic must reach this (a flat or noisy series has no forecast). */
  minT: number;
  /** Points beyond clipSd residual spreads from the fit are clipped before they update it. */
  clipSd: number;
  /** A value below the fit by more than this fraction of the limit (and 5 spreads) starts the fit again. */
  resetDrop: number;
  /** Seconds of points left out after the fit starts (again): a container warming up (heap, caches) is no trend. */
  warmupSeconds: number;
  /** Forecasts below this confidence are not reported. */
  minConfidence: number;
}

export const DEFAULT_FORECAST_PARAMS: ForecastParams = {
  windowsSeconds: [240, 720, 2160, 6480],
  agreeSe: 2,
  horizonSeconds: 6 * 3600,
  minPoints: 8,
  minSpanSeconds: 60,
  minT: 4,
  clipSd: 4,
  resetDrop: 0.1,
  warmupSeconds: 20,
  minConfidence: 0.2,
};

/**
 * The extra CSV columns CPU and ephemeral-storage forecasts need (lib/metrics-csv.ts): the Kubernetes
 * collector writes them, the Prometheus source can with `--extra-metric`. Without them only memory is
 * forecast: "CPU Usage (%)" is a share of one core, not of the container's limit.
 */
export { CPU_LIMIT_COLUMN, EPHEMERAL_LIMIT_COLUMN, EPHEMERAL_USAGE_COLUMN };

const MB = 1024 * 1024;
export const FORECAST_METRICS_ORDER = ['memory', 'cpu', 'ephemeral_storage'] as const;

// Per metric: a header (the last point's time in ms, NaN = no data; the point count; the first point's time;
// the limit, in the base unit, the fractions are of; the pod's restart count; the mean seconds between
// points, kept across restarts of the fit), then per window the weighted sums with times in
// seconds relative to the last point (weights, squared weights, t, x, t², t·x, x²).
const LAST = 0,
  N = 1,
  FIRST = 2,
  LIMIT = 3,
  RESTARTS = 4,
  TICK = 5,
  HEAD = 6;
const S0 = 0,
  S2 = 1,
  ST = 2,
  SX = 3,
  STT = 4,
  STX = 5,
  SXX = 6,
  SUMS = 7;

/** Numbers per metric with `windows` windows. */
export function metricSlots(windows: number): number {
  return HEAD + SUMS * windows;
}

/**
 * A new forecast state for `metrics` metrics (1: memory only; 3: memory, CPU, ephemeral storage), every one
 * without data. updateForecast grows a memory-only state when CPU or storage limits appear.
 */
export function newForecastState(metrics = 1, p: ForecastParams = DEFAULT_FORECAST_PARAMS): Float64Array {
  const slots = metricSlots(p.windowsSeconds.length);
  const s = new Float64Array(slots * metrics);
  for (let m = 0; m < metrics; m++) s[m * slots + LAST] = NaN;
  return s;
}

/** One window's fit now: level and slope (fraction of the limit, per second), spreads. */
export interface Fit {
  level: number;
  slope: number;
  /** Standard error of the slope. */
  se: number;
  resSd: number;
  r2: number;
}

function fitOf(s: Float64Array, o: number): Fit | null {
  const w = s[o + S0]!;
  if (!(w > 0)) return null;
  const mt = s[o + ST]! / w,
    mx = s[o + SX]! / w;
  const vt = s[o + STT]! / w - mt * mt;
  if (!(vt > 1e-12)) return null;
  const cov = s[o + STX]! / w - mt * mx;
  const vx = Math.max(0, s[o + SXX]! / w - mx * mx);
  const slope = cov / vt;
  const resVar = Math.max(1e-12, vx - (cov * cov) / vt);
  const neff = (w * w) / s[o + S2]!; // Kish's effective sample size of the weights
  if (!(neff > 3)) return null;
  return {
    level: mx - slope * mt,
    slope,
    se: Math.sqrt(resVar / ((neff - 2) * vt)),
    resSd: Math.sqrt(resVar),
    r2: vx > 0 ? Math.max(0, 1 - resVar / vx) : 0,
  };
}

function resetMetric(s: Float64Array, o: number, slots: number, time: number, limit: number, restarts: number): void {
  const tick = s[o + TICK]!; // the collection interval has not changed
  s.fill(0, o, o + slots);
  s[o + TICK] = tick;
  s[o + LAST] = time;
  s[o + FIRST] = time;
  s[o + LIMIT] = limit;
  s[o + RESTARTS] = restarts;
}

/**
 * Adds one point of metric `m` (index in FORECAST_METRICS_ORDER): usage `x` as a fraction of `limit` at `time`
 * (epoch ms). O(windows): one exp and a few multiply-adds per window, one fit for the robustness checks.
 */
export function updateMetric(s: Float64Array, m: number, time: number, x: number, limit: number, p: ForecastParams, restarts = NaN): void {
  if (!Number.isFinite(x) || !(limit > 0) || !Number.isFinite(time)) return;
  const K = p.windowsSeconds.length;
  const slots = metricSlots(K);
  const o = m * slots;
  const last = s[o + LAST]!;
  // a restart count that changed (up: a restart; down: a new pod of the same name) is a new container
  const prevRestarts = s[o + RESTARTS]!;
  const restarted = Number.isFinite(prevRestarts) && Number.isFinite(restarts) && restarts !== prevRestarts;
  if (!Number.isFinite(last) || Math.abs(s[o + LIMIT]! - limit) > 0.01 * limit || restarted) {
    // first point, the limit changed (the fractions are of another limit), or a new container (its usage starts again)
    resetMetric(s, o, slots, time, limit, restarts);
    if (p.warmupSeconds > 0) return;
  } else {
    if (Number.isFinite(restarts)) s[o + RESTARTS] = restarts;
    const dt = (time - last) / 1000;
    if (!(dt > 0)) return;
    s[o + TICK] = s[o + TICK]! > 0 ? 0.9 * s[o + TICK]! + 0.1 * dt : dt;
    if (s[o + N]! >= p.minPoints) {
      // robustness against the second window's fit (a few minutes: follows a leak, not one spike)
      const f = fitOf(s, o + HEAD + SUMS * Math.min(1, K - 1));
      if (f) {
        const pred = f.level + f.slope * dt;
        if (x < pred - p.resetDrop && x < pred - 5 * f.resSd) {
          resetMetric(s, o, slots, time, limit, restarts);
          if (p.warmupSeconds > 0) return;
        } else if (x > pred + p.clipSd * f.resSd) x = pred + p.clipSd * f.resSd;
        else if (x < pred - p.clipSd * f.resSd) x = pred - p.clipSd * f.resSd;
      }
    }
    if (s[o + N]! === 0 && (time - s[o + FIRST]!) / 1000 < p.warmupSeconds) {
      s[o + LAST] = time;
      return;
    }
    if (s[o + N]! > 0) {
      for (let k = 0; k < K; k++) {
        // move the time origin to the new point (old times become t − dt), then age every weight
        const b = o + HEAD + SUMS * k;
        const d = Math.exp(-dt / p.windowsSeconds[k]!);
        const w0 = s[b + S0]!,
          st = s[b + ST]!;
        s[b + STT] = d * (s[b + STT]! - 2 * dt * st + dt * dt * w0);
        s[b + STX] = d * (s[b + STX]! - dt * s[b + SX]!);
        s[b + ST] = d * (st - dt * w0);
        s[b + S0] = d * w0;
        s[b + S2] = d * d * s[b + S2]!;
        s[b + SX] = d * s[b + SX]!;
        s[b + SXX] = d * s[b + SXX]!;
      }
    }
  }
  s[o + LAST] = time;
  s[o + N] = s[o + N]! + 1;
  const xx = x * x;
  for (let k = 0; k < K; k++) {
    const b = o + HEAD + SUMS * k;
    s[b + S0] = s[b + S0]! + 1;
    s[b + S2] = s[b + S2]! + 1;
    s[b + SX] = s[b + SX]! + x;
    s[b + SXX] = s[b + SXX]! + xx;
  }
}

/**
 * Feeds one CSV row: memory against its limit, CPU and ephemeral storage where their limits are collected.
 * Returns the state: `s`, or a larger copy once a CPU or storage limit appears in a memory-only state.
 */
export function updateForecast(s: Float64Array, row: MetricRow, p: ForecastParams = DEFAULT_FORECAST_PARAMS): Float64Array {
  const memPct = row.memoryPercent;
  // limit = MB / % × 100 (the collectors divide by the container's limit, or the node's when it has none)
  if (memPct > 0 && row.memoryMb > 0) updateMetric(s, 0, row.time, memPct / 100, (row.memoryMb / memPct) * 100 * MB, p, row.restarts);
  const extra = row.extra;
  const cpuLimit = extra[CPU_LIMIT_COLUMN];
  const ephLimit = extra[EPHEMERAL_LIMIT_COLUMN];
  const ephUsage = extra[EPHEMERAL_USAGE_COLUMN];
  const hasCpu = cpuLimit !== undefined && cpuLimit > 0 && Number.isFinite(row.cpuPercent);
  const hasEph = ephLimit !== undefined && ephUsage !== undefined && ephLimit > 0;
  if (!hasCpu && !hasEph) return s;
  const slots = metricSlots(p.windowsSeconds.length);
  if (s.length < 3 * slots) {
    const grown = newForecastState(3, p);
    grown.set(s);
    s = grown;
  }
  if (hasCpu) updateMetric(s, 1, row.time, row.cpuPercent / cpuLimit, cpuLimit * 10, p, row.restarts); // % of a core → millicores
  if (hasEph) updateMetric(s, 2, row.time, ephUsage / ephLimit, ephLimit * MB, p);
  return s;
}

/** The fit a forecast of metric `m` uses (Lepski's rule over the windows), with the window's index; null without one. */
export function chosenFit(
  s: Float64Array,
  m: number,
  p: ForecastParams = DEFAULT_FORECAST_PARAMS,
): (Fit & { window: number; span: number }) | null {
  const K = p.windowsSeconds.length;
  const slots = metricSlots(K);
  const o = m * slots;
  if (s.length < o + slots || !(s[o + N]! >= p.minPoints)) return null;
  const span = (s[o + LAST]! - s[o + FIRST]!) / 1000;
  if (!(span >= p.minSpanSeconds)) return null;
  // Lepski's rule: the longest window whose slope lies within agreeSe standard errors of every shorter one's
  let chosen: (Fit & { window: number; span: number }) | null = null;
  const fits: Fit[] = [];
  for (let k = 0; k < K; k++) {
    const f = fitOf(s, o + HEAD + SUMS * k);
    if (!f) continue;
    if (fits.some((g) => Math.abs(f.slope - g.slope) > p.agreeSe * g.se)) break;
    fits.push(f);
    chosen = { ...f, window: k, span };
    if (p.windowsSeconds[k]! >= span) break; // longer windows weigh the same points (nearly) alike
  }
  return chosen;
}

/** The forecast of metric `m` at its last point, or null (no trend towards the limit within the horizon). */
export function metricForecast(s: Float64Array, m: number, p: ForecastParams = DEFAULT_FORECAST_PARAMS): Forecast | null {
  const f = chosenFit(s, m, p);
  if (!f || !(f.slope > 0) || f.slope < p.minT * f.se) return null;
  const span = f.span;
  const o = m * metricSlots(p.windowsSeconds.length);
  // The limit is reached when the trend plus a fluctuation first touches it: the median first passage of
  // the trend plus independent fluctuations of the fit's residual spread, one draw per tick. Slow leaks
  // sampled often get many draws before the trend itself arrives (the tops of a GC sawtooth, noise), fast
  // ones few.
  const z = passageZ((1 - f.level) / f.resSd, (f.slope * s[o + TICK]!) / f.resSd);
  const eta = Math.max(0, (1 - f.level - z * f.resSd) / f.slope);
  if (eta > p.horizonSeconds) return null;
  // how much of the variation the trend explains, scaled down while there are only a few minutes of data
  const confidence = f.r2 * Math.min(1, span / (2 * p.windowsSeconds[0]!));
  if (confidence < p.minConfidence) return null;
  const limit = Math.round(s[o + LIMIT]!);
  if (!(limit > 0)) return null;
  return {
    metric: FORECAST_METRICS_ORDER[m]!,
    limit,
    eta_seconds: Math.round(eta),
    confidence: Math.round(confidence * 100) / 100,
  };
}

// G(z) = ∫_z^∞ −ln Φ(s) ds on a grid, for the median first passage of a trend plus independent Gaussian fluctuations.
const Z0 = -6,
  DZ = 0.005,
  ZN = 2801;
const G_TABLE = (() => {
  const g = new Float64Array(ZN);
  const f = (z: number) => -Math.log(1 - 0.5 * erfc(z / Math.SQRT2));
  for (let i = ZN - 2; i >= 0; i--) g[i] = g[i + 1]! + (DZ * (f(Z0 + i * DZ) + f(Z0 + (i + 1) * DZ))) / 2;
  return g;
})();

/**
 * The fluctuation (in spreads) above the trend at which the first crossing of the limit is as likely as not:
 * z0 spreads to the limit now, the trend closing u spreads per tick, independent draws each tick.
 * Solves G(z) = G(z0) + u·ln 2.
 */
export function passageZ(z0: number, u: number): number {
  const gz0 = z0 >= Z0 + (ZN - 1) * DZ ? 0 : z0 <= Z0 ? G_TABLE[0]! : G_TABLE[Math.round((z0 - Z0) / DZ)]!;
  const target = gz0 + u * Math.LN2;
  let lo = 0,
    hi = ZN - 1; // G decreasing: find the first index with G <= target
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (G_TABLE[mid]! <= target) hi = mid;
    else lo = mid + 1;
  }
  return Z0 + lo * DZ;
}

/** Every forecast of a pod, soonest first; empty when no trend points at a limit. */
export function forecastsOf(s: Float64Array, p: ForecastParams = DEFAULT_FORECAST_PARAMS): Forecast[] {
  const out: Forecast[] = [];
  for (let m = 0; m < FORECAST_METRICS_ORDER.length; m++) {
    const f = metricForecast(s, m, p);
    if (f) out.push(f);
  }
  return out.sort((a, b) => a.eta_seconds - b.eta_seconds);
}

/** "~6 min", "~2 h 10 min", "now": an ETA for people. */
export function formatEta(seconds: number): string {
  if (seconds < 30) return 'now';
  if (seconds < 90) return `~${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  if (min < 90) return `~${min} min`;
  const h = Math.floor(min / 60);
  return `~${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

const METRIC_WORDS: Record<Forecast['metric'], string> = {
  memory: 'memory',
  cpu: 'CPU',
  ephemeral_storage: 'ephemeral storage',
};

/** "memory reaches its limit in ~6 min (confidence 0.82)". */
export function describeForecast(f: Forecast): string {
  const when = f.eta_seconds < 30 ? 'is at its limit now' : `reaches its limit in ${formatEta(f.eta_seconds)}`;
  return `${METRIC_WORDS[f.metric]} ${when} (confidence ${f.confidence.toFixed(2)})`;
}

/** Whether `s` is a forecast state of this layout (a checkpoint of another build's is dropped and learnt again). */
export function isForecastState(s: Float64Array, p: ForecastParams = DEFAULT_FORECAST_PARAMS): boolean {
  const slots = metricSlots(p.windowsSeconds.length);
  return s.length === slots || s.length === 3 * slots;
}
