// The approval step: when new analyses with recommended actions appear, run-remediation runs as a
// child that owns the terminal (stdio inherited, same process group so it can read the keyboard)
// while the status view is paused. One run at a time; analyses that arrive meanwhile wait for the next.
// A new decision file (the dashboard, MCP) also starts a run: run-remediation is the only executor and the
// only audit writer, so decisions are carried out by the same one-at-a-time step. Without a terminal the
// child gets no stdin: it records proposals as pending and carries out decisions, and never waits for a key.
import { spawn, type ChildProcess } from 'node:child_process';
import { readJsonLines } from '../lib/atomic-file.ts';
import { readDecisions } from '../lib/decisions.ts';
import { fileIdentity } from '../lib/file-watch.ts';
import { AuditRecord, type PodAnalysis } from '../lib/schemas.ts';
import { CHILD_IMPORTS } from './supervisor.ts';

export interface RemediationStepOptions {
  script: string;
  args: string[];
  nodePath?: string;
  cwd?: string;
  /** Analyses below this anomaly probability are not offered. */
  confidenceThreshold?: number;
  env?: Record<string, string>;
  /** Called before the child starts and after it ends (pause/resume the view). */
  onStart?: (ids: string[]) => void;
  onEnd?: (result: RemediationRun) => void;
  /** The decisions directory and audit log: a decision not in the log yet starts a run. */
  decisionsDir?: string;
  auditFile?: string;
  /** Whether the child may use the terminal (default: whether stdin is one). */
  interactive?: boolean;
}

export interface RemediationRun {
  ids: string[];
  code: number | null;
  signal: string | null;
  /** The person interrupted it (Ctrl-C): run-monitoring takes that as a request to stop. */
  interrupted: boolean;
}

export class RemediationStep {
  private readonly opts: RemediationStepOptions;
  private readonly offered = new Set<string>();
  private queued = new Map<string, PodAnalysis>();
  private child: ChildProcess | null = null;
  private running: Promise<RemediationRun> | null = null;
  private closed = false;
  private decisionsSeen = '';
  private readonly decisionsOffered = new Set<string>();
  private decisionsQueued = 0;
  runs = 0;

  constructor(opts: RemediationStepOptions) {
    this.opts = opts;
  }

  get busy(): boolean {
    return this.child !== null;
  }

  /** The running child's pid, or null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Queues analyses that carry actions and were not offered yet in this session. */
  offer(analyses: PodAnalysis[]): void {
    for (const a of analyses) {
      if (a.recommended_actions.length === 0 || this.offered.has(a.id)) continue;
      if (a.anomaly_probability < (this.opts.confidenceThreshold ?? 0)) continue;
      this.queued.set(a.id, a);
    }
  }

  /** Queues a run for decision files not offered yet and not carried out (checked when the directory changes). */
  offerDecisions(): number {
    const dir = this.opts.decisionsDir;
    if (!dir) return 0;
    const id = fileIdentity(dir);
    if (id === this.decisionsSeen) return 0;
    this.decisionsSeen = id;
    const fresh = readDecisions(dir).decisions.filter((d) => !this.decisionsOffered.has(d.id));
    if (fresh.length === 0) return 0;
    const done = new Set(this.opts.auditFile ? readJsonLines(this.opts.auditFile, AuditRecord).records.map((r) => r.decision_id) : []);
    let n = 0;
    for (const d of fresh) {
      this.decisionsOffered.add(d.id);
      if (!done.has(d.id)) n++;
    }
    this.decisionsQueued += n;
    return n;
  }

  /** Starts a run when work is queued and none is running; returns its promise, or null. */
  maybeRun(): Promise<RemediationRun> | null {
    if (this.closed || this.child || (this.queued.size === 0 && this.decisionsQueued === 0)) return null;
    const ids = [...this.queued.keys()];
    for (const id of ids) this.offered.add(id);
    this.queued.clear();
    this.decisionsQueued = 0;
    this.runs++;
    this.opts.onStart?.(ids);
    const child = spawn(this.opts.nodePath ?? process.execPath, [...CHILD_IMPORTS, this.opts.script, ...this.opts.args], {
      // The IPC channel makes it exit with run-monitoring (lib/exit-with-parent.ts).
      stdio: [(this.opts.interactive ?? process.stdin.isTTY === true) ? 'inherit' : 'ignore', 'inherit', 'inherit', 'ipc'],
      cwd: this.opts.cwd,
      env: { ...process.env, ...this.opts.env },
    });
    child.channel?.unref();
    this.child = child;
    this.running = new Promise((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        this.child = null;
        const result: RemediationRun = { ids, code, signal, interrupted: signal === 'SIGINT' || code === 130 };
        this.opts.onEnd?.(result);
        resolve(result);
      };
      child.once('exit', finish);
      child.once('error', () => finish(null, null));
    });
    return this.running;
  }

  /** Stops a running child (SIGTERM, then SIGKILL after timeoutMs) and runs no more. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    const child = this.child;
    const running = this.running;
    if (!child || !running) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.child) {
      this.child.kill('SIGKILL');
      await running;
    }
  }
}
