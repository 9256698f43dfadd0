// The detectors bench:nab can run, and the streaming driver that feeds a NAB series to a Detector.
//   - every detector of models/registry.ts (the project's production detector and its baselines),
//     created with one feature, ['value'], and one parameter set for the whole corpus;
//   - numenta-published: Numenta HTM's published per-row scores (results/numenta), for comparison;
//   - windowed-gaussian-reference: NAB's own windowedGaussian baseline re-implemented in bench/ only,
//     used to check the harness end to end. It is not the project's detector.
// NAB's rules: a detector sees one row at a time in time order (key = file, values = [value]) and never
// the labels. The anomaly_score of a row is the verdict's alert score when the detector reports one
// (Verdict.onset: the score whose crossing of the alert threshold opens the agent's alert, damped while a
// raised one continues), else Verdict.probability; `--score probability` forces the latter, and
// `--score alerts` scores exactly the agent's alerts at the detector's --alert-threshold (1 on the row where
// an anomalous stretch opens, else 0).
import { join } from 'node:path';
import type { Detector, Observation, Verdict } from '../../models/detector-api.ts';
import { createDetector, detectorNames } from '../../models/registry.ts';
import { readResultScores, type NabFile } from './scorer.ts';
import { WindowedGaussianReference } from './reference-detectors.ts';

export const PUBLISHED = 'numenta-published';
export const REFERENCE = 'windowed-gaussian-reference';

export type DetectorKind = 'project' | 'published' | 'reference';

export interface NabDetectorInfo {
  name: string;
  kind: DetectorKind;
}

/** Suffix of a project detector's name that scores its probability even when it reports an onset score. */
export const PROBABILITY_SUFFIX = ':probability';

/** Every runnable detector: the project's (from the registry) first, then the comparison rows. */
export function nabDetectors(): NabDetectorInfo[] {
  return [
    ...detectorNames().map((name): NabDetectorInfo => ({ name, kind: 'project' })),
    ...detectorNames().map((name): NabDetectorInfo => ({ name: name + PROBABILITY_SUFFIX, kind: 'project' })),
    { name: PUBLISHED, kind: 'published' },
    { name: REFERENCE, kind: 'reference' },
  ];
}

export class NabDetectorError extends Error {}

/**
 * Which verdict field becomes NAB's anomaly_score: 'auto' = onset when reported, else probability;
 * 'alerts' = 1 where an anomalous stretch opens (what the agent prints as ANOMALY), else 0.
 */
export type ScoreField = 'auto' | 'probability' | 'alerts';

export function verdictScore(v: Verdict, field: ScoreField = 'auto', wasAnomalous = false): number {
  if (field === 'alerts') return v.anomalous && !wasAnomalous ? 1 : 0;
  const onset = v.onset;
  return field === 'probability' || onset === undefined ? v.probability : onset;
}

/**
 * Streams one series through a detector and returns its anomaly scores. Rows go one at a time through
 * observe(), or in time-ordered chunks through observeBatch() (same results by the interface's contract).
 */
export async function streamSeries(detector: Detector, file: NabFile, batch = 1, field: ScoreField = 'auto'): Promise<Float64Array> {
  const n = file.values.length;
  const out = new Float64Array(n);
  const obs = (i: number): Observation => ({ key: file.name, time: file.times[i]!, values: Float64Array.of(file.values[i]!) });
  const check = (p: number, i: number): number => {
    if (!Number.isFinite(p)) throw new NabDetectorError(`${detector.name} gave score ${p} for ${file.name} row ${i}`);
    return p;
  };
  let was = false;
  const score = (v: Verdict, i: number): number => {
    const p = check(verdictScore(v, field, was), i);
    was = v.anomalous;
    return p;
  };
  if (batch > 1 && detector.observeBatch) {
    for (let start = 0; start < n; start += batch) {
      const chunk: Observation[] = [];
      for (let i = start; i < Math.min(n, start + batch); i++) chunk.push(obs(i));
      const verdicts = detector.observeBatch(chunk);
      if (verdicts.length !== chunk.length)
        throw new NabDetectorError(`${detector.name}.observeBatch returned ${verdicts.length} verdicts for ${chunk.length}`);
      verdicts.forEach((v, k) => (out[start + k] = score(v, start + k)));
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = score(detector.observe(obs(i)), i);
  }
  detector.forget(file.name);
  // Yield between files so progress output and IPC stay responsive.
  await new Promise((r) => setImmediate(r));
  return out;
}

export interface RunOptions {
  nabRoot: string;
  /** Rows per observeBatch call (1 = observe() per row). */
  batch: number;
  /** Alert threshold handed to project detectors (NAB's sweep ignores it: it thresholds the probability). */
  threshold: number;
  modelDir?: string | undefined;
  /** Verdict field scored (default 'auto'). */
  score?: ScoreField;
}

/** Scores one file with a named detector; a fresh detector per file, so files are independent. */
export async function scoreSeriesWith(name: string, file: NabFile, opts: RunOptions): Promise<Float64Array> {
  if (name === PUBLISHED) {
    const base = file.name.split('/')[1]!;
    return readResultScores(join(opts.nabRoot, 'results', 'numenta', file.category, `numenta_${base}`), file);
  }
  if (name === REFERENCE) return streamSeries(new WindowedGaussianReference(), file, 1);
  const base = name.endsWith(PROBABILITY_SUFFIX) ? name.slice(0, -PROBABILITY_SUFFIX.length) : name;
  if (!detectorNames().includes(base)) {
    throw new NabDetectorError(
      `unknown detector "${name}" (known: ${nabDetectors()
        .map((d) => d.name)
        .join(', ')})`,
    );
  }
  const detector = await createDetector(base, { features: ['value'], threshold: opts.threshold, modelDir: opts.modelDir });
  return streamSeries(detector, file, opts.batch, base !== name ? 'probability' : (opts.score ?? 'auto'));
}

/** The first `rows` rows of a file (windows clipped), for checking that scores never look ahead. */
export function truncateFile(file: NabFile, rows: number): NabFile {
  return {
    ...file,
    timestamps: file.timestamps.slice(0, rows),
    times: file.times.slice(0, rows),
    values: file.values.slice(0, rows),
    windows: file.windows.filter(([s]) => s < rows).map(([s, e]): [number, number] => [s, Math.min(e, rows - 1)]),
  };
}

/**
 * NAB's streaming rule, checked: a detector's scores for a file's first rows must not change when the
 * rest of the file is absent (a cut that is not a multiple of the batch size also catches batches that
 * peek ahead). Returns null when it holds, else a description of the first difference.
 */
export async function checkStreaming(name: string, file: NabFile, score: (f: NabFile) => Promise<Float64Array>): Promise<string | null> {
  const cut = Math.floor(file.values.length * 0.6) | 1;
  const full = await score(file);
  const prefix = await score(truncateFile(file, cut));
  for (let i = 0; i < cut; i++) {
    if (!Object.is(full[i], prefix[i])) {
      return `${name} on ${file.name}: row ${i} scored ${full[i]} with the whole file but ${prefix[i]} with only its first ${cut} rows`;
    }
  }
  return null;
}
