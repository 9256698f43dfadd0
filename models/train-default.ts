// npm run train:default: reproduces the shipped model (models/artifacts/default) from the simulated
// cluster's normal behaviour: runs the `healthy` scenario (or the built-in test cluster when that
// scenario is absent) with a fixed seed, writes its rows as pod_metrics.csv, and trains on them.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runIfMain } from '../lib/cli.ts';
import { MetricsCsvWriter } from '../lib/metrics-csv.ts';
import { loadScenario, SCENARIO_DIR } from '../sim/scenario.ts';
import { baseScenario, simulate } from './sim-data.ts';
import { trainModel } from './train-model.ts';

export const DEFAULT_MODEL_DIR = 'models/artifacts/default';

export async function main(argv: string[]): Promise<number> {
  const out = argv.includes('--model-dir') ? argv[argv.indexOf('--model-dir') + 1]! : DEFAULT_MODEL_DIR;
  const ticks = 2000;
  const seed = 42;
  const useHealthy = existsSync(join(SCENARIO_DIR, 'healthy.json'));
  const scenario = useHealthy ? loadScenario('healthy') : baseScenario({ churn: [{ tick: 300, every: 500, namespace: 'jobs', deployment: 'worker', action: 'rollout' }] }, 6);
  const rows = simulate(scenario, ticks, seed);
  mkdirSync('data', { recursive: true });
  const csv = 'data/train-default.csv';
  rmSync(csv, { force: true });
  const w = MetricsCsvWriter.open(csv);
  w.append(rows);
  w.close();
  const source = `simulated cluster, scenario "${scenario.name}", seed ${seed}, ${ticks} ticks of 5 s; rows from SimCluster.truth() shaped as the collector writes them`;
  process.stderr.write(`${source}: ${rows.length} rows → ${csv}\n`);
  await trainModel({ inputFile: csv, modelDir: out, source, log: (m) => process.stderr.write(`${m}\n`) });
  return 0;
}

runIfMain(import.meta.url, main);
