// The notification agent as a process against local webhook receivers: exactly one message per step of a
// leak episode (a reworded analysis sends nothing), the Slack shape of an update, a receiver that is down
// and comes back gets every message once while another target goes on, and a kill and restart of the
// agent neither loses nor repeats a message. Webhook URLs are secrets: they never reach a log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  agentArgs,
  AgentProcess,
  anomalousPod,
  leakAnalysis,
  normalPod,
  PipelineDir,
  until,
  WebhookReceiver,
} from '../../helpers/notify-support.ts';

const STATE = '.notification-agent.state.json';

function outboxSize(p: PipelineDir): number {
  try {
    return (JSON.parse(readFileSync(join(p.dir, STATE), 'utf8')) as { outbox: unknown[] }).outbox.length;
  } catch {
    return -1;
  }
}

function logsText(p: PipelineDir, agent: AgentProcess): string {
  const files = readdirSync(p.logs).map((f) => readFileSync(join(p.logs, f), 'utf8'));
  return agent.output() + files.join('');
}

void test('one leak episode: one open, one analysis update, one verified remediation, one resolve; rewording sends nothing', async () => {
  const p = new PipelineDir();
  const r = await WebhookReceiver.start();
  const agent = new AgentProcess(agentArgs(p, ['--notify-format', 'json', '--notify-webhook', r.url()]));
  try {
    const an = leakAnalysis('payments-1');
    p.writeInsights([anomalousPod('payments-1'), anomalousPod('payments-2'), normalPod('cart-1', { workload: 'cart' })]);
    await until(() => r.messages.length >= 1, 'the open message', 60_000);
    p.writeAnalyses([an]);
    await until(() => r.messages.length >= 2, 'the analysis update');
    for (let i = 0; i < 3; i++) {
      p.writeAnalyses([{ ...an, root_cause: `Reworded ${i}: heap growth without release.`, explanation: `take ${i}` }]);
      await new Promise((res) => setTimeout(res, 300));
    }
    p.executed(an);
    p.writeInsights([normalPod('payments-1'), normalPod('payments-2')]);
    await new Promise((res) => setTimeout(res, 500));
    p.verified(an);
    await until(() => r.messages.length >= 4, 'the resolve');
    assert.equal(await agent.stop(), 0);

    const events = r.events();
    assert.deepEqual(r.kinds(), ['open', 'analysis', 'remediated', 'resolved'], JSON.stringify(events, null, 2));
    assert.deepEqual(events[0]!.episode.pods, ['payments-1', 'payments-2'], 'the two pods of the workload in one message');
    assert.equal(new Set(events.map((e) => e.episode.id)).size, 1, 'one episode');
    assert.deepEqual(
      r.messages.map((m) => m.idempotencyKey),
      events.map((e) => e.message_id),
    );
    assert.equal(events[1]!.root_cause, an.root_cause, 'the first analysis, not a rewording');
    assert.equal(outboxSize(p), 0);
    const logs = logsText(p, agent);
    assert.ok(!logs.includes('secret-token'), 'the webhook URL path never reaches a log');
    assert.ok(logs.includes(`http://127.0.0.1:${r.port}`), 'scheme and host are logged');
  } finally {
    await agent.stop();
    await r.down();
  }
});

void test('a receiver that is down gets every message once when it comes back, and the other target is not held up', async () => {
  const p = new PipelineDir();
  const down = await WebhookReceiver.start();
  await down.down();
  const up = await WebhookReceiver.start();
  // One URL from the environment, one from the flag: both are targets.
  const agent = new AgentProcess(agentArgs(p, ['--notify-format', 'slack', '--notify-webhook', up.url('/up-token')]), {
    ...process.env,
    PODSENTINEL_NOTIFY_WEBHOOKS: down.url(),
  });
  try {
    const an = leakAnalysis('payments-1');
    p.writeInsights([anomalousPod('payments-1')]);
    await until(() => up.messages.length >= 1, 'the open message at the live target', 60_000);
    p.writeAnalyses([an]);
    await until(() => up.messages.length >= 2, 'the update at the live target');
    await until(() => outboxSize(p) === 2, 'two messages waiting for the target that is down');
    await down.up();
    await until(() => down.messages.length >= 2, 'the waiting messages delivered');
    p.writeInsights([normalPod('payments-1')]);
    await until(() => down.messages.length >= 3 && up.messages.length >= 3, 'the resolve at both');
    assert.equal(await agent.stop(), 0);

    for (const r of [up, down]) {
      const texts = r.messages.map((m) => String(m.body.text));
      assert.equal(texts.length, 3, texts.join('\n---\n'));
      const id = /episode (ep-[0-9a-f]{10})/.exec(texts[0]!)?.[1];
      assert.ok(id, texts[0]);
      assert.match(texts[0]!, /New anomaly episode ep-\w+ \(oom_risk in shop\/Deployment\/payments, cluster test-cluster\)/);
      assert.match(texts[0]!, /Forecast: memory reaches its limit in ~6 min/);
      assert.match(texts[1]!, new RegExp(`Update on episode ${id} .*: analysis`));
      assert.match(texts[1]!, /Root cause: Memory grows steadily/);
      assert.match(texts[2]!, new RegExp(`Resolved episode ${id}`));
      for (const m of r.messages) assert.ok(Array.isArray(m.body.blocks) && m.body.blocks.length >= 2);
    }
    assert.equal(new Set(down.messages.map((m) => m.idempotencyKey)).size, 3, 'no message twice');
    assert.ok(!logsText(p, agent).includes('secret-token'));
  } finally {
    await agent.stop();
    await up.down();
    await down.down();
  }
});

void test('kill -9 and restart of the agent neither loses nor repeats a message', async () => {
  const p = new PipelineDir();
  const r = await WebhookReceiver.start();
  const args = agentArgs(p, ['--notify-format', 'json', '--notify-webhook', r.url()]);
  const an = leakAnalysis('payments-1');
  let agent = new AgentProcess(args);
  try {
    p.writeInsights([anomalousPod('payments-1')]);
    await until(() => r.messages.length >= 1, 'the open message', 60_000);
    // Killed once the delivery is recorded: a kill in the instant between the receiver's answer and the
    // state write would send that message again (at least once; the Idempotency-Key header tells).
    await until(() => outboxSize(p) === 0, 'the delivery recorded');
    await agent.stop('SIGKILL');
    // While it is dead the analysis arrives; the restarted agent sends the update, not the open again.
    p.writeAnalyses([an]);
    agent = new AgentProcess(args);
    await until(() => r.messages.length >= 2, 'the update after the restart', 60_000);
    await until(() => outboxSize(p) === 0, 'the delivery recorded');
    // The receiver goes down, the anomaly clears, the agent is killed with the resolve in its outbox.
    await r.down();
    p.writeInsights([normalPod('payments-1')]);
    await until(() => outboxSize(p) === 1, 'the resolve waiting in the outbox');
    await agent.stop('SIGKILL');
    await r.up();
    agent = new AgentProcess(args);
    await until(() => r.messages.length >= 3, 'the resolve after the second restart', 60_000);
    await until(() => outboxSize(p) === 0, 'an empty outbox');
    assert.equal(await agent.stop(), 0);
    assert.deepEqual(r.kinds(), ['open', 'analysis', 'resolved']);
    assert.equal(new Set(r.events().map((e) => e.message_id)).size, 3);
  } finally {
    await agent.stop();
    await r.down();
  }
});
