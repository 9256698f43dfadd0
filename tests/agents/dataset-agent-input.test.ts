// A missing --input-file with --once is an error that leaves every output as it was (a typo used to write
// an empty pod_insights.json over the real one, and a checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { METRIC_COLUMNS, formatHeader, formatRows } from '../../lib/metrics-csv.ts';
import { syntheticTicks } from '../helpers/synthetic-rows.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

function agent(dir: string, input: string) {
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'agents/dataset-generator-agent.ts',
      '--input-file',
      input,
      '--insights-file',
      join(dir, 'insights.json'),
      '--checkpoint-file',
      join(dir, 'cp.json'),
      '--log-dir',
      join(dir, 'logs'),
      '--detector',
      'zscore',
      '--once',
      '--from-start',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );
}

void test('--once with a missing input file exits 1 naming it, and touches no output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsagent-input-'));
  try {
    const csv = join(dir, 'm.csv');
    writeFileSync(csv, formatHeader(METRIC_COLUMNS) + formatRows(syntheticTicks(0, 30, { pods: 3, shiftAt: Infinity }), METRIC_COLUMNS));
    const first = agent(dir, csv);
    assert.equal(first.status, 0, first.stderr);
    const before = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f !== 'logs')
        .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
    );
    assert.ok(JSON.parse(before['insights.json']!).pods, 'a real insights file to protect');

    const typo = agent(dir, join(dir, 'm-typo.csv'));
    assert.equal(typo.status, 1, typo.stdout + typo.stderr);
    assert.match(typo.stderr, /m-typo\.csv/);
    assert.doesNotMatch(typo.stderr, /\n\s+at /, 'a clear error, not a stack trace');
    const after = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f !== 'logs')
        .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
    );
    assert.deepEqual(after, before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
