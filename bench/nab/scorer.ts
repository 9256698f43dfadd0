// The Numenta Anomaly Benchmark scorer, re-implemented from NAB's own code (numenta/NAB nab/sweeper.py,
// nab/scorer.py, nab/optimizer.py, nab/runner.py at ea702d75): pure functions, no detector in here.
//
// NAB's rules, as its code applies them:
// - A file's first min(floor(0.15·rows), 0.15·5000) rows are probationary: they are never scored.
// - Each labelled window [t1, t2] (timestamps that must exist in the file) spans rows a..b, width b-a+1.
//   A detection at row i inside it is worth S = scaledSigmoid(-(b - i + 1)/width) · tpWeight / scaledSigmoid(-1),
//   so the first row earns tpWeight and the last about 0.2·tpWeight. Only the best (earliest) detection of a
//   window counts; a window without one costs -fnWeight.
// - A detection outside every window costs fpWeight · scaledSigmoid(|i - b|/(width - 1)) relative to the
//   previous window's right edge b (so a detection just after a window is nearly free), or -fpWeight when
//   no window precedes it; scaledSigmoid(x) = 2/(1+e^{5x}) - 1, and -1 beyond 3 window widths.
// - A row is a detection when anomaly_score >= threshold. TP/FP/FN/TN count rows, not windows.
// - The optimiser sweeps every distinct score over the whole corpus (one threshold per detector and
//   profile) and keeps the best raw total; normalised = 100·(raw - null)/(perfect - null) where the null
//   detector's raw total is -fnWeight·windows and the perfect one tpWeight·windows.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  tnWeight: number;
}

export const PROBATION_PERCENT = 0.15;

/** One NAB series with its labelled windows as row ranges. */
export interface NabFile {
  /** Relative path as NAB names it, e.g. "realKnownCause/nyc_taxi.csv". */
  name: string;
  category: string;
  /** Timestamps exactly as written in the data file. */
  timestamps: string[];
  /** Epoch ms (UTC). */
  times: Float64Array;
  values: Float64Array;
  /** Inclusive row ranges [start, end], sorted, non-overlapping. */
  windows: Array<[number, number]>;
}

export interface NabCorpus {
  root: string;
  files: NabFile[];
  profiles: Record<ProfileName, CostMatrix>;
}

export class NabDataError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Loading

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** Parses NAB's "YYYY-MM-DD HH:MM:SS[.ffffff]" (naive, treated as UTC) to epoch ms. */
export function parseNabTime(text: string): number {
  const m = TIME_RE.exec(text.trim());
  if (!m) throw new NabDataError(`not a NAB timestamp: "${text}"`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
}

/** Splits a simple CSV (no quoting, as NAB's files are) into a header and rows of cells. */
export function readSimpleCsv(path: string): { header: string[]; rows: string[][] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NabDataError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines.shift() ?? '').split(',').map((c) => c.trim());
  return { header, rows: lines.map((l) => l.split(',')) };
}

function columnIndex(header: string[], name: string, path: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new NabDataError(`${path}: no "${name}" column (header: ${header.join(',')})`);
  return i;
}

/** Converts label windows (timestamp pairs) to row ranges; every limit must be a timestamp of the file. */
export function windowsToRows(
  name: string,
  times: Float64Array,
  limits: ReadonlyArray<readonly [string, string]>,
): Array<[number, number]> {
  const index = new Map<number, number>();
  times.forEach((t, i) => {
    if (!index.has(t)) index.set(t, i);
  });
  const rows = limits.map(([a, b]): [number, number] => {
    const s = index.get(parseNabTime(a));
    const e = index.get(parseNabTime(b));
    if (s === undefined || e === undefined) throw new NabDataError(`${name}: window [${a}, ${b}] limits are not timestamps of the file`);
    if (e < s) throw new NabDataError(`${name}: window [${a}, ${b}] ends before it starts`);
    return [s, e];
  });
  rows.sort((x, y) => x[0] - y[0]);
  for (let k = 1; k < rows.length; k++) {
    if (rows[k]![0] <= rows[k - 1]![1]) throw new NabDataError(`${name}: overlapping windows`);
  }
  return rows;
}

/** The vendored corpus, bench/nab/corpus (see its SOURCE.md), located from this file rather than the cwd. */
export const VENDORED_NAB_DIR = fileURLToPath(new URL('corpus', import.meta.url));

/** The corpus read by default: NAB_DIR when set (another NAB checkout, same layout), else the vendored one. */
export function defaultNabDir(): string {
  return process.env.NAB_DIR || VENDORED_NAB_DIR;
}

/** Loads the corpus under `root` (data/, labels/combined_windows.json, config/profiles.json). */
export function loadCorpus(root: string): NabCorpus {
  const windowsPath = join(root, 'labels', 'combined_windows.json');
  const profilesPath = join(root, 'config', 'profiles.json');
  let labels: Record<string, Array<[string, string]>>;
  let rawProfiles: Record<string, { CostMatrix: CostMatrix }>;
  try {
    labels = JSON.parse(readFileSync(windowsPath, 'utf8')) as typeof labels;
    rawProfiles = JSON.parse(readFileSync(profilesPath, 'utf8')) as typeof rawProfiles;
  } catch (err) {
    throw new NabDataError(`cannot read NAB labels/profiles under ${root}: ${(err as Error).message}`);
  }
  const profiles = {} as Record<ProfileName, CostMatrix>;
  for (const p of PROFILE_NAMES) {
    const cm = rawProfiles[p]?.CostMatrix;
    if (!cm) throw new NabDataError(`${profilesPath}: no profile "${p}"`);
    profiles[p] = cm;
  }
  const dataDir = join(root, 'data');
  const files: NabFile[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    let names: string[];
    try {
      names = readdirSync(join(dataDir, category))
        .filter((f) => f.endsWith('.csv'))
        .sort();
    } catch {
      continue; // not a directory
    }
    for (const f of names) {
      const name = `${category}/${f}`;
      const path = join(dataDir, category, f);
      const { header, rows } = readSimpleCsv(path);
      const ti = columnIndex(header, 'timestamp', path);
      const vi = columnIndex(header, 'value', path);
      const timestamps = rows.map((r) => (r[ti] ?? '').trim());
      const times = Float64Array.from(timestamps, parseNabTime);
      const values = Float64Array.from(rows, (r) => Number(r[vi]));
      const limits = labels[name];
      if (!limits) throw new NabDataError(`${windowsPath}: no entry for ${name}`);
      files.push({ name, category, timestamps, times, values, windows: windowsToRows(name, times, limits) });
    }
  }
  if (files.length === 0) throw new NabDataError(`no NAB data files under ${dataDir}`);
  return { root, files, profiles };
}

/** Reads a NAB results file's anomaly_score column (e.g. results/numenta/<cat>/numenta_<file>.csv). */
export function readResultScores(path: string, file: NabFile): Float64Array {
  const { header, rows } = readSimpleCsv(path);
  const si = columnIndex(header, 'anomaly_score', path);
  const ti = columnIndex(header, 'timestamp', path);
  if (rows.length !== file.times.length) {
    throw new NabDataError(`${path}: ${rows.length} rows, but ${file.name} has ${file.times.length}`);
  }
  const scores = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    if (parseNabTime(r[ti] ?? '') !== file.times[i]) throw new NabDataError(`${path}: row ${i + 2} timestamp differs from the data file`);
    scores[i] = Number(r[si]);
  });
  return scores;
}

// ---------------------------------------------------------------------------------------------------------
// Row weights

/** NAB's probationary length: rows with index < this are not scored. */
export function probationaryLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3.0) return -1.0;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1.0;
}

const MAX_TP = scaledSigmoid(-1.0);

/**
 * Profile-independent facts per row: its window (file-local index, -1 outside) and its unweighted
 * sigmoid value; rows in the probationary period get window -2 (not scored).
 */
export interface RowWeights {
  window: Int32Array;
  unweighted: Float64Array;
  /** Windows with at least one scorable row (only those count as misses). */
  scoredWindows: boolean[];
}

export const PROBATIONARY = -2;

export function rowWeights(file: NabFile): RowWeights {
  const n = file.times.length;
  const window = new Int32Array(n).fill(-1);
  const unweighted = new Float64Array(n);
  const scoredWindows = file.windows.map(() => false);
  const probation = probationaryLength(n);
  let w = 0; // next window
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const cur = file.windows[w];
    if (cur && i >= cur[0] && i <= cur[1]) {
      const width = cur[1] - cur[0] + 1;
      unweighted[i] = scaledSigmoid(-(cur[1] - i + 1) / width);
      window[i] = w;
      if (i === cur[1]) {
        prevRight = i;
        prevWidth = width;
        w++;
      }
    } else if (prevRight < 0) {
      unweighted[i] = -1.0;
    } else {
      unweighted[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    }
    if (i < probation) window[i] = PROBATIONARY;
    else if (window[i]! >= 0) scoredWindows[window[i]!] = true;
  }
  return { window, unweighted, scoredWindows };
}

/** The weighted sweep score of a row for a profile (NAB's AnomalyPoint.sweepScore). */
function weighted(rw: RowWeights, i: number, cm: CostMatrix): number {
  return rw.window[i]! >= 0 ? (rw.unweighted[i]! * cm.tpWeight) / MAX_TP : rw.unweighted[i]! * cm.fpWeight;
}

// ---------------------------------------------------------------------------------------------------------
// Scoring one file at one threshold

export interface FileScore {
  name: string;
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  /** Rows in the file (NAB's published Total_Count). */
  total: number;
  /** The false positives' (negative) share of score. */
  fpScore: number;
  /** Each scored window's contribution: its best detection's weight, or -fnWeight when missed. */
  windowScores: number[];
}

/** Scores one file's anomaly scores at a threshold (detection = score >= threshold). */
export function scoreFile(file: NabFile, scores: ArrayLike<number>, threshold: number, cm: CostMatrix, rw = rowWeights(file)): FileScore {
  const n = file.times.length;
  if (scores.length !== n) throw new NabDataError(`${file.name}: ${scores.length} scores for ${n} rows`);
  const best = file.windows.map(() => -cm.fnWeight);
  let tp = 0,
    tn = 0,
    fp = 0,
    fn = 0,
    fpScore = 0;
  for (let i = 0; i < n; i++) {
    const w = rw.window[i]!;
    if (w === PROBATIONARY) continue;
    const detected = scores[i]! >= threshold;
    if (w >= 0) {
      if (detected) {
        tp++;
        const s = weighted(rw, i, cm);
        if (s > best[w]!) best[w] = s;
      } else fn++;
    } else if (detected) {
      fp++;
      fpScore += weighted(rw, i, cm);
    } else tn++;
  }
  let score = fpScore;
  const windowScores: number[] = [];
  best.forEach((b, w) => {
    if (!rw.scoredWindows[w]) return;
    score += b;
    windowScores.push(b);
  });
  return { name: file.name, threshold, score, tp, tn, fp, fn, total: n, fpScore, windowScores };
}

// ---------------------------------------------------------------------------------------------------------
// The corpus-wide threshold sweep

export interface SweepResult {
  threshold: number;
  /** Raw total over the corpus at that threshold. */
  score: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Scores of many files prepared once for sweeping: scorable rows sorted by anomaly score, descending. */
export interface SweepInput {
  /** Per scorable row, in sweep order. */
  score: Float64Array;
  window: Int32Array; // corpus-wide window id, -1 outside
  unweighted: Float64Array;
  windowCount: number;
  scoredWindow: Uint8Array;
}

/** Gathers the scorable rows of several files and sorts them once (stable, as Python's sorted is). */
export function prepareSweep(
  files: readonly NabFile[],
  scores: ReadonlyArray<ArrayLike<number>>,
  weights?: readonly RowWeights[],
): SweepInput {
  let total = 0;
  const rws = files.map((f, k) => weights?.[k] ?? rowWeights(f));
  rws.forEach((rw) => {
    for (let i = 0; i < rw.window.length; i++) if (rw.window[i] !== PROBATIONARY) total++;
  });
  const score = new Float64Array(total);
  const window = new Int32Array(total);
  const unweighted = new Float64Array(total);
  const scoredWindow: number[] = [];
  let k = 0;
  let windowBase = 0;
  files.forEach((f, fi) => {
    const rw = rws[fi]!;
    const s = scores[fi]!;
    if (s.length !== f.times.length) throw new NabDataError(`${f.name}: ${s.length} scores for ${f.times.length} rows`);
    for (let i = 0; i < rw.window.length; i++) {
      const w = rw.window[i]!;
      if (w === PROBATIONARY) continue;
      const v = s[i]!;
      if (Number.isNaN(v)) throw new NabDataError(`${f.name}: anomaly score NaN at row ${i}`);
      score[k] = v;
      window[k] = w >= 0 ? windowBase + w : -1;
      unweighted[k] = rw.unweighted[i]!;
      k++;
    }
    rw.scoredWindows.forEach((sw) => scoredWindow.push(sw ? 1 : 0));
    windowBase += f.windows.length;
  });
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => score[b]! - score[a]! || a - b);
  const pick = <T extends Float64Array | Int32Array>(src: T, dst: T): T => {
    for (let i = 0; i < total; i++) dst[i] = src[order[i]!]!;
    return dst;
  };
  return {
    score: pick(score, new Float64Array(total)),
    window: pick(window, new Int32Array(total)),
    unweighted: pick(unweighted, new Float64Array(total)),
    windowCount: windowBase,
    scoredWindow: Uint8Array.from(scoredWindow),
  };
}

/**
 * Every threshold's raw score, highest threshold first, as NAB's Sweeper.calcScoreByThreshold: the first
 * entry (threshold 1.1) has no detections; each later entry t counts the rows with score >= t.
 * One pass over the sorted rows: O(rows) after the sort.
 */
export function sweepScores(input: SweepInput, cm: CostMatrix): SweepResult[] {
  const best = new Float64Array(input.windowCount).fill(-cm.fnWeight);
  let windowSum = 0;
  let tn = 0,
    fn = 0,
    tp = 0,
    fp = 0;
  for (let w = 0; w < input.windowCount; w++) if (input.scoredWindow[w]) windowSum -= cm.fnWeight;
  for (let i = 0; i < input.score.length; i++) {
    if (input.window[i]! >= 0) fn++;
    else tn++;
  }
  let fpSum = 0;
  let threshold = 1.1;
  const out: SweepResult[] = [];
  for (let i = 0; i < input.score.length; i++) {
    const s = input.score[i]!;
    if (s !== threshold) {
      out.push({ threshold, score: fpSum + windowSum, tp, fp, fn, tn });
      threshold = s;
    }
    const w = input.window[i]!;
    if (w >= 0) {
      tp++;
      fn--;
      const v = (input.unweighted[i]! * cm.tpWeight) / MAX_TP;
      if (v > best[w]!) {
        windowSum += v - best[w]!;
        best[w] = v;
      }
    } else {
      fp++;
      tn--;
      fpSum += input.unweighted[i]! * cm.fpWeight;
    }
  }
  out.push({ threshold, score: fpSum + windowSum, tp, fp, fn, tn });
  return out;
}

/** The best threshold (ties: the highest threshold, as NAB's stable sort keeps it first). */
export function optimizeThreshold(input: SweepInput, cm: CostMatrix): SweepResult {
  const all = sweepScores(input, cm);
  let best = all[0]!;
  for (const r of all) if (r.score > best.score) best = r;
  return best;
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation and whole-corpus scoring

export function windowCount(files: readonly NabFile[]): number {
  return files.reduce((n, f) => n + f.windows.length, 0);
}

/** 100·(raw - null)/(perfect - null); null = -fnWeight·windows, perfect = tpWeight·windows. */
export function normalizeScore(raw: number, windows: number, cm: CostMatrix): number {
  const nullScore = -cm.fnWeight * windows;
  const perfect = cm.tpWeight * windows;
  return (100 * (raw - nullScore)) / (perfect - nullScore);
}

export interface ProfileResult {
  profile: ProfileName;
  threshold: number;
  raw: number;
  normalized: number;
  files: FileScore[];
  /** Per category (and "all"): raw total and its normalisation over the category's windows, at the corpus threshold. */
  byCategory: Record<string, { raw: number; normalized: number; windows: number }>;
}

/** Sweeps one threshold per profile over the corpus and scores every file at it. */
export function scoreDetector(
  corpus: NabCorpus,
  scores: ReadonlyArray<ArrayLike<number>>,
  profiles: readonly ProfileName[] = PROFILE_NAMES,
): ProfileResult[] {
  const weights = corpus.files.map((f) => rowWeights(f));
  const input = prepareSweep(corpus.files, scores, weights);
  return profiles.map((profile) => {
    const cm = corpus.profiles[profile];
    const best = optimizeThreshold(input, cm);
    return scoreAtThreshold(corpus, scores, profile, best.threshold, weights);
  });
}

/** Scores every file at a given threshold and totals per category. */
export function scoreAtThreshold(
  corpus: NabCorpus,
  scores: ReadonlyArray<ArrayLike<number>>,
  profile: ProfileName,
  threshold: number,
  weights?: readonly RowWeights[],
): ProfileResult {
  const cm = corpus.profiles[profile];
  const files = corpus.files.map((f, k) => scoreFile(f, scores[k]!, threshold, cm, weights?.[k]));
  const byCategory: ProfileResult['byCategory'] = {};
  const add = (cat: string, raw: number, windows: number) => {
    const c = (byCategory[cat] ??= { raw: 0, normalized: 0, windows: 0 });
    c.raw += raw;
    c.windows += windows;
  };
  files.forEach((fs, k) => {
    const f = corpus.files[k]!;
    add(f.category, fs.score, f.windows.length);
    add('all', fs.score, f.windows.length);
  });
  for (const c of Object.values(byCategory)) c.normalized = c.windows > 0 ? normalizeScore(c.raw, c.windows, cm) : NaN;
  const all = byCategory.all ?? { raw: 0, windows: 0 };
  return { profile, threshold, raw: all.raw, normalized: normalizeScore(all.raw, all.windows, cm), files, byCategory };
}

/**
 * Alarm episodes outside windows at a threshold: runs of consecutive false-positive rows. Many rows per
 * episode means an alarm storm (repeated alarms for one event); many episodes means scattered alarms.
 */
export function falsePositiveEpisodes(
  file: NabFile,
  scores: ArrayLike<number>,
  threshold: number,
  rw = rowWeights(file),
): { rows: number; episodes: number } {
  let rows = 0;
  let episodes = 0;
  let prev = false;
  for (let i = 0; i < scores.length; i++) {
    const fp = rw.window[i] === -1 && scores[i]! >= threshold;
    if (fp) {
      rows++;
      if (!prev) episodes++;
    }
    prev = fp;
  }
  return { rows, episodes };
}
