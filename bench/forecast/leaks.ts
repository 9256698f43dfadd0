// The leak series the forecast backtest replays: synthetic leaks of several speeds and tick lengths (exact
// OOM time known), the simulated cluster's memory-leak scenario as collected through the real
// K8sCollector (bench/detect/generate.ts), and the leaks of the randomised detection family
// (bench/detect/family/generate.ts: drawn ticks, noise, GC sawtooth), their OOM kills read back from the rows.
import { readFileSync } from 'node:fs';
import { generateFamilySeed } from '../detect/family/generate.ts';
import { MetricsCsvSchema, newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';
import { mulberry32 } from '../../lib/prng.ts';
import { metricForecast, newForecastState, updateForecast, type ForecastParams } from '../../models/forecast.ts';

export interface LeakSeries {
  name: string;
  tickSeconds: number;
  /** One pod's rows in time order. */
  rows: MetricRow[];
  /** Times (epoch ms) the container was OOM-killed. */
  ooms: number[];
  /** When the leak began (epoch ms): rows before it are not judged (no trend to see yet). */
  leakStart: number;
}

export interface SyntheticLeak {
  tickSeconds: number;
  /** Seconds from the leak's start until the container's peaks reach the limit. */
  oomAfterSeconds: number;
  seed: number;
}

const T0 = Date.UTC(2026, 0, 5);
const LIMIT_MB = 1024;

/**
 * One pod: an hour flat (45 % of its limit, a GC sawtooth of 10 points with a 2-minute period, 1 point of
 * noise), then a linear leak (±15 % per tick) until a value reaches the limit: the OOM kill.
 */
export function syntheticLeak(o: SyntheticLeak): LeakSeries {
  const rnd = mulberry32(o.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const rows: MetricRow[] = [];
  const flatTicks = Math.ceil(3600 / o.tickSeconds);
  const perSecond = (100 - 45 - 10) / o.oomAfterSeconds;
  let leak = 0;
  const ooms: number[] = [];
  for (let tick = 0; ooms.length === 0; tick++) {
    const time = T0 + tick * o.tickSeconds * 1000;
    if (tick > flatTicks) leak += perSecond * o.tickSeconds * Math.max(0.6, 1 + 0.15 * normal());
    const saw = (10 * ((time / 1000) % 120)) / 120;
    const pct = 45 + saw + normal() + leak;
    if (pct >= 100) {
      ooms.push(time);
      break;
    }
    rows.push(
      newMetricRow({
        timestamp: new Date(time).toISOString(),
        namespace: 'bench',
        pod: 'leaky-0',
        memoryPercent: pct,
        memoryMb: (pct / 100) * LIMIT_MB,
        status: 'Running',
      }),
    );
  }
  const leakStart = T0 + flatTicks * o.tickSeconds * 1000;
  return {
    leakStart,
    name: `synthetic ${o.tickSeconds} s ticks, OOM ${o.oomAfterSeconds / 60} min after the leak starts (seed ${o.seed})`,
    tickSeconds: o.tickSeconds,
    rows,
    ooms,
  };
}

/** The rows of `pods` ("namespace/pod") in a collected CSV, each with the times it was OOM-killed. */
export function seriesFromCsv(
  csvPath: string,
  pods: readonly string[],
  tickSeconds: number,
  leakStart: number,
  label: string,
): LeakSeries[] {
  const lines = readFileSync(csvPath, 'utf8').split('\n');
  const schema = new MetricsCsvSchema(lines[0]!);
  const byPod = new Map<string, MetricRow[]>(pods.map((p) => [p, []]));
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    const r = schema.parseLine(lines[i]!);
    if (r.ok) byPod.get(`${r.row.namespace}/${r.row.pod}`)?.push(r.row);
  }
  const out: LeakSeries[] = [];
  for (const [pod, rows] of byPod) {
    const ooms: number[] = [];
    let restarts = NaN;
    let prevKilled = false;
    for (const r of rows) {
      // the kill shows as an OOMKilled status or, when no row caught it, as the restart count going up
      const killedRow = /OOMKilled/i.test(r.status);
      const restarted = Number.isFinite(restarts) && r.restarts > restarts;
      if (!prevKilled && (killedRow || restarted)) ooms.push(r.time);
      prevKilled = killedRow;
      if (Number.isFinite(r.restarts)) restarts = r.restarts;
    }
    out.push({ name: `${label} ${pod}`, tickSeconds, rows, ooms, leakStart });
  }
  return out;
}

/**
 * The memory leaks of one seed of the detection family (3 hours, 5–30 s ticks, leaks reaching the limit
 * 60–500 ticks after they start and again after every restart), each pod's rows with its OOM kills.
 */
export function familyLeaks(seed: number, outDir: string): LeakSeries[] {
  const g = generateFamilySeed({ seed, outDir });
  const out: LeakSeries[] = [];
  const timeOfTick = new Map(Object.entries(g.truth.tickOf).map(([ts, tick]) => [tick, Date.parse(ts)]));
  for (const f of g.truth.faults.filter((x) => x.kind === 'memory_leak')) {
    const start = timeOfTick.get(f.startTick) ?? -Infinity;
    const label = `family seed ${seed} (${g.truth.tickSeconds} s ticks, OOM every ${f.magnitude} ticks)`;
    out.push(
      ...seriesFromCsv(
        g.csvPath,
        f.pods.map((p) => `${f.namespace}/${p}`),
        g.truth.tickSeconds,
        start,
        label,
      ),
    );
  }
  return out;
}

export interface SeriesResult {
  name: string;
  /** Rows judged: those within `ticks` ticks before an OOM kill. */
  judged: number;
  /** Of them, rows with a memory forecast. */
  forecast: number;
  /** Median absolute percentage error of the ETA (a missing forecast counts as 100 %). */
  mdape: number | null;
  /** The same over the rows with a forecast only. */
  mdapeForecastOnly: number | null;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Replays a series through the forecaster; the ETA's errors on the rows `ticks` ticks or less before each OOM kill. */
export function backtest(series: LeakSeries, ticks: number, params: ForecastParams, errors: number[] = []): SeriesResult {
  let state = newForecastState(1, params);
  const all: number[] = [];
  const withForecast: number[] = [];
  let k = 0;
  for (const row of series.rows) {
    state = updateForecast(state, row, params);
    while (k < series.ooms.length && series.ooms[k]! <= row.time) k++;
    const oom = series.ooms[k];
    if (oom === undefined) continue;
    const truth = (oom - row.time) / 1000;
    // rows without a memory value (the OOMKilled row itself, a container not running) carry nothing to judge
    if (truth > ticks * series.tickSeconds || row.time < series.leakStart || !Number.isFinite(row.memoryPercent)) continue;
    const f = metricForecast(state, 0, params);
    const ape = f ? Math.abs(f.eta_seconds - truth) / truth : 1;
    all.push(ape);
    errors.push(ape);
    if (f) withForecast.push(ape);
  }
  return {
    name: series.name,
    judged: all.length,
    forecast: withForecast.length,
    mdape: median(all),
    mdapeForecastOnly: median(withForecast),
  };
}
