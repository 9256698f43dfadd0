// Processes a benchmark starts from the project's TypeScript (each in its own process group, so a kill
// takes it whole), and the simulated cluster among them: started, and ready once it prints its line.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '..');

/** `node --import tsx <script> ...args` from the project root, stdout and stderr piped, detached; `env` over ours. */
export function startTsx(
  script: string,
  args: string[],
  nodeArgs: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

export interface SimProcess {
  child: ChildProcess;
  kubeconfig: string;
}

/** podsentinel-sim (scenario healthy) scaled to `pods`, its kubeconfig in `dir`; resolves once it is ready. */
export async function startSimProcess(dir: string, pods: number, tickSeconds = 5): Promise<SimProcess> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = startTsx('sim/cli.ts', [
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

/** Signals a detached child's whole process group (nothing when it has exited). */
export function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

/** Whether the child exited within timeoutMs. */
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
