// Seasonal member of the detector: a time-of-day and time-of-week expectation per channel, keyed by the
// observation's timestamp. Values that are ordinary in level but unusual for the hour or the weekday
// (traffic dropping on a holiday, a daily peak that does not come) only show against such an expectation.
// It speaks only once the series has shown at least two days (two weeks for the weekly profile) and only
// when the profile predicts clearly better than a plain level, so short-lived pods never hear from it.

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const BINS_DAY = 24; // hourly bins
const BIN = DAY / BINS_DAY;
const BINS_WEEK = 7 * 12; // two-hour bins over the week
const WBIN = WEEK / BINS_WEEK;

/** Tunables of the seasonal member (one set for every series). */
export interface SeasonalParams {
  /** Fastest adaptation of a bin's mean (the first few visits average exactly). */
  binRate: number;
  /** Rate of the residual-size trackers that decide which profile (if any) fits. */
  resRate: number;
  /**
   * The profile is used only when its residual is below this fraction of the plain level's: clearly seasonal
   * series only (at 0.7, healthy sim pods with a mild daily swing raised false alarms every day once their
   * profiles spoke, against a profile that barely beat the level; measured in docs/notes/detection-history.md).
   */
  fitRatio: number;
  /** Rate of the short average of the standardised residual (a contextual anomaly lasts). */
  avgRate: number;
  /** Residuals are clipped to this many scales before averaging: a one-tick burst is not a context change. */
  zClip: number;
  /** Rate of the history of that average's size (its own normal spread). */
  histRate: number;
}

export const DEFAULT_SEASONAL: SeasonalParams = {
  binRate: 0.1,
  resRate: 0.01,
  fitRatio: 0.55,
  avgRate: 0.2,
  zClip: 4,
  histRate: 0.0005,
};

// slots of the state vector
const FIRST = 0,
  N = 1,
  LEVEL = 2,
  RES_B = 3,
  RES_D = 4,
  RES_W = 5,
  AVG = 6,
  VAR = 7,
  HN = 8;
const HEAD = 9;
const DAY_OFF = HEAD; // BINS_DAY bin means (NaN: not visited yet)
const WEEK_OFF = HEAD + BINS_DAY; // BINS_WEEK bin means
export const SEASONAL_SIZE = WEEK_OFF + BINS_WEEK;
/** Names the state layout in snapshots (a snapshot of another layout is not restored: the profiles are relearnt). */
export const SEASONAL_LAYOUT = `f32:${HEAD}+${BINS_DAY}+${BINS_WEEK}`;

/**
 * State for `channels` channels in one Float32Array (SEASONAL_SIZE slots each, channel k at k·SEASONAL_SIZE):
 * Float32 is ample for bin means and residual sizes, and one array per series keeps per-pod overhead low.
 */
export function newSeasonalState(channels = 1): Float32Array {
  return resetSeasonalState(new Float32Array(channels * SEASONAL_SIZE));
}

/** Puts every channel of `s` back to its initial state (nothing seen yet); returns `s`. */
export function resetSeasonalState(s: Float32Array): Float32Array {
  s.fill(NaN);
  for (let o = 0; o < s.length; o += SEASONAL_SIZE) s.fill(0, o + N, o + HEAD);
  return s;
}

function clip(d: number, lim: number): number {
  return d > lim ? lim : d < -lim ? -lim : d;
}

function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/**
 * Feeds one value; returns the standardised, briefly averaged deviation from the seasonal expectation
 * in units of its own normal spread (0 while the member is silent). Signed: below expectation < 0.
 */
export function seasonalStep(s: Float32Array, o: number, time: number, x: number, p: SeasonalParams = DEFAULT_SEASONAL): number {
  if (!Number.isFinite(x) || !Number.isFinite(time)) return 0;
  if (!Number.isFinite(s[o + FIRST]!)) {
    s[o + FIRST] = time;
    s[o + LEVEL] = x;
  }
  const span = time - s[o + FIRST]!;
  const n = s[o + N]! + 1;
  s[o + N] = n;
  const di = o + DAY_OFF + Math.floor(mod(time, DAY) / BIN);
  const wi = o + WEEK_OFF + Math.floor(mod(time, WEEK) / WBIN);
  const dMean = s[di]!,
    wMean = s[wi]!;
  // residual sizes of the three expectations: plain level, daily profile, weekly profile
  const rr = Math.max(p.resRate, 1 / n);
  const level = s[o + LEVEL]!;
  s[o + RES_B] = s[o + RES_B]! + rr * (Math.abs(x - level) - s[o + RES_B]!);
  const dayReady = span >= 2 * DAY && dMean === dMean;
  const weekReady = span >= 2 * WEEK && wMean === wMean;
  if (dayReady) s[o + RES_D] = s[o + RES_D]! + (s[o + RES_D] === 0 ? 1 : p.resRate) * (Math.abs(x - dMean) - s[o + RES_D]!);
  if (weekReady) s[o + RES_W] = s[o + RES_W]! + (s[o + RES_W] === 0 ? 1 : p.resRate) * (Math.abs(x - wMean) - s[o + RES_W]!);
  // the better fitting profile, when it beats the plain level clearly
  let expect = NaN;
  let res = Infinity;
  if (dayReady && s[o + RES_D]! < res) {
    expect = dMean;
    res = s[o + RES_D]!;
  }
  if (weekReady && s[o + RES_W]! < res) {
    expect = wMean;
    res = s[o + RES_W]!;
  }
  let out = 0;
  const seasonal = Number.isFinite(expect) && res < p.fitRatio * s[o + RES_B]!;
  const floor = 1e-3 * Math.abs(level) + 1e-9;
  const z = Number.isFinite(expect) ? (x - expect) / Math.max(1.2533 * res, floor) : 0;
  const zc = clip(z, p.zClip);
  const avg = s[o + AVG]! + p.avgRate * (zc - s[o + AVG]!);
  s[o + AVG] = avg;
  if (Number.isFinite(expect)) {
    const hn = s[o + HN]! + 1;
    s[o + HN] = hn;
    const v = s[o + VAR]!;
    const sd = Math.sqrt(v) || 1;
    if (seasonal && hn > 1 / p.histRate / 4) out = avg / Math.max(sd, 0.05);
    // the history learns from ordinary deviations only (clipped)
    const a2 = Math.min(avg * avg, 9 * (v || avg * avg));
    s[o + VAR] = v + Math.max(1 / hn, p.histRate) * (a2 - v);
  }
  // learn the profiles and the level (clipped so one outlier does not bend a bin)
  const lim = 4 * Math.max(s[o + RES_B]!, floor);
  s[o + LEVEL] = level + Math.max(1 / n, p.resRate) * clip(x - level, lim);
  // a bin averages its first visits exactly; its visits so far are estimated from the row count (regular
  // sampling assumed), which saves storing a count per bin
  s[di] = dMean !== dMean ? x : dMean + Math.max(BINS_DAY / n, p.binRate) * clip(x - dMean, lim);
  s[wi] = wMean !== wMean ? x : wMean + Math.max(BINS_WEEK / n, p.binRate) * clip(x - wMean, lim);
  return out;
}
