// dataset-generator-agent: tails pod_metrics.csv, scores every row with the LSTM detector (or a
// baseline, for benchmarks), prints alerts, and writes pod_insights.json atomically every interval,
// with a checkpoint so a restart resumes without re-reading or losing rows.
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createLogger, type Level } from '../lib/log.ts';
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { MetricsCsvSchema } from '../lib/metrics-csv.ts';
import { checkMetricsPort, checkPositive, checkUnitInterval } from '../lib/options.ts';
import { startMetrics } from '../lib/metrics-server.ts';
import type { ModelInfo } from '../lib/schemas.ts';
import { createDetector, detectorNames } from '../models/registry.ts';
import type { Detector } from '../models/detector-api.ts';
import { POD_FEATURES } from '../models/pod-features.ts';
import { PodScorer } from '../models/pod-scorer.ts';
import { DatasetAgent } from './dataset-generator/agent.ts';
import { DATASET_AGENT_OPTIONS } from './dataset-generator/options.ts';
import { collectAgentMetrics } from './dataset-generator/metrics.ts';

const COMMAND = 'dataset-generator-agent';

function parse(argv: string[]) {
  return cli(COMMAND, argv, 'Tails the metrics CSV, scores each pod with the anomaly detector, and writes pod_insights.json.')
    .options(DATASET_AGENT_OPTIONS)
    .option('detector', {
      ...DATASET_AGENT_OPTIONS.detector,
      describe: `Detector (${detectorNames().join(', ') || 'lstm'}); baselines are for benchmarks`,
    })
    .check((a) => {
      checkUnitInterval('alert-threshold', a['alert-threshold']);
      checkPositive('interval', a.interval);
      checkPositive('forget-after', a['forget-after']);
      if (!(a['insights-detail-max'] >= 0)) throw new UsageError('--insights-detail-max must be 0 or more');
      if (a['checkpoint-interval'] !== undefined) checkPositive('checkpoint-interval', a['checkpoint-interval']);
      if (a.shard !== undefined) parseShard(a.shard);
      checkMetricsPort(a['metrics-port']);
      return true;
    })
    .parseSync();
}

/**
 * Model identity for pod_insights.json: the LSTM's artifact metadata, or the baseline's name. The LSTM
 * scores through a fused step in plain JavaScript (models/lstm/cell.ts), so the backend in use is "js";
 * the TensorFlow.js backend it was trained on is recorded beside it.
 */
function describeModel(detector: Detector): ModelInfo {
  const meta = (detector as { model?: { meta?: { name?: string; version?: string; trained_at?: string; backend?: string } } }).model?.meta;
  if (meta) {
    return {
      name: meta.name ?? detector.name,
      version: meta.version ?? 'unknown',
      trained_at: meta.trained_at ?? null,
      backend: `js (fused LSTM step; trained on ${meta.backend ?? 'unknown'})`,
    };
  }
  return { name: detector.name, version: 'baseline', trained_at: null, backend: 'js' };
}

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !(count >= 1) || !(index < count)) throw new UsageError(`--shard must be K/N with 0 <= K < N (got "${text}")`);
  return { index, count };
}

/** Input check for --test: readable, with a header naming the required columns. */
function checkInput(path: string): { ok: boolean; message: string } {
  if (!existsSync(path)) return { ok: false, message: `input ${path} does not exist (start the collector: dataset-generator)` };
  try {
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    if (nl < 0)
      return {
        ok: size === 0,
        message: size === 0 ? `input ${path} is empty (waiting for the collector)` : `input ${path} has no complete header line`,
      };
    const schema = new MetricsCsvSchema(text.slice(0, nl));
    return {
      ok: true,
      message: `input ${path}: ${size} bytes, ${schema.columns.length} columns${schema.extraColumns.length ? ` (extra: ${schema.extraColumns.join(', ')})` : ''}`,
    };
  } catch (err) {
    return { ok: false, message: `input ${path}: ${(err as Error).message}` };
  }
}

type Args = ReturnType<typeof parse>;

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (helpShown(argv)) return 0;
  return run(args);
}

/** The agent with parsed options: --test, one pass (--once), or following the CSV until a signal. */
export async function run(args: Args): Promise<number> {
  const log = createLogger(COMMAND, { dir: String(args['log-dir']), level: args['log-level'] as Level });
  const threshold = args['alert-threshold'];

  let detector: Detector;
  try {
    detector = await createDetector(args.detector, { features: POD_FEATURES, threshold, modelDir: args['model-dir'] });
  } catch (err) {
    const msg = (err as Error).message;
    log.error(`cannot load detector "${args.detector}": ${msg}`);
    if (args.test) process.stdout.write(`FAIL detector ${args.detector}: ${msg}\n`);
    else process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
  const model = describeModel(detector);

  if (args.test) {
    const input = checkInput(args['input-file']);
    process.stdout.write(
      `OK   detector ${detector.name}: model ${model.name} ${model.version} (trained ${model.trained_at ?? 'n/a'}, backend ${model.backend}), ${detector.features.length} features\n` +
        `${input.ok ? 'OK  ' : 'FAIL'} ${input.message}\n`,
    );
    return input.ok ? 0 : 1;
  }

  // One pass over a file that is not there would write an empty insights file (and a checkpoint) over
  // the real ones: a typo must change nothing. Following waits for the collector to create it instead.
  if (args.once && !existsSync(args['input-file'])) {
    const msg = `input file ${args['input-file']} does not exist; nothing was written`;
    log.error(msg);
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }

  const agent = new DatasetAgent(
    {
      inputFile: args['input-file'],
      insightsFile: args['insights-file'],
      scoresFile: args['scores-file'],
      checkpointFile: args['checkpoint-file'] || undefined,
      watchInterval: args.interval,
      threshold,
      fromStart: args['from-start'],
      forgetAfter: args['forget-after'],
      detectorName: args.detector,
      model,
      shard: args.shard !== undefined ? parseShard(args.shard) : undefined,
      insightsDetailMax: args['insights-detail-max'],
      checkpointInterval: args['checkpoint-interval'],
      feedbackFile: args['feedback-file'],
    },
    new PodScorer(detector),
    log,
    (line) => process.stdout.write(line + '\n'),
    async () => new PodScorer(await createDetector(args.detector, { features: POD_FEATURES, threshold, modelDir: args['model-dir'] })),
  );
  log.info(
    `scoring ${args['input-file']} with ${detector.name} (${model.name} ${model.version}, backend ${model.backend}); threshold ${threshold}`,
  );
  let metrics: Awaited<ReturnType<typeof startMetrics>> | null = null;
  let unhook = () => {};
  try {
    await agent.open();
    metrics = await startMetrics(COMMAND, { port: args['metrics-port'], host: args['metrics-host'] }, log);
    unhook = collectAgentMetrics(agent);
    if (args.once) {
      await agent.runOnce();
      await agent.close();
    } else {
      // Listeners stay for the whole flush: a second signal must not kill a checkpoint being written.
      const stop = new AbortController();
      const onSignal = (sig: string) => {
        log.info(`${sig} received: flushing and checkpointing`);
        stop.abort();
      };
      const onInt = () => onSignal('SIGINT');
      const onTerm = () => onSignal('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        await agent.follow(stop.signal);
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    }
  } catch (err) {
    await agent.close().catch(() => {});
    log.error((err as Error).message);
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    unhook();
    await metrics?.close();
  }
  const s = agent.status();
  log.info(`done: ${s.rows_read} rows read, ${s.rows_rejected} rejected, ${s.pods} pods, ${s.anomalies} anomalous`);
  return 0;
}

runIfMain(import.meta.url, main);
