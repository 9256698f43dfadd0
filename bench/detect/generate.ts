// Generates one scenario's pod_metrics.csv the way production does: the simulated cluster on a manual
// clock, the real K8sCollector over its HTTPS API (one collectOnce per tick), rows appended with
// MetricsCsvWriter; plus the fault ground truth and the tick of every row timestamp (truth.json).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { createLogger } from '../../lib/log.ts';
import { MetricsCsvWriter } from '../../lib/metrics-csv.ts';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { startSim } from '../../sim/index.ts';
import { runIfMain } from '../../lib/cli.ts';
import type { FaultRecord, ScenarioTruth } from './evaluate.ts';

export interface GenerateOptions {
  scenario: string;
  seed: number;
  ticks: number;
  outDir: string;
  /** Fixed simulated start, so runs are identical whatever the wall clock. */
  startTime?: string;
  onProgress?: (tick: number) => void;
}

export interface Generated {
  csvPath: string;
  truthPath: string;
  truth: ScenarioTruth;
}

export async function generateScenario(opts: GenerateOptions): Promise<Generated> {
  mkdirSync(opts.outDir, { recursive: true });
  const csvPath = join(opts.outDir, 'pod_metrics.csv');
  const truthPath = join(opts.outDir, 'truth.json');
  rmSync(csvPath, { force: true });
  const sim = await startSim({
    scenario: opts.scenario,
    seed: opts.seed,
    manualClock: true,
    startTime: opts.startTime ?? '2026-01-05T00:00:00Z',
    kubeconfigOut: join(opts.outDir, 'kubeconfig'),
  });
  const tickSeconds = 5;
  const tickOf: Record<string, number> = {};
  const pods = new Set<string>();
  let rows = 0;
  const writer = MetricsCsvWriter.open(csvPath);
  try {
    const collector = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), {
      logger: createLogger('bench-collector', { console: 'none' }),
    });
    for (let tick = 1; tick <= opts.ticks; tick++) {
      sim.tick(1);
      const batch = await collector.collectOnce();
      for (const r of batch) {
        // The first tick a timestamp was seen at (a pod without fresh metrics may repeat an old one).
        if (tickOf[r.timestamp] === undefined) tickOf[r.timestamp] = tick;
        pods.add(`${r.namespace}/${r.pod}`);
      }
      writer.append(batch);
      rows += batch.length;
      opts.onProgress?.(tick);
    }
    writer.flush();
    const startTick = (t: { tick: number } | undefined) => (t ? t.tick : undefined);
    const faults: FaultRecord[] = sim.cluster.faults().map((f) => ({
      id: f.id,
      kind: f.kind,
      namespace: f.namespace,
      pods: [...new Set([f.pod, ...f.pods])],
      startTick: f.startedAt.tick,
      endTick: startTick(f.endedAt),
      firstOomKilledTick: startTick(f.firstOomKilledAt),
    }));
    const truth: ScenarioTruth = {
      scenario: opts.scenario,
      seed: opts.seed,
      ticks: opts.ticks,
      tickSeconds,
      tickOf,
      faults,
      rows,
      pods: pods.size,
    };
    writeJsonAtomic(truthPath, truth);
    return { csvPath, truthPath, truth };
  } finally {
    writer.close();
    await sim.close();
  }
}

/** Child-process entry for run.ts: `generate.ts SCENARIO SEED TICKS OUT_DIR`; prints `tick N` lines. */
async function cliMain(argv: string[]): Promise<number> {
  const [scenario, seed, ticks, outDir] = argv;
  if (!scenario || !seed || !ticks || !outDir) {
    process.stderr.write('usage: generate.ts SCENARIO SEED TICKS OUT_DIR\n');
    return 2;
  }
  await generateScenario({
    scenario,
    seed: Number(seed),
    ticks: Number(ticks),
    outDir,
    onProgress: (t) => {
      if (t % 60 === 0 || t === Number(ticks)) process.stdout.write(`tick ${t}\n`);
    },
  });
  return 0;
}

runIfMain(import.meta.url, cliMain);
