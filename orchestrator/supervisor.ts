// Supervises child processes: spawns each with the project's own Node and tsx, sends its output to a
// log file, restarts it with exponential backoff when it dies, and gives up on a child that keeps
// crashing (reported; the others go on). A child with a heartbeat that stops beating (alive but stuck,
// e.g. a busy loop deaf to signals) is SIGKILLed and restarted the same way. stop() forwards a signal,
// waits, then SIGKILLs stragglers.
// Every child has an IPC channel and preloads lib/exit-with-parent.ts, so it stops when this process
// ends, even by SIGKILL; signals go to a detached child's whole process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Backoff } from '../lib/backoff.ts';
import { judgeHeartbeat } from './heartbeat.ts';

/** tsx's ESM loader, resolved from this file so children start from any working directory. */
export const TSX_IMPORT: string = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx') : 'tsx';

/** Node options that load tsx and make the child exit with its parent (it needs the IPC channel). */
export const CHILD_IMPORTS: readonly string[] = [
  '--import',
  TSX_IMPORT,
  '--import',
  new URL('../lib/exit-with-parent.ts', import.meta.url).href,
];

/** Sends `sig` to a child, to its whole process group when it leads one; false when it is gone. */
export function signalChild(child: ChildProcess, sig: NodeJS.Signals, group: boolean): boolean {
  if (group && child.pid !== undefined) {
    try {
      process.kill(-child.pid, sig);
      return true;
    } catch {
      // no such group (already gone): try the process itself
    }
  }
  return child.kill(sig);
}

export type RestartPolicy = 'always' | 'on-failure' | 'never';

export interface ChildSpec {
  /** Short name: status lines, log file, events. */
  name: string;
  /** Script run by Node with tsx loaded (.ts, .mjs or .js). */
  script: string;
  args: string[];
  /** Node options before the script (e.g. V8 heap sizes). */
  nodeArgs?: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Where the child's stdout and stderr are appended; 'inherit' gives it the terminal. */
  output: { logFile: string } | 'inherit';
  restart?: RestartPolicy;
  /** Spawn in its own process group (Ctrl-C at the terminal then reaches only the supervisor). */
  detached?: boolean;
  /**
   * The heartbeat file the child rewrites while it works: once it is older than hungAfterMs (or none was
   * written that long after the start), the child is hung: SIGKILLed (its process group) and restarted.
   */
  heartbeat?: { file: string; hungAfterMs: number };
}

export interface SupervisorOptions {
  /** Backoff before the first restart; doubles per crash up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that crashes this many times within crashWindowMs is given up on. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** A child that stayed up this long has its backoff reset. */
  stableAfterMs?: number;
  /** Node binary for children (default: the one running this process). */
  nodePath?: string;
  /** Milliseconds between checks of the children's heartbeats for a hung child (default 5 s). */
  hungCheckMs?: number;
  /** Overrides every child's heartbeat.hungAfterMs (0: never kill a child for a stale heartbeat). */
  hungAfterMs?: number | undefined;
}

export type ChildState = 'starting' | 'running' | 'backoff' | 'failed' | 'exited' | 'stopped';

export interface ChildStatus {
  name: string;
  state: ChildState;
  pid: number | null;
  restarts: number;
  /** Crashes within the current crash window. */
  recentCrashes: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  startedAt: string | null;
  nextRestartAt: string | null;
}

export interface SupervisorEvents {
  spawn: [name: string, pid: number];
  exit: [name: string, code: number | null, signal: string | null, expected: boolean];
  restart: [name: string, delayMs: number, attempt: number];
  'gave-up': [name: string, crashes: number, windowMs: number];
  /** A hung child is being SIGKILLed: no heartbeat from it for `ageMs` (its age, or the time since its start), over `limitMs`. */
  hung: [name: string, ageMs: number, limitMs: number];
  error: [name: string, err: Error];
}

interface Entry {
  spec: ChildSpec;
  status: ChildStatus;
  child: ChildProcess | null;
  backoff: Backoff;
  crashTimes: number[];
  timer: NodeJS.Timeout | null;
  exited: Promise<void> | null;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: Required<Omit<SupervisorOptions, 'hungAfterMs'>> & Pick<SupervisorOptions, 'hungAfterMs'>;
  private stopping = false;
  private hungTimer: NodeJS.Timeout | null = null;

  constructor(opts: SupervisorOptions = {}) {
    super();
    this.opts = {
      initialBackoffMs: opts.initialBackoffMs ?? 1000,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      maxCrashes: opts.maxCrashes ?? 5,
      crashWindowMs: opts.crashWindowMs ?? 120_000,
      stableAfterMs: opts.stableAfterMs ?? 30_000,
      nodePath: opts.nodePath ?? process.execPath,
      hungCheckMs: opts.hungCheckMs ?? 5000,
      hungAfterMs: opts.hungAfterMs,
    };
  }

  /** Registers and starts a child. */
  add(spec: ChildSpec): void {
    if (this.entries.has(spec.name)) throw new Error(`child ${spec.name} already supervised`);
    const entry: Entry = {
      spec,
      status: {
        name: spec.name,
        state: 'starting',
        pid: null,
        restarts: 0,
        recentCrashes: 0,
        lastExit: null,
        startedAt: null,
        nextRestartAt: null,
      },
      child: null,
      backoff: new Backoff({ initialMs: this.opts.initialBackoffMs, maxMs: this.opts.maxBackoffMs }),
      crashTimes: [],
      timer: null,
      exited: null,
    };
    this.entries.set(spec.name, entry);
    if (!this.stopping) this.launch(entry);
    if (spec.heartbeat && !this.hungTimer) {
      this.hungTimer = setInterval(() => this.killHung(), this.opts.hungCheckMs);
      this.hungTimer.unref();
    }
  }

  /** SIGKILLs each running child whose heartbeat is older than its limit; its exit restarts it with backoff. */
  private killHung(): void {
    if (this.stopping) return;
    const now = Date.now();
    for (const e of this.entries.values()) {
      const hb = e.spec.heartbeat;
      const limitMs = this.opts.hungAfterMs ?? hb?.hungAfterMs ?? 0;
      if (!hb || !(limitMs > 0) || !e.child || e.status.state !== 'running' || !e.status.startedAt) continue;
      // graceMs = the limit: a child gets as long to write its first heartbeat as between two; an older
      // file from an earlier run does not count for it.
      const r = judgeHeartbeat(hb.file, { staleAfterMs: limitMs, graceMs: limitMs, childStartedAt: Date.parse(e.status.startedAt), now });
      if (r.health !== 'stale' && r.health !== 'unknown') continue;
      const startedAgo = now - Date.parse(e.status.startedAt);
      // None, or one that does not parse (judged 'unknown' at once): hung only once the limit has passed since the start.
      if (r.health === 'unknown' && startedAgo <= limitMs) continue;
      const ageMs = r.ageMs !== null && r.ageMs < startedAgo ? r.ageMs : null;
      this.emit('hung', e.spec.name, ageMs ?? startedAgo, limitMs);
      signalChild(e.child, 'SIGKILL', this.detached(e.spec));
      e.status.state = 'starting'; // not 'running' while it dies: killed once
    }
  }

  status(): ChildStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  /** The named child's process while it runs with its IPC channel open (metrics requests), else null. */
  connectedProcess(name: string): ChildProcess | null {
    const child = this.entries.get(name)?.child;
    return child?.connected ? child : null;
  }

  get(name: string): ChildStatus | undefined {
    const e = this.entries.get(name);
    return e ? { ...e.status } : undefined;
  }

  /** Resolves when the named child has exited and will not be restarted (failed, exited, stopped). */
  async waitSettled(name: string): Promise<ChildStatus | undefined> {
    const done = (s: ChildState) => s === 'failed' || s === 'exited' || s === 'stopped';
    for (;;) {
      const e = this.entries.get(name);
      if (!e) return undefined;
      if (done(e.status.state)) return { ...e.status };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private launch(entry: Entry): void {
    const { spec } = entry;
    let stdio: ('ignore' | 'inherit' | 'ipc' | number)[];
    let fd: number | null = null;
    if (spec.output === 'inherit') stdio = ['inherit', 'inherit', 'inherit', 'ipc'];
    else {
      mkdirSync(dirname(spec.output.logFile), { recursive: true });
      fd = openSync(spec.output.logFile, 'a');
      writeSync(fd, `--- ${new Date().toISOString()} supervisor: starting ${spec.name} (restart #${entry.status.restarts})\n`);
      stdio = ['ignore', fd, fd, 'ipc'];
    }
    let child: ChildProcess;
    try {
      child = spawn(this.opts.nodePath, [...(spec.nodeArgs ?? []), ...CHILD_IMPORTS, spec.script, ...spec.args], {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        stdio,
        detached: this.detached(spec),
      });
    } catch (err) {
      if (fd !== null) closeSync(fd);
      this.emit('error', spec.name, err as Error);
      this.onExit(entry, null, null, Date.now());
      return;
    }
    if (fd !== null) closeSync(fd); // the child holds its own copy
    // The channel tells the child when this process is gone, and carries metrics requests (pipeline-metrics.ts);
    // unreferenced, it keeps neither process alive.
    child.channel?.unref();
    const started = Date.now();
    entry.child = child;
    entry.status.state = 'running';
    entry.status.pid = child.pid ?? null;
    entry.status.startedAt = new Date(started).toISOString();
    entry.status.nextRestartAt = null;
    entry.exited = new Promise((resolve) => {
      let finished = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (finished) return;
        finished = true;
        entry.child = null;
        this.onExit(entry, code, signal, started);
        resolve();
      };
      child.once('exit', finish);
      child.once('error', (err) => {
        this.emit('error', spec.name, err);
        // 'exit' may not follow a spawn failure (ENOENT); settle anyway.
        if (child.pid === undefined) finish(null, null);
      });
    });
    if (child.pid !== undefined) this.emit('spawn', spec.name, child.pid);
  }

  private detached(spec: ChildSpec): boolean {
    return spec.detached ?? spec.output !== 'inherit';
  }

  private onExit(entry: Entry, code: number | null, signal: NodeJS.Signals | null, started: number): void {
    const now = Date.now();
    const { spec, status } = entry;
    status.pid = null;
    status.lastExit = { code, signal, at: new Date(now).toISOString() };
    const expected = this.stopping;
    this.emit('exit', spec.name, code, signal, expected);
    if (this.stopping) {
      status.state = 'stopped';
      return;
    }
    const policy = spec.restart ?? 'always';
    const clean = code === 0 && signal === null;
    if (policy === 'never' || (policy === 'on-failure' && clean)) {
      status.state = 'exited';
      return;
    }
    if (now - started >= this.opts.stableAfterMs) entry.backoff.reset();
    entry.crashTimes = entry.crashTimes.filter((t) => now - t < this.opts.crashWindowMs);
    entry.crashTimes.push(now);
    status.recentCrashes = entry.crashTimes.length;
    if (entry.crashTimes.length >= this.opts.maxCrashes) {
      status.state = 'failed';
      this.emit('gave-up', spec.name, entry.crashTimes.length, this.opts.crashWindowMs);
      return;
    }
    const delay = entry.backoff.next();
    status.state = 'backoff';
    status.nextRestartAt = new Date(now + delay).toISOString();
    this.emit('restart', spec.name, delay, entry.backoff.attempts);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (this.stopping) {
        status.state = 'stopped';
        return;
      }
      status.restarts++;
      this.launch(entry);
    }, delay);
  }

  /**
   * Stops every child: cancels pending restarts, sends `signal`, waits up to timeoutMs, then SIGKILLs
   * what is left and waits for it. Resolves with the names of children that had to be killed.
   * `only`: stop just these (the rest stay up, e.g. the simulated cluster until its clients are gone);
   * no child is restarted after any stop().
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000, only?: string[]): Promise<string[]> {
    this.stopping = true;
    this.clearHungTimer();
    const live: Entry[] = [];
    for (const e of this.entries.values()) {
      if (only && !only.includes(e.spec.name)) continue;
      if (e.timer) {
        clearTimeout(e.timer);
        e.timer = null;
        e.status.state = 'stopped';
      }
      if (e.child && e.exited) live.push(e);
    }
    for (const e of live) if (e.child) signalChild(e.child, signal, this.detached(e.spec));
    const all = Promise.all(live.map((e) => e.exited));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    const killed: string[] = [];
    if (timedOut) {
      for (const e of live) {
        if (e.child) {
          killed.push(e.spec.name);
          signalChild(e.child, 'SIGKILL', this.detached(e.spec));
        }
      }
      await all;
    }
    return killed;
  }

  /** SIGKILLs every running child at once and restarts none (a person insisting on exit). */
  killAll(): void {
    this.stopping = true;
    this.clearHungTimer();
    for (const e of this.entries.values()) {
      if (e.timer) {
        clearTimeout(e.timer);
        e.timer = null;
        e.status.state = 'stopped';
      }
      if (e.child) signalChild(e.child, 'SIGKILL', this.detached(e.spec));
    }
  }

  private clearHungTimer(): void {
    if (this.hungTimer) clearInterval(this.hungTimer);
    this.hungTimer = null;
  }

  /** Sends a signal to one child (tests and operators); false when it is not running. */
  signal(name: string, sig: NodeJS.Signals): boolean {
    const e = this.entries.get(name);
    return e?.child ? signalChild(e.child, sig, this.detached(e.spec)) : false;
  }
}
