// End to end on the simulated cluster: run-monitoring --demo in a pseudo-terminal, memory-leak scenario.
// (1) the approval prompt appears, the test approves the restart, the simulator replaces the pod,
//     verification records RESOLVED, and the audit log holds every step;
// (2) the test declines, and the cluster is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readJsonLines } from '../lib/atomic-file.ts';
import { kubeClients, loadKubeConfig } from '../lib/kube.ts';
import { AuditRecord } from '../lib/schemas.ts';
import { MonitorSession } from './e2e-support.ts';

// Fast enough that the leak is detected within the test's bound, slow enough for 2 shared cores.
const SPEED = process.env.E2E_SPEED ?? '5';
const PROMPT_TIMEOUT_MS = 150_000;
const RESTART_ACTIONS = ['restart_pod', 'rollout_restart'];
/** The workload the memory-leak scenario makes leak (sim/scenarios/memory-leak.json). */
const LEAKING = { namespace: 'monitoring', workload: 'log-aggregator' };
const targetsLeak = (r: AuditRecord) =>
  String(r.params.namespace) === LEAKING.namespace && String(r.params.pod ?? r.params.name ?? '').startsWith(LEAKING.workload);

const args = (extra: string[] = []) => [
  '--demo',
  '--scenario', 'memory-leak',
  '--speed', SPEED,
  '--seed', '7',
  '--no-llm',
  '--verify-delay', '20',
  ...extra,
];

const audit = (s: MonitorSession) => readJsonLines(join(s.dataDir, 'remediation_history.jsonl'), AuditRecord).records;

interface PodView {
  name: string;
  uid: string;
}

async function clusterView(s: MonitorSession, namespace: string) {
  const kubeconfig = s.status()?.kubeconfig;
  assert.ok(kubeconfig, 'the status file names the simulated cluster kubeconfig');
  const { core, apps } = kubeClients(loadKubeConfig(kubeconfig));
  const pods = await core.listNamespacedPod({ namespace });
  const deployments = await apps.listNamespacedDeployment({ namespace });
  return {
    pods: pods.items.map((p): PodView => ({ name: p.metadata!.name!, uid: p.metadata!.uid! })).sort((a, b) => a.name.localeCompare(b.name)),
    deployments: deployments.items
      .map((d) => ({
        name: d.metadata!.name!,
        replicas: d.spec?.replicas,
        annotations: d.spec?.template.metadata?.annotations ?? {},
        resources: d.spec?.template.spec?.containers.map((c) => c.resources ?? {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/**
 * Answers prompts until one proposes a restart of the leaking workload: every other proposal (another
 * action, or a detector's false positive elsewhere) is declined. Returns the audit's
 * proposal record for the restart (its analysis id, namespace and pod).
 */
async function untilRestartPrompt(s: MonitorSession): Promise<{ record: AuditRecord; promptAt: number }> {
  let from = 0;
  for (let i = 0; i < 6; i++) {
    const m = await s.waitFor(/Apply (\w+) to [^\n?]*\?/, 'the approval prompt (Apply <action> to <resource>?)', PROMPT_TIMEOUT_MS, from);
    const at = from + m.index;
    from = at + m[0].length;
    const action = m[1]!;
    const proposal = await s.until(
      `the audit log's proposal and dry run for ${action}`,
      () => {
        const recs = audit(s);
        const p = recs.filter((r) => r.event === 'proposal' && r.action === action).at(-1);
        return p && recs.some((r) => r.event === 'dry_run' && r.analysis_id === p.analysis_id && r.action === action) ? p : null;
      },
      10_000,
    );
    if (RESTART_ACTIONS.includes(action) && targetsLeak(proposal)) return { record: proposal, promptAt: at };
    s.type('n\r');
  }
  throw new Error(`no restart of ${LEAKING.namespace}/${LEAKING.workload} was proposed in six prompts\n${s.diagnostics()}`);
}

void test('e2e: approving a restart replaces the leaking pod, verification records RESOLVED, every step audited', { timeout: 240_000 }, async () => {
  const s = MonitorSession.start(args());
  try {
    const { record } = await untilRestartPrompt(s);
    const namespace = String(record.params.namespace ?? record.namespace);
    const target = String(record.params.pod ?? record.pod ?? '');
    const before = await clusterView(s, namespace);
    s.type('y\r');
    const verification = await s.until(
      'the verification record',
      () => audit(s).find((r) => r.event === 'verification' && r.analysis_id === record.analysis_id && r.action === record.action),
      120_000,
    );
    assert.equal(verification.result, 'RESOLVED', `verification: ${JSON.stringify(verification.detail)}\n${s.diagnostics()}`);
    const steps = audit(s).filter((r) => r.analysis_id === record.analysis_id && r.action === record.action);
    assert.deepEqual(
      steps.map((r) => `${r.event}:${r.result}`),
      ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok', 'verification:RESOLVED'],
    );
    for (const r of steps) assert.ok(r.user && r.ts, 'each step names the user and the time');

    const after = await clusterView(s, namespace);
    if (record.action === 'restart_pod') {
      assert.ok(before.pods.some((p) => p.name === target), `${target} existed before`);
      assert.ok(!after.pods.some((p) => p.name === target), `${target} was replaced`);
      assert.equal(after.pods.length, before.pods.length, 'its controller recreated it');
    } else {
      const changed = after.deployments.filter((d) => JSON.stringify(d.annotations) !== JSON.stringify(before.deployments.find((b) => b.name === d.name)?.annotations));
      assert.equal(changed.length, 1, 'one workload got the restartedAt annotation');
    }
    assert.match(s.text(), /RESOLVED/, 'the person sees the verification result');
    assert.equal(await s.stop(), 0);
  } finally {
    s.forceKill();
  }
});

void test('e2e: declining leaves the cluster unchanged', { timeout: 240_000 }, async () => {
  const s = MonitorSession.start(args());
  try {
    const first = await s.waitFor(/Apply (\w+) to [^\n?]*\?/, 'the approval prompt', PROMPT_TIMEOUT_MS);
    const proposal = await s.until('the proposal in the audit log', () => audit(s).find((r) => r.event === 'proposal'), 10_000);
    const namespace = String(proposal.params.namespace ?? proposal.namespace);
    const before = await clusterView(s, namespace);
    // Decline this prompt and any that follow in the same approval step.
    let from = first.index + first[0].length;
    s.type('n\r');
    for (;;) {
      const next = await s.waitFor(/Apply (\w+) to [^\n?]*\?|approval step ended/, 'the next prompt or the end of the approval step', 60_000, from);
      from += next.index + next[0].length;
      if (next[0] === 'approval step ended') break;
      s.type('n\r');
    }
    const records = audit(s);
    const decisions = records.filter((r) => r.event === 'decision');
    assert.ok(decisions.length >= 1, 'the decision is recorded');
    assert.ok(decisions.every((r) => r.result === 'skipped'), `decisions: ${decisions.map((r) => r.result).join(', ')}`);
    assert.deepEqual(records.filter((r) => r.event === 'execution'), [], 'nothing was executed');
    const after = await clusterView(s, namespace);
    assert.deepEqual(after.pods, before.pods, 'same pods (names and uids)');
    assert.deepEqual(after.deployments, before.deployments, 'same workloads (replicas, template annotations, resources)');
    assert.equal(await s.stop(), 0);
  } finally {
    s.forceKill();
  }
});
