// The processes a chaos run starts itself: the simulated cluster (never killed: it is the cluster, not
// the pipeline), run-monitoring (the pipeline's supervisor), and run-remediation --dry-run in watch mode,
// which the harness restarts itself when it is killed. Output goes to files in the run's log directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Spawned {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node --import tsx <script> ...args`, stdout and stderr appended to `logFile`. */
export function spawnTs(script: string, args: string[], logFile: string): Spawned {
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, FORCE_COLOR: '0', NVIDIA_API_KEY: '', OPENAI_API_KEY: '', LLM_API_KEY: '' },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on('exit', (code, signal) => r({ code, signal })),
  );
  return { proc, exited };
}

export async function waitFor<T>(what: string, check: () => T | null | undefined | false, timeoutMs: number, pollMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(pollMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts podsentinel-sim scaled to `pods` and waits for its ready line; returns its kubeconfig. */
export async function startSim(o: {
  dir: string;
  logDir: string;
  pods: number;
  speed: number;
  seed: number;
  scenario: string;
}): Promise<{ sim: Spawned; kubeconfig: string }> {
  const kubeconfig = join(o.dir, 'sim-kubeconfig');
  const log = join(o.logDir, 'chaos-sim.console.log');
  const sim = spawnTs(
    'sim/cli.ts',
    [
      '--scenario',
      o.scenario,
      '--pods',
      String(o.pods),
      '--speed',
      String(o.speed),
      '--seed',
      String(o.seed),
      '--kubeconfig-out',
      kubeconfig,
      '--log-dir',
      o.logDir,
    ],
    log,
  );
  let exited = false;
  void sim.exited.then(() => (exited = true));
  await waitFor(
    'the simulated cluster',
    () => {
      if (exited) throw new Error(`podsentinel-sim exited before it was ready; see ${log}`);
      try {
        return readFileSync(log, 'utf8').includes('podsentinel-sim ready');
      } catch {
        return false;
      }
    },
    120_000,
  );
  return { sim, kubeconfig };
}

/** run-remediation --dry-run in watch mode, restarted by the harness whenever it dies until stop(). */
export class Remediation {
  private current: Spawned | null = null;
  private stopping = false;
  restarts = 0;
  private readonly args: string[];
  private readonly logFile: string;

  constructor(o: { dataDir: string; logDir: string; kubeconfig: string }) {
    this.args = ['--dry-run', '--data-dir', o.dataDir, '--kubeconfig', o.kubeconfig, '--log-dir', o.logDir, '--verify-delay', '20'];
    this.logFile = join(o.logDir, 'run-remediation.out.log');
    this.start();
  }

  get pid(): number | undefined {
    return this.current?.proc.exitCode === null ? this.current.proc.pid : undefined;
  }

  private start(): void {
    const s = spawnTs('run-remediation.ts', this.args, this.logFile);
    this.current = s;
    void s.exited.then(async () => {
      if (this.stopping) return;
      await sleep(1000);
      if (this.stopping) return;
      this.restarts++;
      this.start();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const s = this.current;
    if (!s || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
    s.proc.kill('SIGTERM');
    const t = setTimeout(() => s.proc.kill('SIGKILL'), 10_000);
    await s.exited;
    clearTimeout(t);
  }
}
