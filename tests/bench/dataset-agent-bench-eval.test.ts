// bench:detect's judge: the numbers in docs/BENCHMARKS.md are only as right as these rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluate,
  thresholdForFullRecall,
  median,
  type ScenarioTruth,
  type ScoresByPod,
  type ScoreRow,
} from '../../bench/detect/evaluate.ts';

const truth: ScenarioTruth = {
  scenario: 't',
  seed: 1,
  ticks: 100,
  tickSeconds: 5,
  tickOf: {},
  rows: 0,
  pods: 3,
  faults: [{ id: 'f1', kind: 'memory_leak', namespace: 'ns', pods: ['sick'], startTick: 20, firstOomKilledTick: 70 }],
};

/** Rows for ticks [from, to) with the given flagged ticks and probabilities. */
function series(from: number, to: number, flagged: Record<number, number> = {}): ScoreRow[] {
  const out: ScoreRow[] = [];
  for (let t = from; t < to; t++) out.push({ tick: t, probability: flagged[t] ?? 0.1, anomalous: (flagged[t] ?? 0) >= 0.7 });
  return out;
}

void test('found, delay and lead before the first OOMKilled', () => {
  const byPod: ScoresByPod = new Map([
    ['ns/sick', series(1, 100, { 30: 0.9, 31: 0.9, 80: 0.95 })],
    ['ns/ok', series(1, 100)],
  ]);
  const e = evaluate(byPod, truth);
  assert.equal(e.found, 1);
  assert.equal(e.faults[0]!.delay, 10);
  assert.equal(e.faults[0]!.leadBeforeOom, 40);
  assert.equal(e.faults[0]!.typeRight, false); // rows here carry no type
  const typed = series(1, 100, { 30: 0.9 }).map((r) => (r.anomalous ? { ...r, type: 'oom_risk' } : r));
  assert.equal(evaluate(new Map([['ns/sick', typed]]), truth).faults[0]!.typeRight, true);
  assert.equal(e.falseEpisodes, 0);
  // healthy: 99 ticks of ok + 19 ticks of sick before its fault
  assert.ok(Math.abs(e.healthyPodHours - (99 + 19) / 720) < 1e-9);
});

void test('a flag before the fault began is a false alarm, not a detection', () => {
  const byPod: ScoresByPod = new Map([['ns/sick', series(1, 100, { 10: 0.9 })]]);
  const e = evaluate(byPod, truth);
  assert.equal(e.found, 0);
  assert.equal(e.falseEpisodes, 1);
});

void test('flags beyond the window do not count as found', () => {
  const byPod: ScoresByPod = new Map([['ns/sick', series(1, 100, { 90: 0.9 })]]);
  assert.equal(evaluate(byPod, truth, { window: 50 }).found, 0);
  assert.equal(evaluate(byPod, truth, { window: 70 }).found, 1);
});

void test("episodes are maximal runs; start-up alarms are those in a pod's first ticks", () => {
  const byPod: ScoresByPod = new Map([
    ['ns/a', series(1, 100, { 40: 0.9, 41: 0.9, 42: 0.9, 60: 0.8 })], // two episodes
    ['ns/new', series(50, 100, { 52: 0.9 })], // a new pod flagged at its start-up
  ]);
  const e = evaluate(byPod, truth);
  assert.equal(e.falseEpisodes, 3);
  assert.equal(e.startupFalseAlarms, 1);
  assert.deepEqual(e.episodes, [
    { pod: 'ns/a', startTick: 40, ticks: 3, startup: false },
    { pod: 'ns/a', startTick: 60, ticks: 1, startup: false },
    { pod: 'ns/new', startTick: 52, ticks: 1, startup: true },
  ]);
});

void test('full-recall threshold: the highest probability threshold that still finds every fault', () => {
  const byPod: ScoresByPod = new Map([
    ['ns/sick', series(1, 100, { 25: 0.55, 26: 0.6 })],
    ['ns/ok', series(1, 100, { 50: 0.5 })],
  ]);
  const t = thresholdForFullRecall([{ byPod, truth }])!;
  assert.ok(Math.abs(t - 0.6) < 1e-6, String(t));
  // at that threshold the healthy pod's 0.5 does not count
  assert.equal(evaluate(byPod, truth, { threshold: t }).falseEpisodes, 0);
  assert.equal(evaluate(byPod, truth, { threshold: 0.45 }).falseEpisodes, 1);
  assert.equal(thresholdForFullRecall([{ byPod: new Map([['ns/ok', series(1, 100)]]), truth }]), null);
});

void test('median', () => {
  assert.equal(median([]), null);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});
