// npm run train:default: reproduces the shipped model (models/artifacts/default) from the simulated
// cluster's normal behaviour: the `healthy` scenario (daily cycles, noise, bursts, GC sawtooth,
// rolling updates, scale-outs; no faults) on a manual clock with a fixed seed, collected the way
// production collects it (the real K8sCollector over the simulator's HTTPS API, one collectOnce per
// tick) into a pod_metrics.csv, then trained with train-model. `--source truth` builds the rows from
// SimCluster.truth() instead (no HTTP; for machines where the simulator cannot listen).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runIfMain } from '../../lib/cli.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { createLogger } from '../../lib/log.ts';
import { MetricsCsvWriter } from '../../lib/metrics-csv.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { startSim } from '../../sim/index.ts';
import { loadScenario, SCENARIO_DIR } from '../../sim/scenario.ts';
import { baseScenario, simulate } from './rows.ts';
import { trainModel } from '../../models/train-model.ts';

export const DEFAULT_MODEL_DIR = 'models/artifacts/default';
const TICKS = 2000;
const SEED = 42;

async function collectHealthy(csv: string, log: (m: string) => void): Promise<string> {
  const dir = 'data/train-default-sim';
  mkdirSync(dir, { recursive: true });
  const sim = await startSim({
    scenario: 'healthy',
    seed: SEED,
    manualClock: true,
    startTime: '2026-01-01T00:00:00Z',
    kubeconfigOut: join(dir, 'kubeconfig'),
  });
  const writer = MetricsCsvWriter.open(csv);
  try {
    const collector = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), {
      logger: createLogger('train-default-collector', { console: 'none' }),
    });
    for (let tick = 1; tick <= TICKS; tick++) {
      sim.tick(1);
      writer.append(await collector.collectOnce());
      if (tick % 500 === 0) log(`collected ${tick}/${TICKS} ticks`);
    }
  } finally {
    writer.close();
    await sim.close();
  }
  return `simulated cluster, scenario "healthy", seed ${SEED}, ${TICKS} ticks of 5 s, collected with K8sCollector over the simulator's API`;
}

function truthRows(csv: string): string {
  const useHealthy = existsSync(join(SCENARIO_DIR, 'healthy.json'));
  const scenario = useHealthy
    ? loadScenario('healthy')
    : baseScenario({ churn: [{ tick: 300, every: 500, namespace: 'jobs', deployment: 'worker', action: 'rollout' }] as never }, 6);
  const w = MetricsCsvWriter.open(csv);
  w.append(simulate(scenario, TICKS, SEED));
  w.close();
  return `simulated cluster, scenario "${scenario.name}", seed ${SEED}, ${TICKS} ticks of 5 s; rows from SimCluster.truth() shaped as the collector writes them`;
}

export async function main(argv: string[]): Promise<number> {
  const out = argv.includes('--model-dir') ? argv[argv.indexOf('--model-dir') + 1]! : DEFAULT_MODEL_DIR;
  const viaTruth = argv.includes('--source') && argv[argv.indexOf('--source') + 1] === 'truth';
  const log = (m: string) => process.stderr.write(`${m}\n`);
  mkdirSync('data', { recursive: true });
  const csv = 'data/train-default.csv';
  rmSync(csv, { force: true });
  const source = viaTruth ? truthRows(csv) : await collectHealthy(csv, log);
  log(`${source} → ${csv}`);
  await trainModel({ inputFile: csv, modelDir: out, source, log });
  return 0;
}

runIfMain(import.meta.url, main);
