// run-monitoring's notification child: started (mode all) only when a target is configured, with the
// webhook URLs in its environment and never on its command line, and judged by its heartbeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFrom } from '../../run-monitoring.ts';
import { pipelineChildren } from '../../orchestrator/child-specs.ts';
import { WEBHOOKS_ENV } from '../../agents/notification/options.ts';

const SECRET = 'https://hooks.slack.com/services/T0/B0/very-secret';

function withEnv<T>(value: string | undefined, fn: () => T): T {
  const before = process.env[WEBHOOKS_ENV];
  if (value === undefined) delete process.env[WEBHOOKS_ENV];
  else process.env[WEBHOOKS_ENV] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[WEBHOOKS_ENV];
    else process.env[WEBHOOKS_ENV] = before;
  }
}

const names = (argv: string[], env?: string) => withEnv(env, () => pipelineChildren(configFrom(argv)!).map((c) => c.spec.name));

void test('no target, no notification agent', () => {
  assert.deepEqual(names([]), ['dataset-generator', 'dataset-generator-agent', 'anomaly-detection-agent']);
});

void test('a webhook flag or the environment starts it; the URLs go through its environment only', () => {
  for (const [argv, env] of [
    [['--notify-webhook', SECRET, '--cluster-name', 'prod'], undefined],
    [['--cluster-name', 'prod'], `${SECRET}, https://b.example/x`],
  ] as const) {
    const cfg = withEnv(env, () => configFrom([...argv])!);
    const child = pipelineChildren(cfg).find((c) => c.spec.name === 'notification-agent');
    assert.ok(child, 'the notification agent is a child');
    assert.ok(!child.spec.args.join(' ').includes('very-secret'), child.spec.args.join(' '));
    assert.ok(child.spec.env?.[WEBHOOKS_ENV]?.includes(SECRET));
    assert.deepEqual(child.spec.args.slice(child.spec.args.indexOf('--cluster-name'), child.spec.args.indexOf('--cluster-name') + 2), [
      '--cluster-name',
      'prod',
    ]);
    assert.ok(child.heartbeat?.endsWith('.heartbeat-notification-agent.json'));
  }
});

void test('an Alertmanager URL alone starts it; a single-child mode does not', () => {
  assert.ok(names(['--alertmanager-url', 'http://127.0.0.1:9093']).includes('notification-agent'));
  assert.deepEqual(names(['--alertmanager-url', 'http://127.0.0.1:9093', '--anomaly-agent-only']), ['anomaly-detection-agent']);
});
