// Serving cost of podsentinel-sim at scale: start-up, one tick, listing pods (whole and in pages of 500),
// PodMetrics, /metrics and a node's cAdvisor page, measured over raw HTTPS (no client-side decoding).
//   npx tsx sim/bench.ts [--pods 1000,10000] [--repeat 3]
import { request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { cli, helpShown, runIfMain } from '../lib/cli.ts';
import { startSim, type SimHandle } from './index.ts';

function get(sim: SimHandle, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, sim.apiUrl);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, ca: sim.caPem, headers: { Authorization: `Bearer ${sim.token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}`));
          else resolve(Buffer.concat(chunks).length);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function timed<T>(fn: () => Promise<T> | T, repeat: number): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    value = await fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: Math.round(best * 10) / 10, value };
}

async function pagedPods(sim: SimHandle): Promise<number> {
  let total = 0;
  let cont = '';
  do {
    const u = new URL('/api/v1/pods', sim.apiUrl);
    u.searchParams.set('limit', '500');
    if (cont) u.searchParams.set('continue', cont);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname + u.search, ca: sim.caPem, headers: { Authorization: `Bearer ${sim.token}` } },
        (res) => {
          let s = '';
          res.on('data', (c: Buffer) => (s += c.toString()));
          res.on('end', () => resolve(s));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const list = JSON.parse(body) as { items: unknown[]; metadata: { continue?: string } };
    total += list.items.length;
    cont = list.metadata.continue ?? '';
  } while (cont);
  return total;
}

export async function main(argv: string[]): Promise<number | void> {
  const args = await cli('podsentinel-sim-bench', argv, 'Measures the serving cost of podsentinel-sim at scale.')
    .option('pods', { type: 'string', default: '1000,10000', describe: 'Comma-separated pod counts' })
    .option('repeat', { type: 'number', default: 3, describe: 'Repetitions per measurement (best is reported)' })
    .parseAsync();
  if (helpShown(argv)) return 0;
  for (const n of args.pods.split(',').map(Number)) {
    const t0 = performance.now();
    const sim = await startSim({ scenario: 'healthy', pods: n, manualClock: true });
    const start = Math.round(performance.now() - t0);
    try {
      const tick = await timed(() => sim.tick(1), args.repeat);
      await get(sim, '/version'); // TLS session and JIT warm-up
      const all = await timed(() => get(sim, '/api/v1/pods'), args.repeat);
      const paged = await timed(() => pagedPods(sim), args.repeat);
      const pm = await timed(() => get(sim, '/apis/metrics.k8s.io/v1beta1/pods'), args.repeat);
      const node = sim.cluster.nodes()[0]!.name;
      const cad = await timed(() => get(sim, `/api/v1/nodes/${node}/proxy/metrics/cadvisor`), args.repeat);
      sim.tick(1);
      await (await fetch(sim.metricsUrl)).arrayBuffer(); // first page: every pod's label and state lines built
      sim.tick(1);
      const promFirst = await timed(async () => (await fetch(sim.metricsUrl)).arrayBuffer(), 1);
      const promCached = await timed(async () => (await fetch(sim.metricsUrl)).arrayBuffer(), args.repeat);
      const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
      process.stdout.write(
        [
          `pods=${n} nodes=${sim.cluster.nodes().length} start=${start}ms tick=${tick.ms}ms`,
          `  list all pods: ${all.ms}ms (${mb(all.value)}); in pages of 500: ${paged.ms}ms (${paged.value} pods)`,
          `  PodMetrics list: ${pm.ms}ms (${mb(pm.value)}); cAdvisor of ${node}: ${cad.ms}ms (${mb(cad.value)})`,
          `  /metrics after a tick: ${promFirst.ms}ms (${mb(promFirst.value.byteLength)}); unchanged: ${promCached.ms}ms`,
          '',
        ].join('\n'),
      );
    } finally {
      await sim.close();
    }
  }
  return 0;
}

runIfMain(import.meta.url, main);
