// Collector scale benchmark: the Kubernetes collector's tick time against the simulated cluster scaled to
// N pods (pod list with pagination, one cluster-wide metrics.k8s.io call, one events list, one nodes
// list, one cAdvisor page per node). The simulator runs in a child process, as an API server runs on
// another machine, so its own rendering does not count against the collector; on a 2-core machine the
// two still share the cores. `npm run bench:perf` calls benchCollectorTick; standalone:
//   npx tsx bench/perf/collector-tick.ts --pods 1000,10000 [--ticks 5]
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { isMain } from '../../lib/cli.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';

export interface CollectorTickResult {
  pods: number;
  /** Rows the collector produced in its last tick. */
  rows: number;
  ticks: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  /** Median CPU time (user + system) the collector process spent per tick: independent of other load. */
  cpu_ms_median: number;
  /** API requests the sim served per tick (pod pages + metrics + events + nodes + cAdvisor pages). */
  requests_per_tick: number;
  /** Peak resident set of the collector process during the run, MB. */
  collector_rss_mb: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A simulator in a child process, driven over stdin/stdout one command per line. */
class SimChild {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;

  constructor(pods: number, seed: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--sim-child', String(pods), String(seed)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  async send(cmd: string): Promise<Record<string, unknown>> {
    this.child.stdin!.write(`${cmd}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('the simulator child exited');
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  async ready(): Promise<{ kubeconfigPath: string }> {
    const next = await this.lines.next();
    if (next.done) throw new Error('the simulator child exited before it was ready');
    return JSON.parse(next.value) as { kubeconfigPath: string };
  }

  close(): void {
    this.child.stdin!.end();
    this.child.kill('SIGTERM');
  }
}

/** Starts the sim with about `pods` pods and times K8sCollector.collectOnce over `ticks` ticks (after a warm-up). */
export async function benchCollectorTick(pods: number, opts: { ticks?: number; seed?: number } = {}): Promise<CollectorTickResult> {
  const ticks = opts.ticks ?? 5;
  const sim = new SimChild(pods, opts.seed ?? 7);
  let collector: K8sCollector | undefined;
  try {
    const { kubeconfigPath } = await sim.ready();
    collector = new K8sCollector(loadKubeConfig(kubeconfigPath), { logger: memoryLogger('bench') });
    await sim.send('tick');
    await collector.collectOnce(); // warm-up: TLS, JIT, first counters
    const times: number[] = [];
    const cpu: number[] = [];
    let rows = 0;
    let requests = 0;
    let rss = process.memoryUsage().rss;
    for (let i = 0; i < ticks; i++) {
      const before = Number((await sim.send('tick')).requests);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      rows = (await collector.collectOnce()).length;
      times.push(performance.now() - t0);
      const c1 = process.cpuUsage(c0);
      cpu.push((c1.user + c1.system) / 1000);
      rss = Math.max(rss, process.memoryUsage().rss);
      requests = Number((await sim.send('requests')).requests) - before;
    }
    return {
      pods,
      rows,
      ticks,
      median_ms: Math.round(median(times) * 10) / 10,
      min_ms: Math.round(Math.min(...times) * 10) / 10,
      max_ms: Math.round(Math.max(...times) * 10) / 10,
      cpu_ms_median: Math.round(median(cpu)),
      requests_per_tick: requests,
      collector_rss_mb: Math.round(rss / 1e6),
    };
  } finally {
    collector?.close();
    sim.close();
  }
}

/** The child side: start the sim, print its kubeconfig path, then obey "tick" / "requests" lines. */
async function simChild(pods: number, seed: number): Promise<void> {
  const { startSim } = await import('../../sim/index.ts');
  const sim = await startSim({ scenario: 'healthy', pods, seed, manualClock: true });
  process.stdout.write(`${JSON.stringify({ kubeconfigPath: sim.kubeconfigPath })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'tick') sim.tick();
    process.stdout.write(`${JSON.stringify({ requests: sim.requests.length })}\n`); // far below its 50,000 bound here
  }
  await sim.close();
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--sim-child');
  if (i > 0) {
    await simChild(Number(process.argv[i + 1]), Number(process.argv[i + 2]));
  } else {
    const arg = (name: string) => {
      const j = process.argv.indexOf(name);
      return j > 0 ? process.argv[j + 1] : undefined;
    };
    const list = (arg('--pods') ?? '1000,10000').split(',').map(Number);
    const ticks = Number(arg('--ticks') ?? 5);
    for (const n of list) {
      const r = await benchCollectorTick(n, { ticks });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  }
}
