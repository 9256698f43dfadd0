// A proposal's state from its audit records, step by step as run-remediation writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditRecord } from '../../lib/schemas.ts';
import { proposalRecords, proposalState } from '../../remediation/proposal-state.ts';

const params = { namespace: 'shop', pod: 'web-1' };
let t = 0;
const rec = (event: AuditRecord['event'], result: string, over: Partial<AuditRecord> = {}): AuditRecord => ({
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, t++)).toISOString(),
  event,
  analysis_id: 'an-1',
  action: 'restart_pod',
  params,
  user: 'alice',
  result,
  ...over,
});

void test('each step of the flow moves the state on', () => {
  const steps: Array<[AuditRecord, string]> = [
    [rec('proposal', 'proposed'), 'pending'],
    [rec('dry_run', 'ok'), 'pending'],
    [rec('decision', 'approved', { via: 'mcp', decision_id: 'd1' }), 'approved'],
    [rec('execution', 'ok', { decision_id: 'd1' }), 'executed'],
    [rec('verification', 'RESOLVED', { decision_id: 'd1' }), 'resolved'],
  ];
  const seen: AuditRecord[] = [];
  assert.equal(proposalState(seen), 'recommended');
  for (const [r, state] of steps) {
    seen.push(r);
    assert.equal(proposalState(seen), state, `${r.event}:${r.result}`);
  }
});

void test('refusals, failed dry runs, declines, failed executions and unresolved verifications', () => {
  assert.equal(proposalState([rec('refusal', 'out_of_bounds')]), 'refused');
  assert.equal(proposalState([rec('proposal', 'proposed'), rec('dry_run', 'failed')]), 'refused');
  assert.equal(proposalState([rec('proposal', 'proposed'), rec('dry_run', 'ok'), rec('decision', 'skipped')]), 'declined');
  assert.equal(proposalState([rec('decision', 'approved'), rec('execution', 'failed')]), 'failed');
  assert.equal(proposalState([rec('execution', 'ok'), rec('verification', 'FAILED')]), 'not_resolved');
});

void test('records match by action and params, falling back to the action alone when params were normalised', () => {
  const mine = [rec('proposal', 'proposed'), rec('proposal', 'proposed', { action: 'scale', params: { replicas: 3 } })];
  assert.equal(proposalRecords(mine, { action: 'restart_pod', params }).length, 1);
  assert.equal(proposalRecords(mine, { action: 'scale', params: { replicas: 4 } } as never).length, 1);
  assert.equal(proposalRecords(mine, { action: 'drain_node', params: { node: 'n' } }).length, 0);
});
