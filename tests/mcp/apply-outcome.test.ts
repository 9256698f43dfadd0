// What apply_remediation reports from the audit records carrying its decision id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditRecord } from '../../lib/schemas.ts';
import { outcomeOf, recordsOfDecision } from '../../mcp/tools/apply.ts';

const rec = (event: AuditRecord['event'], result: string): AuditRecord => ({
  ts: '2026-01-01T00:00:00.000Z',
  event,
  analysis_id: 'an-1',
  action: 'restart_pod',
  params: {},
  user: 'claude',
  result,
  decision_id: 'd1',
});

void test('queued until run-remediation records something; final on verification, refusal, decline or failure', () => {
  assert.deepEqual(outcomeOf([]), { status: 'queued', final: false });
  assert.deepEqual(outcomeOf([rec('decision', 'approved')]), { status: 'queued', final: false });
  assert.deepEqual(outcomeOf([rec('decision', 'approved'), rec('execution', 'ok')]), { status: 'executed', final: false });
  assert.deepEqual(outcomeOf([rec('decision', 'approved'), rec('execution', 'ok'), rec('verification', 'RESOLVED')]), {
    status: 'resolved',
    final: true,
  });
  assert.deepEqual(outcomeOf([rec('execution', 'ok'), rec('verification', 'FAILED')]), { status: 'not_resolved', final: true });
  assert.deepEqual(outcomeOf([rec('execution', 'failed')]), { status: 'failed', final: true });
  assert.deepEqual(outcomeOf([rec('refusal', 'protected_namespace')]), { status: 'refused', final: true });
  assert.deepEqual(outcomeOf([rec('decision', 'skipped')]), { status: 'declined', final: true });
});

void test("a decision's records: those naming it, then the same action's execution and verification", () => {
  const other = { ...rec('execution', 'ok'), decision_id: undefined, analysis_id: 'an-2' };
  const before = { ...rec('execution', 'ok'), decision_id: undefined, ts: '2025-12-31T00:00:00.000Z' };
  const audit: AuditRecord[] = [
    before,
    rec('decision', 'approved'),
    other,
    { ...rec('execution', 'ok'), decision_id: undefined },
    { ...rec('verification', 'RESOLVED'), decision_id: undefined },
  ];
  const mine = recordsOfDecision(audit, { id: 'd1', analysis_id: 'an-1', action: 'restart_pod' });
  assert.deepEqual(
    mine.map((r) => `${r.event}:${r.result}`),
    ['decision:approved', 'execution:ok', 'verification:RESOLVED'],
  );
  assert.deepEqual(recordsOfDecision(audit, { id: 'd2', analysis_id: 'an-1', action: 'restart_pod' }), []);
});
