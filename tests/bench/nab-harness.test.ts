// The bench:nab harness: NAB's streaming rule is enforced, detectors see only key/time/value, and the
// report formats (table, JSON) carry the figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Detector, Observation, Verdict } from '../../models/detector-api.ts';
import { checkStreaming, streamSeries, truncateFile, verdictScore } from '../../bench/nab/detectors.ts';
import { jsonReport } from '../../bench/nab/run.ts';
import type { NabFile } from '../../bench/nab/scorer.ts';

function file(rows: number): NabFile {
  const times = Float64Array.from({ length: rows }, (_, i) => Date.UTC(2020, 0, 1) + i * 60_000);
  return {
    name: 'cat/f.csv',
    category: 'cat',
    timestamps: Array.from(times, (t) => new Date(t).toISOString()),
    times,
    values: Float64Array.from({ length: rows }, (_, i) => Math.sin(i / 7) + (i === rows - 5 ? 10 : 0)),
    windows: [[rows - 20, rows - 1]],
  };
}

const verdict = (p: number): Verdict => ({ probability: p, anomalous: p > 0.5, type: 'none', contributing: [], since: null });

/** Honest: the running maximum of |value| so far. */
class RunningMax implements Detector {
  readonly name = 'running-max';
  readonly features = ['value'];
  seen: Observation[] = [];
  private max = new Map<string, number>();
  observe(o: Observation): Verdict {
    this.seen.push(o);
    const m = Math.max(this.max.get(o.key) ?? 0, Math.abs(o.values[0]!));
    this.max.set(o.key, m);
    return verdict(m / 10);
  }
  forget(key: string): void {
    this.max.delete(key);
  }
  snapshot(): unknown {
    return [...this.max];
  }
  restore(): void {}
}

/** Cheats inside observeBatch: every row of a batch gets the batch's maximum (a look-ahead). */
class PeekingBatch extends RunningMax {
  observeBatch(batch: readonly Observation[]): Verdict[] {
    const peak = Math.max(...batch.map((o) => Math.abs(o.values[0]!)));
    return batch.map((o) => verdict(Math.max(peak, this.observe(o).probability * 10) / 10));
  }
}

void test('streamSeries feeds one row at a time as {key: file, time, values: [value]} and returns the probabilities', async () => {
  const f = file(50);
  const d = new RunningMax();
  const s = await streamSeries(d, f);
  assert.equal(d.seen.length, 50);
  assert.deepEqual(Object.keys(d.seen[3]!).sort(), ['key', 'time', 'values']);
  assert.equal(d.seen[3]!.key, 'cat/f.csv');
  assert.equal(d.seen[3]!.time, f.times[3]);
  assert.deepEqual(Array.from(d.seen[3]!.values), [f.values[3]]);
  assert.ok(s[49]! > 1); // the spike at row 45 is remembered
  assert.ok(s[10]! < 0.2);
});

void test('the streaming check passes an honest detector and catches a batch that looks ahead', async () => {
  const f = file(300);
  f.values = Float64Array.from(f.values, (_, i) => i / 300); // a ramp: any look-ahead changes a score
  assert.equal(await checkStreaming('running-max', f, (g) => streamSeries(new RunningMax(), g, 64)), null);
  const problem = await checkStreaming('peeking', f, (g) => streamSeries(new PeekingBatch(), g, 64));
  assert.match(problem ?? '', /row \d+ scored/);
});

void test('truncateFile clips windows to the prefix', () => {
  const t = truncateFile(file(100), 90);
  assert.equal(t.values.length, 90);
  assert.deepEqual(t.windows, [[80, 89]]);
});

void test('a detector returning a non-finite score is a clear error', async () => {
  const bad = new RunningMax();
  bad.observe = () => verdict(NaN);
  await assert.rejects(streamSeries(bad, file(10)), /score NaN/);
});

void test('the JSON report has the three profiles and by_category per detector', () => {
  const report = jsonReport(
    [
      {
        name: 'x',
        seconds: 1,
        rows: 10,
        profiles: [
          {
            profile: 'standard',
            threshold: 0.9,
            raw: 1,
            normalized: 50,
            files: [],
            byCategory: { all: { raw: 1, normalized: 50, windows: 2 }, none: { raw: 0, normalized: NaN, windows: 0 } },
          },
        ],
      },
    ],
    '/nab',
  ) as { detectors: Record<string, { standard: number; by_category: Record<string, Record<string, number | null>> }> };
  assert.equal(report.detectors.x!.standard, 50);
  assert.equal(report.detectors.x!.by_category.all!.standard, 50);
  assert.equal(report.detectors.x!.by_category.none!.standard, null);
});

void test("the anomaly score is the verdict's onset when reported, else its probability", () => {
  const v = verdict(0.8);
  assert.equal(verdictScore(v), 0.8);
  const withOnset = { ...v, onset: 0.3 } as Verdict;
  assert.equal(verdictScore(withOnset), 0.3);
  assert.equal(verdictScore(withOnset, 'probability'), 0.8);
});
