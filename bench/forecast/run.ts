// npm run bench:forecast — backtest of the memory exhaustion forecast (models/forecast.ts): leak series are
// replayed row by row through the forecaster the dataset agent runs, and on every row from --ticks ticks
// before each OOM kill onwards the forecast ETA is compared with the time the kill actually came. Goal: a
// median absolute percentage error of at most 30 %. A row without a forecast counts as 100 % error.
// Parameters are tuned on the tuning seeds (1-10) only; the headline figure is the report seeds' (11-20).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, helpShown, runIfMain } from '../../lib/cli.ts';
import { DEFAULT_FORECAST_PARAMS, type ForecastParams } from '../../models/forecast.ts';
import { parseSeeds } from '../detect/family/run.ts';
import { generateScenario, type Generated } from '../detect/generate.ts';
import type { ScenarioTruth } from '../detect/evaluate.ts';
import { backtest, familyLeaks, median, seriesFromCsv, syntheticLeak, type LeakSeries, type SeriesResult } from './leaks.ts';

const GOAL = 0.3;

export function parse(argv: string[]) {
  return cli('bench:forecast', argv, 'Backtest of the OOM forecast: ETA error on leak scenarios in the ticks before each OOM kill.')
    .option('ticks', { type: 'number', default: 30, describe: 'Judge the rows this many ticks before each OOM kill (and after)' })
    .option('seeds', { type: 'string', default: '1-10', describe: 'Tuning seeds, e.g. 1-10 or 1,4,7 (synthetic, sim and family leaks)' })
    .option('report-seeds', { type: 'string', default: '11-20', describe: 'Report seeds, never tuned on: the headline figure ("" skips)' })
    .option('sim-ticks', { type: 'number', default: 200, describe: "Ticks of the sim's memory-leak scenario (5 s each; 0 skips it)" })
    .option('family', { type: 'boolean', default: true, describe: "The detection family's leaks (--no-family skips them)" })
    .option('windows', {
      type: 'string',
      default: DEFAULT_FORECAST_PARAMS.windowsSeconds.join(','),
      describe: 'Regression windows (seconds), shortest first',
    })
    .option('out-dir', { type: 'string', default: '.bench-out/forecast', describe: 'Generated scenario data' })
    .option('reuse', { type: 'boolean', default: false, describe: 'Reuse generated scenario data when seed and ticks match' })
    .option('json', { type: 'string', describe: 'Write the results as JSON to this file' })
    .parseSync();
}

/** A scenario generated earlier with the same seed and ticks (--reuse). */
function reused(dir: string, seed: number, ticks: number): Generated | null {
  const truthPath = join(dir, 'truth.json');
  if (!existsSync(truthPath)) return null;
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as ScenarioTruth;
  return truth.seed === seed && truth.ticks === ticks ? { csvPath: join(dir, 'pod_metrics.csv'), truthPath, truth } : null;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);

interface Group {
  group: string;
  series: number;
  judged: number;
  coverage: number | null;
  mdape: number | null;
}

interface Evaluation {
  seeds: number[];
  overall: number | null;
  groups: Group[];
  results: SeriesResult[];
}

/** Every leak series of one seed: synthetic leaks (3 tick lengths × 3 speeds), the sim's scenario, the family's leaks. */
export async function seedSeries(seed: number, args: ReturnType<typeof parse>): Promise<Array<{ group: string; s: LeakSeries }>> {
  const series: Array<{ group: string; s: LeakSeries }> = [];
  for (const tickSeconds of [5, 15, 60]) {
    for (const minutes of [15, 60, 360]) {
      series.push({ group: `synthetic ${tickSeconds} s`, s: syntheticLeak({ tickSeconds, oomAfterSeconds: minutes * 60, seed }) });
    }
  }
  if (args['sim-ticks'] > 0) {
    const dir = resolve(args['out-dir'], `memory-leak-${seed}`);
    mkdirSync(dir, { recursive: true });
    if (!args.reuse) rmSync(join(dir, 'truth.json'), { force: true });
    let g = reused(dir, seed, args['sim-ticks']);
    if (!g) {
      process.stderr.write(`generating the memory-leak scenario, seed ${seed}, ${args['sim-ticks']} ticks\n`);
      g = await generateScenario({ scenario: 'memory-leak', seed, ticks: args['sim-ticks'], outDir: dir });
    }
    // the tick each row timestamp was collected at → the leak's start as a row time
    const timeOfTick = new Map(Object.entries(g.truth.tickOf).map(([ts, tick]) => [tick, Date.parse(ts)]));
    for (const f of g.truth.faults.filter((x) => x.kind === 'memory_leak')) {
      const start = timeOfTick.get(f.startTick) ?? -Infinity;
      const pods = f.pods.map((p) => `${f.namespace}/${p}`);
      for (const s of seriesFromCsv(g.csvPath, pods, g.truth.tickSeconds, start, `sim memory-leak seed ${seed}`))
        series.push({ group: 'sim memory-leak', s });
    }
  }
  if (args.family) {
    for (const s of familyLeaks(seed, resolve(args['out-dir'], `family-${seed}`))) series.push({ group: 'family leaks', s });
  }
  return series;
}

export function evaluate(
  seeds: number[],
  series: Array<{ group: string; s: LeakSeries }>,
  ticks: number,
  params: ForecastParams,
): Evaluation {
  const groups = new Map<string, { errors: number[]; results: SeriesResult[] }>();
  const all: number[] = [];
  for (const { group, s } of series) {
    const g = groups.get(group) ?? { errors: [], results: [] };
    groups.set(group, g);
    const r = backtest(s, ticks, params, g.errors);
    g.results.push(r);
    all.push(...g.errors.slice(g.errors.length - r.judged));
  }
  const summary = [...groups].map(([group, g]) => {
    const judged = g.results.reduce((n, r) => n + r.judged, 0);
    const forecast = g.results.reduce((n, r) => n + r.forecast, 0);
    return { group, series: g.results.length, judged, coverage: judged ? forecast / judged : null, mdape: median(g.errors) };
  });
  return { seeds, overall: median(all), groups: summary, results: [...groups.values()].flatMap((g) => g.results) };
}

function table(title: string, e: Evaluation): string {
  const lines = [
    `${title} (seeds ${e.seeds.join(',')})`,
    `${'group'.padEnd(20)} ${'series'.padStart(6)} ${'rows'.padStart(6)} ${'coverage'.padStart(9)} ${'MdAPE'.padStart(8)}`,
  ];
  for (const s of e.groups)
    lines.push(
      `${s.group.padEnd(20)} ${String(s.series).padStart(6)} ${String(s.judged).padStart(6)} ${pct(s.coverage).padStart(9)} ${pct(s.mdape).padStart(8)}`,
    );
  lines.push(`${'all'.padEnd(20)} ${''.padStart(6)} ${''.padStart(6)} ${''.padStart(9)} ${pct(e.overall).padStart(8)}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (helpShown(argv)) return 0;
  const tuning = parseSeeds(args.seeds);
  const report = args['report-seeds'].trim() ? parseSeeds(args['report-seeds']) : [];
  const params: ForecastParams = {
    ...DEFAULT_FORECAST_PARAMS,
    windowsSeconds: args.windows.split(',').map(Number),
  };
  const load = async (seeds: number[]) => {
    const out: Array<{ group: string; s: LeakSeries }> = [];
    for (const seed of seeds) out.push(...(await seedSeries(seed, args)));
    return out;
  };
  const tuned = evaluate(tuning, await load(tuning), args.ticks, params);
  const reported = report.length ? evaluate(report, await load(report), args.ticks, params) : null;
  process.stdout.write(
    `forecast backtest: ETA error from ${args.ticks} ticks before each OOM kill (windows ${params.windowsSeconds.join(', ')} s)\n`,
  );
  process.stdout.write(table('tuning seeds', tuned));
  if (reported) process.stdout.write(table('report seeds, never tuned on', reported));
  const headline = reported ?? tuned;
  process.stdout.write(
    `${reported ? 'report' : 'tuning'} seeds' MdAPE ${pct(headline.overall)} (goal ≤ ${pct(GOAL)}): ` +
      `${headline.overall !== null && headline.overall <= GOAL ? 'met' : 'NOT met'}\n`,
  );
  if (args.json) {
    writeFileSync(
      args.json,
      JSON.stringify(
        { generated_at: new Date().toISOString(), ticks_before_oom: args.ticks, params, goal_mdape: GOAL, tuning: tuned, report: reported },
        null,
        2,
      ) + '\n',
    );
  }
  return 0;
}

runIfMain(import.meta.url, main);
