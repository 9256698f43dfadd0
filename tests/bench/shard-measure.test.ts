// bench:shard's figures from scored rows: a double-scored sample, coverage after the takeover, and the
// takeover time of the killed replica's pods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measure, type ScoredRow } from '../../bench/shard/measure.ts';

const TICK = 5000;
const row = (replica: string, tick: number, pod: string, offset = 0): ScoredRow => ({ replica, tick, ms: tick * TICK + offset, pod });

void test('measure counts double-scored samples, coverage after the takeover and the takeover time', () => {
  const rows: ScoredRow[] = [];
  for (let t = 0; t < 4; t++) rows.push(row('a', t, 'p1'), row('b', t, 'p2'), row('c', t, 'p3'));
  rows.push(row('a', 2, 'p2')); // one sample scored twice
  // c killed at tick 4 + 1 s; b takes p3 over from tick 6 on (2 s into it); tick 7 misses p1.
  for (let t = 4; t < 9; t++) {
    if (t !== 7) rows.push(row('a', t, 'p1'));
    rows.push(row('b', t, 'p2'));
    if (t >= 6) rows.push(row('b', t, 'p3', 2000));
  }
  const m = measure(rows, 'c', 4 * TICK + 1000, TICK, 8);
  assert.equal(m.pods, 3);
  assert.equal(m.double_scored_rows, 1);
  assert.equal(m.killed_replica_pods, 1);
  assert.equal(m.takeover_seconds, (6 * TICK + 2000 - (4 * TICK + 1000)) / 1000);
  assert.equal(m.ticks_measured, 2); // ticks 7 and 8
  assert.equal(m.pods_covered_fraction_min, 2 / 3);
  assert.equal(m.pods_covered_fraction, (2 / 3 + 1) / 2);
});
