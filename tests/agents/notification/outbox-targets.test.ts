// The outbox's bound (oldest dropped, counted, warned) and the webhook targets: flags, the environment's
// list and a file, deduplicated, and an invalid URL reported without its secret part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EpisodeTracker } from '../../../agents/notification/episodes.ts';
import { emptyState } from '../../../agents/notification/events.ts';
import { slackMessage } from '../../../agents/notification/formatters.ts';
import { Outbox } from '../../../agents/notification/outbox.ts';
import { safeUrlLabel, webhookTargets } from '../../../agents/notification/targets.ts';
import { memoryLogger } from '../../../lib/log.ts';
import { UsageError } from '../../../lib/usage-error.ts';
import { anomalousPod, insightsOf } from '../../helpers/notify-support.ts';

function openEvents(n: number) {
  const t = new EpisodeTracker([], { cluster: 'c', cooldownMs: 0, groupWindowMs: 0, verifyHoldMs: 0 });
  const pods = Array.from({ length: n }, (_, i) => anomalousPod(`w${i}-1`, { workload: `w${i}` }));
  return t.observe({ now: Date.now(), insights: insightsOf(pods), analyses: null, audit: [] });
}

void test('beyond its cap the outbox drops the oldest messages, counted and warned about', () => {
  const state = emptyState();
  const log = memoryLogger();
  const box = new Outbox(state, 5, log);
  const events = openEvents(4);
  for (const e of events) box.add(e, ['a', 'b'], Date.now());
  assert.equal(box.size, 5);
  assert.equal(state.dropped_total, 3);
  assert.equal(box.head('a')?.event.message_id, events[2]!.message_id, 'the oldest went first');
  assert.ok(log.records.some((r) => r.level === 'warn' && /outbox full/.test(r.msg)));
  assert.equal(box.retainTargets(new Set(['b'])), 2);
  assert.equal(box.size, 3);
});

void test('webhook targets from flags, the environment and a file, deduplicated; a bad one named by scheme and host only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'notify-targets-'));
  const file = join(dir, 'hooks');
  writeFileSync(file, '# team channel\nhttps://hooks.slack.com/services/T1/B1/filetoken\n\nhttps://a.example/x\n');
  const t = webhookTargets(['https://a.example/x'], 'https://b.example/y, https://a.example/x', file);
  assert.deepEqual(
    t.map((x) => x.label),
    ['https://a.example', 'https://b.example', 'https://hooks.slack.com'],
  );
  assert.ok(t.every((x) => /^[0-9a-f]{16}$/.test(x.id)));
  assert.throws(
    () => webhookTargets(['ftp://files.example/secret-token'], undefined, undefined),
    (err: Error) => err instanceof UsageError && err.message.includes('ftp://files.example') && !err.message.includes('secret-token'),
  );
  assert.throws(() => webhookTargets([], undefined, join(dir, 'missing')), UsageError);
  assert.equal(safeUrlLabel('https://user:pw@hooks.example:8443/services/abc?token=1'), 'https://hooks.example:8443');
});

void test('a Slack message has text and blocks; an update names its episode', () => {
  const [open] = openEvents(1);
  const m = slackMessage({ ...open!, kind: 'analysis', severity: 'high', root_cause: 'leak', recommended_action: 'restart_pod(pod=x)' });
  assert.match(m.text, new RegExp(`Update on episode ${open!.episode.id} `));
  assert.match(m.text, /Root cause: leak/);
  assert.equal((m.blocks[0] as { type: string }).type, 'section');
});
