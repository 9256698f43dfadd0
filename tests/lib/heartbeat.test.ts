// The heartbeat contract: one header for every writer, each writer's counters, one reader that says
// absent or invalid instead of guessing, and the orchestrator's health judgement on top of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heartbeat, heartbeatSummary, readHeartbeat, writeHeartbeat, writeHeartbeatAsync } from '../../lib/heartbeat.ts';
import { judgeHeartbeat } from '../../orchestrator/heartbeat.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'podsentinel-hb-'));

void test("each writer's heartbeat round-trips through the writer and the reader", async () => {
  const dir = tmp();
  const now = new Date('2026-11-25T05:00:00.000Z');
  const beats = [
    heartbeat('dataset-generator', { rows_total: 40, last_tick_ms: 12, pods: 8 }, 'running', now),
    heartbeat(
      'dataset-generator-agent',
      { rows_read: 120, rows_rejected: 1, lag_bytes: 0, pods: 8, anomalies: 2, perf: { parse_ms: 3.5 } },
      'stopped',
      now,
    ),
    heartbeat('anomaly-detection-agent', { open: 1, analysed_total: 3, llm_calls: 2, llm_failures: 0 }, 'running', now),
  ];
  for (const [i, hb] of beats.entries()) {
    const path = join(dir, `hb-${i}.json`);
    if (i === 1) await writeHeartbeatAsync(path, hb);
    else writeHeartbeat(path, hb);
    assert.deepEqual(readHeartbeat(path), { status: 'ok', heartbeat: hb });
  }
  assert.equal(beats[0]!.pid, process.pid);
  assert.equal(beats[0]!.time, '2026-11-25T05:00:00.000Z');
  assert.deepEqual(readdirSync(dir).sort(), ['hb-0.json', 'hb-1.json', 'hb-2.json'], 'no temp files left behind');
});

void test("the summary puts every writer's counters under one set of names", () => {
  assert.deepEqual(heartbeatSummary(heartbeat('dataset-generator', { rows_total: 40, last_tick_ms: 12, pods: 8 })), { rows: 40, pods: 8 });
  assert.deepEqual(
    heartbeatSummary(heartbeat('dataset-generator-agent', { rows_read: 120, rows_rejected: 1, lag_bytes: 5, pods: 8, anomalies: 2 })),
    { rows: 120, lagBytes: 5, pods: 8, anomalies: 2 },
  );
  assert.deepEqual(heartbeatSummary(heartbeat('anomaly-detection-agent', { open: 1, analysed_total: 3, llm_calls: 2, llm_failures: 0 })), {
    anomalies: 1,
  });
});

void test('a writer cannot write a heartbeat that breaks the contract', () => {
  const bad = { ...heartbeat('dataset-generator', { rows_total: 1, last_tick_ms: 1, pods: 1 }), rows_total: -1 };
  assert.throws(() => writeHeartbeat(join(tmp(), 'hb.json'), bad));
});

void test('the reader tells absent from invalid, and says why', () => {
  const dir = tmp();
  const path = join(dir, 'hb.json');
  assert.deepEqual(readHeartbeat(path), { status: 'absent' });
  writeFileSync(path, '{"pid": 1,');
  const torn = readHeartbeat(path);
  assert.equal(torn.status, 'invalid');
  assert.match(torn.status === 'invalid' ? torn.reason : '', /not JSON/);
  // The shape of an old writer: no name, no state. Not guessed at.
  writeFileSync(path, JSON.stringify({ pid: 1, ts: '2026-11-25T05:00:00.000Z', rows_total: 3 }));
  const old = readHeartbeat(path);
  assert.equal(old.status, 'invalid');
  assert.match(old.status === 'invalid' ? old.reason : '', /^name: /);
  writeFileSync(
    path,
    JSON.stringify({ ...heartbeat('dataset-generator', { rows_total: 1, last_tick_ms: 1, pods: 1 }), time: 'yesterday' }),
  );
  const r = readHeartbeat(path);
  assert.equal(r.status, 'invalid');
  assert.match(r.status === 'invalid' ? r.reason : '', /^time: /);
});

void test('health: an invalid heartbeat is unknown with the reason; absent is waiting during the grace period', () => {
  const dir = tmp();
  const path = join(dir, 'hb.json');
  const now = Date.parse('2026-11-25T05:00:00Z');
  const opts = { staleAfterMs: 15_000, graceMs: 60_000, now };
  assert.equal(judgeHeartbeat(path, { ...opts, childStartedAt: now - 1000 }).health, 'waiting');
  writeFileSync(path, 'not json');
  const invalid = judgeHeartbeat(path, { ...opts, childStartedAt: now - 1000 });
  assert.equal(invalid.health, 'unknown');
  assert.match(invalid.invalid ?? '', /not JSON/);
  writeHeartbeat(path, heartbeat('dataset-generator', { rows_total: 1, last_tick_ms: 1, pods: 1 }, 'running', new Date(now - 30_000)));
  // Written before this child started (a previous run): still warming up, not stale.
  assert.equal(judgeHeartbeat(path, { ...opts, childStartedAt: now - 10_000 }).health, 'waiting');
  assert.equal(judgeHeartbeat(path, { ...opts, childStartedAt: now - 120_000 }).health, 'stale');
});
