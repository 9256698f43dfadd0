// train-model: trains the shared univariate LSTM on a CSV of normal pod history (pod_metrics.csv
// format) and saves it with its metadata; --update fine-tunes a saved model on recent data.
import { existsSync, readFileSync } from 'node:fs';
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { createLogger, type Level } from '../lib/log.ts';
import { MetricsCsvSchema, type MetricRow } from '../lib/metrics-csv.ts';
import { selectBackend } from './backend.ts';
import { buildModel, loadSequenceModel, loadTfModel, saveModel, type ModelMeta, type SequenceModel } from './lstm/model.ts';
import { exceedanceTable, LstmDetector } from './lstm/detector.ts';
import { PodScorer } from './pod-scorer.ts';
import { calibrate, DEFAULT_TRAIN, fit, normalisedSequences, type TrainOptions } from './lstm/train.ts';
import { initialFeatureState, POD_FEATURES, podFeatures, type PodFeatureState } from './pod-features.ts';

export const MODEL_NAME = 'podsentinel-lstm';

/** Reads a pod_metrics.csv file; malformed rows are counted and skipped. */
export function readMetricsCsv(path: string): { rows: MetricRow[]; rejected: number } {
  if (!existsSync(path)) throw new UsageError(`input file ${path} does not exist`);
  const lines = readFileSync(path, 'utf8').split('\n');
  const schema = new MetricsCsvSchema(lines[0] ?? '');
  const rows: MetricRow[] = [];
  let rejected = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const r = schema.parseLine(line);
    if (r.ok) rows.push(r.row);
    else rejected++;
  }
  return { rows, rejected };
}

/** Per pod and feature, the raw values in time order (unknown values skipped, as the detector does). */
export function channelsFromRows(rows: readonly MetricRow[]): Array<{ feature: string; values: Float64Array }> {
  const byPod = new Map<string, { state: PodFeatureState; cols: number[][]; last: number }>();
  const buf = new Float64Array(POD_FEATURES.length);
  const sorted = [...rows].sort((a, b) => a.time - b.time);
  for (const row of sorted) {
    const key = `${row.namespace}/${row.pod}`;
    let p = byPod.get(key);
    if (!p) {
      p = { state: initialFeatureState(), cols: POD_FEATURES.map(() => []), last: -Infinity };
      byPod.set(key, p);
    }
    if (row.time <= p.last) continue;
    p.last = row.time;
    podFeatures(row, p.state, buf);
    buf.forEach((v, i) => {
      if (Number.isFinite(v)) p.cols[i]!.push(v);
    });
  }
  const out: Array<{ feature: string; values: Float64Array }> = [];
  for (const p of byPod.values()) p.cols.forEach((c, i) => out.push({ feature: POD_FEATURES[i]!, values: Float64Array.from(c) }));
  return out;
}

export interface TrainRequest {
  inputFile: string;
  modelDir: string;
  epochs?: number;
  units?: number;
  update?: boolean;
  source?: string;
  train?: Partial<TrainOptions>;
  log?: (msg: string) => void;
}

export async function trainModel(req: TrainRequest): Promise<ModelMeta> {
  const log = req.log ?? (() => {});
  const started = Date.now();
  const { rows, rejected } = readMetricsCsv(req.inputFile);
  if (rows.length === 0) throw new UsageError(`${req.inputFile} holds no valid rows (${rejected} rejected)`);
  log(`read ${rows.length} rows (${rejected} rejected) from ${req.inputFile}`);
  const seqs = normalisedSequences(channelsFromRows(rows));
  const { tf, backend } = await selectBackend(log);
  let model;
  let previous: ModelMeta | undefined;
  if (req.update) {
    const loaded = await loadTfModel(tf, req.modelDir);
    model = loaded.model;
    previous = loaded.meta;
  } else {
    model = buildModel(tf, req.units ?? 16, (req.train?.seed ?? DEFAULT_TRAIN.seed) + 100);
  }
  const opts: TrainOptions = {
    ...DEFAULT_TRAIN,
    ...req.train,
    epochs: req.epochs ?? (req.update ? 2 : DEFAULT_TRAIN.epochs),
    log,
  };
  const loss = await fit(tf, model, seqs, opts);
  const tmpMeta = { units: previous?.units ?? req.units ?? 16 } as ModelMeta;
  const times = rows.map((r) => r.time);
  const pods = new Set(rows.map((r) => `${r.namespace}/${r.pod}`));
  const version = previous ? bumpVersion(previous.version) : '1.0.0';
  // save once to read the weights back exactly as the fused step will, then calibrate and save the meta
  const meta: ModelMeta = {
    name: MODEL_NAME,
    version,
    trained_at: new Date().toISOString(),
    backend,
    features: [...POD_FEATURES],
    window: opts.window,
    units: tmpMeta.units,
    input: 'robust-z (per series online median/MAD-like EW normaliser, clipped)',
    calibration: {
      error_scale: 1,
      level_scale: 3,
      error_mean: 0.1,
      error_std: 0.2,
      level_mean: 0.1,
      level_std: 0.2,
      error_quantiles: {},
      samples: 0,
    },
    training_range: {
      from: new Date(Math.min(...times)).toISOString(),
      to: new Date(Math.max(...times)).toISOString(),
      rows: rows.length,
      series: pods.size,
      source: req.source ?? req.inputFile,
    },
    epochs: opts.epochs + (previous?.epochs ?? 0),
    final_loss: loss,
    ...(previous ? { updated_from: previous.version } : {}),
  };
  await saveModel(tf, model, req.modelDir, meta);
  const fused = loadSequenceModel(req.modelDir);
  meta.calibration = calibrate(fused.weights, seqs);
  const tables = measureExceedance({ ...fused, meta }, rows);
  meta.calibration.table = tables.error;
  meta.calibration.level_table = tables.level;
  log(`calibration: exceedance tables down to 1e-${tables.error.at(-1)?.[1] ?? 0} per channel-tick`);
  await saveModel(tf, model, req.modelDir, meta);
  model.dispose();
  log(`saved ${req.modelDir} (version ${version}, loss ${loss.toFixed(5)}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return meta;
}

/** Runs the detector over the (normal) training rows and tabulates how often each raw statistic is reached. */
function measureExceedance(
  model: SequenceModel,
  rows: readonly MetricRow[],
): { error: Array<[number, number]>; level: Array<[number, number]> } {
  const det = new LstmDetector({ features: POD_FEATURES, threshold: 0.7, model, uncalibrated: true });
  det.collect = [];
  det.collectLevel = [];
  const scorer = new PodScorer(det);
  const sorted = [...rows].sort((a, b) => a.time - b.time);
  for (const row of sorted) scorer.score(row);
  return { error: exceedanceTable(det.collect), level: exceedanceTable(det.collectLevel) };
}

function bumpVersion(v: string): string {
  const parts = v.split('.').map((x) => Number(x));
  if (parts.length !== 3 || parts.some((x) => !Number.isInteger(x))) return '1.0.1';
  return `${parts[0]}.${parts[1]}.${parts[2]! + 1}`;
}

export async function main(argv: string[]): Promise<number> {
  const args = await cli(
    'train-model',
    argv,
    'Trains the LSTM detector on a CSV of normal pod history (pod_metrics.csv format) and saves it with its metadata.',
  )
    .option('input-file', { type: 'string', demandOption: !helpShown(argv), describe: 'CSV of normal history' })
    .option('model-dir', {
      type: 'string',
      default: 'models/artifacts/default',
      describe: 'Where to save (or, with --update, read) the model',
    })
    .option('epochs', { type: 'number', describe: `Training epochs (default ${DEFAULT_TRAIN.epochs}; 2 with --update)` })
    .option('units', { type: 'number', default: 16, describe: 'LSTM units (new models only)' })
    .option('update', { type: 'boolean', default: false, describe: 'Fine-tune the saved model in --model-dir on this data' })
    .option('max-windows', { type: 'number', default: DEFAULT_TRAIN.maxWindows, describe: 'Training windows sampled from the data' })
    .option('seed', { type: 'number', default: DEFAULT_TRAIN.seed })
    .parseAsync();
  if (helpShown(argv)) return 0;
  const logger = createLogger('train-model', { dir: String(args.logDir), level: args.logLevel as Level });
  if (args.epochs !== undefined && !(args.epochs >= 1)) throw new UsageError('--epochs must be at least 1');
  await trainModel({
    inputFile: args.inputFile!,
    modelDir: args.modelDir,
    epochs: args.epochs,
    units: args.units,
    update: args.update,
    train: { maxWindows: args.maxWindows, seed: args.seed },
    log: (m) => logger.info(m),
  });
  return 0;
}

runIfMain(import.meta.url, main);
