// StatefulSets in the simulated cluster, through the real @kubernetes/client-node and the real remediation
// actions: the API shapes and owner chain, scale (dry run, then apply; pods follow by ordinal),
// rollout_restart and set_resources (pods replaced under the same names), restart_pod (the pod comes back
// under its own name and verification follows it), and the analysis owner chain naming the StatefulSet.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startSim, type SimHandle } from '../sim/index.ts';
import { parseScenario } from '../sim/scenario.ts';
import { kubeClients, loadKubeConfig, type KubeClients } from '../lib/kube.ts';
import { buildContext } from '../agents/analysis/context.ts';
import { workloadOf } from '../models/pod-features.ts';
import { RemediationSession, processAnalyses } from '../remediation/engine.ts';
import { act, analysisFor, auditEvents, engineFixture, tempDir, writeInsights, writesSince } from './helpers/remediation-fixtures.ts';
import { insight } from './helpers/analysis-fixtures.ts';

let sim: SimHandle;
let k: KubeClients;

const workload = (name: string, replicas: number, kind?: 'StatefulSet') => ({
  ...(kind ? { kind } : {}),
  namespace: 'data',
  name,
  replicas,
  container: 'app',
  image: `registry.example.com/data/${name}:1.0.0`,
  cpu: { baseCores: 0.1, limitCores: 1, requestCores: 0.2 },
  memory: { baseMiB: 200, limitMiB: 512, requestMiB: 256 },
  burstProbability: 0,
});

before(async () => {
  const dir = tempDir();
  const file = join(dir, 'sts.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'statefulsets',
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      workloads: [workload('db', 3, 'StatefulSet'), workload('cache', 2, 'StatefulSet'), workload('queue', 1, 'StatefulSet'), workload('web', 2)],
    }),
  );
  sim = await startSim({ scenario: file, seed: 11, manualClock: true });
  sim.tick(3);
  k = kubeClients(loadKubeConfig(sim.kubeconfigPath));
});
after(async () => {
  await sim?.close();
});

const approve = async () => 'approve' as const;

async function podsOf(name: string): Promise<V1Pod[]> {
  const list = await k.core.listNamespacedPod({ namespace: 'data', labelSelector: `app=${name}` });
  return list.items;
}
const names = (pods: V1Pod[]) => pods.map((p) => p.metadata!.name!).sort();
const uids = (pods: V1Pod[]) => new Map(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));

void test('scenario kind: Deployment by default, StatefulSet when declared; other values refused', () => {
  const s = parseScenario({ name: 'x', nodes: [{ name: 'n' }], workloads: [workload('a', 1), workload('b', 1, 'StatefulSet')] }, 'inline');
  assert.deepEqual(s.workloads.map((w) => w.kind), ['Deployment', 'StatefulSet']);
  assert.throws(() => parseScenario({ name: 'x', nodes: [{ name: 'n' }], workloads: [{ ...workload('a', 1), kind: 'CronJob' }] }, 'inline'), /workloads\.0\.kind/);
});

void test('client-node lists and reads StatefulSets; their pods are <name>-<ordinal> owned by the StatefulSet', async () => {
  const all = await k.apps.listStatefulSetForAllNamespaces();
  assert.equal(all.kind, 'StatefulSetList');
  assert.deepEqual(all.items.map((s) => s.metadata?.name), ['cache', 'db', 'queue']);
  const inNs = await k.apps.listNamespacedStatefulSet({ namespace: 'data' });
  assert.equal(inNs.items.length, 3);
  const deployments = await k.apps.listNamespacedDeployment({ namespace: 'data' });
  assert.deepEqual(deployments.items.map((d) => d.metadata?.name), ['web'], 'StatefulSets are not Deployments');

  const db = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' });
  assert.equal(db.kind, 'StatefulSet');
  assert.equal(db.apiVersion, 'apps/v1');
  assert.equal(db.spec?.replicas, 3);
  assert.equal(db.spec?.serviceName, 'db');
  assert.equal(db.spec?.updateStrategy?.type, 'RollingUpdate');
  assert.deepEqual(db.spec?.selector.matchLabels, { app: 'db' });
  assert.equal(db.spec?.template.spec?.containers[0]?.name, 'app');
  assert.equal(db.status?.replicas, 3);
  assert.equal(db.status?.readyReplicas, 3);
  assert.equal(db.status?.currentRevision, db.status?.updateRevision);
  assert.match(db.status?.updateRevision ?? '', /^db-[a-z0-9]+$/);
  assert.equal(db.metadata?.annotations?.['deployment.kubernetes.io/revision'], undefined);

  const pods = await podsOf('db');
  assert.deepEqual(names(pods), ['db-0', 'db-1', 'db-2']);
  for (const p of pods) {
    const refs = p.metadata?.ownerReferences ?? [];
    assert.equal(refs.length, 1);
    assert.deepEqual([refs[0]!.kind, refs[0]!.name, refs[0]!.uid, refs[0]!.controller], ['StatefulSet', 'db', db.metadata?.uid, true]);
    assert.equal(p.metadata?.labels?.['controller-revision-hash'], db.status?.updateRevision);
    assert.equal(p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], p.metadata?.name);
    assert.equal(p.metadata?.labels?.['pod-template-hash'], undefined);
    assert.equal(p.spec?.hostname, p.metadata?.name);
    assert.equal(p.spec?.subdomain, 'db');
    assert.equal(workloadOf('data', p.metadata!.name!), 'data/StatefulSet/db', 'the metrics side maps the pod to the same workload');
  }
  const rs = await k.apps.listNamespacedReplicaSet({ namespace: 'data' });
  assert.ok(rs.items.every((r) => r.metadata?.ownerReferences?.[0]?.name === 'web'), 'no ReplicaSets for StatefulSets');

  const scale = await k.apps.readNamespacedStatefulSetScale({ namespace: 'data', name: 'db' });
  assert.deepEqual([scale.kind, scale.spec?.replicas, scale.status?.replicas, scale.status?.selector], ['Scale', 3, 3, 'app=db']);
  await assert.rejects(k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'web' }), (e: { code?: number }) => e.code === 404);
});

void test('patch routes: merge, strategic merge and JSON patch, with dry run; bad replicas refused with 422', async () => {
  const patchOpts = (s: PatchStrategy) => setHeaderOptions('Content-Type', s);
  const before = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'queue' });
  const dry = await k.apps.patchNamespacedStatefulSet(
    { namespace: 'data', name: 'queue', body: { metadata: { labels: { tier: 'x' } } }, dryRun: 'All' },
    patchOpts(PatchStrategy.MergePatch),
  );
  assert.equal(dry.metadata?.labels?.tier, 'x');
  assert.equal((await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'queue' })).metadata?.labels?.tier, undefined, 'dry run changed nothing');
  const merged = await k.apps.patchNamespacedStatefulSet({ namespace: 'data', name: 'queue', body: { metadata: { labels: { tier: 'x' } } } }, patchOpts(PatchStrategy.MergePatch));
  assert.equal(merged.metadata?.labels?.tier, 'x');
  const json = await k.apps.patchNamespacedStatefulSet({ namespace: 'data', name: 'queue', body: [{ op: 'replace', path: '/metadata/labels/tier', value: 'y' }] });
  assert.equal(json.metadata?.labels?.tier, 'y');
  assert.equal(json.metadata?.generation, before.metadata?.generation, 'metadata-only changes keep the generation');
  await assert.rejects(
    k.apps.patchNamespacedStatefulSet({ namespace: 'data', name: 'queue', body: { spec: { replicas: -1 } } }, patchOpts(PatchStrategy.StrategicMergePatch)),
    (e: { code?: number; body?: string }) => e.code === 422 && /StatefulSet\.apps/.test(String(e.body)),
  );
  assert.deepEqual(names(await podsOf('queue')), ['queue-0']);
});

void test('scale (real action): dry run leaves replicas alone; apply adds and removes pods by ordinal', async () => {
  const pod = sim.cluster.pods().find((p) => p.name === 'db-1')!;
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0, policy: { bounds: { maxReplicas: 6, maxScaleStep: 2 } } });
  const dryFx = engineFixture(sim, tempDir(), approve, { mode: 'dry-run', policy: { bounds: { maxReplicas: 6, maxScaleStep: 2 } } });
  const owner = { owner: { kind: 'StatefulSet', name: 'db' } };
  let mark = sim.requests.length;
  await processAnalyses({ analyses: [analysisFor(pod, [act('scale', { namespace: 'data', kind: 'StatefulSet', name: 'db', replicas: 5 })], owner)] }, dryFx.opts);
  assert.deepEqual(writesSince(sim, mark).map((w) => [w.method, w.path, w.dryRun]), [['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db/scale', true]]);
  assert.equal((await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' })).spec?.replicas, 3, 'dry run: replicas unchanged');
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1', 'db-2']);

  mark = sim.requests.length;
  await processAnalyses({ analyses: [analysisFor(pod, [act('scale', { namespace: 'data', kind: 'StatefulSet', name: 'db', replicas: 5 })], owner)] }, fx.opts);
  const writes = writesSince(sim, mark);
  assert.deepEqual(writes.map((w) => [w.method, w.path, w.contentType, w.dryRun]), [
    ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db/scale', 'application/merge-patch+json', true],
    ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db/scale', 'application/merge-patch+json', false],
  ]);
  assert.deepEqual(auditEvents(fx.audit).slice(0, 4), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok']);
  assert.equal((await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' })).spec?.replicas, 5);
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1', 'db-2', 'db-3', 'db-4']);
  sim.tick(3);
  assert.equal((await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' })).status?.readyReplicas, 5, 'the new ordinals become ready');

  // Scale down through the scale subresource with a replace (PUT): the highest ordinals go.
  const down = await k.apps.replaceNamespacedStatefulSetScale({ namespace: 'data', name: 'db', body: { spec: { replicas: 2 }, metadata: { name: 'db', namespace: 'data' } } });
  assert.equal(down.spec?.replicas, 2);
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1']);
  await k.apps.patchNamespacedStatefulSetScale({ namespace: 'data', name: 'db', body: { spec: { replicas: 3 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1', 'db-2']);
  sim.tick(3);
});

void test('rollout_restart (real action): restartedAt on the template; every pod replaced under its own name', async () => {
  const pod = sim.cluster.pods().find((p) => p.name === 'cache-0')!;
  const before = uids(await podsOf('cache'));
  const stsBefore = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'cache' });
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  const fixed = new Date('2026-11-25T06:00:00.000Z');
  fx.opts.now = () => fixed;
  const mark = sim.requests.length;
  await processAnalyses(
    { analyses: [analysisFor(pod, [act('rollout_restart', { namespace: 'data', kind: 'StatefulSet', name: 'cache' })], { owner: { kind: 'StatefulSet', name: 'cache' } })] },
    fx.opts,
  );
  const writes = writesSince(sim, mark);
  assert.deepEqual(writes.map((w) => [w.method, w.path, w.contentType, w.dryRun]), [
    ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/cache', 'application/strategic-merge-patch+json', true],
    ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/cache', 'application/strategic-merge-patch+json', false],
  ]);
  const sts = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'cache' });
  assert.equal(sts.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], fixed.toISOString());
  assert.equal(sts.metadata?.generation, (stsBefore.metadata?.generation ?? 0) + 1);
  assert.notEqual(sts.status?.updateRevision, stsBefore.status?.updateRevision);
  const after = await podsOf('cache');
  assert.deepEqual(names(after), ['cache-0', 'cache-1']);
  for (const p of after) {
    assert.notEqual(p.metadata?.uid, before.get(p.metadata!.name!), `${p.metadata?.name} was replaced`);
    assert.equal(p.metadata?.labels?.['controller-revision-hash'], sts.status?.updateRevision);
    assert.equal(p.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], fixed.toISOString());
  }
  sim.tick(3);
  const settled = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'cache' });
  assert.equal(settled.status?.readyReplicas, 2);
  assert.equal(settled.status?.currentRevision, settled.status?.updateRevision);
});

void test('set_resources (real action) on a StatefulSet container: the template changes, the pods get the new limits', async () => {
  const pod = sim.cluster.pods().find((p) => p.name === 'db-0')!;
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  const mark = sim.requests.length;
  await processAnalyses(
    {
      analyses: [
        analysisFor(
          pod,
          [act('set_resources', { namespace: 'data', kind: 'StatefulSet', name: 'db', container: 'app', limits: { memory: '1Gi' }, requests: { memory: '512Mi' } })],
          { owner: { kind: 'StatefulSet', name: 'db' } },
        ),
      ],
    },
    fx.opts,
  );
  const writes = writesSince(sim, mark);
  assert.deepEqual(writes.map((w) => [w.path, w.contentType, w.dryRun]), [
    ['/apis/apps/v1/namespaces/data/statefulsets/db', 'application/strategic-merge-patch+json', true],
    ['/apis/apps/v1/namespaces/data/statefulsets/db', 'application/strategic-merge-patch+json', false],
  ]);
  const proposal = fx.audit.all().find((r) => r.event === 'proposal');
  assert.deepEqual((proposal?.detail as { changes: unknown }).changes, [
    { field: 'spec.template.spec.containers[app].resources.requests.memory', from: '256Mi', to: '512Mi' },
    { field: 'spec.template.spec.containers[app].resources.limits.memory', from: '512Mi', to: '1Gi' },
  ]);
  const sts = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' });
  assert.deepEqual(sts.spec?.template.spec?.containers[0]?.resources?.limits, { cpu: '1', memory: '1Gi' });
  const pods = await podsOf('db');
  assert.deepEqual(names(pods), ['db-0', 'db-1', 'db-2']);
  for (const p of pods) assert.equal(p.spec?.containers[0]?.resources?.limits?.memory, '1Gi');
  assert.equal(sim.cluster.statefulSets().find((s) => s.name === 'db')!.memoryLimitBytes, 2 ** 30);
  assert.equal(sim.cluster.truth('data', 'db-2')!.memoryLimitBytes, 2 ** 30);
  sim.tick(3);
});

void test('restart_pod (real action) of a StatefulSet pod: recreated under the same name; verification follows it', async () => {
  const pod = sim.cluster.pods().find((p) => p.name === 'db-1')!;
  const siblings = ['db-0', 'db-2'];
  const fx = engineFixture(sim, tempDir(), approve);
  const mark = sim.requests.length;
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({ analyses: [analysisFor(pod, [act('restart_pod', { namespace: 'data', pod: 'db-1' })], { owner: { kind: 'StatefulSet', name: 'db' } })] });
  assert.deepEqual(writesSince(sim, mark).map((w) => [w.method, w.path, w.dryRun]), [
    ['DELETE', '/api/v1/namespaces/data/pods/db-1', true],
    ['DELETE', '/api/v1/namespaces/data/pods/db-1', false],
  ]);
  const now = await k.core.readNamespacedPod({ namespace: 'data', name: 'db-1' });
  assert.notEqual(now.metadata?.uid, pod.uid, 'a new pod under the same name');
  assert.equal(now.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
  assert.equal(now.status?.containerStatuses?.[0]?.restartCount ?? 0, 0);
  const execution = fx.audit.all().find((r) => r.event === 'execution');
  assert.deepEqual((execution?.detail as { facts: { replacements: string[] } }).facts.replacements, ['db-1']);

  // The siblings are healthy but the recreated db-1 is still anomalous: that is what verification must see.
  writeInsights(fx.opts.insightsFile, [
    { namespace: 'data', pod: 'db-1', anomalous: true },
    ...siblings.map((p) => ({ namespace: 'data', pod: p, anomalous: false })),
  ]);
  const [verification] = await session.settle();
  assert.equal(verification?.result, 'FAILED', verification?.reason);
  assert.deepEqual(verification?.checked, ['db-1']);
});

void test('analysis owner chain: a StatefulSet pod resolves to the StatefulSet (with its replicas)', async () => {
  const ctx = await buildContext(k, insight({ namespace: 'data', pod: 'db-2' }), { logLines: 10, maxEvents: 5, timeoutMs: 3000 });
  assert.equal(ctx.cluster, 'ok');
  assert.deepEqual(ctx.ownerChain, [{ kind: 'StatefulSet', name: 'db', replicas: 3 }]);
});
