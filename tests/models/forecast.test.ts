import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';
import { mulberry32 } from '../../lib/prng.ts';
import { Forecast } from '../../lib/schemas.ts';
import {
  CPU_LIMIT_COLUMN,
  describeForecast,
  EPHEMERAL_LIMIT_COLUMN,
  EPHEMERAL_USAGE_COLUMN,
  forecastsOf,
  isForecastState,
  metricForecast,
  newForecastState,
  passageZ,
  updateForecast,
} from '../../models/forecast.ts';

const T0 = Date.UTC(2026, 0, 1);
const LIMIT_MB = 512;

/** A pod's row at second `t` with memory at `pct` % of a 512 MiB limit (and optional extra columns). */
function row(t: number, pct: number, extra: Record<string, number> = {}, cpuPercent = 10): MetricRow {
  const r = newMetricRow({
    timestamp: new Date(T0 + t * 1000).toISOString(),
    namespace: 'shop',
    pod: 'api-0',
    memoryPercent: pct,
    memoryMb: (pct / 100) * LIMIT_MB,
    cpuPercent,
    restarts: 0,
  });
  r.extra = extra;
  return r;
}

function feed(rows: MetricRow[]): Float64Array {
  let s = newForecastState();
  for (const r of rows) s = updateForecast(s, r);
  return s;
}

/** Deterministic jitter in [-1, 1]. */
const jitter = (i: number) => Math.sin(i * 12.9898) * 0.999;

void test('a steady leak gets a memory forecast near the true time to the limit, with the limit from MB / %', () => {
  // 40 % → rising 0.05 %/s with ±1 point of jitter, every 10 s for 10 minutes: at t = 600 s it is at 70 %,
  // so the limit is 600 s away
  const rows = Array.from({ length: 61 }, (_, i) => row(i * 10, 40 + 0.05 * i * 10 + jitter(i)));
  const f = metricForecast(feed(rows), 0);
  assert.ok(f, 'a forecast');
  assert.equal(Forecast.parse(f).metric, 'memory');
  assert.ok(Math.abs(f.limit - LIMIT_MB * 1024 * 1024) < 1024, String(f.limit));
  assert.ok(f.eta_seconds > 450 && f.eta_seconds < 650, String(f.eta_seconds));
  assert.ok(f.confidence > 0.5 && f.confidence <= 1, String(f.confidence));
  assert.match(describeForecast(f), /^memory reaches its limit in ~\d+ min \(confidence 0\.\d\d\)$/);
});

void test('the window is time, not rows: the same leak collected every 60 s gives the same ETA', () => {
  const fast = feed(Array.from({ length: 121 }, (_, i) => row(i * 5, 40 + 0.05 * i * 5)));
  const slow = feed(Array.from({ length: 11 }, (_, i) => row(i * 60, 40 + 0.05 * i * 60)));
  const a = metricForecast(fast, 0)!;
  const b = metricForecast(slow, 0)!;
  assert.ok(a && b);
  assert.ok(Math.abs(a.eta_seconds - b.eta_seconds) <= 0.1 * a.eta_seconds, `${a.eta_seconds} vs ${b.eta_seconds}`);
});

void test('no forecast when flat, decreasing, too young, or the limit is beyond the horizon', () => {
  const flat = feed(Array.from({ length: 120 }, (_, i) => row(i * 10, 50 + jitter(i))));
  assert.equal(metricForecast(flat, 0), null);
  const falling = feed(Array.from({ length: 120 }, (_, i) => row(i * 10, 80 - 0.02 * i * 10 + jitter(i))));
  assert.equal(metricForecast(falling, 0), null);
  const young = feed(Array.from({ length: 4 }, (_, i) => row(i * 10, 40 + i * 5)));
  assert.equal(metricForecast(young, 0), null);
  // +0.0005 %/s from 40 %: 33 hours to the limit
  const slowLeak = feed(Array.from({ length: 720 }, (_, i) => row(i * 10, 40 + 0.0005 * i * 10)));
  assert.equal(metricForecast(slowLeak, 0), null);
  assert.deepEqual(forecastsOf(flat), []);
});

void test('an OOM kill (usage falling far below the trend) starts the fit again: no stale forecast after the restart', () => {
  const leak = Array.from({ length: 60 }, (_, i) => row(i * 10, 40 + 0.08 * i * 10));
  const after = Array.from({ length: 30 }, (_, i) => row(600 + i * 10, 35 + jitter(i)));
  const s = feed([...leak, ...after]);
  assert.equal(metricForecast(s, 0), null);
});

void test('a new container (the restart count going up) starts the fit again, even where usage did not fall', () => {
  const leak = Array.from({ length: 60 }, (_, i) => row(i * 10, 40 + 0.08 * i * 10));
  assert.ok(metricForecast(feed(leak), 0), 'a forecast before the restart');
  // the next container reads high at once (a big heap loaded on start): no fall, but its trend is its own
  const restarted = [...leak, ...Array.from({ length: 3 }, (_, i) => ({ ...row(600 + i * 10, 86 + i * 0.1), restarts: 1 }))];
  assert.equal(metricForecast(feed(restarted), 0), null);
});

void test('the ETA is a first passage: the same noisy leak sampled more often crosses sooner, both before its trend does', () => {
  // +0.01 %/s from 40 %, independent noise of 2 points: the trend itself reaches the limit 3000 s after t = 3000 s
  const leak = (tick: number) => {
    const rnd = mulberry32(7);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Array.from({ length: 3000 / tick + 1 }, (_, i) => row(i * tick, 40 + 0.01 * i * tick + 2 * normal()));
  };
  const often = metricForecast(feed(leak(5)), 0)!;
  const seldom = metricForecast(feed(leak(60)), 0)!;
  assert.ok(often && seldom);
  assert.ok(often.eta_seconds < seldom.eta_seconds, `${often.eta_seconds} vs ${seldom.eta_seconds}`);
  assert.ok(seldom.eta_seconds < 3000, String(seldom.eta_seconds));
  // more spreads above the trend when the trend closes in slowly per draw; none far off when it is fast
  assert.ok(passageZ(Infinity, 0.001) > passageZ(Infinity, 0.01));
  assert.ok(passageZ(Infinity, 0.01) > passageZ(Infinity, 0.1));
  assert.ok(passageZ(Infinity, 0.001) < 4);
});

void test('CPU and ephemeral storage are forecast only where their limits are collected (extra columns)', () => {
  // CPU Usage (%) is a share of one core: 250 % = 2.5 cores against a limit of 400 % (4 cores = 4000 millicores)
  const rows = Array.from({ length: 61 }, (_, i) =>
    row(
      i * 10,
      40,
      { [CPU_LIMIT_COLUMN]: 400, [EPHEMERAL_USAGE_COLUMN]: 100 + i * 10, [EPHEMERAL_LIMIT_COLUMN]: 2048 },
      100 + i * 2.5 + jitter(i),
    ),
  );
  const s = feed(rows);
  assert.ok(isForecastState(s));
  const fs = forecastsOf(s).map((f) => Forecast.parse(f));
  assert.deepEqual(fs.map((f) => f.metric).sort(), ['cpu', 'ephemeral_storage']);
  const cpu = fs.find((f) => f.metric === 'cpu')!;
  assert.equal(cpu.limit, 4000);
  // at t = 600 s: 250 % of 400 %, rising 0.25 %/s → 600 s
  assert.ok(cpu.eta_seconds > 450 && cpu.eta_seconds < 700, String(cpu.eta_seconds));
  const eph = fs.find((f) => f.metric === 'ephemeral_storage')!;
  assert.equal(eph.limit, 2048 * 1024 * 1024);
  // 700 MB of 2048, rising 1 MB/s → 1348 s
  assert.ok(eph.eta_seconds > 1100 && eph.eta_seconds < 1500, String(eph.eta_seconds));
  // without the columns the same rows give no CPU forecast
  assert.deepEqual(forecastsOf(feed(rows.map((r) => ({ ...r, extra: {} })))), []);
});
