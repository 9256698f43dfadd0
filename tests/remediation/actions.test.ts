// Each remediation action kind through the real @kubernetes/client-node against the simulated cluster:
// the requests it received (body, content type, dry run first), the change in the cluster, the audit
// trail, and the refusals (protected namespace, out of bounds) that send no write at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { RemediationSession, processAnalyses } from '../../remediation/engine.ts';
import {
  act,
  analysisFor,
  auditEvents,
  engineFixture,
  podOf,
  tempDir,
  writeInsights,
  writeScenario,
  writesSince,
} from '../helpers/remediation-fixtures.ts';

let sim: SimHandle;
let dir: string;

before(async () => {
  dir = tempDir();
  sim = await startSim({ scenario: writeScenario(dir, 'general'), seed: 7, manualClock: true });
  sim.tick(3); // pods become ready, so PodDisruptionBudgets count them
});
after(async () => {
  await sim?.close();
});

const approve = async () => 'approve' as const;

void test('restart_pod: dry-run DELETE first, then DELETE; the pod is replaced and verification is RESOLVED', async () => {
  const pod = podOf(sim, 'shop', 'web');
  const fx = engineFixture(sim, tempDir(), approve);
  const mark = sim.requests.length;
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({ analyses: [analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })])] });

  const writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((r) => [r.method, r.path, r.dryRun]),
    [
      ['DELETE', `/api/v1/namespaces/shop/pods/${pod.name}`, true],
      ['DELETE', `/api/v1/namespaces/shop/pods/${pod.name}`, false],
    ],
  );
  assert.equal(writes[0]!.query.dryRun, 'All');
  const webPods = sim.cluster
    .pods()
    .filter((p) => p.deployment === 'web')
    .map((p) => p.name);
  assert.ok(!webPods.includes(pod.name), 'the old pod is gone');
  assert.equal(webPods.length, 2, 'the ReplicaSet made a replacement');

  // The insights agent now sees the replacement without an anomaly (the old pod's last entry is stale).
  writeInsights(fx.opts.insightsFile, [
    { namespace: 'shop', pod: pod.name, anomalous: true },
    ...webPods.map((p) => ({ namespace: 'shop', pod: p, anomalous: false })),
  ]);
  const [verification] = await session.settle();
  assert.equal(verification?.result, 'RESOLVED', verification?.reason);
  const id = `anomaly-shop-${pod.name}`;
  assert.deepEqual(auditEvents(fx.audit, id), [
    'proposal:proposed',
    'dry_run:ok',
    'decision:approved',
    'execution:ok',
    'verification:RESOLVED',
  ]);
  const decision = fx.audit.all().find((r) => r.event === 'decision');
  assert.equal(decision?.user, 'alice');
  const execution = fx.audit.all().find((r) => r.event === 'execution');
  const replacements = (execution?.detail as { facts: { replacements: string[] } }).facts.replacements;
  assert.equal(replacements.length, 1);
  assert.ok(webPods.includes(replacements[0]!), 'the recorded replacement is the new pod');
  assert.deepEqual(verification?.checked ?? [], replacements, 'verification looked at the replacement');
});

void test('restart_pod: verification FAILED when the replacement is still anomalous, and the person is told', async () => {
  const pod = podOf(sim, 'shop', 'search');
  const fx = engineFixture(sim, tempDir(), approve);
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({ analyses: [analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })])] });
  const now = sim.cluster
    .pods()
    .filter((p) => p.deployment === 'search')
    .map((p) => p.name);
  writeInsights(
    fx.opts.insightsFile,
    now.map((p) => ({ namespace: 'shop', pod: p, anomalous: true })),
  );
  const [v] = await session.settle();
  assert.equal(v?.result, 'FAILED');
  assert.ok(fx.printed.some((t) => /marked FAILED: still anomalous/.test(t)));
  assert.equal(fx.audit.all().at(-1)?.result, 'FAILED');
});

void test('rollout_restart: strategic merge patch of the template restartedAt annotation, dry run first', async () => {
  const pod = podOf(sim, 'shop', 'cart');
  const fixed = new Date('2026-11-25T05:00:00.000Z');
  const fx = engineFixture(sim, tempDir(), approve, { now: () => new Date(Date.now()), verifyDelayMs: 0 });
  fx.opts.now = () => fixed;
  const before = sim.cluster.deployments().find((d) => d.name === 'cart')!.revision;
  const mark = sim.requests.length;
  await new RemediationSession(fx.opts).processAnalyses({
    analyses: [analysisFor(pod, [act('rollout_restart', { namespace: 'shop', kind: 'Deployment', name: 'cart' })])],
  });
  const writes = writesSince(sim, mark);
  assert.equal(writes.length, 2);
  const expected = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': fixed.toISOString() } } } } };
  for (const [i, w] of writes.entries()) {
    assert.equal(w.method, 'PATCH');
    assert.equal(w.path, '/apis/apps/v1/namespaces/shop/deployments/cart');
    assert.equal(w.contentType, 'application/strategic-merge-patch+json');
    assert.deepEqual(w.body, expected);
    assert.equal(w.dryRun, i === 0);
  }
  assert.equal(sim.cluster.deployments().find((d) => d.name === 'cart')!.revision, before + 1, 'a new revision rolls the pods');
});

void test('scale: merge patch of the scale subresource within bounds; out of bounds is refused with no request', async () => {
  const pod = podOf(sim, 'shop', 'web');
  const fx = engineFixture(sim, tempDir(), approve, { policy: { bounds: { maxReplicas: 4, maxScaleStep: 1 } } });
  let mark = sim.requests.length;
  await processAnalyses(
    { analyses: [analysisFor(pod, [act('scale', { namespace: 'shop', kind: 'Deployment', name: 'web', replicas: 3 })])] },
    { ...fx.opts, verifyDelayMs: 0 },
  );
  const writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((w) => [w.method, w.path, w.contentType, w.dryRun]),
    [
      ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/web/scale', 'application/merge-patch+json', true],
      ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/web/scale', 'application/merge-patch+json', false],
    ],
  );
  assert.deepEqual(writes[1]!.body, { spec: { replicas: 3 } });
  assert.equal(sim.cluster.deployments().find((d) => d.name === 'web')!.replicas, 3);

  // Above maxReplicas: refused before any request at all.
  mark = sim.requests.length;
  const high = engineFixture(sim, tempDir(), approve, { policy: { bounds: { maxReplicas: 4 } } });
  const pod2 = podOf(sim, 'shop', 'web');
  await processAnalyses(
    { analyses: [analysisFor(pod2, [act('scale', { namespace: 'shop', kind: 'Deployment', name: 'web', replicas: 9 })])] },
    high.opts,
  );
  assert.equal(sim.requests.length, mark, 'no request sent');
  assert.deepEqual(auditEvents(high.audit), ['refusal:out_of_bounds']);
  assert.equal(high.prompts, 0);

  // A step larger than maxScaleStep (from the live count) is refused after reading, with no write.
  mark = sim.requests.length;
  const step = engineFixture(sim, tempDir(), approve, { policy: { bounds: { maxReplicas: 10, maxScaleStep: 1 } } });
  await processAnalyses(
    { analyses: [analysisFor(pod2, [act('scale', { namespace: 'shop', kind: 'Deployment', name: 'web', replicas: 6 })])] },
    step.opts,
  );
  assert.equal(writesSince(sim, mark).length, 0);
  assert.match(String((step.audit.all()[0]?.detail as { reason: string }).reason), /exceeds the maximum step of 1/);
  assert.equal(sim.cluster.deployments().find((d) => d.name === 'web')!.replicas, 3);
});

void test('set_resources: strategic merge patch of one container; above the ceiling is refused with no request', async () => {
  const pod = podOf(sim, 'shop', 'search');
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  let mark = sim.requests.length;
  await processAnalyses(
    {
      analyses: [
        analysisFor(pod, [
          act('set_resources', {
            namespace: 'shop',
            kind: 'Deployment',
            name: 'search',
            container: 'app',
            limits: { memory: '1Gi' },
            requests: { memory: '512Mi' },
          }),
        ]),
      ],
    },
    fx.opts,
  );
  const writes = writesSince(sim, mark);
  assert.equal(writes.length, 2);
  assert.equal(writes[0]!.dryRun, true);
  assert.equal(writes[1]!.dryRun, false);
  assert.equal(writes[1]!.contentType, 'application/strategic-merge-patch+json');
  assert.deepEqual(writes[1]!.body, {
    spec: {
      template: { spec: { containers: [{ name: 'app', resources: { requests: { memory: '512Mi' }, limits: { memory: '1Gi' } } }] } },
    },
  });
  assert.equal(sim.cluster.deployments().find((d) => d.name === 'search')!.memoryLimitBytes, 2 ** 30);
  const proposal = fx.audit.all().find((r) => r.event === 'proposal');
  assert.deepEqual((proposal?.detail as { changes: unknown }).changes, [
    { field: 'spec.template.spec.containers[app].resources.requests.memory', from: '256Mi', to: '512Mi' },
    { field: 'spec.template.spec.containers[app].resources.limits.memory', from: '512Mi', to: '1Gi' },
  ]);

  mark = sim.requests.length;
  const big = engineFixture(sim, tempDir(), approve);
  await processAnalyses(
    {
      analyses: [
        analysisFor(pod, [
          act('set_resources', { namespace: 'shop', kind: 'Deployment', name: 'search', container: 'app', limits: { memory: '64Gi' } }),
        ]),
      ],
    },
    big.opts,
  );
  assert.equal(sim.requests.length, mark, 'no request sent');
  assert.deepEqual(auditEvents(big.audit), ['refusal:out_of_bounds']);
  assert.equal(sim.cluster.deployments().find((d) => d.name === 'search')!.memoryLimitBytes, 2 ** 30);
});

void test('cordon_node and uncordon_node: strategic merge patch of spec.unschedulable', async () => {
  const pod = podOf(sim, 'shop', 'cart');
  const node = pod.node!;
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  let mark = sim.requests.length;
  await processAnalyses({ analyses: [analysisFor(pod, [act('cordon_node', { node })])] }, fx.opts);
  let writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((w) => [w.method, w.path, w.contentType, w.dryRun, JSON.stringify(w.body)]),
    [
      ['PATCH', `/api/v1/nodes/${node}`, 'application/strategic-merge-patch+json', true, '{"spec":{"unschedulable":true}}'],
      ['PATCH', `/api/v1/nodes/${node}`, 'application/strategic-merge-patch+json', false, '{"spec":{"unschedulable":true}}'],
    ],
  );
  assert.equal(sim.cluster.nodes().find((n) => n.name === node)!.unschedulable, true);

  mark = sim.requests.length;
  const un = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
  await processAnalyses({ analyses: [analysisFor(pod, [act('uncordon_node', { node })], { id: 'uncordon' })] }, un.opts);
  writes = writesSince(sim, mark);
  assert.deepEqual(
    writes.map((w) => [w.dryRun, JSON.stringify(w.body)]),
    [
      [true, '{"spec":{"unschedulable":false}}'],
      [false, '{"spec":{"unschedulable":false}}'],
    ],
  );
  assert.equal(sim.cluster.nodes().find((n) => n.name === node)!.unschedulable, false);
});

void test('protected namespace: refused with an audit record and no request, for pod and node actions', async () => {
  const pod = podOf(sim, 'kube-system', 'coredns');
  const fx = engineFixture(sim, tempDir(), approve);
  const mark = sim.requests.length;
  await processAnalyses(
    {
      analyses: [
        analysisFor(pod, [act('restart_pod', { namespace: 'kube-system', pod: pod.name }), act('cordon_node', { node: pod.node! })]),
      ],
    },
    fx.opts,
  );
  assert.equal(sim.requests.length, mark, 'no request sent');
  assert.deepEqual(auditEvents(fx.audit), ['refusal:protected_namespace', 'refusal:protected_namespace']);
  assert.equal(fx.prompts, 0);
  assert.ok(sim.cluster.pods().some((p) => p.name === pod.name));
  // --protected-namespace adds namespaces.
  const shop = engineFixture(sim, tempDir(), approve, { protectedNamespaces: ['kube-system', 'shop'] });
  const web = podOf(sim, 'shop', 'web');
  await processAnalyses({ analyses: [analysisFor(web, [act('restart_pod', { namespace: 'shop', pod: web.name })])] }, shop.opts);
  assert.equal(sim.requests.length, mark);
  assert.deepEqual(auditEvents(shop.audit), ['refusal:protected_namespace']);
});

void test('actions outside the allow-list or with extra params are refused with no request', async () => {
  const pod = podOf(sim, 'shop', 'web');
  const fx = engineFixture(sim, tempDir(), approve);
  const mark = sim.requests.length;
  const bogus = [
    { action: 'exec_shell', params: { cmd: 'kubectl delete ns shop' }, rationale: 'LLM text', risk: 'low' },
    { action: 'restart_pod', params: { namespace: 'shop', pod: pod.name, command: 'kubectl delete ns shop' }, rationale: '', risk: 'low' },
  ] as unknown as Parameters<typeof analysisFor>[1];
  await processAnalyses({ analyses: [analysisFor(pod, bogus)] }, fx.opts);
  assert.equal(sim.requests.length, mark, 'no request sent');
  assert.deepEqual(auditEvents(fx.audit), ['refusal:not_allowed', 'refusal:invalid_params']);
  assert.equal(fx.prompts, 0);
});

void test('drain_node: an eviction a PodDisruptionBudget forbids (429) is reported by name and nothing is forced', async () => {
  const corednsNode = podOf(sim, 'kube-system', 'coredns').node;
  const apiPod = sim.cluster.pods().find((p) => p.deployment === 'api' && p.node !== corednsNode);
  assert.ok(apiPod, 'an api pod on a node without kube-system pods');
  assert.equal(sim.cluster.pdbs().find((p) => p.namespace === 'shop')?.disruptionsAllowed, 0);
  const node = apiPod.node!;
  const podsBefore = sim.cluster
    .pods()
    .map((p) => p.name)
    .sort();
  const fx = engineFixture(sim, tempDir(), approve);
  const mark = sim.requests.length;
  await processAnalyses({ analyses: [analysisFor(apiPod, [act('drain_node', { node })])] }, fx.opts);
  const writes = writesSince(sim, mark);
  assert.ok(writes.length > 1);
  assert.ok(
    writes.every((w) => w.dryRun),
    'only dry-run requests were sent',
  );
  const blocked = writes.find((w) => w.path === `/api/v1/namespaces/shop/pods/${apiPod.name}/eviction`);
  assert.equal(blocked?.status, 429);
  assert.deepEqual(auditEvents(fx.audit), ['proposal:proposed', 'dry_run:failed', 'refusal:dry_run_failed']);
  const dry = fx.audit.all().find((r) => r.event === 'dry_run');
  assert.match(JSON.stringify(dry?.detail), /PodDisruptionBudget shop\/api/);
  assert.ok(fx.printed.some((t) => t.includes('PodDisruptionBudget shop/api')));
  assert.equal(fx.prompts, 0);
  assert.equal(sim.cluster.nodes().find((n) => n.name === node)!.unschedulable, false, 'not cordoned');
  assert.deepEqual(
    sim.cluster
      .pods()
      .map((p) => p.name)
      .sort(),
    podsBefore,
  );

  // The node with the kube-system pod: refused before any write (protected namespace).
  const m2 = sim.requests.length;
  const prot = engineFixture(sim, tempDir(), approve);
  const onCoreDnsNode = sim.cluster.pods().find((p) => p.node === corednsNode && p.namespace === 'shop');
  assert.ok(onCoreDnsNode, 'a shop pod shares the node of the kube-system pod');
  await processAnalyses({ analyses: [analysisFor(onCoreDnsNode, [act('drain_node', { node: corednsNode! })])] }, prot.opts);
  assert.equal(writesSince(sim, m2).length, 0);
  assert.deepEqual(auditEvents(prot.audit), ['refusal:protected_namespace']);
});

void test('drain_node: cordon, then one eviction per pod (dry run first); pods move to the other node', async () => {
  const d = tempDir();
  const drainSim = await startSim({ scenario: writeScenario(d, 'drain'), seed: 3, manualClock: true });
  try {
    drainSim.tick(3);
    const onA = drainSim.cluster.pods().filter((p) => p.node === 'node-a');
    assert.ok(onA.length >= 1);
    assert.ok(onA.length < 4, 'a PDB with maxUnavailable 1 allows one api eviction');
    const fx = engineFixture(drainSim, d, approve, { verifyDelayMs: 0 });
    const mark = drainSim.requests.length;
    await processAnalyses({ analyses: [analysisFor(onA[0]!, [act('drain_node', { node: 'node-a' })])] }, fx.opts);
    const writes = writesSince(drainSim, mark).map((w) => `${w.dryRun ? 'dry ' : ''}${w.method} ${w.path} ${w.status}`);
    const sequence = ['PATCH /api/v1/nodes/node-a 200', ...onA.map((p) => `POST /api/v1/namespaces/shop/pods/${p.name}/eviction 201`)];
    assert.deepEqual(writes, [...sequence.map((s) => `dry ${s}`), ...sequence]);
    const evictions = writesSince(drainSim, mark).filter((w) => w.path.endsWith('/eviction'));
    assert.deepEqual(evictions[0]!.body && (evictions[0]!.body as { kind: string }).kind, 'Eviction');
    assert.equal(drainSim.cluster.nodes().find((n) => n.name === 'node-a')!.unschedulable, true);
    assert.ok(
      drainSim.cluster.pods().every((p) => p.node !== 'node-a'),
      'no pod left on node-a',
    );
    assert.deepEqual(auditEvents(fx.audit).slice(0, 4), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok']);
  } finally {
    await drainSim.close();
  }
});

void test('drain_node: a budget that refuses an eviction mid-drain (429) is reported, not forced', async () => {
  const d = tempDir();
  const single = await startSim({ scenario: writeScenario(d, 'single-node'), seed: 5, manualClock: true });
  try {
    single.tick(3);
    const [a1, a2] = single.cluster.pods();
    // Each eviction alone is allowed (the dry runs pass); after the first, the budget has no room left.
    const fx = engineFixture(single, d, approve, { verifyDelayMs: 0 });
    const mark = single.requests.length;
    const { counts } = await processAnalyses({ analyses: [analysisFor(a1!, [act('drain_node', { node: 'node-a' })])] }, fx.opts);
    assert.equal(counts.executionFailed, 1);
    const real = writesSince(single, mark)
      .filter((w) => !w.dryRun)
      .map((w) => `${w.method} ${w.path} ${w.status}`);
    assert.deepEqual(real, [
      'PATCH /api/v1/nodes/node-a 200',
      `POST /api/v1/namespaces/shop/pods/${a1!.name}/eviction 201`,
      `POST /api/v1/namespaces/shop/pods/${a2!.name}/eviction 429`,
    ]);
    assert.ok(
      single.cluster.pods().some((p) => p.name === a2!.name),
      'the protected pod was not forced out',
    );
    const execution = fx.audit.all().find((r) => r.event === 'execution');
    assert.equal(execution?.result, 'failed');
    assert.match(JSON.stringify(execution?.detail), /refused by a disruption budget \(not forced\).*PodDisruptionBudget shop\/api/);
    assert.ok(fx.printed.some((t) => /EXECUTION FAILED.*shop\/api/.test(t)));
  } finally {
    await single.close();
  }
});

void test('one change per anomaly at a time: the next recommended action waits until verification fails', async () => {
  const pod = podOf(sim, 'shop', 'search');
  const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 100 });
  const analysis = analysisFor(
    pod,
    [
      act('set_resources', { namespace: 'shop', kind: 'Deployment', name: 'search', container: 'app', limits: { memory: '768Mi' } }),
      act('scale', { namespace: 'shop', kind: 'Deployment', name: 'search', replicas: 3 }),
    ],
    { id: 'one-at-a-time' },
  );
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({ analyses: [analysis] });
  assert.equal(fx.prompts, 1);
  await session.processAnalyses({ analyses: [analysis] }); // the file is rewritten before verification
  assert.equal(fx.prompts, 1, 'scale is not proposed while set_resources is being verified');
  writeInsights(
    fx.opts.insightsFile,
    sim.cluster
      .pods()
      .filter((p) => p.deployment === 'search')
      .map((p) => ({ namespace: 'shop', pod: p.name, anomalous: true })),
  );
  const [v] = await session.settle();
  assert.equal(v?.result, 'FAILED');
  await session.processAnalyses({ analyses: [analysis] });
  assert.equal(fx.prompts, 2, 'after the failed verification the next action is proposed');
  assert.deepEqual(
    fx.audit
      .all()
      .filter((r) => r.event === 'proposal')
      .map((r) => r.action),
    ['set_resources', 'scale'],
  );
  await session.settle();
});

void test('decline: nothing changes and the audit says skipped; the same anomaly is not proposed again', async () => {
  const pod = podOf(sim, 'shop', 'cart');
  const fx = engineFixture(sim, tempDir(), async () => 'skip');
  const mark = sim.requests.length;
  const analysis = analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })]);
  await processAnalyses({ analyses: [analysis] }, fx.opts);
  assert.ok(
    writesSince(sim, mark).every((w) => w.dryRun),
    'only the dry run was sent',
  );
  assert.ok(
    sim.cluster.pods().some((p) => p.name === pod.name),
    'pod unchanged',
  );
  assert.deepEqual(auditEvents(fx.audit), ['proposal:proposed', 'dry_run:ok', 'decision:skipped']);
  // Within the cool-down, a new process (state from the audit file) does not ask again.
  const again = engineFixture(sim, join(fx.audit.path, '..'), async () => 'approve');
  await processAnalyses({ analyses: [analysis] }, again.opts);
  assert.equal(again.prompts, 0);
  assert.equal(again.audit.all().length, 3);
});

void test('no terminal: proposals are recorded as pending and nothing executes', async () => {
  const pod = podOf(sim, 'shop', 'web');
  const fx = engineFixture(sim, tempDir(), null);
  const mark = sim.requests.length;
  const { counts } = await processAnalyses(
    { analyses: [analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })])] },
    fx.opts,
  );
  assert.equal(counts.pending, 1);
  assert.ok(writesSince(sim, mark).every((w) => w.dryRun));
  assert.deepEqual(auditEvents(fx.audit), ['proposal:proposed', 'dry_run:ok', 'pending:pending']);
  assert.ok(sim.cluster.pods().some((p) => p.name === pod.name));
});

void test('--dry-run mode: shows and records the proposal with its server-side dry run, executes nothing', async () => {
  const pod = podOf(sim, 'shop', 'web');
  const fx = engineFixture(sim, tempDir(), approve, { mode: 'dry-run' });
  const mark = sim.requests.length;
  await processAnalyses(
    { analyses: [analysisFor(pod, [act('scale', { namespace: 'shop', kind: 'Deployment', name: 'web', replicas: 4 })])] },
    fx.opts,
  );
  assert.equal(fx.prompts, 0);
  assert.deepEqual(
    writesSince(sim, mark).map((w) => w.dryRun),
    [true],
  );
  assert.deepEqual(auditEvents(fx.audit), ['proposal:proposed', 'dry_run:ok', 'pending:dry-run']);
  assert.ok(fx.printed.some((t) => t.includes('spec.replicas: 3 → 4')));
});

void test('"a" approves the action kind for the session: the next one runs without asking', async () => {
  const [p1, p2] = sim.cluster.pods().filter((p) => p.deployment === 'api');
  const fx = engineFixture(sim, tempDir(), async () => 'approve_kind', { verifyDelayMs: 0 });
  const { counts } = await processAnalyses(
    {
      analyses: [
        analysisFor(p1!, [act('rollout_restart', { namespace: 'shop', kind: 'Deployment', name: 'api' })]),
        analysisFor(p2!, [act('rollout_restart', { namespace: 'shop', kind: 'Deployment', name: 'api' })]),
      ],
    },
    fx.opts,
  );
  assert.equal(fx.prompts, 1);
  assert.equal(counts.executed, 2);
  const via = fx.audit
    .all()
    .filter((r) => r.event === 'decision')
    .map((r) => (r.detail as { via: string }).via);
  assert.deepEqual(via, ['approve rollout_restart for the session', 'session approval of rollout_restart']);
});

void test("auto-approve: only the policy's kinds, at most maxActionsPerHour, and a cool-down per workload", async () => {
  const dir2 = tempDir();
  const policy = { autoApprove: { name: 'restarts', actions: ['restart_pod'], maxActionsPerHour: 1, cooldownMinutes: 60 } };
  const [w1] = sim.cluster.pods().filter((p) => p.deployment === 'web');
  const cart = podOf(sim, 'shop', 'cart');
  const fx = engineFixture(sim, dir2, null, { mode: 'auto-approve', policy, verifyDelayMs: 0 });
  const { counts } = await processAnalyses(
    {
      analyses: [
        analysisFor(w1!, [act('restart_pod', { namespace: 'shop', pod: w1!.name })]),
        analysisFor(cart, [act('restart_pod', { namespace: 'shop', pod: cart.name })]),
        analysisFor(cart, [act('cordon_node', { node: cart.node! })], { id: 'cordon-not-in-policy' }),
      ],
    },
    fx.opts,
  );
  assert.equal(counts.executed, 1);
  const decisions = fx.audit
    .all()
    .filter((r) => r.event === 'decision' || r.event === 'pending')
    .map((r) => `${r.event}:${r.result}:${r.user}`);
  assert.deepEqual(decisions, [
    'decision:approved:auto-approve:restarts',
    'decision:rate_limited:auto-approve:restarts',
    'pending:pending:alice',
  ]);
  assert.ok(!sim.cluster.pods().some((p) => p.name === w1!.name), 'the first restart ran');
  assert.ok(
    sim.cluster.pods().some((p) => p.name === cart.name),
    'the second waited for the rate limit',
  );
  assert.equal(sim.cluster.nodes().find((n) => n.name === cart.node)!.unschedulable, false);

  // Cool-down per workload, from the audit log of a new process: web was just changed.
  const w2 = sim.cluster.pods().find((p) => p.deployment === 'web')!;
  const later = engineFixture(sim, dir2, null, {
    mode: 'auto-approve',
    policy: { autoApprove: { ...policy.autoApprove, maxActionsPerHour: 10 } },
    verifyDelayMs: 0,
  });
  await processAnalyses({ analyses: [analysisFor(w2, [act('restart_pod', { namespace: 'shop', pod: w2.name })])] }, later.opts);
  assert.equal(later.audit.all().at(-1)?.result, 'cooldown');
  assert.ok(sim.cluster.pods().some((p) => p.name === w2.name));
});

void test('memory-leak scenario: approving restart_pod on the leaking pod ends the fault in the simulated cluster', async () => {
  const leakSim = await startSim({ scenario: 'memory-leak', seed: 1, manualClock: true });
  try {
    leakSim.tick(20);
    const fault = leakSim.cluster.faults().find((f) => f.kind === 'memory_leak');
    assert.ok(fault?.active, 'the leak is running');
    const pod = leakSim.cluster.pods().find((p) => p.name === fault.pod)!;
    const grown = leakSim.cluster.truth(pod.namespace, pod.name)!.memoryBytes;
    const fx = engineFixture(leakSim, tempDir(), approve, { verifyDelayMs: 0 });
    await processAnalyses({ analyses: [analysisFor(pod, [act('restart_pod', { namespace: pod.namespace, pod: pod.name })])] }, fx.opts);
    assert.equal(leakSim.cluster.faults().find((f) => f.id === fault.id)?.active, false, 'the restart removed the leak');
    leakSim.tick(5);
    const replacement = leakSim.cluster
      .pods()
      .find((p) => p.deployment === pod.deployment && p.name !== pod.name && !fault.pods.includes(p.name) && p.createdAt > pod.createdAt);
    assert.ok(replacement, 'a replacement pod exists');
    assert.ok(leakSim.cluster.truth(replacement.namespace, replacement.name)!.memoryBytes < grown, 'the replacement starts small');
  } finally {
    await leakSim.close();
  }
});
