// run-monitoring under chaos: started on the run's data directory against the harness's simulated
// cluster (not --demo: a restarted --demo would archive the data it is to resume), with --no-remediation
// (run-remediation runs in watch mode beside it) and a crash budget high enough that the supervisor
// keeps restarting children however often they are killed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_FILE_NAMES } from '../../lib/pipeline-files.ts';
import { sleep, spawnTs, waitFor, type Spawned } from './children.ts';
import { isOurs, signalIfOurs } from './procs.ts';

export interface ChildStatus {
  name: string;
  pid: number | null;
  state: string;
  restarts: number;
}
interface StatusFile {
  pid: number;
  stopped?: boolean;
  children: ChildStatus[];
}

export interface OrchestratorOptions {
  dir: string;
  dataDir: string;
  logDir: string;
  kubeconfig: string;
  generatorInterval: number;
  watchInterval: number;
}

export class Orchestrator {
  current: Spawned | null = null;
  /** Restarts of run-monitoring refused because the killed one's children still ran (exit 3). */
  refusals = 0;
  /** A restart accepted while a child of the killed run-monitoring still ran. */
  lockViolations: string[] = [];
  /** Child restarts counted by earlier run-monitoring instances (their status files are gone with them). */
  private restartsBefore = 0;
  private readonly o: OrchestratorOptions;
  private readonly statusPath: string;

  constructor(o: OrchestratorOptions) {
    this.o = o;
    this.statusPath = join(o.dataDir, PIPELINE_FILE_NAMES.status);
  }

  get scoresFile(): string {
    return join(this.o.dataDir, 'scores.csv');
  }

  private args(): string[] {
    const o = this.o;
    return [
      '--data-dir',
      o.dataDir,
      '--log-dir',
      o.logDir,
      '--kubeconfig',
      o.kubeconfig,
      '--no-remediation',
      '--no-llm',
      '--scores-file',
      this.scoresFile,
      '--generator-interval',
      String(o.generatorInterval),
      '--watch-interval',
      String(o.watchInterval),
      '--status-interval',
      '10',
      '--max-crashes',
      '1000000',
      '--crash-window',
      '1',
    ];
  }

  status(): StatusFile | null {
    try {
      return JSON.parse(readFileSync(this.statusPath, 'utf8')) as StatusFile;
    } catch {
      return null;
    }
  }

  get pid(): number | undefined {
    return this.current && this.current.proc.exitCode === null && this.current.proc.signalCode === null ? this.current.proc.pid : undefined;
  }

  /** Running children (with their pids) as run-monitoring's status file names them. */
  runningChildren(): ChildStatus[] {
    const st = this.status();
    if (!st || st.pid !== this.pid) return [];
    return st.children.filter((c) => c.state === 'running' && c.pid && isOurs(c.pid, this.o.dir));
  }

  restartsSeen(): number {
    const st = this.status();
    const now = st && st.pid === this.pid ? st.children.reduce((n, c) => n + c.restarts, 0) : 0;
    return this.restartsBefore + now;
  }

  /** Starts run-monitoring; waits until its status file shows every child running. */
  async start(timeoutMs = 180_000): Promise<void> {
    this.current = spawnTs('run-monitoring.ts', this.args(), join(this.o.logDir, 'run-monitoring.console.log'));
    const me = this.current;
    await waitFor(
      'run-monitoring and its children running',
      () => {
        if (me.proc.exitCode !== null) throw new Error(`run-monitoring exited ${me.proc.exitCode}`);
        const st = this.status();
        return st && st.pid === me.proc.pid && st.children.length >= 3 && st.children.every((c) => c.state === 'running');
      },
      timeoutMs,
    );
  }

  /**
   * SIGKILLs run-monitoring with its children frozen (SIGSTOP), so that they outlive it for certain, and
   * starts a new one on the same data directory: it must refuse (exit 3) while they live. Then thaws them
   * (they notice their parent is gone and exit) and retries every second until a new one starts.
   */
  async killAndRestart(): Promise<{ refusals: number; waitedMs: number }> {
    const oldKids = (this.status()?.children ?? []).flatMap((c) => (c.pid && isOurs(c.pid, this.o.dir) ? [c] : []));
    this.restartsBefore = this.restartsSeen();
    for (const c of oldKids) signalIfOurs(c.pid!, this.o.dir, 'SIGSTOP');
    this.current?.proc.kill('SIGKILL');
    await this.current?.exited;
    const t0 = Date.now();
    let refusals = 0;
    let frozen = oldKids.length > 0;
    try {
      for (;;) {
        const attempt = spawnTs('run-monitoring.ts', this.args(), join(this.o.logDir, 'run-monitoring.console.log'));
        // Refused: exit 3 within a moment. Accepted: its own status file appears.
        const outcome = await Promise.race([
          attempt.exited.then((e) => ({ exited: e })),
          waitFor('a status file', () => this.status()?.pid === attempt.proc.pid, 60_000, 100).then(() => ({ exited: null })),
        ]);
        if (outcome.exited) {
          if (outcome.exited.code !== 3)
            throw new Error(`run-monitoring restart exited ${outcome.exited.code ?? outcome.exited.signal}, not 3 (refused)`);
          refusals++;
          this.refusals++;
          if (frozen) {
            for (const c of oldKids) signalIfOurs(c.pid!, this.o.dir, 'SIGCONT');
            frozen = false;
          }
          await sleep(1000);
          continue;
        }
        const stillAlive = oldKids.filter((c) => isOurs(c.pid!, this.o.dir));
        if (stillAlive.length)
          this.lockViolations.push(`run-monitoring accepted while ${stillAlive.map((c) => `${c.name} ${c.pid}`).join(', ')} still ran`);
        if (refusals === 0 && oldKids.length)
          this.lockViolations.push('run-monitoring restart accepted without a refusal while the old children were frozen');
        this.current = attempt;
        return { refusals, waitedMs: Date.now() - t0 };
      }
    } finally {
      if (frozen) for (const c of oldKids) signalIfOurs(c.pid!, this.o.dir, 'SIGCONT');
    }
  }

  /** SIGTERM and wait (the run-monitoring way to stop); SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    const cur = this.current;
    if (!cur || cur.proc.exitCode !== null || cur.proc.signalCode !== null) return cur?.proc.exitCode ?? null;
    this.restartsBefore = this.restartsSeen();
    cur.proc.kill('SIGTERM');
    const t = setTimeout(() => cur.proc.kill('SIGKILL'), timeoutMs);
    const e = await cur.exited;
    clearTimeout(t);
    return e.code;
  }
}
