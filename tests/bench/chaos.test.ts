// The chaos harness, CI-sized: a few pods, five SIGKILLs (one of them run-monitoring itself, restarted on
// the same data directory), and every loss counter must be 0: no CSV row lost or scored twice, no JSON
// read that failed to parse, no audit line lost, no process of the run left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHeader, formatRows, METRIC_COLUMNS } from '../../lib/metrics-csv.ts';
import { SCORES_HEADER } from '../../agents/dataset-generator/scores-file.ts';
import { checkLedger } from '../../bench/chaos/ledger.ts';
import { chaos } from '../../bench/chaos/run.ts';
import { summarise } from '../../bench/chaos/result.ts';
import { syntheticTicks } from '../helpers/synthetic-rows.ts';

void test('the ledger check finds a lost row, a row scored twice and a row no CSV holds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-ledger-'));
  try {
    const rows = syntheticTicks(0, 5, { pods: 2 });
    const csv = join(dir, 'pod_metrics.csv');
    writeFileSync(csv, formatHeader(METRIC_COLUMNS) + formatRows(rows, METRIC_COLUMNS));
    const line = (r: (typeof rows)[number]) => `${r.timestamp},${r.namespace},${r.pod},0.1000,false,none\n`;
    const scores = join(dir, 'scores.csv');
    writeFileSync(scores, SCORES_HEADER + rows.map(line).join(''));
    assert.deepEqual(
      (({ rows_lost, rows_double_scored, rows_scored_unknown, rows_expected }) => ({
        rows_lost,
        rows_double_scored,
        rows_scored_unknown,
        rows_expected,
      }))(checkLedger(csv, scores)),
      { rows_lost: 0, rows_double_scored: 0, rows_scored_unknown: 0, rows_expected: 10 },
    );
    const bad =
      [...rows.slice(0, 6), rows[3]!, ...rows.slice(7)].map(line).join('') + '2030-01-01T00:00:00.000Z,shop,ghost,0.1000,false,none\n';
    writeFileSync(scores, SCORES_HEADER + bad);
    const c = checkLedger(csv, scores);
    assert.equal(c.rows_lost, 1);
    assert.deepEqual(c.lost_sample, [`${rows[6]!.timestamp},${rows[6]!.namespace},${rows[6]!.pod}`]);
    assert.equal(c.rows_double_scored, 1);
    assert.equal(c.rows_scored_unknown, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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
