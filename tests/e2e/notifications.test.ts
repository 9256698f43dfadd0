// End to end on the simulated cluster: run-monitoring --demo --scenario memory-leak with a webhook receiver
// and a real Alertmanager as notification targets. The leaking workload's episode is opened once at the
// webhook and is an active PodAnomaly alert in Alertmanager; the notification agent is a running child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorSession } from '../helpers/e2e-support.ts';
import { Alertmanager, WebhookReceiver } from '../helpers/notify-support.ts';
import { audit, leakDemoArgs, PromptDriver, untilRestartPrompt } from '../helpers/prompt-driver.ts';

const LEAKING = { namespace: 'monitoring', workload: 'Deployment/log-aggregator' };

/** The demo with both notification targets (JSON webhook bodies, cluster name "demo"), plus `extra`. */
const withTargets = (am: Alertmanager, hook: WebhookReceiver, extra: string[] = []) =>
  leakDemoArgs([
    ...extra,
    '--alertmanager-url',
    am.url,
    '--notify-webhook',
    hook.url(),
    '--notify-format',
    'json',
    '--cluster-name',
    'demo',
  ]);

void test('memory-leak demo: one open message for the leaking workload and its alert in Alertmanager', async () => {
  const am = await Alertmanager.start();
  const hook = await WebhookReceiver.start();
  const s = MonitorSession.start(withTargets(am, hook, ['--no-remediation']));
  try {
    const leakOpen = () =>
      hook
        .events()
        .filter((e) => e.kind === 'open' && e.episode.namespace === LEAKING.namespace && e.episode.workload === LEAKING.workload);
    await s.until('the leaking workload opened at the webhook', () => leakOpen().length > 0, 240_000);
    const alerts = async () =>
      (await am.alerts()).filter((a) => a.labels.namespace === LEAKING.namespace && a.labels.workload === LEAKING.workload);
    const deadline = Date.now() + 60_000;
    while ((await alerts()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const [alert] = await alerts();
    assert.ok(alert, `an active alert for the leak\n${s.diagnostics()}`);
    assert.equal(alert.labels.alertname, 'PodAnomaly');
    assert.equal(alert.labels.cluster, 'demo');
    assert.ok(alert.annotations.summary);
    const child = s.status()?.children.find((c) => c.name === 'notification-agent');
    assert.equal(child?.state, 'running', JSON.stringify(s.status()?.children));
    assert.equal(await s.stop(), 0);
    // Whatever else happened in the run (the leak shows as oom_risk, then as crash_loop once the pod is
    // OOM-killed: two keys), each key of the leak opened exactly once.
    const types = leakOpen().map((e) => e.episode.anomaly_type);
    assert.equal(new Set(types).size, types.length, JSON.stringify(hook.events(), null, 2));
    const ids = hook.events().map((e) => e.message_id);
    assert.equal(new Set(ids).size, ids.length, 'no message twice');
  } finally {
    s.forceKill();
    await hook.down();
    await am.stop();
  }
});

void test(
  'memory-leak demo, approved at the terminal: exactly one open, one analysis, one remediated and one resolved message; the alert ends',
  { timeout: 480_000 },
  async () => {
    const am = await Alertmanager.start();
    const hook = await WebhookReceiver.start();
    const s = MonitorSession.start(withTargets(am, hook));
    try {
      const prompts = new PromptDriver(s);
      const restart = await untilRestartPrompt(s, prompts);
      const leak = () => hook.events().filter((e) => e.episode.namespace === LEAKING.namespace && e.episode.workload === LEAKING.workload);
      // Open, with its alert firing in Alertmanager, before anyone approved anything.
      await s.until('the leak opened at the webhook', () => leak().some((e) => e.kind === 'open'), 120_000);
      const type = leak().find((e) => e.kind === 'open')!.episode.anomaly_type;
      const firing = async () =>
        (await am.alerts()).filter(
          (a) => a.labels.namespace === LEAKING.namespace && a.labels.anomaly_type === type && a.labels.cluster === 'demo',
        );
      await s.until('the alert firing in Alertmanager', async () => ((await firing()).length > 0 ? true : null), 60_000);
      assert.equal((await prompts.answer(restart, 'y')).result, 'approved');
      await s.until(
        'the verification of the restart',
        () => audit(s).find((r) => r.event === 'verification' && r.analysis_id === restart.analysis_id && r.action === restart.action),
        180_000,
      );
      const episode = () => leak().filter((e) => e.episode.anomaly_type === type);
      await s.until('the resolved message', () => (episode().some((e) => e.kind === 'resolved') ? true : null), 180_000);
      await s.until('the alert ended in Alertmanager', async () => ((await firing()).length === 0 ? true : null), 60_000);
      assert.equal(await s.stop(), 0);
      assert.deepEqual(
        episode().map((e) => e.kind),
        ['open', 'analysis', 'remediated', 'resolved'],
        JSON.stringify(hook.events(), null, 2),
      );
      const ids = hook.events().map((e) => e.message_id);
      assert.equal(new Set(ids).size, ids.length, 'no message twice');
    } finally {
      s.forceKill();
      await hook.down();
      await am.stop();
    }
  },
);
