// Two replicas of a shard group (real LeaseMembership on the simulated API server's Leases) collecting with
// the Kubernetes collector: the ownership rule is applied before rows are built, so each replica's rows are
// its own pods only, together they are exactly an unsharded collector's rows, and a replica reads the
// cAdvisor pages of its pods' nodes only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { ShardedCollector } from '../../collectors/sharded-collector.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { LeaseMembership } from '../../lib/shard-membership.ts';
import { startSim } from '../../sim/index.ts';

void test('replicas keep disjoint shards whose rows add up to the whole, reading only their nodes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-sharded-'));
  const file = join(dir, 'spread.json');
  const workload = (namespace: string, name: string, replicas: number) => ({
    namespace,
    name,
    replicas,
    image: `${name}:1`,
    cpu: { baseCores: 0.2, limitCores: 1 },
    memory: { baseMiB: 100, limitMiB: 256 },
  });
  writeFileSync(
    file,
    JSON.stringify({
      name: 'spread',
      nodes: [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }, { name: 'node-d' }],
      workloads: [workload('shop', 'web', 2), workload('shop', 'api', 1), workload('data', 'db', 1), workload('ops', 'agent', 1)],
    }),
  );
  // Leases judged on a clock well before the simulated samples: both members have settled by then.
  let clock = Date.parse('2026-03-01T00:00:00Z');
  const now = () => clock;
  const sim = await startSim({ scenario: file, seed: 5, manualClock: true, startTime: '2026-03-02T00:00:00Z' });
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const member = (identity: string) =>
    new LeaseMembership({ kc, namespace: 'default', group: 'g', identity, leaseDurationSeconds: 3600, renewSeconds: 1200, now });
  const [ma, mb] = [member('a'), member('b')];
  const collectors: K8sCollector[] = [];
  const k8s = () => {
    const c = new K8sCollector(kc, { logger: memoryLogger() });
    collectors.push(c);
    return c;
  };
  try {
    for (const m of [ma, mb]) await m.renew();
    clock += ma.settleMs + 1000;
    for (const m of [ma, mb]) await m.refresh();
    const a = new ShardedCollector(k8s(), ma, 5000, now);
    const b = new ShardedCollector(k8s(), mb, 5000, now);
    const whole = k8s();
    const key = (r: MetricRow) => `${r.namespace}/${r.pod}`;
    let rows: { a: MetricRow[]; b: MetricRow[]; whole: MetricRow[] } | undefined;
    let cadvisorOfA: string[] = [];
    for (let t = 0; t < 3; t++) {
      sim.tick();
      const mark = sim.requests.length;
      const ra = await a.collectOnce();
      cadvisorOfA = sim.requests
        .slice(mark)
        .filter((r) => r.path.endsWith('/proxy/metrics/cadvisor'))
        .map((r) => r.path.split('/')[4]!)
        .sort();
      rows = { a: ra, b: await b.collectOnce(), whole: await whole.collectOnce() };
    }
    const { a: ra, b: rb, whole: rw } = rows!;
    assert.ok(ra.length > 0 && rb.length > 0, `both replicas own pods: ${ra.length} + ${rb.length}`);
    assert.equal(ra.length + rb.length, rw.length);
    assert.equal(a.lastLeftOut, rb.length);
    const inB = new Set(rb.map(key));
    assert.ok(!ra.some((r) => inB.has(key(r))), 'no pod in both');
    const byKey = (rs: MetricRow[]) => [...rs].sort((x, y) => key(x).localeCompare(key(y)));
    assert.deepEqual(byKey([...ra, ...rb]), byKey(rw), 'the shards add up to the unsharded rows, values included');
    for (const r of ra) assert.ok(ma.owns(r.namespace, r.pod, Date.parse(r.timestamp)));
    const nodesOfA = [...new Set(ra.map((r) => r.node))].sort();
    assert.deepEqual(cadvisorOfA, nodesOfA, "replica a reads only its pods' nodes");
    assert.ok(nodesOfA.length < 4, `a's pods are on fewer nodes than the cluster has: ${nodesOfA.join()}`);
  } finally {
    for (const c of collectors) c.close();
    await ma.stop();
    await mb.stop();
    await sim.close();
  }
});
