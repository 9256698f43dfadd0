// Large checkpoint state spilled to a sidecar (agents/dataset-generator/state-spill.ts): the round trip is
// exact, small states stay inline, old sidecars are removed, and an agent resumed from a spilled checkpoint
// scores exactly as one resumed from an inline checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOldSpills, spillLimit, spillState, unspillState } from '../agents/dataset-generator/state-spill.ts';
import { main } from '../agents/dataset-generator-agent.ts';
import { formatHeader, formatRows, METRIC_COLUMNS, newMetricRow, type MetricRow } from '../lib/metrics-csv.ts';

function withLimit<T>(n: number, f: () => Promise<T> | T): Promise<T> {
  const old = spillLimit.entries;
  spillLimit.entries = n;
  return Promise.resolve()
    .then(f)
    .finally(() => {
      spillLimit.entries = old;
    });
}

void test('spill round trip: large collections to the sidecar, the rest inline, old sidecars removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spill-'));
  try {
    const cp = join(dir, 'cp.json');
    const state = {
      scorer: { v: 1, stats: { scored: 5 }, pods: { a: [1, null, 3], b: [4, 5, 6], c: [7, 8, 9], d: [0, 0, 0], e: [1, 1, 1] }, detector: { series: { a: 'AAA', b: 'BBB', c: 'CCC', d: 'DDD', e: 'EEE' }, units: 16 } },
      pods: [['a', { x: 1 }], ['b', { x: 2 }], ['c', { x: 3 }], ['d', { x: 4, s: 'line\nbreak' }], ['e', { x: 5 }]],
      newestTime: 12,
      learning: false,
    };
    const small = await withLimit(10, () => spillState(cp, state));
    assert.equal(small, state, 'a small state is stored as it is');
    assert.deepEqual(readdirSync(dir), []);

    const first = await withLimit(4, () => spillState(cp, state));
    const stored = (await withLimit(4, () => spillState(cp, state))) as { $spill_file: string; skeleton: { newestTime: number; scorer: { stats: unknown } } };
    assert.equal(typeof stored.$spill_file, 'string');
    assert.equal(stored.skeleton.newestTime, 12);
    assert.deepEqual(stored.skeleton.scorer.stats, { scored: 5 }, 'small parts stay inline');
    assert.ok(!JSON.stringify(stored).includes('BBB'), 'large collections are not in the checkpoint');
    assert.deepEqual(unspillState(cp, JSON.parse(JSON.stringify(stored))), state);
    assert.equal(readdirSync(dir).length, 2);
    removeOldSpills(cp, stored);
    assert.deepEqual(readdirSync(dir), [stored.$spill_file]);
    assert.notEqual((first as { $spill_file: string }).$spill_file, stored.$spill_file);

    // a truncated sidecar is an error, never a silently partial state
    const file = join(dir, stored.$spill_file);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 5));
    assert.throws(() => unspillState(cp, stored));
    rmSync(file);
    assert.throws(() => unspillState(cp, stored), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const T0 = Date.UTC(2026, 0, 1);
function ticks(from: number, to: number): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let t = from; t < to; t++) {
    for (let p = 0; p < 5; p++) {
      rows.push(
        newMetricRow({
          timestamp: new Date(T0 + t * 5000).toISOString(),
          namespace: 'shop',
          pod: `web-5d8f7c9b4-x${p}k2q`,
          node: 'node-1',
          status: 'Running',
          readyContainers: 1,
          totalContainers: 1,
          restarts: 0,
          cpuPercent: 20 + 3 * p + 2 * Math.sin(t * 0.9 + p) + (p === 1 && t >= 25 ? 70 : 0),
          memoryPercent: 40 + Math.cos(t * 0.3 + p),
          memoryMb: 300,
          netRxBytes: 50_000 + 2_000 * Math.sin(t * 1.3 + p),
          netTxBytes: 40_000 + 1_500 * Math.cos(t * 1.1 + p),
          fsReadsMb: t * 0.01,
          fsWritesMb: t * 0.04,
          netRxDropped: 0,
          netTxDropped: 0,
          eventCount: 0,
        }),
      );
    }
  }
  return rows;
}

/** Learns ticks 0..20 (--once), then resumes from the checkpoint and scores ticks 20..40; returns the scores. */
async function learnThenResume(dir: string): Promise<{ scores: string; checkpoint: { state: unknown } }> {
  const csv = join(dir, 'm.csv');
  writeFileSync(csv, formatHeader(METRIC_COLUMNS) + formatRows(ticks(0, 20), METRIC_COLUMNS));
  const args = ['--once', '--input-file', csv, '--insights-file', join(dir, 'i.json'), '--scores-file', join(dir, 's.csv'), '--checkpoint-file', join(dir, 'cp.json'), '--log-dir', join(dir, 'logs'), '--log-level', 'error'];
  const write = process.stdout.write;
  process.stdout.write = () => true; // alerts
  try {
    assert.equal(await main(args), 0);
    appendFileSync(csv, formatRows(ticks(20, 40), METRIC_COLUMNS));
    assert.equal(await main(args), 0);
  } finally {
    process.stdout.write = write;
  }
  return { scores: readFileSync(join(dir, 's.csv'), 'utf8'), checkpoint: JSON.parse(readFileSync(join(dir, 'cp.json'), 'utf8')) as { state: unknown } };
}

void test('an agent resumed from a spilled checkpoint scores exactly like one resumed from an inline checkpoint', async () => {
  const a = mkdtempSync(join(tmpdir(), 'spill-agent-a-'));
  const b = mkdtempSync(join(tmpdir(), 'spill-agent-b-'));
  try {
    const inline = await learnThenResume(a);
    const spilled = await withLimit(2, () => learnThenResume(b));
    assert.ok(!JSON.stringify(inline.checkpoint.state).includes('$spill_file'));
    const file = (spilled.checkpoint.state as { $spill_file?: string }).$spill_file;
    assert.equal(typeof file, 'string', 'the spilled run stored a sidecar');
    assert.ok(existsSync(join(b, file!)));
    assert.equal(readdirSync(b).filter((n) => n.includes('.state-')).length, 1, 'only the current sidecar is kept');
    assert.equal(spilled.scores.split('\n').length, 1 + 20 * 5 + 1); // header, 20 ticks × 5 pods, final newline
    assert.equal(spilled.scores, inline.scores);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
