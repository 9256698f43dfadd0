// npx tsx bench/forecast/cost.ts — what the forecast adds to the dataset agent's hot path, measured in one
// process so a busy machine slows both sides alike: rows of many pods are scored by the LSTM pod scorer, and
// the same rows fed to the forecaster, in alternating rounds; CPU time per row of each, and their ratio.
import { cli, helpShown, runIfMain } from '../../lib/cli.ts';
import { CPU_LIMIT_COLUMN, EPHEMERAL_LIMIT_COLUMN, EPHEMERAL_USAGE_COLUMN, newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';
import { mulberry32 } from '../../lib/prng.ts';
import { createDetector } from '../../models/registry.ts';
import { POD_FEATURES } from '../../models/pod-features.ts';
import { PodScorer } from '../../models/pod-scorer.ts';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '../../models/forecast.ts';
import { forecastsOf, newForecastState, updateForecast } from '../../models/forecast.ts';
import { median } from './leaks.ts';

function parse(argv: string[]) {
  return cli('bench/forecast/cost.ts', argv, "The forecast's cost per row against the LSTM scorer's, side by side in one process.")
    .option('pods', { type: 'number', default: 2000 })
    .option('ticks', { type: 'number', default: 20, describe: 'Ticks per round (5 s apart)' })
    .option('rounds', { type: 'number', default: 7, describe: 'Alternating rounds of each side' })
    .option('columns', {
      type: 'boolean',
      default: false,
      describe: "Rows carry the Kubernetes collector's CPU and ephemeral-storage limit columns (three forecasts a pod)",
    })
    .option('compare', {
      type: 'string',
      describe: "Another build's models/forecast.ts (e.g. from git show): its update timed in the same rounds, and the ratio",
    })
    .parseSync();
}

function tickRows(pods: number, tick: number, rnd: () => number, columns: boolean): MetricRow[] {
  const ts = new Date(Date.UTC(2026, 0, 1) + tick * 5000).toISOString();
  return Array.from({ length: pods }, (_, p) => {
    const pct = 30 + (p % 40) + 0.05 * tick * (p % 3) + rnd();
    const row = newMetricRow({
      timestamp: ts,
      namespace: 'bench',
      pod: `app-${p}`,
      status: 'Running',
      readyContainers: 1,
      totalContainers: 1,
      restarts: 0,
      cpuPercent: 20 + 10 * rnd(),
      memoryPercent: pct,
      memoryMb: pct * 5,
      netRxBytes: 5e4 * (1 + rnd()),
      netTxBytes: 4e4 * (1 + rnd()),
      fsReadsMb: tick * 0.01,
      fsWritesMb: tick * 0.02,
      netRxDropped: 0,
      netTxDropped: 0,
    });
    if (columns) row.extra = { [CPU_LIMIT_COLUMN]: 100, [EPHEMERAL_USAGE_COLUMN]: 50 + 0.1 * tick + rnd(), [EPHEMERAL_LIMIT_COLUMN]: 1024 };
    return row;
  });
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (helpShown(argv)) return 0;
  const scorer = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  const states = new Map<string, Float64Array>();
  const other = args.compare ? ((await import(pathToFileURL(resolve(args.compare)).href)) as typeof current) : undefined;
  const otherStates = new Map<string, Float64Array>();
  const otherMs: number[] = [];
  const rnd = mulberry32(1);
  let tick = 0;
  const scoreMs: number[] = [];
  const forecastMs: number[] = [];
  let sink = 0;
  for (let round = 0; round < args.rounds + 1; round++) {
    const rows: MetricRow[] = [];
    for (let t = 0; t < args.ticks; t++) rows.push(...tickRows(args.pods, tick++, rnd, args.columns));
    let t0 = cpuMs();
    for (const r of rows) sink += scorer.score(r)?.verdict.probability ?? 0;
    const s = cpuMs() - t0;
    t0 = cpuMs();
    for (const r of rows) {
      const key = r.pod;
      states.set(key, updateForecast(states.get(key) ?? newForecastState(), r));
    }
    const f = cpuMs() - t0;
    let g = 0;
    if (other) {
      t0 = cpuMs();
      for (const r of rows) otherStates.set(r.pod, other.updateForecast(otherStates.get(r.pod) ?? other.newForecastState(), r));
      g = cpuMs() - t0;
    }
    if (round === 0) continue; // warm-up (JIT, first rows of every pod)
    otherMs.push((g * 1000) / rows.length);
    scoreMs.push((s * 1000) / rows.length);
    forecastMs.push((f * 1000) / rows.length);
  }
  // the forecasts themselves, once per insights write: every pod (median of 5 passes)
  const passes: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t1 = cpuMs();
    for (const st of states.values()) sink += forecastsOf(st).length;
    passes.push(cpuMs() - t1);
  }
  const insightsMs = median(passes)!;
  const s = median(scoreMs)!;
  const f = median(forecastMs)!;
  process.stdout.write(
    `${args.pods} pods, ${args.rounds} rounds of ${args.ticks} ticks: scoring ${s.toFixed(2)} µs/row, forecast update ${f.toFixed(3)} µs/row ` +
      `(+${((100 * f) / s).toFixed(2)} %); forecasts of every pod for pod_insights.json ${insightsMs.toFixed(1)} ms ` +
      `(${((insightsMs * 1000) / states.size).toFixed(2)} µs a pod)${sink < 0 ? ' ' : ''}\n`,
  );
  if (other) {
    const o = median(otherMs)!;
    process.stdout.write(`${args.compare}: forecast update ${o.toFixed(3)} µs/row; this build / that one: ${(f / o).toFixed(2)}\n`);
  }
  return 0;
}

runIfMain(import.meta.url, main);
