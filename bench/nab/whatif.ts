// Analysis only: what would calibration, repeat suppression or range novelty be worth to a detector on NAB?
// Streams a detector over the corpus, then re-scores its per-row probabilities after causal post-processing
// variants (each uses only past rows of its own series, one parameter set for the corpus). The variants are
// not detectors and are never used by the agent: they say where a change INSIDE the detector would pay off.
//   npx tsx bench/nab/whatif.ts --detector lstm
import { join } from 'node:path';
import { cli, helpShown, runIfMain, UsageError } from '../../lib/cli.ts';
import { defaultNabDir, loadCorpus, scoreDetector, type NabFile } from './scorer.ts';
import { nabDetectors, scoreSeriesWith } from './detectors.ts';
import { erfc } from './reference-detectors.ts';

/** The deviation S behind a probability p = S/(S + 2) (the LSTM's mapping); monotone, so ranks are kept. */
const toS = (p: number): number => (p >= 1 ? 1e6 : (2 * p) / (1 - p));

/** A row keeps its score only when it beats the series' maximum over the previous k rows; else halved. */
export function newPeakOnly(s: Float64Array, k: number): Float64Array {
  const out = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) {
    let m = 0;
    for (let j = Math.max(0, i - k); j < i; j++) m = Math.max(m, s[j]!);
    out[i] = s[i]! > m ? s[i]! : s[i]! * 0.5;
  }
  return out;
}

/** After an alarm at >= tau, no new alarm for k rows (later rows are capped just below tau). */
export function refractory(s: Float64Array, tau: number, k: number): Float64Array {
  const out = new Float64Array(s.length);
  let last = -Infinity;
  for (let i = 0; i < s.length; i++) {
    if (s[i]! >= tau && i - last > k) {
      out[i] = s[i]!;
      last = i;
    } else out[i] = Math.min(s[i]!, tau) * 0.99;
  }
  return out;
}

/** Empirical calibration: 1 - (share of the series' past deviations >= the current one). */
export function empiricalCalibration(s: Float64Array, warm = 150): Float64Array {
  const out = new Float64Array(s.length);
  const past: number[] = []; // sorted
  for (let i = 0; i < s.length; i++) {
    const v = toS(s[i]!);
    let lo = 0,
      hi = past.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (past[m]! < v) lo = m + 1;
      else hi = m;
    }
    out[i] = i < warm ? 0 : 1 - (past.length - lo + 1) / (past.length + 1);
    past.splice(lo, 0, v);
  }
  return out;
}

/** HTM's anomaly likelihood on the deviation: 10-row mean against the distribution of past means, log scale. */
export function htmLikelihood(s: Float64Array, short = 10, long = 8640, clip = 20): Float64Array {
  const out = new Float64Array(s.length);
  const raw = Array.from(s, (p) => Math.min(clip, toS(p)));
  const means: number[] = [];
  let acc = 0;
  for (let i = 0; i < raw.length; i++) {
    acc += raw[i]!;
    if (i >= short) acc -= raw[i - short]!;
    const a = acc / Math.min(i + 1, short);
    const lo = Math.max(0, means.length - long);
    const n = means.length - lo;
    if (n < 100) out[i] = 0.5;
    else {
      let m = 0,
        v = 0;
      for (let k = lo; k < means.length; k++) m += means[k]!;
      m /= n;
      for (let k = lo; k < means.length; k++) v += (means[k]! - m) ** 2;
      const z = (a - m) / Math.max(Math.sqrt(v / n), 0.03);
      const tail = 0.5 * erfc(z / Math.SQRT2);
      out[i] = Math.log(1.0000000001 - (1 - tail)) / Math.log(1e-10);
    }
    means.push(a);
  }
  return out;
}

/** Range novelty (HTM's "spatial anomaly"): a value beyond the series' min/max so far by > tol·range scores 1. */
export function rangeNovelty(file: NabFile, base: Float64Array, tol = 0.05, warm = 100): Float64Array {
  const out = Float64Array.from(base);
  let lo = Infinity,
    hi = -Infinity;
  file.values.forEach((v, i) => {
    const range = hi - lo;
    if (i >= warm && range > 0 && (v > hi + tol * range || v < lo - tol * range)) out[i] = 1;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  });
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const args = await cli(
    'bench-nab-whatif',
    argv,
    'NAB analysis: re-scores a detector after causal post-processing variants (not detectors).',
  )
    .option('detector', { type: 'string', default: 'lstm', describe: 'Detector to analyse' })
    .option('nab-dir', {
      type: 'string',
      default: defaultNabDir(),
      describe: 'NAB corpus directory (default NAB_DIR, else the vendored bench/nab/corpus)',
    })
    .parseAsync();
  if (helpShown(argv)) return 0;
  if (!nabDetectors().some((d) => d.name === args.detector)) throw new UsageError(`unknown detector "${args.detector}"`);
  const corpus = loadCorpus(args['nab-dir']);
  const opts = { nabRoot: corpus.root, batch: 256, threshold: 0.5 };
  const scores: Float64Array[] = [];
  for (const f of corpus.files) {
    scores.push(await scoreSeriesWith(args.detector, f, opts));
    process.stderr.write(`\r${scores.length}/${corpus.files.length} ${join(f.name)}`.padEnd(80));
  }
  process.stderr.write('\n');
  const zero = scores.map((s) => new Float64Array(s.length));
  const emp = scores.map((s) => empiricalCalibration(s));
  const variants: Array<[string, Float64Array[]]> = [
    ['none (as measured)', scores],
    ['new peak over the previous 200 rows only', scores.map((s) => newPeakOnly(s, 200))],
    ['refractory: after an alarm >= 0.9, none for 100 rows', scores.map((s) => refractory(s, 0.9, 100))],
    ['HTM likelihood + new peak over 50 rows', scores.map((s) => newPeakOnly(htmLikelihood(s), 50))],
    ['empirical calibration', emp],
    ['range novelty alone (tol 0.05)', zero.map((z, k) => rangeNovelty(corpus.files[k]!, z, 0.05))],
    ['range novelty alone (tol 0.02)', zero.map((z, k) => rangeNovelty(corpus.files[k]!, z, 0.02))],
    ['empirical calibration + range novelty (tol 0.05)', emp.map((z, k) => rangeNovelty(corpus.files[k]!, z, 0.05))],
    ['as measured + range novelty (tol 0.02)', scores.map((z, k) => rangeNovelty(corpus.files[k]!, z, 0.02))],
  ];
  process.stdout.write(`${args.detector}: NAB after post-processing (standard / reward_low_FP_rate / reward_low_FN_rate)\n`);
  for (const [label, s] of variants) {
    const r = scoreDetector(corpus, s);
    process.stdout.write(`  ${label.padEnd(54)}${r.map((x) => x.normalized.toFixed(2).padStart(8)).join('')}\n`);
  }
  return 0;
}

runIfMain(import.meta.url, main);
