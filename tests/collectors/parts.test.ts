// The collectors' pure parts: cAdvisor text parsing, counter rates, pod status and quantities, and
// --extra-metric parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { parsePromText } from '../../collectors/prom-text.ts';
import { CounterRates } from '../../collectors/counter-rates.ts';
import {
  containerCounts,
  parseQuantity,
  podCpuLimitCores,
  podDisplayStatus,
  podEphemeralStorageLimitBytes,
  podMemoryLimitBytes,
  summarizePod,
} from '../../collectors/k8s-pod.ts';
import { parseExtraMetric, standardQueries } from '../../collectors/prometheus-collector.ts';
import { mapPool } from '../../collectors/collector.ts';
import { CsvOutput } from '../../collectors/dataset-generator.ts';
import { memoryLogger } from '../../lib/log.ts';
import { METRIC_COLUMNS, newMetricRow } from '../../lib/metrics-csv.ts';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

void test('parsePromText keeps the wanted series with labels, values and timestamps', () => {
  const text = [
    '# HELP container_network_receive_bytes_total Cumulative count of bytes received',
    '# TYPE container_network_receive_bytes_total counter',
    'container_network_receive_bytes_total{container="",id="/kubepods/pod1",interface="eth0",namespace="shop",pod="web-1"} 12345 1764044400000',
    'container_network_receive_bytes_total{interface="eth0",namespace="shop",pod="we\\"ird, pod"} 1.5e3',
    'container_cpu_usage_seconds_total{namespace="shop",pod="web-1"} 99',
    'container_fs_reads_bytes_total{namespace="shop",pod="web-1",container="app",device="/dev/sda"} +Inf',
    'container_network_receive_bytes_total{namespace="shop" 5',
    '',
  ].join('\n');
  const { samples, skipped } = parsePromText(text, new Set(['container_network_receive_bytes_total', 'container_fs_reads_bytes_total']));
  assert.equal(samples.length, 3);
  assert.equal(skipped, 1);
  assert.deepEqual(samples[0], {
    name: 'container_network_receive_bytes_total',
    labels: { container: '', id: '/kubepods/pod1', interface: 'eth0', namespace: 'shop', pod: 'web-1' },
    value: 12345,
    timestampMs: 1764044400000,
  });
  assert.equal(samples[1]!.labels.pod, 'we"ird, pod');
  assert.equal(samples[1]!.value, 1500);
  assert.equal(samples[1]!.timestampMs, undefined);
  assert.equal(samples[2]!.value, Infinity);
});

void test('parsePromText with keepLabels stores only those labels and steps over escaped quotes', () => {
  const text = 'm{image="a\\"b\\\\",pod="p\\"1",namespace="ns",id="/x"} 7\n';
  const { samples, skipped } = parsePromText(text, new Set(['m']), new Set(['pod', 'namespace']));
  assert.equal(skipped, 0);
  assert.deepEqual(samples[0]!.labels, { pod: 'p"1', namespace: 'ns' });
  assert.equal(samples[0]!.value, 7);
});

void test('CounterRates: NaN first, then per-second increase, resets, stale samples and forgetting', () => {
  const r = new CounterRates(2);
  assert.ok(Number.isNaN(r.update(0, 'a', '', 100, 0)));
  assert.equal(r.update(0, 'a', '', 600, 5000), 100);
  assert.equal(r.update(0, 'a', '', 600, 5000), 100, 'a sample no newer than the last keeps the last rate');
  assert.equal(r.update(0, 'a', '', 50, 10_000), 10, 'a counter that went down restarted from zero');
  r.sweep();
  assert.equal(r.size, 1);
  r.update(0, 'b', '', 1, 0);
  r.sweep(); // a missed once
  assert.equal(r.update(0, 'a', '', 150, 20_000), 10, 'a series missing for a tick resumes over the longer interval');
  r.sweep(); // b missed once
  r.sweep(); // a once, b twice: forgotten
  assert.equal(r.size, 1, 'series missing for maxMissed ticks are forgotten');
  r.sweep();
  assert.equal(r.size, 0);
  assert.ok(Number.isNaN(r.update(0, 'a', '', 100, 30_000)), 'a forgotten series starts over');
  r.update(1, 'a', '', 10, 0);
  r.update(1, 'a', 'eth1', 20, 0);
  assert.equal(r.update(1, 'a', '', 30, 1000), 20, 'the metric and both labels tell series apart');
  assert.equal(r.update(1, 'a', 'eth1', 30, 1000), 10);
});

void test('parseQuantity reads CPU and memory quantities', () => {
  assert.equal(parseQuantity('250m'), 0.25);
  assert.ok(Math.abs(parseQuantity('123456789n') - 0.123456789) < 1e-15);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('512Mi'), 512 * 1024 * 1024);
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseQuantity('100k'), 100_000);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('1.5Ki'), 1536);
  assert.ok(Number.isNaN(parseQuantity('lots')));
  assert.ok(Number.isNaN(parseQuantity(undefined)));
});

function pod(status: V1Pod['status'], extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      containers: [
        { name: 'a', resources: { limits: { memory: '256Mi' } } },
        { name: 'b', resources: { limits: { memory: '256Mi' } } },
      ],
    },
    status,
    ...extra,
  };
}

void test('podDisplayStatus: waiting and terminated reasons win over the phase, as kubectl shows them', () => {
  assert.equal(podDisplayStatus(pod({ phase: 'Running', containerStatuses: [] })), 'Running');
  const crash = pod({
    phase: 'Running',
    containerStatuses: [
      { name: 'a', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: {} } },
      { name: 'b', ready: false, restartCount: 4, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ],
  });
  assert.equal(podDisplayStatus(crash), 'CrashLoopBackOff');
  assert.deepEqual(containerCounts(crash), { ready: 1, total: 2, restarts: 4 });
  const oom = pod({
    phase: 'Running',
    containerStatuses: [
      { name: 'a', ready: false, restartCount: 1, image: 'x', imageID: '', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
    ],
  });
  assert.equal(podDisplayStatus(oom), 'OOMKilled');
  assert.equal(
    podDisplayStatus(
      pod({
        phase: 'Pending',
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      }),
    ),
    'ContainerCreating',
  );
  assert.equal(podDisplayStatus(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
  assert.equal(podDisplayStatus(pod({ phase: 'Running' }, { metadata: { name: 'p', deletionTimestamp: new Date() } })), 'Terminating');
});

void test('podMemoryLimitBytes sums limits, and is undefined when a container is unbounded', () => {
  assert.equal(podMemoryLimitBytes(pod({})), 512 * 1024 * 1024);
  const unbounded = pod({});
  unbounded.spec!.containers[1]!.resources = {};
  assert.equal(podMemoryLimitBytes(unbounded), undefined);
});

void test('CPU and ephemeral-storage limits are summed over the containers, undefined when one has none', () => {
  const p = pod({});
  p.spec!.containers[0]!.resources = { limits: { cpu: '500m', 'ephemeral-storage': '1Gi' } };
  p.spec!.containers[1]!.resources = { limits: { cpu: '1', 'ephemeral-storage': '512Mi' } };
  assert.equal(podCpuLimitCores(p), 1.5);
  assert.equal(podEphemeralStorageLimitBytes(p), 1.5 * 1024 ** 3);
  assert.deepEqual([summarizePod(p).cpuLimitCores, summarizePod(p).ephemeralStorageLimitBytes], [1.5, 1.5 * 1024 ** 3]);
  p.spec!.containers[1]!.resources = { limits: { cpu: '1' } };
  assert.equal(podEphemeralStorageLimitBytes(p), undefined);
  assert.equal(podCpuLimitCores(pod({})), undefined, 'memory limits only');
});

void test('parseExtraMetric splits at the first "=" and refuses malformed specs', () => {
  assert.deepEqual(parseExtraMetric('Open FDs=sum by (namespace, pod) (process_open_fds{a="b"})'), {
    column: 'Open FDs',
    query: 'sum by (namespace, pod) (process_open_fds{a="b"})',
  });
  assert.throws(() => parseExtraMetric('no query'), /Column Name=PROMQL/);
  assert.throws(() => parseExtraMetric('=up'), /Column Name=PROMQL/);
  assert.throws(() => parseExtraMetric('a,b=up'), /commas/);
});

void test('standardQueries scope every query to the namespace matcher', () => {
  const q = standardQueries('namespace="shop"', '30s');
  for (const [name, promql] of Object.entries(q)) {
    assert.match(promql, /namespace="shop"/, name);
  }
  assert.match(q.cpu, /\[30s\]/);
});

void test('mapPool keeps order and bounds concurrency', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return n * 2;
  });
  assert.deepEqual(out, [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(peak, 3);
});

void test('CsvOutput reopens its path when the file is rotated or removed, with a fresh header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-csvout-'));
  try {
    const path = join(dir, 'out', 'pod_metrics.csv');
    const out = new CsvOutput(path, ['Extra'], memoryLogger());
    const row = (pod: string) =>
      newMetricRow({ timestamp: '2026-11-25T05:00:00.000Z', namespace: 'ns', pod, cpuPercent: 12.5, extra: { Extra: 3 } });
    out.append([row('a')]);
    renameSync(path, `${path}.1`);
    out.append([row('b')]);
    rmSync(path);
    out.append([row('c')]);
    out.close();
    const header = `${METRIC_COLUMNS.join(',')},Extra`;
    const rotated = readFileSync(`${path}.1`, 'utf8').trimEnd().split('\n');
    assert.equal(rotated[0], header);
    assert.equal(rotated.length, 2);
    assert.match(rotated[1]!, /^2026-11-25T05:00:00.000Z,ns,a,/);
    const current = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(current[0], header, 'the new file starts with the header');
    assert.equal(current.length, 2);
    assert.match(current[1]!, /,ns,c,.*,12\.5,.*,3$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
