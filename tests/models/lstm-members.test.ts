// The detector's members beyond the LSTM: range novelty lifts the onset score only for values beyond the
// series' own range, gap novelty for values inside it but far from any seen before; the seasonal member flags a day that breaks the daily pattern without leaving the
// range, and stays silent on a series too young to know its days; snapshots keep (and migrate) the state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LstmDetector } from '../../models/lstm/detector.ts';
import { sequenceModel } from '../../models/lstm/index.ts';
import { newSeasonalState, seasonalStep } from '../../models/lstm/seasonal.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday, midnight

function detector(params = {}): LstmDetector {
  return new LstmDetector({ features: ['value'], threshold: 0.7, model: sequenceModel(), params });
}

/** A deterministic noisy series in [90, 110]. */
function noisy(i: number): number {
  return 100 + 10 * Math.sin(i * 1.7) * Math.cos(i * 0.37);
}

void test('range novelty: a value beyond the seen range opens an alert, once the range spans a day', () => {
  const d = detector({ seasonalWeight: 0 });
  const onsets: number[] = [];
  const opened: number[] = [];
  let was = false;
  for (let i = 0; i < 400; i++) {
    const x = i === 300 ? 125 : noisy(i); // 25 % of the range above the maximum, 25 hours in
    const v = d.observe({ key: 's', time: T0 + i * 300_000, values: Float64Array.of(x) });
    onsets.push(v.onset ?? 0);
    if (v.anomalous && !was) opened.push(i);
    was = v.anomalous;
  }
  assert.ok(onsets[300]! >= 0.99, `onset at the novelty ${onsets[300]}`);
  assert.deepEqual(opened, [300], "the agent's alert (the anomalous stretch) opens at the novel value, and only there");
  // the same value within the series' first day is not news: its range does not span a daily cycle yet
  const young = detector({ seasonalWeight: 0 });
  let yo = 0;
  for (let i = 0; i <= 200; i++)
    yo = young.observe({ key: 's', time: T0 + i * 300_000, values: Float64Array.of(i === 200 ? 125 : noisy(i)) }).onset ?? 0;
  assert.ok(yo < 0.99, `a novelty 16 hours in scores ${yo}`);
  const before = Math.max(...onsets.slice(150, 300));
  assert.ok(before < 0.99, `ordinary rows reach ${before}`);
  // the same series without the novelty stays below it
  const e = detector({ seasonalWeight: 0, noveltyMargin: 1e9 });
  let o = 0;
  for (let i = 0; i <= 300; i++)
    o = e.observe({ key: 's', time: T0 + i * 300_000, values: Float64Array.of(i === 300 ? 125 : noisy(i)) }).onset ?? 0;
  assert.ok(o < 0.99, `without novelty the spike's onset is ${o}`);
});

/** 5-minute rows around 100 with a one-row spike to 200 every 50 rows, and `odd` values at some rows. */
function spiky(i: number, odd: ReadonlyMap<number, number>): number {
  return odd.get(i) ?? (i % 50 === 25 ? 200 : noisy(i));
}

/** Runs rows [from, to) of spiky() through d; returns the rows where an alert opened and the onset scores. */
function run(d: LstmDetector, from: number, to: number, odd: Record<number, number> = {}): { opened: number[]; onset: number[] } {
  const rows = new Map(Object.entries(odd).map(([k, v]) => [Number(k), v]));
  const opened: number[] = [];
  const onset: number[] = [];
  let was = false;
  for (let i = from; i < to; i++) {
    const v = d.observe({ key: 's', time: T0 + i * 300_000, values: Float64Array.of(spiky(i, rows)) });
    if (v.anomalous && !was && i > from) opened.push(i);
    was = v.anomalous;
    onset[i] = v.onset ?? 0;
  }
  return { opened, onset };
}

void test('gap novelty: a value inside the range but far from every value seen opens an alert, once the range spans a day', () => {
  // 150 lies halfway between the usual level (90-110) and the regular spikes (200): seen never before
  const { opened, onset } = run(detector({ seasonalWeight: 0 }), 0, 700, { 400: 150, 600: 150 });
  assert.deepEqual(opened, [400], 'the alert opens at the value in the gap; the second such value is no news');
  assert.ok(onset[400]! >= 0.99, `onset ${onset[400]}`);
  // without the gap test the same row is ordinary news (one row, below the earlier spikes)
  const off = run(detector({ seasonalWeight: 0, gapReach: 0 }), 0, 500, { 400: 150 });
  assert.deepEqual(off.opened, []);
  assert.ok(off.onset[400]! < 0.5, `onset without gap novelty ${off.onset[400]}`);
  // 16 hours in, the range does not span a daily cycle yet: not news
  assert.deepEqual(run(detector({ seasonalWeight: 0 }), 0, 300, { 200: 150 }).opened, []);
});

void test('a snapshot without range maps restores: novelty waits a whole day again while the map relearns', () => {
  const a = detector({ seasonalWeight: 0 });
  run(a, 0, 350);
  const snap = a.snapshot() as { series: Record<string, string[]>; rangeMapLayout?: string };
  const b = detector({ seasonalWeight: 0 });
  b.restore(JSON.parse(JSON.stringify(snap)));
  assert.deepEqual(run(b, 350, 500, { 400: 150 }), run(a, 350, 500, { 400: 150 }), 'with its maps it resumes exactly');
  delete snap.rangeMapLayout;
  for (const v of Object.values(snap.series)) v.length = 3; // [f, h, c], as before range maps
  const c = detector({ seasonalWeight: 0 });
  c.restore(snap);
  assert.deepEqual(run(c, 350, 500, { 400: 150 }).opened, [], 'an empty map does not make every value news');
  // a day after the restore the map has learnt the series, and a value in a gap counts again
  assert.deepEqual(run(c, 500, 700, { 660: 170 }).opened, [660]);
});

/** A daily cycle sampled every 30 minutes: high by day, low by night, small noise. */
function daily(i: number): number {
  const hour = (i / 2) % 24;
  return (hour >= 8 && hour < 20 ? 200 : 50) + 5 * Math.sin(i * 2.3);
}

void test('seasonal member: a day that breaks the daily pattern inside the range is flagged', () => {
  const s = newSeasonalState();
  const days = 20;
  const out: number[] = [];
  for (let i = 0; i < days * 48; i++) {
    const day = Math.floor(i / 48);
    // day 18 stays at the night level all day (a holiday): every value is inside the usual range
    const x = day === 18 ? 50 + 5 * Math.sin(i * 2.3) : daily(i);
    out.push(seasonalStep(s, 0, T0 + i * 0.5 * HOUR, x));
  }
  assert.deepEqual(
    out.slice(0, 96).filter((z) => z !== 0),
    [],
    'silent during the first two days',
  );
  const normalPeak = Math.max(...out.slice(14 * 48, 18 * 48).map(Math.abs));
  const holiday = Math.min(...out.slice(18 * 48 + 18, 18 * 48 + 38)); // daytime of the holiday
  assert.ok(holiday < -5, `holiday deviation ${holiday}`);
  assert.ok(normalPeak < 4, `ordinary days reach ${normalPeak}`);
});

void test('seasonal member: silent on a series without a daily pattern', () => {
  const s = newSeasonalState();
  let worst = 0;
  for (let i = 0; i < 20 * 48; i++) worst = Math.max(worst, Math.abs(seasonalStep(s, 0, T0 + i * 0.5 * HOUR, noisy(i))));
  assert.equal(worst, 0);
});

void test('snapshots carry the seasonal state, and pre-novelty snapshots are migrated', () => {
  const a = detector();
  const b = detector();
  const obs = (i: number) => ({ key: 's', time: T0 + i * 0.5 * HOUR, values: Float64Array.of(daily(i)) });
  for (let i = 0; i < 300; i++) a.observe(obs(i));
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  for (let i = 300; i < 400; i++) assert.deepEqual(b.observe(obs(i)), a.observe(obs(i)));
  // a snapshot of the older layout (15 slots per channel, no range, no seasonal state) still restores
  const snap = a.snapshot() as { series: Record<string, [string, string, string]>; seasonal?: unknown };
  const f = new Float64Array(Buffer.from(snap.series.s![0], 'base64').buffer.slice(0));
  const old = new Float64Array(22 + 15);
  old.set(f.subarray(0, 22 + 15));
  snap.series.s![0] = Buffer.from(old.buffer).toString('base64');
  delete snap.seasonal;
  const c = detector();
  c.restore(snap);
  const v = c.observe(obs(400));
  assert.ok(Number.isFinite(v.probability) && Number.isFinite(v.onset!));
});

void test('episode history: a spike like earlier ones is less news than the first, a larger one still is', () => {
  const d = detector({ seasonalWeight: 0, noveltyMargin: 1e9 });
  const spikeAt = new Map<number, number>([
    [400, 160],
    [700, 160],
    [1000, 160],
    [1300, 160],
    [1600, 160],
    [1900, 400],
  ]);
  const peakOnset = new Map<number, number>();
  for (let i = 0; i < 2000; i++) {
    const x = spikeAt.get(i) ?? spikeAt.get(i - 1) ?? noisy(i); // two-row spikes (the level test needs two)
    const v = d.observe({ key: 's', time: T0 + i * 300_000, values: Float64Array.of(x) });
    for (const s of spikeAt.keys()) if (i >= s && i <= s + 2) peakOnset.set(s, Math.max(peakOnset.get(s) ?? 0, v.onset ?? 0));
  }
  const first = peakOnset.get(400)!,
    fifth = peakOnset.get(1600)!,
    larger = peakOnset.get(1900)!;
  assert.ok(fifth < first, `the fifth like spike scores ${fifth}, the first ${first}`);
  assert.ok(larger > fifth, `a larger spike scores ${larger}, the fifth like one ${fifth}`);
  // without the history the repeats are damped only by the decayed peak
  const e = detector({ seasonalWeight: 0, noveltyMargin: 1e9, episodeWeight: 0 });
  let fifthNoHistory = 0;
  for (let i = 0; i < 1603; i++) {
    const v = e.observe({ key: 's', time: T0 + i * 300_000, values: Float64Array.of(spikeAt.get(i) ?? spikeAt.get(i - 1) ?? noisy(i)) });
    if (i >= 1600) fifthNoHistory = Math.max(fifthNoHistory, v.onset ?? 0);
  }
  assert.ok(fifth < fifthNoHistory, `with the history ${fifth}, without ${fifthNoHistory}`);
});

void test("a forgotten series' seasonal state, reused for a new series, starts fresh", () => {
  // 5-minute rows of a daily square wave: after two days (and its history) the seasonal member speaks
  const x = (i: number, phaseHours: number) => {
    const hour = (i / 12 + phaseHours) % 24;
    return (hour >= 8 && hour < 20 ? 200 : 50) + 5 * Math.sin(i * 2.3) + (i % 301 === 150 ? 60 : 0);
  };
  const obs = (key: string, i: number, phase: number) => ({ key, time: T0 + i * 300_000, values: Float64Array.of(x(i, phase)) });
  const a = detector({ noveltyMargin: 1e9 });
  for (let i = 0; i < 5 * 288; i++) a.observe(obs('first', i, 0));
  a.forget('first');
  const b = detector({ noveltyMargin: 1e9 });
  // another phase, so profiles left over from the first series would show
  for (let i = 0; i < 5 * 288; i++) assert.deepEqual(a.observe(obs('second', i, 6)), b.observe(obs('second', i, 6)), `row ${i}`);
});
