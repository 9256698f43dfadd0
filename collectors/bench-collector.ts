// Collector scale benchmark: the Kubernetes collector's tick time against the simulated cluster scaled to
// N pods (pod list with pagination, one cluster-wide metrics.k8s.io call, one events list, one cAdvisor
// page per node). `npm run bench:perf` calls benchCollectorTick; standalone:
//   npx tsx collectors/bench-collector.ts --pods 1000,10000 [--ticks 5]
import { startSim } from '../sim/index.ts';
import { loadKubeConfig } from '../lib/kube.ts';
import { memoryLogger } from '../lib/log.ts';
import { isMain } from '../lib/cli.ts';
import { K8sCollector } from './k8s-collector.ts';

export interface CollectorTickResult {
  pods: number;
  /** Rows the collector produced in its last tick. */
  rows: number;
  ticks: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  /** API requests the sim served per tick (pods pages + metrics + events + nodes + cAdvisor pages). */
  requests_per_tick: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Starts the sim with about `pods` pods and times K8sCollector.collectOnce over `ticks` ticks (after a warm-up). */
export async function benchCollectorTick(pods: number, opts: { ticks?: number; seed?: number } = {}): Promise<CollectorTickResult> {
  const ticks = opts.ticks ?? 5;
  const sim = await startSim({ scenario: 'healthy', pods, seed: opts.seed ?? 7, manualClock: true });
  try {
    const collector = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: memoryLogger('bench') });
    sim.tick();
    await collector.collectOnce(); // warm-up: TLS session, JIT, first counters
    const times: number[] = [];
    let rows = 0;
    let requests = 0;
    for (let i = 0; i < ticks; i++) {
      sim.tick();
      const before = requestCount(sim);
      const t0 = performance.now();
      rows = (await collector.collectOnce()).length;
      times.push(performance.now() - t0);
      requests = requestCount(sim) - before;
    }
    return {
      pods,
      rows,
      ticks,
      median_ms: Math.round(median(times) * 10) / 10,
      min_ms: Math.round(Math.min(...times) * 10) / 10,
      max_ms: Math.round(Math.max(...times) * 10) / 10,
      requests_per_tick: requests,
    };
  } finally {
    await sim.close();
  }
}

function requestCount(sim: { requests: unknown }): number {
  const r = sim.requests as unknown;
  if (Array.isArray(r)) return r.length;
  if (typeof r === 'number') return r;
  if (r && typeof r === 'object' && 'length' in r) return Number((r as { length: number }).length);
  if (r && typeof r === 'object' && 'total' in r) return Number((r as { total: number }).total);
  return NaN;
}

if (isMain(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const list = (arg('--pods') ?? '1000,10000').split(',').map(Number);
  const ticks = Number(arg('--ticks') ?? 5);
  for (const n of list) {
    const r = await benchCollectorTick(n, { ticks });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}
