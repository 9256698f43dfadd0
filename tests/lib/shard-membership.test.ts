// Sharding through Leases against the simulated cluster's coordination.k8s.io/v1 API: the API's write
// semantics (AlreadyExists, resourceVersion conflicts), and membership views that agree across replicas on
// join, on expiry of a replica that stopped renewing, and pod by pod (every pod exactly one owner).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { LeaseMembership } from '../../lib/shard-membership.ts';
import { HashRing, shardKey } from '../../lib/shard-ring.ts';

let sim: SimHandle;
before(async () => {
  sim = await startSim({ scenario: 'healthy', manualClock: true });
});
after(async () => {
  await sim.close();
});

void test('the simulated API serves Leases with create, conflict and label-selected list semantics', async () => {
  const api = loadKubeConfig(sim.kubeconfigPath).makeApiClient(CoordinationV1Api);
  const body = {
    metadata: { name: 'probe', namespace: 'default', labels: { a: 'b' } },
    spec: { holderIdentity: 'x', leaseDurationSeconds: 10, renewTime: new V1MicroTime(Date.now()) },
  };
  const created = await api.createNamespacedLease({ namespace: 'default', body });
  assert.equal(created.spec?.holderIdentity, 'x');
  await assert.rejects(api.createNamespacedLease({ namespace: 'default', body }), (e: { code?: number }) => e.code === 409);
  const rv = created.metadata!.resourceVersion!;
  const updated = await api.replaceNamespacedLease({
    name: 'probe',
    namespace: 'default',
    body: { ...body, metadata: { ...body.metadata, resourceVersion: rv }, spec: { ...body.spec, holderIdentity: 'y' } },
  });
  assert.notEqual(updated.metadata!.resourceVersion, rv);
  // A writer that read before that update loses: the API server arbitrates.
  await assert.rejects(
    api.replaceNamespacedLease({
      name: 'probe',
      namespace: 'default',
      body: { ...body, metadata: { ...body.metadata, resourceVersion: rv } },
    }),
    (e: { code?: number }) => e.code === 409,
  );
  assert.equal((await api.listNamespacedLease({ namespace: 'default', labelSelector: 'a=b' })).items.length, 1);
  assert.equal((await api.listNamespacedLease({ namespace: 'default', labelSelector: 'a=c' })).items.length, 0);
  await api.deleteNamespacedLease({ name: 'probe', namespace: 'default' });
  await assert.rejects(api.readNamespacedLease({ name: 'probe', namespace: 'default' }), (e: { code?: number }) => e.code === 404);
});

void test('replicas agree on the owners of every pod on join and after a replica stops renewing', async () => {
  let clock = Date.parse('2026-12-07T00:00:00Z');
  const now = () => clock;
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const make = (identity: string) =>
    new LeaseMembership({ kc, namespace: 'default', group: 'g1', identity, leaseDurationSeconds: 9, renewSeconds: 3, now });
  const reps = [make('a'), make('b'), make('c')];
  const all = async () => {
    for (const r of reps) await r.renew();
    for (const r of reps) await r.refresh();
  };
  await all();
  const pods = Array.from({ length: 600 }, (_, i) => ({ ns: `ns${i % 3}`, pod: `web${i % 40}-7d9f8c6b5-${String(10000 + i).slice(-5)}` }));
  const owners = (at: number, live: LeaseMembership[]) =>
    pods.map((p) => live.filter((r) => r.owns(p.ns, p.pod, at)).map((r) => r.identity));

  // Before settling nobody counts (a join must never make two replicas collect a pod).
  assert.deepEqual(reps[0]!.membersAt(clock), []);
  clock += reps[0]!.settleMs;
  await all();
  for (const r of reps) assert.deepEqual(r.membersAt(clock), ['a', 'b', 'c']);
  const before = owners(clock, reps);
  assert.ok(
    before.every((o) => o.length === 1),
    'every pod has exactly one owner',
  );
  // Pods of one workload stay together.
  const byKey = new Map<string, string>();
  pods.forEach((p, i) => {
    const k = shardKey(p.ns, p.pod);
    assert.equal(byKey.get(k) ?? before[i]![0], before[i]![0]);
    byKey.set(k, before[i]![0]!);
  });

  // c stops renewing; a and b go on. Until its lease expires the views keep c; from then on every pod
  // has one owner among a and b, and a's and b's own pods did not move.
  const [a, b] = reps as [LeaseMembership, LeaseMembership, LeaseMembership];
  const expiry = clock + 9_000;
  for (let t = clock + 3_000; t <= expiry + 3_000; t += 3_000) {
    clock = t;
    await a.renew();
    await b.renew();
    await a.refresh();
    await b.refresh();
    const at = owners(clock, [a, b]);
    if (clock < expiry) assert.ok(at.every((o, i) => (before[i]![0] === 'c' ? o.length === 0 : o[0] === before[i]![0])));
    else {
      assert.deepEqual(a.membersAt(clock), ['a', 'b']);
      assert.deepEqual(b.membersAt(clock), ['a', 'b']);
      assert.ok(
        at.every((o) => o.length === 1),
        'after expiry every pod has one owner among the survivors',
      );
      assert.ok(
        at.every((o, i) => before[i]![0] === 'c' || o[0] === before[i]![0]),
        "the survivors' own pods stay",
      );
    }
  }
  await a.stop();
  await b.stop();
  await reps[2]!.stop();
});

void test("the ring moves only the leaving member's keys", () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `ns/Deployment/w${i}`);
  const three = new HashRing(['a', 'b', 'c']);
  const two = new HashRing(['a', 'b']);
  let moved = 0;
  const share = { a: 0, b: 0, c: 0 } as Record<string, number>;
  for (const k of keys) {
    const o3 = three.owner(k)!;
    share[o3]!++;
    if (o3 !== 'c') assert.equal(two.owner(k), o3);
    else moved++;
  }
  assert.equal(moved, share.c);
  // Balanced within a loose band (128 virtual points per member).
  for (const m of ['a', 'b', 'c']) assert.ok(share[m]! > 2000 / 3 / 1.5 && share[m]! < (2000 / 3) * 1.5, `share of ${m}: ${share[m]}`);
});

void test('a replica that joins takes its workloads only for samples after it settled, whoever collects late', async () => {
  let clock = Date.parse('2026-12-07T01:00:00Z');
  const now = () => clock;
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const make = (identity: string) =>
    new LeaseMembership({ kc, namespace: 'default', group: 'g2', identity, leaseDurationSeconds: 9, renewSeconds: 3, now });
  const [a, b] = [make('a'), make('b')];
  for (const r of [a, b]) await r.renew();
  clock += a.settleMs;
  for (const r of [a, b]) await r.refresh();
  const joinAt = clock;
  const d = make('d');
  for (const r of [a, b, d]) await r.renew();
  for (const r of [a, b, d]) await r.refresh();
  const pods = Array.from({ length: 300 }, (_, i) => ({ ns: 'ns', pod: `app${i}-0` }));
  const owners = (sampleAt: number, nowAt: number) =>
    pods.map((p) => [a, b, d].filter((r) => r.owns(p.ns, p.pod, sampleAt, nowAt)).map((r) => r.identity));
  // A sample from before d settled: a and b own it, even when d looks at it late.
  for (const o of owners(joinAt + 1000, joinAt + d.settleMs + 2000)) assert.deepEqual(o.length, 1);
  assert.ok(owners(joinAt + 1000, joinAt + d.settleMs + 2000).every((o) => o[0] !== 'd'));
  // A sample from after: exactly one owner each, and d owns some.
  const after = owners(joinAt + d.settleMs, joinAt + d.settleMs + 500);
  assert.ok(after.every((o) => o.length === 1));
  assert.ok(after.some((o) => o[0] === 'd'));
  for (const r of [a, b, d]) await r.stop();
});
