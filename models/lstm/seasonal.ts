// Seasonal member of the detector: a time-of-day and time-of-week expectation per channel, keyed by the
// observation's timestamp. Values that are ordinary in level but unusual for the hour or the weekday
// (traffic dropping on a holiday, a daily peak that does not come) only show against such an expectation.
// It speaks only once the series has shown at least two days (two weeks for the weekly profile) and only
// when the profile predicts clearly better than a plain level, so short-lived pods never hear from it.

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const BINS_DAY = 24; // hourly bins
const BIN = DAY / BINS_DAY;
const BINS_WEEK = 7 * BINS_DAY; // hourly bins over the week
const WBIN = WEEK / BINS_WEEK;

/** Tunables of the seasonal member (one set for every series). */
export interface SeasonalParams {
  /** Fastest adaptation of a bin's mean (the first few visits average exactly). */
  binRate: number;
  /** Rate of the residual-size trackers that decide which profile (if any) fits. */
  resRate: number;
  /** The profile is used only when its residual is below this fraction of the plain level's. */
  fitRatio: number;
  /** Rate of the short average of the standardised residual (a contextual anomaly lasts). */
  avgRate: number;
  /** Rate of the history of that average's size (its own normal spread). */
  histRate: number;
}

export const DEFAULT_SEASONAL: SeasonalParams = {
  binRate: 0.1,
  resRate: 0.01,
  fitRatio: 0.7,
  avgRate: 0.2,
  histRate: 0.0005,
};

// slots of the state vector
const FIRST = 0, N = 1, LEVEL = 2, RES_B = 3, RES_D = 4, RES_W = 5, AVG = 6, VAR = 7, HN = 8;
const HEAD = 9;
const DAY_OFF = HEAD; // BINS_DAY × (mean, count)
const WEEK_OFF = HEAD + 2 * BINS_DAY; // BINS_WEEK × (mean, count)
export const SEASONAL_SIZE = WEEK_OFF + 2 * BINS_WEEK;

export function newSeasonalState(): Float64Array {
  const s = new Float64Array(SEASONAL_SIZE);
  s[FIRST] = NaN;
  return s;
}

function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/**
 * Feeds one value; returns the standardised, briefly averaged deviation from the seasonal expectation
 * in units of its own normal spread (0 while the member is silent). Signed: below expectation < 0.
 */
export function seasonalStep(s: Float64Array, time: number, x: number, p: SeasonalParams = DEFAULT_SEASONAL): number {
  if (!Number.isFinite(x) || !Number.isFinite(time)) return 0;
  if (!Number.isFinite(s[FIRST]!)) {
    s[FIRST] = time;
    s[LEVEL] = x;
  }
  const span = time - s[FIRST]!;
  const n = s[N]! + 1;
  s[N] = n;
  const di = DAY_OFF + 2 * Math.floor(mod(time, DAY) / BIN);
  const wi = WEEK_OFF + 2 * Math.floor(mod(time, WEEK) / WBIN);
  const dMean = s[di]!, dCount = s[di + 1]!, wMean = s[wi]!, wCount = s[wi + 1]!;
  // residual sizes of the three expectations: plain level, daily profile, weekly profile
  const rr = Math.max(p.resRate, 1 / n);
  const level = s[LEVEL]!;
  s[RES_B] = s[RES_B]! + rr * (Math.abs(x - level) - s[RES_B]!);
  const dayReady = span >= 2 * DAY && dCount > 0;
  const weekReady = span >= 2 * WEEK && wCount > 0;
  if (dayReady) s[RES_D] = s[RES_D]! + (s[RES_D] === 0 ? 1 : p.resRate) * (Math.abs(x - dMean) - s[RES_D]!);
  if (weekReady) s[RES_W] = s[RES_W]! + (s[RES_W] === 0 ? 1 : p.resRate) * (Math.abs(x - wMean) - s[RES_W]!);
  // the better fitting profile, when it beats the plain level clearly
  let expect = NaN;
  let res = Infinity;
  if (dayReady && s[RES_D]! < res) {
    expect = dMean;
    res = s[RES_D]!;
  }
  if (weekReady && s[RES_W]! < res) {
    expect = wMean;
    res = s[RES_W]!;
  }
  let out = 0;
  const seasonal = Number.isFinite(expect) && res < p.fitRatio * s[RES_B]!;
  const floor = 1e-3 * Math.abs(level) + 1e-9;
  const z = Number.isFinite(expect) ? (x - expect) / Math.max(1.2533 * res, floor) : 0;
  const zc = z > 20 ? 20 : z < -20 ? -20 : z;
  const avg = s[AVG]! + p.avgRate * (zc - s[AVG]!);
  s[AVG] = avg;
  if (Number.isFinite(expect)) {
    const hn = s[HN]! + 1;
    s[HN] = hn;
    const v = s[VAR]!;
    const sd = Math.sqrt(v) || 1;
    if (seasonal && hn > 1 / p.histRate / 4) out = avg / Math.max(sd, 0.05);
    // the history learns from ordinary deviations only (clipped)
    const a2 = Math.min(avg * avg, 9 * (v || avg * avg));
    s[VAR] = v + Math.max(1 / hn, p.histRate) * (a2 - v);
  }
  // learn the profiles and the level (clipped so one outlier does not bend a bin)
  const lim = 4 * Math.max(s[RES_B]!, floor);
  const clip = (d: number): number => (d > lim ? lim : d < -lim ? -lim : d);
  s[LEVEL] = level + Math.max(1 / n, p.resRate) * clip(x - level);
  s[di] = dCount === 0 ? x : dMean + Math.max(1 / (dCount + 1), p.binRate) * clip(x - dMean);
  s[di + 1] = dCount + 1;
  s[wi] = wCount === 0 ? x : wMean + Math.max(1 / (wCount + 1), p.binRate) * clip(x - wMean);
  s[wi + 1] = wCount + 1;
  return out;
}
