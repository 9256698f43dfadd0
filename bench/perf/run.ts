// npm run bench:perf — throughput, latency and memory of ONE dataset-generator agent (the real process,
// pinned to one core when `taskset` exists) for N pods at a 5-second cadence, with the TensorFlow.js
// per-window path measured in the same run as the reference, and the k8s collector's tick time.
// Per N:
//   throughput: a generated CSV (N pods × ticks) scored by `agent --once --from-start`; the agent's own
//     heartbeat counters split CSV parse time from scoring time and give the insights-write time and
//     peak RSS; bytes of state per pod = (checkpoint + its state file) size / N.
//   latency: the agent follows a CSV holding one tick of history (learned, not scored); the bench then
//     appends rows at --rate rows/s in 10 ms batches with their append time known and reads the scores
//     file as it grows: latency = time a row's score line is seen − time its batch was appended.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cli, helpShown, runIfMain, UsageError } from '../../lib/cli.ts';
import { formatRows, MetricsCsvWriter, METRIC_COLUMNS, newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';
import { HEARTBEAT_NAME, type AgentPerf } from '../../agents/dataset-generator/agent.ts';
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_ARGS } from '../../agents/dataset-generator/node-args.ts';
import { tunablesEnv } from '../../lib/glibc-tunables.ts';
import { mulberry32 } from '../../lib/prng.ts';
import { otherCore, pinnedArgv, pinnedCore, pinOptions, tasksetPath } from './pin.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const AGENT = join(ROOT, 'agents/dataset-generator-agent.ts');
const CADENCE_MS = 5000;
/** LSTM series stepped per row (one univariate LSTM step per pod feature). */
const STEPS_PER_ROW = 10;

export interface PerfResult {
  pods: number;
  rows: number;
  rows_per_second: number;
  /** Rows per CPU-second of the agent's scoring thread (parse + score): the core's capacity, whatever else ran on it. */
  cpu_rows_per_second: number;
  parse_rows_per_second: number;
  score_rows_per_second: number;
  parse_ms: number;
  score_ms: number;
  wall_seconds: number;
  p50_ms: number;
  p99_ms: number;
  latency_rate: number;
  latency_rows: number;
  insights_write_ms: number;
  insights_bytes: number;
  checkpoint_write_ms: number;
  /**
   * From the latency run (the agent following the input): the longest stall of scoring by a periodic
   * write (insights build, taking a checkpoint, one slice of copying it), the last checkpoint's time on the
   * scoring thread and its time until on disk (the rest runs in the thread pool), and that run's peak RSS.
   */
  follow_stall_max_ms: number;
  /** Latency run: the longest garbage-collection pause of the agent's thread. */
  follow_gc_pause_max_ms: number;
  follow_checkpoint_thread_ms: number;
  follow_checkpoint_wall_ms: number;
  follow_peak_rss_mb: number;
  peak_rss_mb: number;
  bytes_per_pod: number;
  reference_tfjs_windows_per_second: number;
  speedup_vs_tfjs_per_window: number;
  /** Set when a run failed (the agent crashed or was stopped by the memory guard); its figures are null. */
  error?: string;
}

export interface PerfReport {
  machine: { cpus: number; model: string; node: string; pinned: boolean };
  reference: {
    backend: string;
    window: number;
    per_call_windows_per_second: number;
    batched_windows_per_second: number;
    batch: number;
    steps_per_row: number;
  } | null;
  results: PerfResult[];
  collector: Array<{
    pods: number;
    mode: string;
    median_ms: number;
    cpu_ms_median: number;
    requests_per_tick: number;
    collector_rss_mb: number;
  }>;
}

function parse(argv: string[]) {
  return cli(
    'bench:perf',
    argv,
    'Throughput, append-to-score latency and memory of one dataset-generator agent for N pods, with the TensorFlow.js per-window reference and the collector tick time.',
  )
    .option('pods', { type: 'string', default: '1000,10000,50000,150000', describe: 'Comma-separated pod counts' })
    .option('rows', { type: 'number', default: 300000, describe: 'Rows per throughput run (at least --min-ticks ticks of every pod)' })
    .option('min-ticks', { type: 'number', default: 3, describe: 'Fewest ticks per pod in a throughput run' })
    .option('rate', { type: 'number', default: 10000, describe: 'Rows/s appended in the latency run' })
    .option('latency-seconds', { type: 'number', default: 12, describe: 'Length of the latency run (0 skips it)' })
    .option('reference-seconds', { type: 'number', default: 2, describe: 'Seconds per TensorFlow.js reference measurement (0 skips it)' })
    .option('collector-pods', {
      type: 'string',
      default: '1000,10000,50000',
      describe: 'Pod counts for the collector tick, list and watch mode (empty skips it)',
    })
    .option('collector-ticks', { type: 'number', default: 3 })
    .options(pinOptions('the agent', 'the bench itself'))
    .option('rss-limit-mb', { type: 'number', default: 6000, describe: 'Kill (and report) an agent whose resident set exceeds this' })
    .option('out-dir', { type: 'string', default: '.bench-out/perf', describe: 'Generated CSVs and agent outputs' })
    .option('json', { type: 'string', describe: 'Write the results as JSON to this file' })
    .check((a) => {
      if (!(a.rate > 0)) throw new UsageError('--rate must be positive');
      if (!(a.rows > 0)) throw new UsageError('--rows must be positive');
      return true;
    })
    .parseSync();
}

const progress = (msg: string) => process.stderr.write(`[bench:perf ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN);

// ---------------------------------------------------------------------------------------------------
// Synthetic cluster: N pods in deployments of 10, namespaces of 500, gently noisy healthy metrics.

interface PodSpec {
  namespace: string;
  pod: string;
  node: string;
  cpu: number;
  mem: number;
  memMb: number;
  rx: number;
  tx: number;
  fsR: number;
  fsW: number;
}

export function makePods(n: number, seed = 1): PodSpec[] {
  const rnd = mulberry32(seed);
  const pods: PodSpec[] = [];
  for (let i = 0; i < n; i++) {
    const dep = Math.floor(i / 10);
    pods.push({
      namespace: `ns-${Math.floor(i / 500)}`,
      pod: `svc-${dep}-6d4f8b7c9-${(i % 10).toString(36)}${(dep % 1296).toString(36).padStart(2, '0')}x${i.toString(36)}`,
      node: `node-${i % Math.max(1, Math.ceil(n / 100))}`,
      cpu: 5 + rnd() * 40,
      mem: 20 + rnd() * 40,
      memMb: 100 + rnd() * 400,
      rx: rnd() * 1e6,
      tx: rnd() * 1e6,
      fsR: rnd() * 100,
      fsW: rnd() * 100,
    });
  }
  return pods;
}

export function tickRows(pods: readonly PodSpec[], tick: number, rnd: () => number, from = 0, to = pods.length): MetricRow[] {
  const timestamp = new Date(Date.UTC(2026, 0, 1) + tick * CADENCE_MS).toISOString();
  const rows: MetricRow[] = [];
  for (let i = from; i < to; i++) {
    const p = pods[i]!;
    p.rx += 2000 + rnd() * 500;
    p.tx += 1500 + rnd() * 400;
    p.fsR += rnd() * 0.5;
    p.fsW += rnd() * 0.5;
    rows.push(
      newMetricRow({
        timestamp,
        namespace: p.namespace,
        pod: p.pod,
        node: p.node,
        status: 'Running',
        readyContainers: 1,
        totalContainers: 1,
        restarts: 0,
        cpuPercent: p.cpu * (0.9 + rnd() * 0.2),
        memoryPercent: p.mem * (0.98 + rnd() * 0.04),
        memoryMb: p.memMb * (0.98 + rnd() * 0.04),
        netRxBytes: p.rx,
        netTxBytes: p.tx,
        fsReadsMb: p.fsR,
        fsWritesMb: p.fsW,
        netRxDropped: 0,
        netTxDropped: 0,
        eventReason: '',
        eventMessage: '',
        eventAgeMinutes: NaN,
        eventCount: 0,
      }),
    );
  }
  return rows;
}

/** Writes `ticks` ticks of every pod through the shared CSV writer; returns the rows written. */
export function generateCsv(path: string, pods: PodSpec[], ticks: number, seed = 2): number {
  rmSync(path, { force: true });
  const w = MetricsCsvWriter.open(path);
  const rnd = mulberry32(seed);
  const CHUNK = 20000;
  let rows = 0;
  for (let t = 0; t < ticks; t++) {
    for (let from = 0; from < pods.length; from += CHUNK) {
      const batch = tickRows(pods, t, rnd, from, Math.min(pods.length, from + CHUNK));
      w.append(batch);
      rows += batch.length;
    }
  }
  w.close();
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// The agent as a child process.

function spawnAgent(args: string[], cpu: number | null): ChildProcess {
  // The agent's Node options and glibc settings are those run-monitoring starts it with.
  const node = [process.execPath, ...AGENT_NODE_ARGS, '--import', 'tsx', AGENT, ...args];
  const [cmd, ...rest] = pinnedArgv(node, cpu);
  return spawn(cmd!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...tunablesEnv(AGENT_GLIBC_TUNABLES) } });
}

/** Resident set (VmRSS) and its peak (VmHWM) of a live process, MB; null once it is gone. */
function rssOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Memory guard: the bench shares the machine, so an agent above `limitMb` is killed (and reported). */
export let rssLimitMb = 6000;
/** Peak resident set of the last agent run, MB, as sampled from /proc (also when it crashed). */
let lastPeakMb = NaN;

function waitExit(child: ChildProcess, stderrTail: () => string): Promise<void> {
  const note = { peakMb: 0, killed: false };
  lastPeakMb = NaN;
  const timer = setInterval(() => {
    const m = child.pid ? rssOf(child.pid) : null;
    if (!m || !Number.isFinite(m.hwm)) return; // gone, or a zombie without memory lines
    note.peakMb = Math.max(note.peakMb, m.hwm);
    lastPeakMb = note.peakMb;
    if (m.rss > rssLimitMb && !note.killed) {
      note.killed = true;
      child.kill('SIGKILL');
    }
  }, 100);
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      if (note.killed) rej(new Error(`agent killed by the bench's memory guard: resident set above ${rssLimitMb} MB (--rss-limit-mb)`));
      else if (code === 0 || (signal === 'SIGTERM' && code === null)) res();
      else rej(new Error(`agent exited with ${code ?? signal}: ${stderrTail().trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

function collect(child: ChildProcess, onErrLine: (line: string) => void = () => {}): () => string {
  let tail = '';
  let buf = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onErrLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return () => tail;
}

interface Heartbeat {
  rows_read: number;
  pods: number;
  perf?: AgentPerf & { max_rss_mb: number };
}

function agentFiles(dir: string) {
  return {
    insights: join(dir, 'pod_insights.json'),
    scores: join(dir, 'scores.csv'),
    checkpoint: join(dir, 'checkpoint.json'),
    heartbeat: join(dir, HEARTBEAT_NAME),
    logs: join(dir, 'logs'),
  };
}

async function throughputRun(csv: string, dir: string, cpu: number | null) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const f = agentFiles(dir);
  const t0 = performance.now();
  const child = spawnAgent(
    [
      '--once',
      '--from-start',
      '--input-file',
      csv,
      '--insights-file',
      f.insights,
      '--scores-file',
      f.scores,
      '--checkpoint-file',
      f.checkpoint,
      '--log-dir',
      f.logs,
      '--log-level',
      'warn',
    ],
    cpu,
  );
  await waitExit(child, collect(child));
  const wall = (performance.now() - t0) / 1000;
  const hb = JSON.parse(readFileSync(f.heartbeat, 'utf8')) as Heartbeat;
  if (!hb.perf) throw new Error('the agent heartbeat has no perf counters');
  // per-pod state: the checkpoint plus the sidecar it names (large states are spilled beside it)
  const checkpointBytes = readdirSync(dir)
    .filter((n) => n === 'checkpoint.json' || n.startsWith('checkpoint.json.state-'))
    .reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
  return { hb, perf: hb.perf, wall, checkpointBytes, insightsBytes: statSync(f.insights).size };
}

async function latencyRun(
  pods: PodSpec[],
  dir: string,
  cpu: number | null,
  rate: number,
  seconds: number,
): Promise<{ latencies: number[]; rows: number; exitError?: string; perf?: Heartbeat['perf'] }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const f = agentFiles(dir);
  const csv = join(dir, 'pod_metrics.csv');
  generateCsv(csv, pods, 1, 3);
  // Pre-format every batch, so the timed phase only appends.
  const BATCH_MS = 10;
  const perBatch = Math.max(1, Math.round((rate * BATCH_MS) / 1000));
  const nBatches = Math.max(1, Math.round((seconds * 1000) / BATCH_MS));
  const rnd = mulberry32(4);
  const batches: string[] = [];
  let cursor = 0;
  let tick = 1;
  for (let b = 0; b < nBatches; b++) {
    const rows: MetricRow[] = [];
    while (rows.length < perBatch) {
      const to = Math.min(pods.length, cursor + (perBatch - rows.length));
      rows.push(...tickRows(pods, tick, rnd, cursor, to));
      cursor = to;
      if (cursor >= pods.length) {
        cursor = 0;
        tick++;
      }
    }
    batches.push(formatRows(rows, METRIC_COLUMNS));
  }
  const total = nBatches * perBatch;

  let learned!: () => void;
  const ready = new Promise<void>((res) => (learned = res));
  const child = spawnAgent(
    ['--input-file', csv, '--insights-file', f.insights, '--scores-file', f.scores, '--checkpoint-file', f.checkpoint, '--log-dir', f.logs],
    cpu,
  );
  const tail = collect(child, (line) => {
    if (/learned from \d+ existing rows/.test(line)) learned();
  });
  const exited = waitExit(child, tail);
  const early = exited.then(() => Promise.reject(new Error('agent exited before learning')));
  early.catch(() => {}); // only matters while waiting for "learned"
  await Promise.race([ready, early]);

  const appendAt = new Float64Array(nBatches);
  const latencies: number[] = [];
  let seen = -1; // the header line
  let offset = 0;
  let partial = 0;
  const buf = Buffer.alloc(4 << 20);
  const fd = openSync(f.scores, 'r');
  const readScores = () => {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) return;
      offset += n;
      const now = performance.now();
      for (let i = 0; i < n; i++) {
        if (buf[i] !== 10) continue;
        partial = 0;
        if (seen >= 0) {
          const b = Math.floor(seen / perBatch);
          if (b < nBatches && appendAt[b]! > 0) latencies.push(now - appendAt[b]!);
        }
        seen++;
      }
      if (n < buf.length) return;
    }
  };
  void partial;
  const start = performance.now();
  let next = 0;
  while (next < nBatches || seen < total) {
    const now = performance.now();
    while (next < nBatches && now - start >= next * BATCH_MS) {
      appendFileSync(csv, batches[next]!);
      appendAt[next] = performance.now();
      next++;
    }
    readScores();
    if (next >= nBatches && now - start > seconds * 1000 + 60000) break; // the agent fell far behind
    await new Promise((r) => setTimeout(r, 2));
  }
  readScores();
  closeSync(fd);
  child.kill('SIGTERM');
  // The rows were scored and seen: a failure in the agent's final write is reported beside the figures.
  const exitError = await exited.then(
    () => undefined,
    (err: Error) => err.message,
  );
  let perf: Heartbeat['perf'];
  try {
    perf = (JSON.parse(readFileSync(f.heartbeat, 'utf8')) as Heartbeat).perf;
  } catch {
    perf = undefined;
  }
  return { latencies, rows: total, ...(exitError ? { exitError } : {}), ...(perf ? { perf } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// TensorFlow.js reference: the trained model, one window per predict call and batched.

async function tfjsReference(seconds: number) {
  const { selectBackend } = await import('../../models/backend.ts');
  const { loadTfModel } = await import('../../models/lstm/model.ts');
  const { DEFAULT_MODEL_DIR } = await import('../../models/lstm/index.ts');
  const { tf, backend } = await selectBackend(() => {});
  const { model, meta } = await loadTfModel(tf, DEFAULT_MODEL_DIR);
  const window = Number((meta as { window?: number }).window ?? 30);
  const rate = (batch: number) => {
    const data = new Float32Array(batch * window).map((_, i) => Math.sin(i / 7));
    const once = () => {
      const x = tf.tensor3d(data, [batch, window, 1]);
      const y = model.predict(x) as InstanceType<typeof tf.Tensor>;
      y.dataSync();
      x.dispose();
      y.dispose();
    };
    for (let i = 0; i < 3; i++) once();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) {
      once();
      n += batch;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  const perCall = rate(1);
  const BATCH = 256;
  const batched = rate(BATCH);
  model.dispose();
  return {
    backend,
    window,
    per_call_windows_per_second: round(perCall),
    batched_windows_per_second: round(batched),
    batch: BATCH,
    steps_per_row: STEPS_PER_ROW,
  };
}

// ---------------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (helpShown(argv)) return 0;
  const podsList = String(args.pods)
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
  if (podsList.length === 0 || podsList.some((n) => !Number.isInteger(n))) throw new UsageError('--pods must list positive integers');
  const cpu = pinnedCore(args);
  rssLimitMb = args['rss-limit-mb'];
  const outDir = resolve(args['out-dir']);
  mkdirSync(outDir, { recursive: true });
  const cpus = (await import('node:os')).cpus();
  const pinned = cpu !== null;
  if (cpu !== null) {
    // The bench (appender, reader, reference) stays off the agent's core.
    try {
      execFileSync(tasksetPath()!, ['-p', '-c', String(otherCore(cpu)), String(process.pid)], { stdio: 'ignore' });
    } catch {
      /* not fatal */
    }
  }
  const report: PerfReport = {
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', node: process.version, pinned },
    reference: null,
    results: [],
    collector: [],
  };

  if (args['reference-seconds'] > 0) {
    progress('TensorFlow.js reference (per-window predict, one window per call and batched)');
    report.reference = await tfjsReference(args['reference-seconds']);
    progress(
      `  ${report.reference.backend}: ${report.reference.per_call_windows_per_second} windows/s per call, ${report.reference.batched_windows_per_second} windows/s in batches of ${report.reference.batch}`,
    );
  }
  const refRowsPerSecond = report.reference ? report.reference.per_call_windows_per_second / STEPS_PER_ROW : NaN;

  for (const n of podsList) {
    const ticks = Math.max(args['min-ticks'], Math.ceil(args.rows / n));
    const csv = join(outDir, `pods-${n}.csv`);
    progress(`N=${n}: generating ${ticks} ticks (${n * ticks} rows)`);
    const tg = performance.now();
    const rows = generateCsv(csv, makePods(n), ticks);
    progress(
      `N=${n}: generated in ${((performance.now() - tg) / 1000).toFixed(1)} s; throughput run (agent --once --from-start${pinned ? `, pinned to cpu ${cpu}` : ''})`,
    );
    const r = failedResult(n, rows, report.reference?.per_call_windows_per_second ?? NaN, args.rate);
    try {
      const tp = await throughputRun(csv, join(outDir, `run-${n}`), cpu);
      const p = tp.perf;
      const rps = p.rows_scored / ((p.parse_ms + p.score_ms) / 1000);
      progress(
        `N=${n}: ${Math.round(rps)} rows/s, ${Math.round(p.rows_scored / ((p.parse_cpu_ms + p.score_cpu_ms) / 1000))} per CPU-second (parse ${Math.round(p.parse_ms)} ms, score ${Math.round(p.score_ms)} ms), insights write ${Math.round(p.insights_write_last_ms)} ms, peak RSS ${p.max_rss_mb} MB`,
      );
      Object.assign(r, {
        rows_per_second: round(rps, 0),
        cpu_rows_per_second: round(p.rows_scored / ((p.parse_cpu_ms + p.score_cpu_ms) / 1000), 0),
        parse_rows_per_second: round(p.rows_scored / (p.parse_ms / 1000), 0),
        score_rows_per_second: round(p.rows_scored / (p.score_ms / 1000), 0),
        parse_ms: round(p.parse_ms, 0),
        score_ms: round(p.score_ms, 0),
        wall_seconds: round(tp.wall, 2),
        insights_write_ms: round(p.insights_write_last_ms),
        insights_bytes: tp.insightsBytes,
        checkpoint_write_ms: round(p.checkpoint_write_last_ms),
        peak_rss_mb: p.max_rss_mb,
        bytes_per_pod: round(tp.checkpointBytes / n, 0),
        speedup_vs_tfjs_per_window: round(rps / refRowsPerSecond),
      });
    } catch (err) {
      r.error = `throughput run: ${(err as Error).message}`;
      r.peak_rss_mb = round(lastPeakMb, 0);
      progress(`N=${n}: FAILED ${r.error} (peak RSS ${r.peak_rss_mb} MB)`);
    }
    rmSync(csv, { force: true });
    if (args['latency-seconds'] > 0) {
      progress(`N=${n}: latency run (${args.rate} rows/s appended for ${args['latency-seconds']} s)`);
      try {
        const lat = await latencyRun(makePods(n), join(outDir, `latency-${n}`), cpu, args.rate, args['latency-seconds']);
        const sorted = lat.latencies.sort((a, b) => a - b);
        r.p50_ms = round(percentile(sorted, 50));
        r.p99_ms = round(percentile(sorted, 99));
        r.latency_rows = sorted.length;
        if (lat.perf) {
          r.follow_stall_max_ms = round(lat.perf.output_stall_max_ms);
          r.follow_gc_pause_max_ms = round(lat.perf.gc_pause_max_ms);
          r.follow_checkpoint_thread_ms = round(lat.perf.checkpoint_thread_last_ms);
          r.follow_checkpoint_wall_ms = round(lat.perf.checkpoint_write_last_ms);
          r.follow_peak_rss_mb = lat.perf.max_rss_mb;
        }
        if (lat.exitError) r.error = `${r.error ? r.error + '; ' : ''}latency run (figures kept): ${lat.exitError}`;
        progress(
          `N=${n}: append→score p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms over ${r.latency_rows} of ${lat.rows} rows; longest scoring stall by a periodic write ${r.follow_stall_max_ms} ms, by GC ${r.follow_gc_pause_max_ms} ms; checkpoint ${r.follow_checkpoint_thread_ms} ms on the thread, ${r.follow_checkpoint_wall_ms} ms to disk`,
        );
      } catch (err) {
        r.error = `${r.error ? r.error + '; ' : ''}latency run: ${(err as Error).message}`;
        progress(`N=${n}: latency run FAILED: ${(err as Error).message}`);
      }
    }
    report.results.push(r);
  }

  const collectorPods = String(args['collector-pods'] ?? '')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((x) => x > 0);
  if (collectorPods.length) {
    const { benchCollectorTick } = await import('./collector-tick.ts');
    for (const n of collectorPods) {
      progress(`collector tick at ${n} pods (${args['collector-ticks']} ticks)`);
      // The collector on the agent's core, the simulated API server on the other (with this process).
      for (const c of await benchCollectorTick(n, { ticks: args['collector-ticks'], cpu })) {
        report.collector.push({
          pods: n,
          mode: c.mode,
          median_ms: round(c.median_ms),
          cpu_ms_median: round(c.cpu_ms_median),
          requests_per_tick: c.requests_per_tick,
          collector_rss_mb: c.collector_rss_mb,
        });
        progress(`  ${c.mode}: median ${round(c.median_ms)} ms (cpu ${round(c.cpu_ms_median)} ms), ${c.requests_per_tick} requests/tick`);
      }
    }
  }

  printTable(report);
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
  return 0;
}

function failedResult(pods: number, rows: number, reference: number, rate: number): PerfResult {
  return {
    pods,
    rows,
    rows_per_second: NaN,
    cpu_rows_per_second: NaN,
    parse_rows_per_second: NaN,
    score_rows_per_second: NaN,
    parse_ms: NaN,
    score_ms: NaN,
    wall_seconds: NaN,
    p50_ms: NaN,
    p99_ms: NaN,
    latency_rate: rate,
    latency_rows: 0,
    insights_write_ms: NaN,
    insights_bytes: NaN,
    checkpoint_write_ms: NaN,
    follow_stall_max_ms: NaN,
    follow_gc_pause_max_ms: NaN,
    follow_checkpoint_thread_ms: NaN,
    follow_checkpoint_wall_ms: NaN,
    follow_peak_rss_mb: NaN,
    peak_rss_mb: NaN,
    bytes_per_pod: NaN,
    reference_tfjs_windows_per_second: reference,
    speedup_vs_tfjs_per_window: NaN,
  };
}

function printTable(r: PerfReport): void {
  const out: string[] = [];
  out.push(
    `machine: ${r.machine.cpus} × ${r.machine.model}, node ${r.machine.node}, agent ${r.machine.pinned ? 'pinned to one core' : 'not pinned'}`,
  );
  if (r.reference) {
    out.push(
      `TensorFlow.js (${r.reference.backend}) reference, window ${r.reference.window}: ${r.reference.per_call_windows_per_second} windows/s one per call, ${r.reference.batched_windows_per_second} windows/s batched ×${r.reference.batch} (a row needs ${r.reference.steps_per_row} windows)`,
    );
  }
  out.push(
    'pods     rows/s  cpu r/s  parse r/s  score r/s  p50 ms  p99 ms  insights ms  insights MB  RSS MB  B/pod  ×tfjs  stall ms  gc ms  cp thread ms  cp disk ms',
  );
  for (const x of r.results) {
    out.push(
      [
        String(x.pods).padEnd(7),
        String(x.rows_per_second).padStart(7),
        String(x.cpu_rows_per_second).padStart(8),
        String(x.parse_rows_per_second).padStart(10),
        String(x.score_rows_per_second).padStart(10),
        String(x.p50_ms).padStart(7),
        String(x.p99_ms).padStart(7),
        String(x.insights_write_ms).padStart(12),
        (x.insights_bytes / 1e6).toFixed(1).padStart(12),
        String(x.peak_rss_mb).padStart(7),
        String(x.bytes_per_pod).padStart(6),
        String(x.speedup_vs_tfjs_per_window).padStart(6),
        String(x.follow_stall_max_ms).padStart(9),
        String(x.follow_gc_pause_max_ms).padStart(6),
        String(x.follow_checkpoint_thread_ms).padStart(13),
        String(x.follow_checkpoint_wall_ms).padStart(11),
      ].join(' '),
    );
  }
  for (const x of r.results) if (x.error) out.push(`N=${x.pods}: ${x.error}`);
  for (const c of r.collector)
    out.push(
      `collector ${c.pods} pods, ${c.mode}: median tick ${c.median_ms} ms (cpu ${c.cpu_ms_median} ms), ${c.requests_per_tick} requests/tick, rss ${c.collector_rss_mb} MB`,
    );
  process.stdout.write(out.join('\n') + '\n');
}

runIfMain(import.meta.url, main);
