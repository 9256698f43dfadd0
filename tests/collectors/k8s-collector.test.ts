// The Kubernetes collector and the dataset-generator command against the simulated cluster on loopback:
// the real @kubernetes/client-node over HTTPS with the sim's kubeconfig, no mocked client. Values are
// compared with what the simulator served (cluster.truth), and each injected fault kind is shown to be
// visible in the CSV that the collector writes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import {
  CsvHeaderError,
  formatHeader,
  METRIC_COLUMNS,
  MetricsCsvSchema,
  MetricsCsvWriter,
  splitCsvLine,
  type MetricRow,
} from '../../lib/metrics-csv.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import type { PodSummary } from '../../collectors/k8s-pod.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../collectors/dataset-generator.ts';

const MiB = 1024 * 1024;
const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-k8scoll-'));
const ROOT = join(import.meta.dirname, '..', '..');
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A small scenario file: two namespaces on two nodes, and optionally one fault on shop/web's first pod. */
function scenario(name: string, fault?: Record<string, unknown>): string {
  const file = join(tmp, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas: 3,
          image: 'nginx:1.27',
          cpu: { baseCores: 0.2, limitCores: 1 },
          memory: { baseMiB: 100, limitMiB: 256 },
        },
        {
          namespace: 'data',
          name: 'db',
          replicas: 2,
          image: 'postgres:16',
          cpu: { baseCores: 0.3, limitCores: 2 },
          memory: { baseMiB: 300, limitMiB: 1024 },
          fs: { readBytesPerSec: 50_000, writeBytesPerSec: 120_000 },
        },
        {
          namespace: 'ops',
          name: 'agent',
          replicas: 3,
          image: 'busybox:1.36',
          cpu: { baseCores: 0.05, limitCores: 0.5 },
          memory: { baseMiB: 20, limitMiB: 64 },
        },
      ],
      faults: fault ? [{ namespace: 'shop', deployment: 'web', startTick: 3, ...fault }] : [],
    }),
  );
  return file;
}

function collector(sim: SimHandle, opts: { pageSize?: number; namespace?: string; podSource?: 'watch' | 'list' } = {}): K8sCollector {
  return new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: memoryLogger(), ...opts });
}

function readCsv(file: string): MetricRow[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const schema = new MetricsCsvSchema(lines[0]!);
  return lines.slice(1).map((l) => {
    const r = schema.parseLine(l);
    assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${l}`);
    return r.row;
  });
}

/** Ticks the sim and collects `ticks` times into a CSV file; returns the rows read back from it. */
async function collectTicks(sim: SimHandle, ticks: number, file: string): Promise<MetricRow[]> {
  const c = collector(sim);
  const writer = MetricsCsvWriter.open(file);
  try {
    for (let i = 0; i < ticks; i++) {
      sim.tick();
      writer.append(await c.collectOnce());
    }
  } finally {
    writer.close();
    c.close();
  }
  return readCsv(file);
}

function near(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);
}

void test('rows match what the simulator served, with pagination and one metrics call per tick (--pod-source list)', async () => {
  const sim = await startSim({ scenario: scenario('truth'), seed: 3, manualClock: true });
  try {
    const c = collector(sim, { pageSize: 3, podSource: 'list' });
    sim.tick();
    await c.collectOnce(); // first tick: counters only
    sim.tick();
    const before = sim.requests.length;
    const rows = await c.collectOnce();
    const calls = sim.requests.slice(before);
    const podPages = calls.filter((r) => r.path === '/api/v1/pods');
    assert.equal(podPages.length, Math.ceil(sim.cluster.pods().length / 3), 'pods listed page by page');
    assert.ok(
      podPages.slice(1).every((r) => r.query.continue && r.query.limit === '3'),
      'later pages carry the continue token',
    );
    assert.equal(calls.filter((r) => r.path.startsWith('/apis/metrics.k8s.io/')).length, 1, 'one PodMetrics call per tick');
    assert.equal(calls.filter((r) => r.path.endsWith('/proxy/metrics/cadvisor')).length, 2, 'one cAdvisor call per node');

    assert.equal(rows.length, sim.cluster.pods().length);
    assert.deepEqual(new Set(rows.map((r) => r.namespace)), new Set(['shop', 'data', 'ops']));
    let compared = 0;
    for (const r of rows) {
      const t = sim.cluster.truth(r.namespace, r.pod)!;
      assert.ok(t, `truth for ${r.pod}`);
      assert.equal(r.timestamp, t.time, 'Timestamp is the PodMetrics sample time');
      assert.equal(r.node, t.node);
      assert.equal(r.status, t.status);
      assert.equal(r.restarts, t.restarts);
      assert.equal(r.totalContainers, 1);
      assert.equal(r.readyContainers, t.ready ? 1 : 0);
      if (!t.metricsServed) continue;
      compared++;
      near(r.cpuPercent, t.cpuCores * 100, 0.11, `${r.pod} CPU %`); // served in millicores or nanocores
      near(r.memoryMb, t.memoryBytes / MiB, 0.01, `${r.pod} memory MB`);
      near(r.memoryPercent, (t.memoryBytes / t.memoryLimitBytes) * 100, 0.01, `${r.pod} memory %`);
      near(r.netRxBytes, t.netRxBytesPerSec, 0.5, `${r.pod} network rx B/s`); // counters are whole bytes
      near(r.netTxBytes, t.netTxBytesPerSec, 0.5, `${r.pod} network tx B/s`);
      near(r.netRxDropped, t.netRxDroppedPerSec, 0.41, `${r.pod} rx drops p/s`); // whole packets over 5 s
      near(r.netTxDropped, t.netTxDroppedPerSec, 0.41, `${r.pod} tx drops p/s`);
      near(r.fsReadsMb, t.fsReadBytesTotal / MiB, 1e-5, `${r.pod} FS reads MB`);
      near(r.fsWritesMb, t.fsWriteBytesTotal / MiB, 1e-5, `${r.pod} FS writes MB`);
    }
    assert.ok(compared >= 6, `compared ${compared} running pods`);

    const scopedCollector = collector(sim, { namespace: 'data' });
    const scoped = await scopedCollector.collectOnce().finally(() => scopedCollector.close());
    assert.deepEqual(
      scoped.map((r) => r.namespace),
      ['data', 'data'],
    );
  } finally {
    await sim.close();
  }
});

void test('two collections at once (a probe beside a tick) each read their own PodMetrics list, even when the lists arrive interleaved', async () => {
  // A server whose PodMetrics lists arrive in two parts with a pause between: the second request's first
  // part lands while the first list is half read (the collector keeps one buffer for these bodies).
  const items = (cpu: string) =>
    Array.from({ length: 400 }, (_, i) => ({
      metadata: { name: `p${i}`, namespace: 'ns' },
      timestamp: '2026-12-07T05:00:00Z',
      containers: [{ name: 'c', usage: { cpu, memory: '1Mi' } }],
    }));
  let served = 0;
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/apis/metrics.k8s.io/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const body = JSON.stringify({ kind: 'PodMetricsList', items: items(served++ === 0 ? '100m' : '300m') });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(body.slice(0, body.length >> 1));
    setTimeout(() => res.end(body.slice(body.length >> 1)), 150);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const c = new K8sCollector(kc, { logger: memoryLogger() });
  try {
    const pods: PodSummary[] = Array.from({ length: 400 }, (_, i) => ({
      namespace: 'ns',
      name: `p${i}`,
      key: `ns/p${i}`,
      uid: `u${i}`,
      node: '',
      status: 'Running',
      ready: 1,
      total: 1,
      restarts: 0,
      memoryLimitBytes: undefined,
      running: true,
    }));
    const first = c.collectFor(pods);
    await new Promise((r) => setTimeout(r, 50)); // the first list's first part is in
    const second = c.collectFor(pods); // its list's first part arrives while the first list waits for its second
    const [a, b] = await Promise.all([first, second]);
    assert.equal(served, 2, 'two lists were served');
    const cpus = [...a, ...b].map((r) => r.cpuPercent);
    assert.equal(cpus.length, 400, 'each pod once over both collections (a sample is written once)');
    assert.ok(
      a.every((r) => Math.abs(r.cpuPercent - 10) < 1e-9),
      'the first collection has the first list, whole',
    );
  } finally {
    c.close();
    await new Promise((r) => server.close(r));
  }
});

void test('a pod deleted between the pod list and the metrics reads is skipped, not fatal', async () => {
  const sim = await startSim({ scenario: scenario('delete'), seed: 4, manualClock: true });
  try {
    const c = collector(sim);
    sim.tick(3);
    const pods = await c.listPods();
    const victim = pods.find((p) => p.namespace === 'shop')!;
    sim.cluster.deletePod('shop', victim.name, false);
    const rows = await c.collectFor(pods);
    assert.equal(rows.length, pods.length - 1);
    assert.ok(!rows.some((r) => r.pod === victim.name), 'no row for the deleted pod');
  } finally {
    await sim.close();
  }
});

void test('a metrics sample is written once however often it is polled; a new sample, and a pod gone and back, write again', async () => {
  const sim = await startSim({ scenario: scenario('resample'), seed: 6, manualClock: true });
  try {
    const c = collector(sim, { podSource: 'list' });
    sim.tick(2);
    const first = await c.collectOnce();
    assert.equal(first.length, 8);
    assert.equal((await c.collectOnce()).length, 0, 'the same samples polled again: no duplicate rows');
    sim.tick(1);
    const next = await c.collectOnce();
    assert.equal(next.length, 8, 'each pod has a new sample');
    assert.ok(next.every((r) => r.time > first.find((f) => f.pod === r.pod)!.time));
    // most pods gone for a tick (their entries forgotten), then a tick with everything back: none is
    // taken for a repeat of its old sample
    const pods = await c.listPods();
    const kept = pods.filter((p) => p.namespace === 'ops');
    sim.tick(1);
    assert.equal((await c.collectFor(kept)).length, kept.length);
    sim.tick(1);
    assert.equal((await c.collectFor(pods)).length, pods.length);
    assert.equal((await c.collectFor(pods)).length, 0);
  } finally {
    await sim.close();
  }
});

function faultPod(sim: SimHandle): string {
  const f = sim.cluster.faults()[0];
  assert.ok(f, 'the fault started');
  return f.pod;
}

void test('memory_leak: memory rises in the CSV, then OOMKilled with an OOMKilling event and a restart', async () => {
  const sim = await startSim({ scenario: scenario('leak', { kind: 'memory_leak', oomAfterTicks: 6 }), seed: 5, manualClock: true });
  try {
    const rows = await collectTicks(sim, 16, join(tmp, 'leak.csv'));
    const mine = rows.filter((r) => r.pod === faultPod(sim));
    const oomAt = mine.findIndex((r) => r.status === 'OOMKilled');
    assert.ok(oomAt > 3, `an OOMKilled row after the leak grew: ${mine.map((r) => r.status).join(',')}`);
    const leaking = mine.slice(3, oomAt).map((r) => r.memoryPercent);
    assert.ok(leaking.length >= 3);
    assert.ok(leaking.at(-1)! > 85 && leaking.at(-1)! > leaking[0]! + 30, `memory % climbs towards the limit: ${leaking.join(', ')}`);
    assert.equal(mine[oomAt]!.eventReason, 'OOMKilling');
    assert.ok(mine.at(-1)!.restarts >= 1, 'the container was restarted');
    const others = rows.filter((r) => r.namespace === 'shop' && r.pod !== faultPod(sim));
    assert.ok(
      others.every((r) => r.status === 'Running' && r.memoryPercent < 60),
      'other pods are unaffected',
    );
  } finally {
    await sim.close();
  }
});

void test('crash_loop: CrashLoopBackOff rows with growing restarts and a BackOff event', async () => {
  const sim = await startSim({ scenario: scenario('crash', { kind: 'crash_loop' }), seed: 6, manualClock: true });
  try {
    const rows = await collectTicks(sim, 14, join(tmp, 'crash.csv'));
    const mine = rows.filter((r) => r.pod === faultPod(sim));
    const backoff = mine.filter((r) => r.status === 'CrashLoopBackOff');
    assert.ok(backoff.length >= 3, `CrashLoopBackOff rows: ${mine.map((r) => r.status).join(',')}`);
    assert.ok(
      backoff.every((r) => Number.isNaN(r.cpuPercent) && r.readyContainers === 0),
      'no metrics and not ready while backing off',
    );
    assert.ok(mine.at(-1)!.restarts >= 2, `restarts grow: ${mine.map((r) => r.restarts).join(',')}`);
    assert.equal(backoff.at(-1)!.eventReason, 'BackOff');
    assert.ok(backoff.at(-1)!.eventCount >= 1);
    // the event's time read from the raw JSON (a string there): an age in minutes, not NaN
    assert.ok(backoff.at(-1)!.eventAgeMinutes >= 0, `event age ${backoff.at(-1)!.eventAgeMinutes}`);
  } finally {
    await sim.close();
  }
});

void test('cpu_exhaustion: CPU % pinned at the container limit', async () => {
  const sim = await startSim({ scenario: scenario('cpu', { kind: 'cpu_exhaustion' }), seed: 7, manualClock: true });
  try {
    const rows = await collectTicks(sim, 10, join(tmp, 'cpu.csv'));
    const mine = rows.filter((r) => r.pod === faultPod(sim));
    const pinned = mine.slice(4);
    assert.ok(
      pinned.every((r) => r.cpuPercent >= 95 && r.cpuPercent <= 100),
      `at the 1-core limit: ${pinned.map((r) => r.cpuPercent).join(', ')}`,
    );
    const peers = rows.slice(-9).filter((r) => r.namespace === 'shop' && r.pod !== faultPod(sim));
    assert.ok(
      peers.every((r) => r.cpuPercent < 60),
      'peers are not',
    );
  } finally {
    await sim.close();
  }
});

void test('cpu_creep: CPU % climbs tick after tick', async () => {
  const sim = await startSim({ scenario: scenario('creep', { kind: 'cpu_creep', coresPerTick: 0.05 }), seed: 8, manualClock: true });
  try {
    const rows = await collectTicks(sim, 16, join(tmp, 'creep.csv'));
    const cpu = rows.filter((r) => r.pod === faultPod(sim)).map((r) => r.cpuPercent);
    assert.ok(cpu.at(-1)! > cpu[3]! + 40, `CPU creeps up: ${cpu.map((x) => x.toFixed(0)).join(', ')}`);
  } finally {
    await sim.close();
  }
});

void test('network_drops: dropped packets per second and lower throughput', async () => {
  const sim = await startSim({
    scenario: scenario('drops', { kind: 'network_drops', dropsPerSec: 120, throughputFactor: 0.3 }),
    seed: 9,
    manualClock: true,
  });
  try {
    const rows = await collectTicks(sim, 10, join(tmp, 'drops.csv'));
    const mine = rows.filter((r) => r.pod === faultPod(sim));
    const during = mine.slice(4);
    assert.ok(
      during.every((r) => r.netRxDropped >= 80 && r.netTxDropped >= 30),
      `drops p/s: ${during.map((r) => `${r.netRxDropped}/${r.netTxDropped}`).join(', ')}`,
    );
    const before = mine[1]!;
    assert.ok(before.netRxDropped < 1, 'few drops before the fault');
    assert.ok(during.at(-1)!.netRxBytes < before.netRxBytes * 0.6, 'throughput falls');
  } finally {
    await sim.close();
  }
});

void test('io_pressure: filesystem totals grow tens of MB per tick', async () => {
  const sim = await startSim({ scenario: scenario('io', { kind: 'io_pressure', ioFactor: 40 }), seed: 10, manualClock: true });
  try {
    const rows = await collectTicks(sim, 10, join(tmp, 'io.csv'));
    const mine = rows.filter((r) => r.pod === faultPod(sim));
    const growth = (i: number, f: (r: MetricRow) => number) => f(mine[i]!) - f(mine[i - 1]!);
    assert.ok(growth(1, (r) => r.fsReadsMb) < 0.1, `quiet before the fault: ${mine.map((r) => r.fsReadsMb.toFixed(2)).join(', ')}`);
    for (let i = 5; i < mine.length; i++) {
      assert.ok(growth(i, (r) => r.fsReadsMb) > 10, `reads grow: ${mine.map((r) => r.fsReadsMb.toFixed(1)).join(', ')}`);
      assert.ok(growth(i, (r) => r.fsWritesMb) > 10, 'writes grow');
    }
  } finally {
    await sim.close();
  }
});

/** Runs dataset-generator as a child process (as the orchestrator does). */
function runCli(args: string[], opts: { killAfter?: (out: { stdout: string; stderr: string }) => boolean } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'collectors/dataset-generator.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    let killed = false;
    const check = () => {
      if (!killed && opts.killAfter?.(out)) {
        killed = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', (d: Buffer) => ((out.stdout += d.toString()), check()));
    child.stderr.on('data', (d: Buffer) => ((out.stderr += d.toString()), check()));
    const timer = setInterval(check, 100);
    // Bounded: a run that never meets its stop condition fails with what it printed instead of hanging.
    const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearInterval(timer);
      clearTimeout(limit);
      resolve({ code, ...out });
    });
  });
}

void test('dataset-generator: --test reports what it sees; ticks append to the CSV and write a heartbeat; SIGTERM exits 0', async () => {
  const sim = await startSim({ scenario: scenario('cli'), seed: 12, manualClock: true });
  try {
    sim.tick(2);
    const probe = await runCli(['--kubeconfig', sim.kubeconfigPath, '-A', '--test', '--log-dir', join(tmp, 'logs')]);
    assert.equal(probe.code, 0, probe.stderr);
    assert.match(probe.stdout, /pods: 8 in 3 namespace\(s\)/);
    assert.match(probe.stdout, /metrics\.k8s\.io: 8\/8 pods with CPU and memory/);

    const csv = join(tmp, 'cli', 'pod_metrics.csv');
    const heartbeat = join(tmp, 'cli', '.heartbeat-dataset-generator.json');
    // The simulated clock moves on while the collector polls faster than it: each sample is written once.
    const clock = setInterval(() => sim.tick(1), 300);
    const run = await runCli(['--kubeconfig', sim.kubeconfigPath, '-A', '--interval', '0.2', '-o', csv, '--log-dir', join(tmp, 'logs')], {
      killAfter: () => existsSync(heartbeat) && (JSON.parse(readFileSync(heartbeat, 'utf8')) as { rows_total: number }).rows_total >= 16,
    }).finally(() => clearInterval(clock));
    assert.equal(run.code, 0, run.stderr);
    const rows = readCsv(csv);
    assert.ok(rows.length >= 16 && rows.length % 8 === 0, `whole ticks of 8 rows: ${rows.length}`);
    const samples = rows.map((r) => `${r.namespace}/${r.pod}@${r.timestamp}`);
    assert.equal(new Set(samples).size, samples.length, 'a metrics sample is written once, however often the collector polls');
    const beat = JSON.parse(readFileSync(heartbeat, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(beat).sort(), ['last_tick_ms', 'name', 'pid', 'pods', 'rows_total', 'state', 'time']);
    assert.equal(beat.pods, 8);
    assert.equal(beat.rows_total, rows.length);

    // An existing file with another header is refused, untouched.
    const other = join(tmp, 'other.csv');
    writeFileSync(other, 'Timestamp,Namespace,Pod Name,Something Else\n');
    await assert.rejects(
      main(['--kubeconfig', sim.kubeconfigPath, '-A', '--once', '-o', other, '--log-dir', join(tmp, 'logs'), '--log-level', 'error']),
      (err: Error) => err instanceof CsvHeaderError && /different header/.test(err.message),
    );
    assert.equal(readFileSync(other, 'utf8'), 'Timestamp,Namespace,Pod Name,Something Else\n');

    // A file begun by a build without the forecast columns: appended to in its own columns, with a warning.
    const older = join(tmp, 'older.csv');
    writeFileSync(older, formatHeader(METRIC_COLUMNS));
    assert.equal(
      await main([
        '--kubeconfig',
        sim.kubeconfigPath,
        '-A',
        '--once',
        '-o',
        older,
        '--log-dir',
        join(tmp, 'logs-older'),
        '--log-level',
        'warn',
      ]),
      0,
    );
    const olderLines = readFileSync(older, 'utf8').trim().split('\n');
    assert.equal(olderLines[0], formatHeader(METRIC_COLUMNS).trim(), 'the header is left as it was');
    assert.equal(olderLines.length, 1 + 8, 'one tick of rows');
    for (const l of olderLines.slice(1)) assert.equal(splitCsvLine(l)!.length, METRIC_COLUMNS.length);
    assert.match(readFileSync(join(tmp, 'logs-older', 'dataset-generator.log'), 'utf8'), /begun without the column\(s\) CPU Limit/);

    // Usage errors are refused before anything is written.
    const base = ['--kubeconfig', sim.kubeconfigPath, '--once', '-o', join(tmp, 'usage.csv'), '--log-dir', join(tmp, 'logs')];
    await assert.rejects(main([...base, '-A', '--extra-metric', 'X=up']), /--extra-metric needs --prometheus-url/);
    await assert.rejects(
      main([...base, '-A', '--extra-metric', 'no equals sign', '--prometheus-url', 'http://127.0.0.1:1']),
      /Column Name=PROMQL/,
    );
    await assert.rejects(main([...base, '-A', '--namespace', 'shop']), /not both/);
    await assert.rejects(main([...base, '-A', '--interval', '0']), /--interval must be a positive/);
    assert.equal(existsSync(join(tmp, 'usage.csv')), false);
  } finally {
    await sim.close();
  }
});

void test('an unreachable API: --once exits 1 with one clear line; the long-running mode retries with backoff', async () => {
  const sim = await startSim({ scenario: scenario('dead'), manualClock: true });
  const kubeconfig = join(tmp, 'dead.kubeconfig');
  copyFileSync(sim.kubeconfigPath, kubeconfig);
  await sim.close();

  const once = await runCli(['--kubeconfig', kubeconfig, '-A', '--once', '-o', join(tmp, 'dead.csv'), '--log-dir', join(tmp, 'logs')]);
  assert.equal(once.code, 1);
  const lines = once.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line:\n${once.stderr}`);
  assert.match(lines[0]!, /cannot list pods from the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);

  const loop = await runCli(
    ['--kubeconfig', kubeconfig, '-A', '--interval', '1', '-o', join(tmp, 'dead.csv'), '--log-dir', join(tmp, 'logs')],
    {
      killAfter: (o) => (o.stderr.match(/retrying in/g) ?? []).length >= 2,
    },
  );
  assert.equal(loop.code, 0, 'SIGTERM ends the retry loop cleanly');
  const retries = loop.stderr.split('\n').filter((l) => /retrying in/.test(l));
  assert.ok(retries.length >= 2);
  assert.ok(
    retries.every((l) => /ECONNREFUSED\); retrying in \d+\.\ds \(attempt \d+\)$/.test(l)),
    retries.join('\n'),
  );
});
