// Collector scale benchmark: the Kubernetes collector's tick against the simulated cluster scaled to N
// pods, in both pod sources, each in a process with a simulator of its own: `list` (a paged pod list every
// tick) and `watch` (an informer: one list, then a watch; no pod request per tick), each with one
// cluster-wide metrics.k8s.io call, one events list, one nodes list and one cAdvisor page per node. With
// --shard-of R the watch-mode collector keeps only about 1/R of the workloads (a sharded replica's filter,
// before its rows are built). The simulator runs in a child process, as an API server runs on another
// machine, so its own rendering does not count against the collector; where taskset exists the collector
// is pinned to one core (--cpu) and the simulator to another, so "per tick on one core" is what is
// measured and the two do not share a core. The collector is timed in a child Node with its shipped V8
// settings (collectors/node-args.ts). `npm run bench:perf` calls benchCollectorTick; standalone:
//   npm run bench:collector -- --pods 1000,10000,50000 [--ticks 5] [--modes list,watch] [--shard-of 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { cli, helpShown, isMain, runMain, UsageError } from '../../lib/cli.ts';
import { K8sCollector, type PodSource } from '../../collectors/k8s-collector.ts';
import { hash32, shardKey } from '../../lib/shard-ring.ts';
import { COLLECTOR_NODE_ARGS } from '../../collectors/node-args.ts';
import { otherCore, pinnedArgv, pinnedCore, pinOptions } from './pin.ts';

export interface CollectorTickResult {
  pods: number;
  /** How the collector got its pods; `watch 1/3`: a replica keeping about a third of the workloads. */
  mode: string;
  /** Rows the collector produced in its last tick. */
  rows: number;
  ticks: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  /** Median CPU time (user + system) the collector process spent per tick (from the sim's tick to the rows): independent of other load. */
  cpu_ms_median: number;
  /** API requests the sim served per tick (pod pages in list mode + metrics + events + nodes + cAdvisor pages). */
  requests_per_tick: number;
  /** Median garbage-collection pause time per tick (part of the CPU time), ms. */
  gc_ms_median: number;
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

  constructor(pods: number, seed: number, cpu: number | null) {
    const [cmd, ...args] = pinnedArgv(
      [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--sim-child', String(pods), String(seed)],
      cpu,
    );
    this.child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
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

/**
 * What to time: K8sCollector ticks over `ticks` ticks (after a warm-up) for each pod source in `modes`; with
 * `shardOf`, a watch-mode replica keeping ~1/R.
 */
type BenchOptions = {
  ticks?: number;
  seed?: number;
  modes?: PodSource[];
  shardOf?: number;
  /** The collector's core (the simulator gets another); null or absent: not pinned. */
  cpu?: number | null;
};

/**
 * Runs the measurements in child Nodes started with the collector's own settings (COLLECTOR_NODE_ARGS, as
 * run-monitoring and the launcher start it), so the figures are those of the collector as shipped. Each
 * pod source gets a process (and a simulator) of its own: a collector measured after another in one process
 * paid for the first one's heap (the list mode's pods) in its own collections.
 */
export async function benchCollectorTick(pods: number, opts: BenchOptions = {}): Promise<CollectorTickResult[]> {
  const results: CollectorTickResult[] = [];
  const { shardOf, ...rest } = opts;
  for (const mode of opts.modes ?? ['list', 'watch']) results.push(...(await measureInChild(pods, { ...rest, modes: [mode] })));
  if (shardOf && shardOf > 1) results.push(...(await measureInChild(pods, { ...rest, modes: [], shardOf })));
  return results;
}

async function measureInChild(pods: number, opts: BenchOptions): Promise<CollectorTickResult[]> {
  const [cmd, ...args] = pinnedArgv(
    [
      process.execPath,
      ...COLLECTOR_NODE_ARGS,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--measure-child',
      JSON.stringify({ pods, ...opts }),
    ],
    opts.cpu ?? null,
  );
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const results: CollectorTickResult[] = [];
  for await (const line of createInterface({ input: child.stdout! })) results.push(JSON.parse(line) as CollectorTickResult);
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', r)));
  if (code !== 0) throw new Error(`the collector benchmark child exited with status ${code}`);
  return results;
}

async function measure(pods: number, opts: BenchOptions): Promise<CollectorTickResult[]> {
  // The sim stands for an API server on other machines: off the collector's core when it is pinned.
  const sim = new SimChild(pods, opts.seed ?? 7, opts.cpu == null ? null : otherCore(opts.cpu));
  const out: CollectorTickResult[] = [];
  try {
    const { kubeconfigPath } = await sim.ready();
    const runs: { mode: string; source: PodSource; shardOf?: number }[] = (opts.modes ?? ['list', 'watch']).map((m) => ({
      mode: m,
      source: m,
    }));
    if (opts.shardOf && opts.shardOf > 1) runs.push({ mode: `watch 1/${opts.shardOf}`, source: 'watch', shardOf: opts.shardOf });
    for (const run of runs) out.push(await timeTicks(sim, kubeconfigPath, pods, run.mode, run.source, opts.ticks ?? 5, run.shardOf));
    return out;
  } finally {
    sim.close();
  }
}

async function timeTicks(
  sim: SimChild,
  kubeconfigPath: string,
  pods: number,
  mode: string,
  podSource: PodSource,
  ticks: number,
  shardOf: number | undefined,
): Promise<CollectorTickResult> {
  const collector = new K8sCollector(loadKubeConfig(kubeconfigPath), { logger: memoryLogger('bench'), podSource });
  // A replica's share: workloads by a stable hash (the ring's job in production, lib/shard-ring.ts).
  const owns = shardOf ? (ns: string, pod: string) => hash32(shardKey(ns, pod)) % shardOf === 0 : undefined;
  const collect = () => (owns ? collector.collectOwned(owns) : collector.collectOnce());
  try {
    await sim.send('tick');
    await collect(); // warm-up: TLS, JIT, first counters, the informer's list
    const times: number[] = [];
    const cpu: number[] = [];
    const gcs: number[] = [];
    let gcMs = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    let rows = 0;
    let requests = 0;
    let rss = process.memoryUsage().rss;
    for (let i = 0; i < ticks; i++) {
      const c0 = process.cpuUsage(); // from the tick on: the watch events it sends count too
      gcMs = 0;
      const before = Number((await sim.send('tick')).requests);
      const t0 = performance.now();
      rows = (await collect()).length;
      times.push(performance.now() - t0);
      const c1 = process.cpuUsage(c0);
      cpu.push((c1.user + c1.system) / 1000);
      await new Promise((r) => setImmediate(r)); // the observer reports the tick's collections
      gcs.push(gcMs);
      rss = Math.max(rss, process.memoryUsage().rss);
      requests = Number((await sim.send('requests')).requests) - before;
    }
    gcObserver.disconnect();
    return {
      pods,
      mode,
      rows,
      ticks,
      median_ms: Math.round(median(times) * 10) / 10,
      min_ms: Math.round(Math.min(...times) * 10) / 10,
      max_ms: Math.round(Math.max(...times) * 10) / 10,
      cpu_ms_median: Math.round(median(cpu)),
      gc_ms_median: Math.round(median(gcs)),
      requests_per_tick: requests,
      collector_rss_mb: Math.round(rss / 1e6),
    };
  } finally {
    collector.close();
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

/** The standalone command (`npm run bench:collector`); the sim and measure children are this file too. */
export async function main(argv: string[]): Promise<number> {
  const args = await cli('bench:collector', argv, "Times the Kubernetes collector's tick against a simulated cluster of N pods.")
    .option('pods', { type: 'string', default: '1000,10000,50000', describe: 'Comma-separated pod counts' })
    .option('ticks', { type: 'number', default: 5, describe: 'Ticks timed per pod count and mode (after one warm-up tick)' })
    .option('modes', { type: 'string', default: 'list,watch', describe: 'Pod sources, comma-separated: list, watch' })
    .option('shard-of', { type: 'number', describe: 'Also time a watch-mode replica keeping about 1/R of the workloads' })
    .option('seed', { type: 'number', default: 7, describe: 'Seed of the simulated cluster' })
    .options(pinOptions('the collector', 'the simulator'))
    .parseAsync();
  if (helpShown(argv)) return 0;
  const pods = args.pods.split(',').map(Number);
  if (!pods.every((n) => Number.isInteger(n) && n > 0)) throw new UsageError(`--pods must be positive integers: ${args.pods}`);
  if (!(Number.isInteger(args.ticks) && args.ticks > 0)) throw new UsageError('--ticks must be a positive integer');
  const modes = args.modes.split(',').filter(Boolean);
  const bad = modes.find((m) => m !== 'list' && m !== 'watch');
  if (bad !== undefined || modes.length === 0) throw new UsageError(`--modes takes list and/or watch: ${args.modes}`);
  const shardOf = args['shard-of'];
  if (shardOf !== undefined && !(Number.isInteger(shardOf) && shardOf >= 2))
    throw new UsageError('--shard-of must be an integer of 2 or more');
  const cpu = pinnedCore(args);
  for (const n of pods) {
    const opts: BenchOptions = { ticks: args.ticks, seed: args.seed, modes: modes as PodSource[], cpu, ...(shardOf ? { shardOf } : {}) };
    for (const r of await benchCollectorTick(n, opts)) process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  return 0;
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--sim-child');
  const m = process.argv.indexOf('--measure-child');
  if (i > 0) {
    await simChild(Number(process.argv[i + 1]), Number(process.argv[i + 2]));
  } else if (m > 0) {
    const { pods, ...opts } = JSON.parse(process.argv[m + 1]!) as BenchOptions & { pods: number };
    for (const r of await measure(pods, opts)) process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    await runMain(main, process.argv.slice(2));
  }
}
