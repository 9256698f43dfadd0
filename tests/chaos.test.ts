// The chaos harness, CI-sized: a few pods, five SIGKILLs (one of them run-monitoring itself, restarted on
// the same data directory), and every loss counter must be 0: no CSV row lost or scored twice, no JSON
// read that failed to parse, no audit line lost, no process of the run left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chaos } from '../bench/chaos/run.ts';
import { summarise } from '../bench/chaos/result.ts';

void test('chaos: five SIGKILLs across the pipeline lose nothing', { timeout: 240_000 }, async (t) => {
  const r = await chaos({
    pods: 40,
    speed: 5,
    scenario: 'demo',
    kills: 5,
    minInterval: 1.5,
    maxInterval: 3,
    killOrchestratorEvery: 5,
    seed: 7,
    watchInterval: 2,
    keep: false,
    log: (l) => t.diagnostic(l),
  });
  t.diagnostic(summarise(r));
  assert.equal(r.kills, 5);
  assert.ok(r.rows_scored > 0, 'rows were scored');
  assert.ok(r.orchestrator_refusals >= 1, 'the restarted run-monitoring refused while the old children lived');
  assert.deepEqual(
    {
      rows_lost: r.rows_lost,
      rows_double_scored: r.rows_double_scored,
      rows_scored_unknown: r.rows_scored_unknown,
      invalid_file_reads: r.invalid_file_reads,
      invalid_audit_lines: r.invalid_audit_lines,
      audit_shrinks: r.audit_shrinks,
      lock_violations: r.lock_violations,
      orphans: r.orphans,
      final_pass_exit: r.final_pass_exit,
    },
    {
      rows_lost: 0,
      rows_double_scored: 0,
      rows_scored_unknown: 0,
      invalid_file_reads: 0,
      invalid_audit_lines: 0,
      audit_shrinks: 0,
      lock_violations: 0,
      orphans: 0,
      final_pass_exit: 0,
    },
  );
  assert.ok(r.ok);
});
