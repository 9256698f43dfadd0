// End to end on the simulated cluster: run-monitoring --demo in a pseudo-terminal, memory-leak scenario.
// (1) the approval prompt appears, the test approves the restart, the simulator replaces the pod,
//     verification records RESOLVED, and the audit log holds every step;
// (2) the test declines, and the cluster is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeClients, loadKubeConfig } from '../../lib/kube.ts';
import { MonitorSession } from '../helpers/e2e-support.ts';
import {
  audit,
  leakDemoArgs,
  LEAKING,
  PromptDriver,
  PROMPT_TIMEOUT_MS,
  sameStep,
  targetsLeak,
  untilRestartPrompt,
} from '../helpers/prompt-driver.ts';

const args = leakDemoArgs;

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

void test(
  'e2e: approving a restart replaces the leaking pod, verification records RESOLVED, every step audited',
  { timeout: 240_000 },
  async () => {
    const s = MonitorSession.start(args());
    try {
      const prompts = new PromptDriver(s);
      const record = await untilRestartPrompt(s, prompts);
      const namespace = String(record.params.namespace ?? record.namespace);
      const target = String(record.params.pod ?? record.pod ?? '');
      const before = await clusterView(s, namespace);
      assert.equal((await prompts.answer(record, 'y')).result, 'approved');
      const verification = await s.until(
        'the verification record',
        () => audit(s).find((r) => r.event === 'verification' && r.analysis_id === record.analysis_id && r.action === record.action),
        120_000,
      );
      assert.equal(verification.result, 'RESOLVED', `verification: ${JSON.stringify(verification.detail)}\n${s.diagnostics()}`);
      const steps = audit(s).filter((r) => sameStep(r, record));
      assert.deepEqual(
        steps.map((r) => `${r.event}:${r.result}`),
        ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok', 'verification:RESOLVED'],
      );
      for (const r of steps) assert.ok(r.user && r.ts, 'each step names the user and the time');

      const after = await clusterView(s, namespace);
      if (record.action === 'restart_pod') {
        assert.ok(
          before.pods.some((p) => p.name === target),
          `${target} existed before`,
        );
        assert.ok(!after.pods.some((p) => p.name === target), `${target} was replaced`);
        assert.equal(after.pods.length, before.pods.length, 'its controller recreated it');
      } else {
        const changed = after.deployments.filter(
          (d) => JSON.stringify(d.annotations) !== JSON.stringify(before.deployments.find((b) => b.name === d.name)?.annotations),
        );
        assert.equal(changed.length, 1, 'one workload got the restartedAt annotation');
      }
      // Output that arrives while a prompt is open (here the verification result) is held until that prompt
      // is answered (remediation/engine.ts): decline any other proposal of this approval step, then look.
      for (let p = await prompts.nextInStep(PROMPT_TIMEOUT_MS); p; p = await prompts.nextInStep(PROMPT_TIMEOUT_MS))
        await prompts.answer(p, 'n');
      assert.match(s.text(), /RESOLVED/, 'the person sees the verification result');
      assert.equal(await s.stop(), 0);
    } finally {
      s.forceKill();
    }
  },
);

void test('e2e: declining leaves the cluster unchanged', { timeout: 240_000 }, async () => {
  const s = MonitorSession.start(args());
  try {
    const prompts = new PromptDriver(s);
    let p = await prompts.next(PROMPT_TIMEOUT_MS);
    // The leaking workload's namespace has no scripted churn, so any change there would be ours.
    const before = await clusterView(s, LEAKING.namespace);
    // Decline every prompt until the leaking workload's own proposal has been declined too.
    for (let i = 0; ; i++) {
      assert.ok(i < 12, `no proposal for ${LEAKING.namespace}/${LEAKING.workload} in twelve prompts\n${s.diagnostics()}`);
      if (i > 0) p = await prompts.next(PROMPT_TIMEOUT_MS);
      assert.equal((await prompts.answer(p, 'n')).result, 'skipped');
      if (targetsLeak(p)) break;
    }
    for (let next = await prompts.nextInStep(60_000); next; next = await prompts.nextInStep(60_000)) await prompts.answer(next, 'n');
    const records = audit(s);
    const decisions = records.filter((r) => r.event === 'decision');
    assert.ok(decisions.length >= 1, 'the decision is recorded');
    assert.ok(
      decisions.every((r) => r.result === 'skipped'),
      `decisions: ${decisions.map((r) => r.result).join(', ')}`,
    );
    assert.deepEqual(
      records.filter((r) => r.event === 'execution'),
      [],
      'nothing was executed',
    );
    const after = await clusterView(s, LEAKING.namespace);
    assert.deepEqual(after.pods, before.pods, 'same pods (names and uids)');
    assert.deepEqual(after.deployments, before.deployments, 'same workloads (replicas, template annotations, resources)');
    assert.equal(await s.stop(), 0);
  } finally {
    s.forceKill();
  }
});
