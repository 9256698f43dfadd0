// npm run bench:shard — replicas that split a simulated cluster through membership Leases, one of them
// killed mid-run (SIGKILL: no lease release, the survivors must wait for it to expire). Writes JSON with
// coverage after the takeover, rows scored twice, and the takeover time.
//   npm run bench:shard -- --replicas 3 --pods 30000 --kill 1 --json shard.json
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../lib/backoff.ts';
import { cli, helpShown, runIfMain, UsageError } from '../../lib/cli.ts';
import { measure, readScored } from './measure.ts';
import { exited, signalGroup, startSimProcess } from '../sim-process.ts';
import { startReplica, type Replica } from './replicas.ts';

export async function main(argv: string[]): Promise<number> {
  const args = await cli('bench:shard', argv, 'Runs sharded replicas against a simulated cluster, kills one, and measures the takeover.')
    .option('replicas', { type: 'number', default: 3, describe: 'Replicas (collector + dataset agent each)' })
    .option('pods', { type: 'number', default: 3000, describe: 'Pods in the simulated cluster' })
    .option('kill', { type: 'number', default: 1, describe: 'Index of the replica to SIGKILL (0-based; -1 kills none)' })
    .option('tick', { type: 'number', default: 5, describe: 'Seconds per tick (sim and collectors)' })
    .option('lease-duration', { type: 'number', default: 15, describe: 'Membership lease duration in seconds' })
    .option('warm-ticks', { type: 'number', default: 4, describe: 'Ticks of full membership before the kill' })
    .option('after-ticks', { type: 'number', default: 6, describe: 'Ticks measured after the lease of the killed replica expired' })
    .option('json', { type: 'string', describe: 'Write the result here' })
    .option('keep', { type: 'boolean', default: false, describe: 'Keep the temp directory (data and logs of every replica)' })
    .parseAsync();
  if (helpShown(argv)) return 0;
  const R = args.replicas;
  if (!(Number.isInteger(R) && R >= 2)) throw new UsageError('--replicas must be an integer of 2 or more');
  if (!(args.kill < R)) throw new UsageError('--kill must name a replica (0-based)');
  const tickMs = args.tick * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-shard-'));
  const say = (s: string) => process.stderr.write(`bench:shard ${s}\n`);
  say(`starting a ${args.pods}-pod simulated cluster in ${dir}`);
  const sim = await startSimProcess(dir, args.pods, args.tick);
  const replicas: Replica[] = [];
  const t0 = Date.now();
  try {
    for (let i = 0; i < R; i++)
      replicas.push(
        startReplica({
          name: `r${i}`,
          dir: join(dir, `r${i}`),
          kubeconfig: sim.kubeconfig,
          tickSeconds: args.tick,
          leaseSeconds: args['lease-duration'],
        }),
      );
    // Start-up (slow on a loaded machine) and the join's settle period: wait until every replica scored rows,
    // then warm ticks with every replica.
    const deadline = Date.now() + 300_000;
    while (!replicas.every((r) => readScored(r.name, r.scores, tickMs).length > 0)) {
      if (Date.now() > deadline) throw new Error(`not every replica scored a row within 5 minutes; see ${dir}/r*/collector.out.log`);
      await sleep(1000);
    }
    say(`every replica scores rows (+${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    await sleep((args['warm-ticks'] + 1) * tickMs);
    let killMs = Infinity;
    let killed = '';
    if (args.kill >= 0) {
      const victim = replicas[args.kill]!;
      killed = victim.name;
      killMs = Date.now();
      signalGroup(victim.collector, 'SIGKILL');
      signalGroup(victim.agent, 'SIGKILL');
      say(`killed ${victim.name} at +${((killMs - t0) / 1000).toFixed(1)}s`);
    }
    await sleep(args['lease-duration'] * 1000 + (args['after-ticks'] + 1) * tickMs);
    const stopMs = Date.now();
    // Agents first get the rest of the CSV: give them a tick, then stop everything (SIGTERM checkpoints).
    await sleep(tickMs);
    for (const r of replicas) {
      signalGroup(r.collector, 'SIGTERM');
      signalGroup(r.agent, 'SIGTERM');
    }
    for (const r of replicas) {
      await exited(r.collector, 30_000);
      await exited(r.agent, 60_000);
    }
    const rows = replicas.flatMap((r) => readScored(r.name, r.scores, tickMs));
    const lastTick = Math.floor(stopMs / tickMs) - 1;
    const m = measure(rows, killed, killMs, tickMs, lastTick);
    const seconds = (stopMs - t0) / 1000;
    const result = {
      replicas: R,
      pods: args.pods,
      pods_seen: m.pods,
      killed: killed || null,
      pods_before_kill_fraction: m.pods_before_kill_fraction,
      pods_covered_fraction: m.pods_covered_fraction,
      pods_covered_fraction_min: m.pods_covered_fraction_min,
      ticks_measured: m.ticks_measured,
      double_scored_rows: m.double_scored_rows,
      takeover_seconds: m.takeover_seconds,
      takeover_limit_seconds: args['lease-duration'] + args.tick,
      killed_replica_pods: m.killed_replica_pods,
      lease_duration_seconds: args['lease-duration'],
      tick_seconds: args.tick,
      rows_scored: m.rows_scored,
      rows_per_second_total: Math.round(m.rows_scored / seconds),
      run_seconds: Math.round(seconds),
    };
    const text = JSON.stringify(result, null, 2);
    process.stdout.write(text + '\n');
    if (args.json) writeFileSync(args.json, text + '\n');
    return 0;
  } finally {
    for (const r of replicas) {
      signalGroup(r.collector, 'SIGKILL');
      signalGroup(r.agent, 'SIGKILL');
    }
    signalGroup(sim.child, 'SIGTERM');
    await exited(sim.child, 10_000);
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
