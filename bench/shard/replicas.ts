// The replicas of bench:shard: per replica a sharded collector and a dataset agent, each with its own data
// directory (a replica's state is its own, as in a StatefulSet). The simulated cluster: bench/sim-process.ts.
import { COLLECTOR_NODE_ARGS } from '../../collectors/node-args.ts';
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_ARGS } from '../../agents/dataset-generator/node-args.ts';
import { tunablesEnv } from '../../lib/glibc-tunables.ts';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTsx } from '../sim-process.ts';

export interface Replica {
  name: string;
  dir: string;
  scores: string;
  collector: ChildProcess;
  agent: ChildProcess;
}

export interface ReplicaOptions {
  name: string;
  dir: string;
  kubeconfig: string;
  tickSeconds: number;
  leaseSeconds: number;
}

export function startReplica(o: ReplicaOptions): Replica {
  mkdirSync(o.dir, { recursive: true });
  const csv = join(o.dir, 'pod_metrics.csv');
  const scores = join(o.dir, 'scores.csv');
  const logs = join(o.dir, 'logs');
  const collector = startTsx('collectors/dataset-generator.ts', [
    '--kubeconfig', o.kubeconfig, '--all-namespaces', '--interval', String(o.tickSeconds), '--output-file', csv,
    '--shard-group', 'bench', '--shard-identity', o.name, '--shard-namespace', 'default', '--lease-duration', String(o.leaseSeconds),
    '--log-dir', logs, '--log-level', 'warn',
  ], COLLECTOR_NODE_ARGS); // prettier-ignore
  const agent = startTsx('agents/dataset-generator-agent.ts', [
    '--input-file', csv, '--insights-file', join(o.dir, 'pod_insights.json'), '--checkpoint-file', join(o.dir, 'checkpoint.json'),
    '--scores-file', scores, '--interval', String(o.tickSeconds), '--log-dir', logs, '--log-level', 'warn',
  ], AGENT_NODE_ARGS, tunablesEnv(AGENT_GLIBC_TUNABLES)); // prettier-ignore
  for (const [c, name] of [
    [collector, 'collector'],
    [agent, 'agent'],
  ] as const) {
    const out = createWriteStream(join(o.dir, `${name}.out.log`));
    c.stdout!.pipe(out);
    c.stderr!.pipe(out);
  }
  return { name: o.name, dir: o.dir, scores, collector, agent };
}
