// dataset-generator: the collection command. Every --interval seconds it collects one row per pod from
// the Kubernetes API or Prometheus and appends them to pod_metrics.csv (whole lines only, header checked),
// then writes a heartbeat file for the orchestrator. An unreachable source is one clear error line and
// a retry with backoff; with --once or --test it is a non-zero exit.
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { heartbeat as beat, writeHeartbeat } from '../lib/heartbeat.ts';
import { checkMetricsPort, checkPositive } from '../lib/options.ts';
import { M } from '../lib/metrics.ts';
import { startMetrics } from '../lib/metrics-server.ts';
import { heartbeatPath } from '../lib/pipeline-files.ts';
import { COLLECTOR_OPTIONS } from './options.ts';
import { Backoff, sleep } from '../lib/backoff.ts';
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { kubeErrorMessage, loadKubeConfig, serviceAccountNamespace } from '../lib/kube.ts';
import { LeaseMembership } from '../lib/shard-membership.ts';
import { createLogger, type Level, type Logger } from '../lib/log.ts';
import { CsvHeaderError, METRIC_COLUMNS, MetricsCsvWriter, type MetricRow } from '../lib/metrics-csv.ts';
import { SourceUnreachableError, type Collector } from './collector.ts';
import { K8sCollector } from './k8s-collector.ts';
import { ShardedCollector } from './sharded-collector.ts';
import { parseExtraMetric, PrometheusCollector, WithExtraMetrics, type ExtraMetric } from './prometheus-collector.ts';

const DESCRIPTION =
  'Collects one row per pod per tick from the Kubernetes API (metrics.k8s.io, events, cAdvisor through the node proxy) ' +
  'or from Prometheus, and appends them to a pod_metrics.csv file.';

function parseArgs(argv: string[]) {
  return cli('dataset-generator', argv, DESCRIPTION)
    .options(COLLECTOR_OPTIONS)
    .check((a) => {
      if (a.namespace !== undefined && a['all-namespaces']) throw new UsageError('give --namespace or --all-namespaces, not both');
      checkPositive('interval', a.interval);
      if (a.ticks !== undefined && !(Number.isInteger(a.ticks) && a.ticks > 0)) throw new UsageError('--ticks must be a positive integer');
      if (a.source === 'prometheus' && !a['prometheus-url']) throw new UsageError('--source prometheus needs --prometheus-url');
      if (a['shard-group'] !== undefined && !(a['lease-duration'] >= 3))
        throw new UsageError('--lease-duration must be at least 3 seconds');
      checkMetricsPort(a['metrics-port']);
      return true;
    })
    .parseSync();
}

type Args = ReturnType<typeof parseArgs>;

function extraMetrics(args: Args): ExtraMetric[] {
  const out: ExtraMetric[] = [];
  for (const spec of args['extra-metric']) {
    let x: ExtraMetric;
    try {
      x = parseExtraMetric(String(spec));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if ((METRIC_COLUMNS as readonly string[]).includes(x.column))
      throw new UsageError(`--extra-metric column "${x.column}" is a standard column`);
    if (out.some((o) => o.column === x.column)) throw new UsageError(`--extra-metric column "${x.column}" is given twice`);
    out.push(x);
  }
  return out;
}

function makeCollector(args: Args, log: Logger): Collector {
  const namespace = args['all-namespaces'] ? undefined : (args.namespace ?? 'default');
  const extra = extraMetrics(args);
  if (args.source === 'prometheus') {
    const events = args.kubeconfig
      ? new K8sCollector(loadKubeConfig(args.kubeconfig), { namespace, logger: log.child('events') })
      : undefined;
    return new PrometheusCollector({
      url: args['prometheus-url']!,
      namespace,
      extraMetrics: extra,
      window: args['prometheus-window'],
      logger: log,
      ...(events ? { events } : {}),
    });
  }
  const k8s = new K8sCollector(loadKubeConfig(args.kubeconfig), { namespace, logger: log, podSource: args['pod-source'] });
  if (extra.length === 0) return k8s;
  if (!args['prometheus-url']) throw new UsageError('--extra-metric needs --prometheus-url (the columns come from PromQL)');
  const prom = new PrometheusCollector({ url: args['prometheus-url'], namespace, extraMetrics: extra, logger: log });
  return new WithExtraMetrics(k8s, prom, log);
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (helpShown(argv)) return 0;
  const log = createLogger('dataset-generator', { dir: String(args['log-dir']), level: args['log-level'] as Level });
  let collector: Collector;
  try {
    collector = makeCollector(args, log);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new Error(`cannot set up the collector: ${(err as Error).message}`, { cause: err });
  }

  let membership: LeaseMembership | undefined;
  if (args['shard-group'] !== undefined && !args.test) {
    membership = new LeaseMembership({
      kc: loadKubeConfig(args.kubeconfig),
      namespace: args['shard-namespace'] ?? serviceAccountNamespace() ?? 'default',
      group: args['shard-group'],
      ...(args['shard-identity'] !== undefined ? { identity: args['shard-identity'] } : {}),
      leaseDurationSeconds: args['lease-duration'],
      log: log.child('shard'),
    });
    try {
      await membership.start();
      await membership.settled();
    } catch (err) {
      throw new Error(`cannot join shard group ${args['shard-group']}: ${kubeErrorMessage(err)}`, { cause: err });
    }
    log.info(`joined shard group ${membership.group} as ${membership.identity} (leases in ${membership.namespace})`);
    collector = new ShardedCollector(collector, membership, args.interval * 1000);
  }

  const metrics = args.test
    ? null
    : await startMetrics('dataset-generator', { port: args['metrics-port'], host: args['metrics-host'] }, log);
  try {
    return await run(args, collector, log);
  } finally {
    collector.close?.();
    await membership?.stop();
    await metrics?.close();
  }
}

async function run(args: Args, collector: Collector, log: Logger): Promise<number> {
  if (args.test) {
    const report = await collector.probe();
    for (const line of report.lines) process.stdout.write(`${line}\n`);
    process.stdout.write(report.ok ? 'OK: the source is reachable\n' : 'FAILED: the source cannot be reached\n');
    return report.ok ? 0 : 1;
  }

  const output = args['output-file'];
  let writer: CsvOutput;
  try {
    writer = new CsvOutput(output, collector.extraColumns, log);
  } catch (err) {
    if (err instanceof CsvHeaderError) throw err;
    throw new Error(`cannot open ${output} for appending: ${(err as Error).message}`, { cause: err });
  }

  const maxTicks = args.once ? 1 : args.ticks;
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`received ${sig}; finishing the current tick`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const intro = `collecting from ${collector.description} every ${args.interval}s into ${output}`;
  if (maxTicks === undefined) log.info(intro);
  else log.debug(intro);
  try {
    return await runLoop({ collector, writer, output, log, intervalMs: args.interval * 1000, maxTicks, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writer.close();
  }
}

/**
 * The CSV being appended to. If the file is removed or replaced under us (rotation, a demo reset), the
 * next append reopens the path, so rows never go to an unlinked file.
 */
export class CsvOutput {
  private writer: MetricsCsvWriter;
  private ino: number;
  private readonly path: string;
  private readonly extraColumns: readonly string[];
  private readonly log: Logger;

  constructor(path: string, extraColumns: readonly string[], log: Logger) {
    this.path = path;
    this.extraColumns = extraColumns;
    this.log = log;
    mkdirSync(dirname(path), { recursive: true });
    this.writer = this.open();
    this.ino = statSync(path).ino;
  }

  /** Opens the path; warns when the file (begun earlier) lacks some of this collector's columns. */
  private open(): MetricsCsvWriter {
    const w = MetricsCsvWriter.open(this.path, this.extraColumns);
    if (w.missingColumns.length > 0)
      this.log.warn(
        `${this.path} was begun without the column(s) ${w.missingColumns.join(', ')}; appending without them ` +
          '(one file keeps one header). Move the file aside to collect them (the CPU and ephemeral-storage forecasts need them).',
      );
    return w;
  }

  append(rows: readonly MetricRow[]): void {
    let current: number | undefined;
    try {
      current = statSync(this.path).ino;
    } catch {
      current = undefined;
    }
    if (current !== this.ino) {
      this.log.info(`${this.path} was moved or removed; reopening it`);
      this.writer.close();
      mkdirSync(dirname(this.path), { recursive: true });
      this.writer = this.open();
      this.ino = statSync(this.path).ino;
    }
    this.writer.append(rows); // one write(2) of whole lines: a signal cannot split a row
  }

  close(): void {
    this.writer.close();
  }
}

interface LoopOptions {
  collector: Collector;
  writer: CsvOutput;
  output: string;
  log: Logger;
  intervalMs: number;
  /** Stop after this many ticks, failing on the first error; undefined runs until signalled, retrying. */
  maxTicks: number | undefined;
  signal: AbortSignal;
}

/** Collects, appends and heartbeats on a fixed cadence; returns the exit code. */
export async function runLoop(o: LoopOptions): Promise<number> {
  const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  const heartbeat = heartbeatPath(o.output, 'dataset-generator');
  let rowsTotal = 0;
  let ticks = 0;
  let failing = false;
  let warnedEmpty = false;
  let overrunning = false;
  let next = Date.now();
  while (!o.signal.aborted) {
    const started = Date.now();
    let rows;
    try {
      rows = await o.collector.collectOnce();
    } catch (err) {
      M.collectorTicks().inc({ result: 'error' });
      const message = err instanceof SourceUnreachableError ? err.message : `collection failed: ${(err as Error).message}`;
      if (o.maxTicks !== undefined) {
        o.log.error(message); // bounded runs (--once, --ticks) fail fast
        return 1;
      }
      const delay = backoff.next();
      o.log.error(`${message}; retrying in ${(delay / 1000).toFixed(1)}s (attempt ${backoff.attempts})`);
      failing = true;
      await sleep(delay, o.signal);
      next = Date.now();
      continue;
    }
    if (failing) o.log.info(`${o.collector.description} is reachable again`);
    // A shard may hold no pod for a while (a small cluster, a replica that just joined): not a wrong namespace.
    const leftOut = o.collector instanceof ShardedCollector ? o.collector.lastLeftOut : 0;
    if (rows.length === 0 && leftOut === 0 && !warnedEmpty) {
      o.log.warn(`no pods found in ${o.collector.description}; check --namespace (or use --all-namespaces)`);
      warnedEmpty = true;
    } else if (rows.length > 0) warnedEmpty = false;
    failing = false;
    backoff.reset();
    o.writer.append(rows);
    rowsTotal += rows.length;
    ticks++;
    const tickMs = Date.now() - started;
    M.collectorTicks().inc({ result: 'ok' });
    M.collectorTickDuration().observe(tickMs / 1000);
    M.collectorRowsWritten().inc(rows.length);
    M.podsWatched().set(rows.length);
    try {
      writeHeartbeat(heartbeat, beat('dataset-generator', { rows_total: rowsTotal, last_tick_ms: tickMs, pods: rows.length }));
    } catch (err) {
      o.log.warn(`cannot write heartbeat ${heartbeat}: ${(err as Error).message}`);
    }
    o.log.info(`appended ${rows.length} rows in ${tickMs} ms`, { rows_total: rowsTotal, tick: ticks });
    if (o.maxTicks !== undefined && ticks >= o.maxTicks) break;
    next += o.intervalMs;
    const wait = next - Date.now();
    if (wait < 0) {
      if (!overrunning) o.log.warn(`a tick took longer than --interval (${tickMs} ms); ticks run back to back until they fit again`);
      overrunning = true;
      next = Date.now();
    } else {
      if (overrunning) o.log.info(`ticks fit in --interval again (${tickMs} ms)`);
      overrunning = false;
      await sleep(wait, o.signal);
    }
  }
  return 0;
}

runIfMain(import.meta.url, main);
