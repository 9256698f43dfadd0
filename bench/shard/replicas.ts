// The processes of bench:shard: one simulated cluster, and per replica a sharded collector and a dataset
// agent, each with its own data directory (a replica's state is its own, as in a StatefulSet).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = ['--import', 'tsx'];

function start(script: string, args: string[]): ChildProcess {
  // detached: its own process group, so a kill takes the whole replica at once.
  return spawn(process.execPath, [...TSX, join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

export interface SimProcess {
  child: ChildProcess;
  kubeconfig: string;
}

export async function startSimProcess(dir: string, pods: number, tickSeconds: number): Promise<SimProcess> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = start('sim/cli.ts', [
    '--scenario',
    'healthy',
    '--pods',
    String(pods),
    '--tick-seconds',
    String(tickSeconds),
    '--kubeconfig-out',
    kubeconfig,
  ]);
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((res, rej) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => rej(new Error(`podsentinel-sim exited (${code}) before it was ready: ${err.slice(-500)}`)));
    lines.on('line', (l) => {
      if (l.startsWith('podsentinel-sim ready')) res();
    });
  });
  return { child, kubeconfig };
}

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
  const collector = start('collectors/dataset-generator.ts', [
    '--kubeconfig', o.kubeconfig, '--all-namespaces', '--interval', String(o.tickSeconds), '--output-file', csv,
    '--shard-group', 'bench', '--shard-identity', o.name, '--shard-namespace', 'default', '--lease-duration', String(o.leaseSeconds),
    '--log-dir', logs, '--log-level', 'warn',
  ]); // prettier-ignore
  const agent = start('agents/dataset-generator-agent.ts', [
    '--input-file', csv, '--insights-file', join(o.dir, 'pod_insights.json'), '--checkpoint-file', join(o.dir, 'checkpoint.json'),
    '--scores-file', scores, '--interval', String(o.tickSeconds), '--log-dir', logs, '--log-level', 'warn',
  ]); // prettier-ignore
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

export function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}
