// The Prometheus collector against a REAL Prometheus process (Debian's `prometheus`) scraping the
// simulated cluster's /metrics every second; rows are compared with what the simulator served.
// This test fails (it does not skip) when prometheus is not installed: CI installs it (.ci/run).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { memoryLogger } from '../../lib/log.ts';
import { MetricsCsvSchema, type MetricRow } from '../../lib/metrics-csv.ts';
import { PrometheusCollector } from '../../collectors/prometheus-collector.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { main } from '../../collectors/dataset-generator.ts';

const MiB = 1024 * 1024;
const WINDOW_S = 10;

function prometheusBinary(): string {
  for (const p of ['/usr/bin/prometheus', '/usr/local/bin/prometheus']) if (existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  assert.fail('prometheus is not installed: run `apt-get update && apt-get install -y prometheus` (CI does it in .ci/run)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface PrometheusProcess {
  url: string;
  child: ChildProcess;
  dir: string;
  log: () => string;
}

async function startPrometheus(target: string): Promise<PrometheusProcess> {
  const bin = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-prom-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: podsentinel-sim',
      `    static_configs: [{ targets: ['${target}'] }]`,
      '',
    ].join('\n'),
  );
  let output = '';
  const child = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`prometheus exited (${child.exitCode}):\n${output.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail(`prometheus did not become ready:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, dir, log: () => output };
}

async function promQuery(url: string, q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data.result;
}

interface TickTruth {
  tick: number;
  /** Wall-clock ms when the tick happened (Prometheus times samples by its scrapes). */
  wall: number;
  cpuTotal: number;
  rxTotal: number;
  txTotal: number;
  mem: number;
  fsRead: number;
  fsWrite: number;
}

let sim: SimHandle;
let prom: PrometheusProcess;
/** Truth of every pod at every tick, recorded as the simulator advances. */
const history = new Map<string, TickTruth[]>();
const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-promtest-'));

before(async () => {
  // A small steady cluster (no faults, no churn), ticking every real second.
  const scenarioFile = join(tmp, 'steady.json');
  writeFileSync(
    scenarioFile,
    JSON.stringify({
      name: 'steady',
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas: 3,
          image: 'nginx:1.27',
          cpu: { baseCores: 0.2, limitCores: 1 },
          memory: { baseMiB: 100, limitMiB: 256 },
          burstProbability: 0,
        },
        {
          namespace: 'data',
          name: 'db',
          replicas: 2,
          image: 'postgres:16',
          cpu: { baseCores: 0.3, limitCores: 2 },
          memory: { baseMiB: 300, limitMiB: 1024 },
          burstProbability: 0,
        },
        // A crash-looping job, for the event columns (excluded from the value comparisons).
        {
          namespace: 'jobs',
          name: 'etl',
          replicas: 1,
          image: 'busybox:1.36',
          cpu: { baseCores: 0.05, limitCores: 0.5 },
          memory: { baseMiB: 20, limitMiB: 64 },
        },
      ],
      faults: [{ kind: 'crash_loop', namespace: 'jobs', deployment: 'etl', startTick: 1 }],
    }),
  );
  sim = await startSim({ scenario: scenarioFile, seed: 11, speed: 1, tickSeconds: 1 });
  const record = () => {
    for (const p of sim.cluster.pods()) {
      const t = sim.cluster.truth(p.namespace, p.name);
      if (!t || !t.metricsServed) continue;
      const key = `${p.namespace}/${p.name}`;
      const h = history.get(key) ?? [];
      h.push({
        tick: t.tick,
        wall: Date.now(),
        cpuTotal: t.cpuSecondsTotal,
        rxTotal: t.netRxBytesTotal,
        txTotal: t.netTxBytesTotal,
        mem: t.memoryBytes,
        fsRead: t.fsReadBytesTotal,
        fsWrite: t.fsWriteBytesTotal,
      });
      if (h.length > 40) h.shift();
      history.set(key, h);
    }
  };
  record();
  sim.cluster.onTick(record);
  prom = await startPrometheus(new URL(sim.metricsUrl).host);
  // Wait until the target is up and a whole rate window of samples exists.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await promQuery(prom.url, 'up');
    const span = await promQuery(prom.url, `count_over_time(up[${WINDOW_S}s])`);
    if (up[0]?.value[1] === '1' && Number(span[0]?.value[1] ?? 0) >= WINDOW_S - 1) break;
    if (Date.now() > deadline) assert.fail(`Prometheus never scraped the simulator: up=${JSON.stringify(up)}\n${prom.log().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
});

after(async () => {
  prom?.child.kill('SIGTERM');
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
  if (prom) rmSync(prom.dir, { recursive: true, force: true });
});

function within(actual: number, lo: number, hi: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: not a number (${actual})`);
  assert.ok(actual >= lo && actual <= hi, `${what}: ${actual} not within [${lo}, ${hi}]`);
}

/** Range of a gauge over the last `ticks` ticks (Prometheus lags by up to a scrape). */
function recentRange(key: string, f: (t: TickTruth) => number, ticks: number): [number, number] {
  const xs = (history.get(key) ?? []).slice(-ticks).map(f);
  return [Math.min(...xs), Math.max(...xs)];
}

/**
 * The per-second rate of a counter over the window before `atMs`, from the simulator's own counters and
 * the wall-clock times of its ticks: what rate() should see, whatever the machine's load did to the
 * tick cadence.
 */
function windowRate(key: string, f: (t: TickTruth) => number, atMs: number): number {
  const h = (history.get(key) ?? []).filter((t) => t.wall <= atMs && t.wall >= atMs - WINDOW_S * 1000);
  const first = h[0]!;
  const last = h.at(-1)!;
  return (f(last) - f(first)) / ((last.wall - first.wall) / 1000);
}

void test('PrometheusCollector rows match what the simulator served, within tolerance', async () => {
  const collector = new PrometheusCollector({ url: prom.url, window: `${WINDOW_S}s`, logger: memoryLogger() });
  const rows = await collector.collectOnce();
  const pods = sim.cluster.pods().filter((p) => p.node);
  assert.ok(rows.length >= pods.length - 2 && rows.length > 0, `rows for (nearly) every scheduled pod: ${rows.length} vs ${pods.length}`);
  let compared = 0;
  for (const row of rows) {
    const key = `${row.namespace}/${row.pod}`;
    const truth = sim.cluster.truth(row.namespace, row.pod);
    const h = history.get(key);
    if (row.namespace === 'jobs' || !truth || !truth.metricsServed || !h || h.length < WINDOW_S + 2) continue;
    compared++;
    assert.ok(Math.abs(Date.parse(row.timestamp) - Date.now()) < 60_000, 'Timestamp is the evaluation time');
    assert.equal(row.node, truth.node);
    assert.equal(row.status, truth.status);
    assert.equal(row.restarts, truth.restarts);
    assert.equal(row.totalContainers, 1);
    assert.equal(row.readyContainers, truth.ready ? 1 : 0);
    const at = Date.parse(row.timestamp);
    const cpu = windowRate(key, (t) => t.cpuTotal * 100, at);
    within(row.cpuPercent, cpu * 0.75, cpu * 1.25, `${key} CPU %`);
    const [memLo, memHi] = recentRange(key, (t) => t.mem / MiB, 3);
    within(row.memoryMb, memLo * 0.99, memHi * 1.01, `${key} memory MB`);
    within(row.memoryPercent, (memLo * MiB * 99) / truth.memoryLimitBytes, (memHi * MiB * 101) / truth.memoryLimitBytes, `${key} memory %`);
    const rx = windowRate(key, (t) => t.rxTotal, at);
    within(row.netRxBytes, rx * 0.75, rx * 1.25, `${key} network rx B/s`);
    const tx = windowRate(key, (t) => t.txTotal, at);
    within(row.netTxBytes, tx * 0.75, tx * 1.25, `${key} network tx B/s`);
    const [frLo, frHi] = recentRange(key, (t) => t.fsRead / MiB, 3);
    within(row.fsReadsMb, frLo - 0.001, frHi + 0.001, `${key} FS reads MB`);
    const [fwLo, fwHi] = recentRange(key, (t) => t.fsWrite / MiB, 3);
    within(row.fsWritesMb, fwLo - 0.001, fwHi + 0.001, `${key} FS writes MB`);
    assert.ok(row.netRxDropped >= 0 && row.netTxDropped >= 0);
    assert.equal(row.eventReason, '', 'Prometheus has no events, and no kubeconfig was given');
  }
  assert.ok(compared >= Math.min(5, rows.length), `compared ${compared} pods`);
});

void test('with a kubeconfig, the event columns come from the Kubernetes API', async () => {
  const events = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: memoryLogger() });
  const collector = new PrometheusCollector({ url: prom.url, namespace: 'jobs', window: `${WINDOW_S}s`, events, logger: memoryLogger() });
  try {
    const rows = await collector.collectOnce();
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.eventReason, 'BackOff');
    assert.match(row.eventMessage, /Back-off restarting failed container/);
    assert.ok(row.eventCount >= 1 && row.eventAgeMinutes >= 0);
    assert.ok(Number.isFinite(row.restarts), 'the kube-state-metrics columns are still there');
  } finally {
    collector.close();
  }
});

void test('a namespace scopes every query, and --extra-metric adds a per-pod column', async () => {
  const ns = 'shop';
  const collector = new PrometheusCollector({
    url: prom.url,
    namespace: ns,
    window: `${WINDOW_S}s`,
    extraMetrics: [
      { column: 'Memory Limit (MB)', query: 'sum by (namespace, pod) (container_spec_memory_limit_bytes{container!=""}) / 1048576' },
    ],
    logger: memoryLogger(),
  });
  assert.deepEqual(collector.extraColumns, ['Memory Limit (MB)']);
  const rows = await collector.collectOnce();
  assert.ok(rows.length > 0);
  for (const r of rows) {
    assert.equal(r.namespace, ns);
    const truth = sim.cluster.truth(r.namespace, r.pod);
    if (truth?.metricsServed) assert.equal(r.extra['Memory Limit (MB)'], truth.memoryLimitBytes / MiB);
  }
});

void test('dataset-generator --source prometheus appends rows with the extra column to the CSV', async () => {
  const csv = join(tmp, 'prom.csv');
  const code = await main([
    '--source',
    'prometheus',
    '--prometheus-url',
    prom.url,
    '--all-namespaces',
    '--once',
    '--prometheus-window',
    `${WINDOW_S}s`,
    '--output-file',
    csv,
    '--log-dir',
    join(tmp, 'logs'),
    '--log-level',
    'error',
    '--extra-metric',
    'Restarts Twice=2 * sum by (namespace, pod) (kube_pod_container_status_restarts_total)',
  ]);
  assert.equal(code, 0);
  const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
  const schema = new MetricsCsvSchema(lines[0]!);
  assert.deepEqual(schema.extraColumns, ['Restarts Twice']);
  const rows: MetricRow[] = lines.slice(1).map((l) => {
    const r = schema.parseLine(l);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return r.row;
  });
  assert.ok(rows.length > 0);
  for (const r of rows) if (Number.isFinite(r.restarts)) assert.equal(r.extra['Restarts Twice'], 2 * r.restarts);
  const beat = JSON.parse(readFileSync(join(tmp, '.heartbeat-dataset-generator.json'), 'utf8')) as Record<string, number>;
  assert.equal(beat.rows_total, rows.length);
});

void test('dataset-generator --source k8s takes --extra-metric columns from Prometheus', async () => {
  const csv = join(tmp, 'k8s-extra.csv');
  const code = await main([
    '--source',
    'k8s',
    '--kubeconfig',
    sim.kubeconfigPath,
    '--prometheus-url',
    prom.url,
    '-n',
    'shop',
    '--once',
    '--output-file',
    csv,
    '--log-dir',
    join(tmp, 'logs'),
    '--log-level',
    'error',
    '--extra-metric',
    'Memory Limit (MB)=sum by (namespace, pod) (container_spec_memory_limit_bytes{container!=""}) / 1048576',
  ]);
  assert.equal(code, 0);
  const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
  const schema = new MetricsCsvSchema(lines[0]!);
  // the Kubernetes collector's own columns first, then the --extra-metric one
  assert.deepEqual(schema.extraColumns, [
    'CPU Limit (%)',
    'Ephemeral Storage Usage (MB)',
    'Ephemeral Storage Limit (MB)',
    'Memory Limit (MB)',
  ]);
  const rows = lines.slice(1).map((l) => {
    const r = schema.parseLine(l);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return r.row;
  });
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.equal(r.namespace, 'shop');
    assert.equal(r.extra['Memory Limit (MB)'], 256, 'the shop/web limit, from PromQL');
    assert.equal(r.extra['CPU Limit (%)'], 100 * sim.cluster.truth(r.namespace, r.pod)!.cpuLimitCores, 'the CPU limit, from the pod spec');
    assert.ok(Number.isFinite(r.cpuPercent), 'the standard columns still come from the Kubernetes API');
  }
});

void test('--test reports a live Prometheus; an unreachable one fails --once and --test with exit code 1', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const args = ['--source', 'prometheus', '--prometheus-url', dead, '-A', '--log-dir', join(tmp, 'logs'), '--log-level', 'error'];
  assert.equal(await main([...args, '--once', '--output-file', join(tmp, 'dead.csv')]), 1);
  assert.equal(await main([...args, '--test']), 1);
  const live = await new PrometheusCollector({ url: prom.url, logger: memoryLogger() }).probe();
  assert.equal(live.ok, true, live.lines.join('\n'));
  assert.match(live.lines.join('\n'), /targets: 1 up, 0 down/);
  assert.match(live.lines.join('\n'), /pods: \d+ in 3 namespace\(s\)/);
  const collector = new PrometheusCollector({ url: dead, logger: memoryLogger() });
  const report = await collector.probe();
  assert.equal(report.ok, false);
  assert.match(report.lines.join('\n'), /cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+\/: ECONNREFUSED/);
});
