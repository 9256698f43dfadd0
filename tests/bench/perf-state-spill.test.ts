// Version-1 checkpoints (JSON state, large collections spilled to an ndjson sidecar by
// agents/dataset-generator/state-spill.ts), which the agent still reads: the round trip is exact, small states
// stay inline, old sidecars are removed, and an agent resumed from one scores exactly as one resumed from a
// binary (version-2) checkpoint, then writes the binary format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOldSpills, spillLimit, spillState, unspillState } from '../../agents/dataset-generator/state-spill.ts';
import { main } from '../../agents/dataset-generator-agent.ts';
import { formatHeader, formatRows, METRIC_COLUMNS, type MetricRow } from '../../lib/metrics-csv.ts';
import { captureStdio } from '../helpers/capture-stdio.ts';
import { syntheticTicks } from '../helpers/synthetic-rows.ts';
import { readStateFile } from '../../agents/dataset-generator/state-file.ts';
import { Interner, PodEntry } from '../../agents/dataset-generator/pod-entry.ts';
import { saveCheckpoint, type Checkpoint } from '../../lib/checkpoint.ts';
import { createDetector } from '../../models/registry.ts';
import { POD_FEATURES } from '../../models/pod-features.ts';
import { PodScorer } from '../../models/pod-scorer.ts';

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
      scorer: {
        v: 1,
        stats: { scored: 5 },
        pods: { a: [1, null, 3], b: [4, 5, 6], c: [7, 8, 9], d: [0, 0, 0], e: [1, 1, 1] },
        detector: { series: { a: 'AAA', b: 'BBB', c: 'CCC', d: 'DDD', e: 'EEE' }, units: 16 },
      },
      pods: [
        ['a', { x: 1 }],
        ['b', { x: 2 }],
        ['c', { x: 3 }],
        ['d', { x: 4, s: 'line\nbreak' }],
        ['e', { x: 5 }],
      ],
      newestTime: 12,
      learning: false,
    };
    const small = await withLimit(10, () => spillState(cp, state));
    assert.equal(small, state, 'a small state is stored as it is');
    assert.deepEqual(readdirSync(dir), []);

    const first = await withLimit(4, () => spillState(cp, state));
    const stored = (await withLimit(4, () => spillState(cp, state))) as {
      $spill_file: string;
      skeleton: { newestTime: number; scorer: { stats: unknown } };
    };
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

const ticks = (from: number, to: number): MetricRow[] => syntheticTicks(from, to, { pods: 5, shiftAt: 25 });

/** Learns ticks 0..20 (--once), then resumes from the checkpoint and scores ticks 20..40; returns the scores. */
async function learnThenResume(dir: string, between?: () => Promise<void>): Promise<{ scores: string; checkpoint: { state: unknown } }> {
  const csv = join(dir, 'm.csv');
  writeFileSync(csv, formatHeader(METRIC_COLUMNS) + formatRows(ticks(0, 20), METRIC_COLUMNS));
  const args = [
    '--once',
    '--input-file',
    csv,
    '--insights-file',
    join(dir, 'i.json'),
    '--scores-file',
    join(dir, 's.csv'),
    '--checkpoint-file',
    join(dir, 'cp.json'),
    '--log-dir',
    join(dir, 'logs'),
    '--log-level',
    'error',
  ];
  await captureStdio(async () => {
    // the alerts it prints
    assert.equal(await main(args), 0);
    await between?.();
    appendFileSync(csv, formatRows(ticks(20, 40), METRIC_COLUMNS));
    assert.equal(await main(args), 0);
  });
  return {
    scores: readFileSync(join(dir, 's.csv'), 'utf8'),
    checkpoint: JSON.parse(readFileSync(join(dir, 'cp.json'), 'utf8')) as { state: unknown },
  };
}

/**
 * Rewrites the version-2 checkpoint in `dir` (binary state file) as the version-1 checkpoint an older agent
 * wrote: the same state as JSON, spilled to an ndjson sidecar.
 */
async function downgradeToV1(dir: string): Promise<void> {
  const cpPath = join(dir, 'cp.json');
  const cp = JSON.parse(readFileSync(cpPath, 'utf8')) as Checkpoint & { state: { file: string } };
  assert.equal(cp.version, 2);
  const scorer = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  let agent = { newestTime: 0, learning: false };
  const pods: Array<[string, unknown]> = [];
  readStateFile(join(dir, cp.state.file), {
    shared: (v) => {
      const sh = v as { agent: typeof agent; scorer: unknown };
      agent = sh.agent;
      scorer.restoreShared(sh.scorer);
    },
    pod: (key, json, arrays) => {
      const e = PodEntry.fromRecord(key, json, new Interner());
      pods.push([key, { insight: e.toInsight(), lastTime: e.lastTime }]);
      if (PodEntry.recordHasForecast(json)) arrays.pop(); // the forecast state rides last; version 1 has none
      scorer.restorePod(key, arrays);
    },
  });
  const state = { scorer: scorer.snapshot(), pods, newestTime: agent.newestTime, learning: agent.learning };
  const stored = await withLimit(2, () => spillState(cpPath, state));
  saveCheckpoint(cpPath, { ...cp, version: 1, state: stored });
  rmSync(join(dir, cp.state.file));
}

void test('an agent resumed from a version-1 checkpoint (JSON state, spilled) scores exactly like one resumed from a binary one, and migrates it', async () => {
  const a = mkdtempSync(join(tmpdir(), 'spill-agent-a-'));
  const b = mkdtempSync(join(tmpdir(), 'spill-agent-b-'));
  try {
    const binary = await learnThenResume(a);
    const migrated = await learnThenResume(b, () => downgradeToV1(b));
    assert.equal(migrated.scores.split('\n').length, 1 + 20 * 5 + 1); // header, 20 ticks × 5 pods, final newline
    assert.equal(migrated.scores, binary.scores);
    const cp = migrated.checkpoint as unknown as { version: number; state: { file: string } };
    assert.equal(cp.version, 2, 'the next checkpoint is written in the binary format');
    assert.deepEqual(
      readdirSync(b).filter((n) => n.includes('.state-')),
      [cp.state.file],
      'the version-1 sidecar is removed',
    );
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
