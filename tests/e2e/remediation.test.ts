// End to end on the simulated cluster: run-monitoring --demo in a pseudo-terminal, memory-leak scenario.
// (1) the approval prompt appears, the test approves the restart, the simulator replaces the pod,
//     verification records RESOLVED, and the audit log holds every step;
// (2) the test declines, and the cluster is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readJsonLines } from '../../lib/atomic-file.ts';
import { kubeClients, loadKubeConfig } from '../../lib/kube.ts';
import { AuditRecord } from '../../lib/schemas.ts';
import { MonitorSession } from '../helpers/e2e-support.ts';

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
  '--scenario',
  'memory-leak',
  '--speed',
  SPEED,
  '--seed',
  '7',
  '--no-llm',
  '--verify-delay',
  '20',
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

const sameStep = (r: AuditRecord, p: AuditRecord) => r.analysis_id === p.analysis_id && r.action === p.action && r.ts >= p.ts;

/**
 * The prompts are followed through the audit log, so that each gets exactly one key: a proposal whose
 * dry run is recorded and that has no decision yet is the open prompt (keys typed ahead would answer the
 * next prompt, and inquirer redraws a prompt's line several times).
 */
class PromptDriver {
  private readonly s: MonitorSession;
  private readonly answered = new Set<string>();
  /**
   * Screen offset just before the last key was typed: the end of the approval step and the next prompt
   * can only be drawn after it. (A late redraw of the answered prompt may match too; the key typed for
   * the next prompt then waits in the terminal's buffer until that prompt reads it.)
   */
  private mark = 0;
  constructor(s: MonitorSession) {
    this.s = s;
  }

  private open(): AuditRecord | undefined {
    const recs = audit(this.s);
    return recs.find(
      (r) =>
        r.event === 'proposal' &&
        !this.answered.has(`${r.ts}|${r.analysis_id}|${r.action}`) &&
        recs.some((d) => d.event === 'dry_run' && sameStep(d, r)) &&
        !recs.some((d) => (d.event === 'decision' || d.event === 'pending') && sameStep(d, r)),
    );
  }

  private async onScreen(p: AuditRecord): Promise<AuditRecord> {
    await this.s.waitFor(
      new RegExp(`Apply ${p.action} to [^\\n]*\\? \\(ynaqH\\)`),
      `the prompt for ${p.action} on the screen`,
      30_000,
      this.mark,
    );
    return p;
  }

  /** Waits for the next open prompt; returns its proposal record. */
  async next(timeoutMs: number): Promise<AuditRecord> {
    return this.onScreen(
      await this.s.until('an approval prompt (a proposal with its dry run and no decision yet)', () => this.open(), timeoutMs),
    );
  }

  /** The next open prompt, or null when the approval step ends first. */
  async nextInStep(timeoutMs: number): Promise<AuditRecord | null> {
    const found = await this.s.until(
      'the next prompt or the end of the approval step',
      () => this.open() ?? (this.s.text().slice(this.mark).includes('approval step ended') ? 'ended' : null),
      timeoutMs,
    );
    return found === 'ended' ? null : this.onScreen(found);
  }

  /** Answers the open prompt with one key and waits for its decision in the audit log. */
  async answer(p: AuditRecord, key: 'y' | 'n'): Promise<AuditRecord> {
    this.answered.add(`${p.ts}|${p.analysis_id}|${p.action}`);
    this.mark = this.s.text().length;
    this.s.type(`${key}\r`);
    return this.s.until(`the decision on ${p.action}`, () => audit(this.s).find((d) => d.event === 'decision' && sameStep(d, p)), 30_000);
  }
}

/**
 * Answers prompts until one proposes a restart of the leaking workload: every other proposal (another
 * action, or a detector's false positive elsewhere) is declined.
 */
async function untilRestartPrompt(s: MonitorSession, prompts: PromptDriver): Promise<AuditRecord> {
  for (let i = 0; i < 8; i++) {
    const p = await prompts.next(PROMPT_TIMEOUT_MS);
    if (RESTART_ACTIONS.includes(p.action) && targetsLeak(p)) return p;
    await prompts.answer(p, 'n');
  }
  throw new Error(`no restart of ${LEAKING.namespace}/${LEAKING.workload} was proposed in eight prompts\n${s.diagnostics()}`);
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
