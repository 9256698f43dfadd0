// StatefulSets and DaemonSets in the simulated cluster, through the real @kubernetes/client-node and the
// real remediation actions: the API shapes and owner chain, scale (dry run, then apply; pods follow by
// ordinal), rollout_restart and set_resources (pods replaced under the same names), restart_pod (the pod
// comes back under its own name and verification follows it), the analysis owner chain naming the
// StatefulSet; DaemonSets: one pod per node, rollout_restart / set_resources / restart_pod, no scale, and
// drain_node leaving their pods alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { SimCluster, startSim, type SimHandle } from '../../sim/index.ts';
import { parseScenario } from '../../sim/scenario.ts';
import { kubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.ts';
import { buildContext } from '../../agents/analysis/context.ts';
import { ruleJudgement } from '../../agents/analysis/rules.ts';
import { RecommendedAction } from '../../lib/schemas.ts';
import { workloadOf } from '../../models/pod-features.ts';
import { RemediationSession, processAnalyses } from '../../remediation/engine.ts';
import { act, analysisFor, auditEvents, engineFixture, tempDir, writeInsights, writesSince } from '../helpers/remediation-fixtures.ts';
import { insight } from '../helpers/analysis-fixtures.ts';

let sim: SimHandle;
let k: KubeClients;

const workload = (name: string, replicas: number, kind?: 'StatefulSet' | 'DaemonSet') => ({
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
      workloads: [
        workload('db', 3, 'StatefulSet'),
        workload('cache', 2, 'StatefulSet'),
        workload('queue', 1, 'StatefulSet'),
        workload('web', 2),
        workload('agent', 0, 'DaemonSet'),
      ],
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

function rawGet(path: string, accept = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, sim.apiUrl);
    const headers = { Authorization: `Bearer ${sim.token}`, Accept: accept };
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', ca: sim.caPem, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function podsOf(name: string): Promise<V1Pod[]> {
  const list = await k.core.listNamespacedPod({ namespace: 'data', labelSelector: `app=${name}` });
  return list.items;
}
const names = (pods: V1Pod[]) => pods.map((p) => p.metadata!.name!).sort();
const uids = (pods: V1Pod[]) => new Map(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));

void test('scenario kind: Deployment by default, StatefulSet / DaemonSet when declared; other values refused', () => {
  const s = parseScenario(
    { name: 'x', nodes: [{ name: 'n' }], workloads: [workload('a', 1), workload('b', 1, 'StatefulSet'), workload('c', 1, 'DaemonSet')] },
    'inline',
  );
  assert.deepEqual(
    s.workloads.map((w) => w.kind),
    ['Deployment', 'StatefulSet', 'DaemonSet'],
  );
  assert.throws(
    () => parseScenario({ name: 'x', nodes: [{ name: 'n' }], workloads: [{ ...workload('a', 1), kind: 'CronJob' }] }, 'inline'),
    /workloads\.0\.kind/,
  );
  const churn = [{ tick: 5, namespace: 'data', deployment: 'c', action: 'scale', replicas: 3 }];
  assert.throws(
    () => parseScenario({ name: 'x', nodes: [{ name: 'n' }], workloads: [workload('c', 1, 'DaemonSet')], churn }, 'inline'),
    /scales DaemonSet/,
  );
});

void test('deterministic: the same scenario and seed give the same StatefulSet and DaemonSet pods, ticks and all', () => {
  const scenario = parseScenario(
    {
      name: 'det',
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      workloads: [workload('db', 2, 'StatefulSet'), workload('agent', 0, 'DaemonSet'), workload('web', 2)],
    },
    'inline',
  );
  const run = () => {
    const c = new SimCluster({ scenario, seed: 5, tickSeconds: 5, startTime: new Date('2026-11-25T00:00:00Z') });
    c.deletePod('data', 'db-0', false);
    c.tick(4);
    return c.pods().map((p) => [p.name, p.uid, p.node, p.status, c.truth(p.namespace, p.name)!.cpuCores]);
  };
  const a = run();
  assert.deepEqual(run(), a);
  assert.deepEqual(
    a.filter((p) => String(p[0]).startsWith('db-')).map((p) => p[0]),
    ['db-0', 'db-1'],
  );
});

void test('client-node lists and reads StatefulSets; their pods are <name>-<ordinal> owned by the StatefulSet', async () => {
  const all = await k.apps.listStatefulSetForAllNamespaces();
  assert.equal(all.kind, 'StatefulSetList');
  assert.deepEqual(
    all.items.map((s) => s.metadata?.name),
    ['cache', 'db', 'queue'],
  );
  const inNs = await k.apps.listNamespacedStatefulSet({ namespace: 'data' });
  assert.equal(inNs.items.length, 3);
  const deployments = await k.apps.listNamespacedDeployment({ namespace: 'data' });
  assert.deepEqual(
    deployments.items.map((d) => d.metadata?.name),
    ['web'],
    'StatefulSets are not Deployments',
  );

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
  const view = sim.cluster.pods().find((p) => p.name === 'db-0')!;
  assert.deepEqual([view.deployment, view.kind, view.replicaSet], ['db', 'StatefulSet', '']);
  const rs = await k.apps.listNamespacedReplicaSet({ namespace: 'data' });
  assert.ok(
    rs.items.every((r) => r.metadata?.ownerReferences?.[0]?.name === 'web'),
    'no ReplicaSets for StatefulSets',
  );

  const scale = await k.apps.readNamespacedStatefulSetScale({ namespace: 'data', name: 'db' });
  assert.deepEqual([scale.kind, scale.spec?.replicas, scale.status?.replicas, scale.status?.selector], ['Scale', 3, 3, 'app=db']);
  await assert.rejects(k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'web' }), (e: { code?: number }) => e.code === 404);
  const table = JSON.parse(
    (await rawGet('/apis/apps/v1/namespaces/data/statefulsets', 'application/json;as=Table;v=v1;g=meta.k8s.io')).body,
  ) as {
    columnDefinitions: { name: string }[];
    rows: { cells: unknown[] }[];
  };
  assert.deepEqual(
    table.columnDefinitions.map((c) => c.name),
    ['Name', 'Ready', 'Age'],
  );
  assert.deepEqual(
    table.rows.map((r) => r.cells.slice(0, 2)),
    [
      ['cache', '2/2'],
      ['db', '3/3'],
      ['queue', '1/1'],
    ],
  );
});

void test('patch routes: merge, strategic merge and JSON patch, with dry run; bad replicas refused with 422', async () => {
  const patchOpts = (s: PatchStrategy) => setHeaderOptions('Content-Type', s);
  const before = await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'queue' });
  const dry = await k.apps.patchNamespacedStatefulSet(
    { namespace: 'data', name: 'queue', body: { metadata: { labels: { tier: 'x' } } }, dryRun: 'All' },
    patchOpts(PatchStrategy.MergePatch),
  );
  assert.equal(dry.metadata?.labels?.tier, 'x');
  assert.equal(
    (await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'queue' })).metadata?.labels?.tier,
    undefined,
    'dry run changed nothing',
  );
  const merged = await k.apps.patchNamespacedStatefulSet(
    { namespace: 'data', name: 'queue', body: { metadata: { labels: { tier: 'x' } } } },
    patchOpts(PatchStrategy.MergePatch),
  );
  assert.equal(merged.metadata?.labels?.tier, 'x');
  const json = await k.apps.patchNamespacedStatefulSet({
    namespace: 'data',
    name: 'queue',
    body: [{ op: 'replace', path: '/metadata/labels/tier', value: 'y' }],
  });
  assert.equal(json.metadata?.labels?.tier, 'y');
  assert.equal(json.metadata?.generation, before.metadata?.generation, 'metadata-only changes keep the generation');
  await assert.rejects(
    k.apps.patchNamespacedStatefulSet(
      { namespace: 'data', name: 'queue', body: { spec: { replicas: -1 } } },
      patchOpts(PatchStrategy.StrategicMergePatch),
    ),
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
  await processAnalyses(
    { analyses: [analysisFor(pod, [act('scale', { namespace: 'data', kind: 'StatefulSet', name: 'db', replicas: 5 })], owner)] },
    dryFx.opts,
  );
  assert.deepEqual(
    writesSince(sim, mark).map((w) => [w.method, w.path, w.dryRun]),
    [['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db/scale', true]],
  );
  assert.equal(
    (await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' })).spec?.replicas,
    3,
    'dry run: replicas unchanged',
  );
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1', 'db-2']);

  mark = sim.requests.length;
  await processAnalyses(
    { analyses: [analysisFor(pod, [act('scale', { namespace: 'data', kind: 'StatefulSet', name: 'db', replicas: 5 })], owner)] },
    fx.opts,
  );
  const writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((w) => [w.method, w.path, w.contentType, w.dryRun]),
    [
      ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db/scale', 'application/merge-patch+json', true],
      ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db/scale', 'application/merge-patch+json', false],
    ],
  );
  assert.deepEqual(auditEvents(fx.audit).slice(0, 4), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok']);
  assert.equal((await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' })).spec?.replicas, 5);
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1', 'db-2', 'db-3', 'db-4']);
  sim.tick(3);
  assert.equal(
    (await k.apps.readNamespacedStatefulSet({ namespace: 'data', name: 'db' })).status?.readyReplicas,
    5,
    'the new ordinals become ready',
  );

  // Scale down through the scale subresource with a replace (PUT): the highest ordinals go.
  const down = await k.apps.replaceNamespacedStatefulSetScale({
    namespace: 'data',
    name: 'db',
    body: { spec: { replicas: 2 }, metadata: { name: 'db', namespace: 'data' } },
  });
  assert.equal(down.spec?.replicas, 2);
  assert.deepEqual(names(await podsOf('db')), ['db-0', 'db-1']);
  await k.apps.patchNamespacedStatefulSetScale(
    { namespace: 'data', name: 'db', body: { spec: { replicas: 3 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
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
    {
      analyses: [
        analysisFor(pod, [act('rollout_restart', { namespace: 'data', kind: 'StatefulSet', name: 'cache' })], {
          owner: { kind: 'StatefulSet', name: 'cache' },
        }),
      ],
    },
    fx.opts,
  );
  const writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((w) => [w.method, w.path, w.contentType, w.dryRun]),
    [
      ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/cache', 'application/strategic-merge-patch+json', true],
      ['PATCH', '/apis/apps/v1/namespaces/data/statefulsets/cache', 'application/strategic-merge-patch+json', false],
    ],
  );
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
          [
            act('set_resources', {
              namespace: 'data',
              kind: 'StatefulSet',
              name: 'db',
              container: 'app',
              limits: { memory: '1Gi' },
              requests: { memory: '512Mi' },
            }),
          ],
          { owner: { kind: 'StatefulSet', name: 'db' } },
        ),
      ],
    },
    fx.opts,
  );
  const writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((w) => [w.path, w.contentType, w.dryRun]),
    [
      ['/apis/apps/v1/namespaces/data/statefulsets/db', 'application/strategic-merge-patch+json', true],
      ['/apis/apps/v1/namespaces/data/statefulsets/db', 'application/strategic-merge-patch+json', false],
    ],
  );
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
  await session.processAnalyses({
    analyses: [analysisFor(pod, [act('restart_pod', { namespace: 'data', pod: 'db-1' })], { owner: { kind: 'StatefulSet', name: 'db' } })],
  });
  assert.deepEqual(
    writesSince(sim, mark).map((w) => [w.method, w.path, w.dryRun]),
    [
      ['DELETE', '/api/v1/namespaces/data/pods/db-1', true],
      ['DELETE', '/api/v1/namespaces/data/pods/db-1', false],
    ],
  );
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

void test('end to end: a crash loop in a StatefulSet → rules propose rollout_restart of the StatefulSet → applied, the fault clears', async () => {
  const dir = tempDir();
  const file = join(dir, 'sts-crash.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'sts-crash',
      nodes: [{ name: 'node-a' }],
      workloads: [workload('ledger', 2, 'StatefulSet')],
      faults: [
        { kind: 'crash_loop', namespace: 'data', deployment: 'ledger', scope: 'deployment', clearedBy: 'template-change', startTick: 2 },
      ],
    }),
  );
  const crashSim = await startSim({ scenario: file, seed: 2, manualClock: true });
  try {
    crashSim.tick(30);
    assert.equal(crashSim.cluster.truth('data', 'ledger-0')!.status, 'CrashLoopBackOff');
    const clients = kubeClients(loadKubeConfig(crashSim.kubeconfigPath));
    const ctx = await buildContext(clients, insight({ namespace: 'data', pod: 'ledger-0', anomaly_type: 'crash_loop' }), {
      logLines: 20,
      maxEvents: 5,
      timeoutMs: 3000,
    });
    assert.deepEqual(
      ctx.ownerChain.map((l) => [l.kind, l.name]),
      [['StatefulSet', 'ledger']],
    );
    const judged = ruleJudgement(ctx);
    assert.equal(judged.anomaly_type, 'crash_loop');
    const actions = judged.recommended_actions.map((a) => RecommendedAction.parse(a) as RecommendedAction);
    const rollout = actions.find((a) => a.action === 'rollout_restart');
    assert.deepEqual(rollout?.params, { namespace: 'data', kind: 'StatefulSet', name: 'ledger' });

    const view = crashSim.cluster.pods().find((p) => p.name === 'ledger-0')!;
    const fx = engineFixture(crashSim, dir, approve, { verifyDelayMs: 0 });
    await processAnalyses(
      { analyses: [analysisFor(view, [rollout!], { owner: { kind: 'StatefulSet', name: 'ledger' }, anomaly_type: 'crash_loop' })] },
      fx.opts,
    );
    assert.deepEqual(auditEvents(fx.audit).slice(0, 4), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok']);
    const fault = crashSim.cluster.faults()[0]!;
    assert.equal(fault.active, false);
    assert.equal(fault.endedAt?.reason, 'pod template changed');
    crashSim.tick(3);
    for (const name of ['ledger-0', 'ledger-1']) {
      const t = crashSim.cluster.truth('data', name)!;
      assert.deepEqual([t.status, t.ready, t.restarts], ['Running', true, 0], name);
    }
  } finally {
    await crashSim.close();
  }
});

// ---------------------------------------------------------------- DaemonSets

const dsPods = async () => (await podsOf('agent')).sort((a, b) => (a.spec!.nodeName! < b.spec!.nodeName! ? -1 : 1));
const byNode = (pods: V1Pod[]) => new Map(pods.map((p) => [p.spec!.nodeName!, p.metadata!.name!]));

void test('DaemonSet: one pod per node, <name>-<5 chars>, owned by the DaemonSet; no scale subresource', async () => {
  const all = await k.apps.listDaemonSetForAllNamespaces();
  assert.equal(all.kind, 'DaemonSetList');
  assert.deepEqual(
    all.items.map((d) => d.metadata?.name),
    ['agent'],
  );
  const ds = await k.apps.readNamespacedDaemonSet({ namespace: 'data', name: 'agent' });
  assert.equal(ds.kind, 'DaemonSet');
  assert.equal((ds.spec as { replicas?: number }).replicas, undefined);
  assert.equal(ds.spec?.updateStrategy?.type, 'RollingUpdate');
  assert.deepEqual(
    [
      ds.status?.desiredNumberScheduled,
      ds.status?.currentNumberScheduled,
      ds.status?.numberReady,
      ds.status?.updatedNumberScheduled,
      ds.status?.numberMisscheduled,
    ],
    [2, 2, 2, 2, 0],
  );
  const pods = await dsPods();
  assert.deepEqual(
    pods.map((p) => p.spec?.nodeName),
    ['node-a', 'node-b'],
  );
  for (const p of pods) {
    assert.match(p.metadata!.name!, /^agent-[a-z0-9]{5}$/);
    const ref = p.metadata?.ownerReferences?.[0];
    assert.deepEqual([ref?.kind, ref?.name, ref?.uid, ref?.controller], ['DaemonSet', 'agent', ds.metadata?.uid, true]);
    assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
    assert.equal(p.metadata?.labels?.['pod-template-hash'], undefined);
    const view = sim.cluster.pods().find((v) => v.name === p.metadata?.name)!;
    assert.deepEqual([view.deployment, view.kind, view.replicaSet], ['agent', 'DaemonSet', '']);
  }
  // client-node has no DaemonSet scale call (there is no such subresource): ask the path directly.
  assert.equal((await rawGet('/apis/apps/v1/namespaces/data/daemonsets/agent/scale')).status, 404);
  const table = await rawGet('/apis/apps/v1/namespaces/data/daemonsets', 'application/json;as=Table;v=v1;g=meta.k8s.io');
  assert.equal(table.status, 200);
  assert.deepEqual(
    (JSON.parse(table.body) as { columnDefinitions: { name: string }[] }).columnDefinitions.map((c) => c.name),
    ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Age'],
  );
});

void test('DaemonSet rollout_restart and set_resources (real actions): each node gets a new pod of the new template', async () => {
  const pod = sim.cluster.pods().find((p) => p.deployment === 'agent')!;
  const owner = { owner: { kind: 'DaemonSet', name: 'agent' } };
  const before = byNode(await dsPods());
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  let mark = sim.requests.length;
  await processAnalyses(
    { analyses: [analysisFor(pod, [act('rollout_restart', { namespace: 'data', kind: 'DaemonSet', name: 'agent' })], owner)] },
    fx.opts,
  );
  assert.deepEqual(
    writesSince(sim, mark).map((w) => [w.path, w.dryRun]),
    [
      ['/apis/apps/v1/namespaces/data/daemonsets/agent', true],
      ['/apis/apps/v1/namespaces/data/daemonsets/agent', false],
    ],
  );
  const restarted = await dsPods();
  assert.deepEqual(
    restarted.map((p) => p.spec?.nodeName),
    ['node-a', 'node-b'],
  );
  for (const p of restarted) {
    assert.notEqual(p.metadata?.name, before.get(p.spec!.nodeName!), 'a new pod on each node');
    assert.ok(p.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
  }
  sim.tick(3);

  const pod2 = sim.cluster.pods().find((p) => p.deployment === 'agent')!;
  const fx2 = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  mark = sim.requests.length;
  await processAnalyses(
    {
      analyses: [
        analysisFor(
          pod2,
          [act('set_resources', { namespace: 'data', kind: 'DaemonSet', name: 'agent', container: 'app', limits: { cpu: '2' } })],
          owner,
        ),
      ],
    },
    fx2.opts,
  );
  assert.equal(writesSince(sim, mark).length, 2);
  const resized = await dsPods();
  assert.equal(resized.length, 2);
  for (const p of resized) assert.equal(p.spec?.containers[0]?.resources?.limits?.cpu, '2');
  assert.equal(sim.cluster.daemonSets()[0]!.cpuLimitCores, 2);
  sim.tick(3);
});

void test('DaemonSet restart_pod (real action): a replacement on the same node; verification follows it', async () => {
  const [victim] = await dsPods();
  const node = victim!.spec!.nodeName!;
  const view = sim.cluster.pods().find((p) => p.name === victim!.metadata!.name)!;
  const fx = engineFixture(sim, tempDir(), approve);
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({
    analyses: [
      analysisFor(view, [act('restart_pod', { namespace: 'data', pod: view.name })], { owner: { kind: 'DaemonSet', name: 'agent' } }),
    ],
  });
  const now = byNode(await dsPods());
  const replacement = now.get(node)!;
  assert.ok(replacement && replacement !== view.name, 'a new pod on the same node');
  const execution = fx.audit.all().find((r) => r.event === 'execution');
  assert.deepEqual((execution?.detail as { facts: { replacements: string[] } }).facts.replacements, [replacement]);
  writeInsights(fx.opts.insightsFile, [
    { namespace: 'data', pod: view.name, anomalous: true },
    { namespace: 'data', pod: replacement, anomalous: false },
  ]);
  const [v] = await session.settle();
  assert.equal(v?.result, 'RESOLVED', v?.reason);
  assert.deepEqual(v?.checked, [replacement]);
  sim.tick(3);
});

void test('drain_node leaves the DaemonSet pod on the node; cordon does not move it', async () => {
  const dsOnA = byNode(await dsPods()).get('node-a')!;
  const onA = sim.cluster.pods().filter((p) => p.node === 'node-a');
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  const mark = sim.requests.length;
  await processAnalyses(
    { analyses: [analysisFor(onA.find((p) => p.deployment === 'web') ?? onA[0]!, [act('drain_node', { node: 'node-a' })])] },
    fx.opts,
  );
  const evicted = writesSince(sim, mark)
    .filter((w) => w.path.endsWith('/eviction') && !w.dryRun)
    .map((w) => w.path.split('/')[6]);
  assert.ok(!evicted.includes(dsOnA), 'the DaemonSet pod is not evicted');
  assert.deepEqual(
    evicted.sort(),
    onA
      .filter((p) => p.deployment !== 'agent')
      .map((p) => p.name)
      .sort(),
  );
  assert.equal(sim.cluster.nodes().find((n) => n.name === 'node-a')!.unschedulable, true);
  const left = sim.cluster.pods().filter((p) => p.node === 'node-a');
  assert.deepEqual(
    left.map((p) => p.name),
    [dsOnA],
    'only the DaemonSet pod stays on the cordoned node',
  );
});
