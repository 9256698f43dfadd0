// One pipeline per data directory: a lock file holding the owner's pid and the pids of the children
// it started (each with its start time, so that a pid reused by an unrelated process is not taken for
// them). It is taken over only when neither the owner nor any recorded child still runs: the children
// of a run-monitoring that was SIGKILLed stop by themselves within seconds (lib/exit-with-parent.ts),
// but until they have, a second pipeline would interleave its rows with theirs.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../lib/atomic-file.ts';
import { PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';

export const LOCK_FILE_NAME = PIPELINE_FILE_NAMES.lock;

const LockedProcess = z.object({ name: z.string(), pid: z.number().int(), start: z.number().optional() });
export type LockedProcess = z.infer<typeof LockedProcess>;

const LockFile = z.object({
  pid: z.number().int(),
  /** The owner's start time (see processStartTime); absent in older lock files. */
  start: z.number().optional(),
  started_at: z.string().optional(),
  children: z.array(LockedProcess).default([]),
});
type LockFile = z.infer<typeof LockFile>;

export class InstanceLockedError extends Error {
  /** The lock's owner (possibly gone, when `children` still run). */
  readonly pid: number;
  /** The owner's children that still run. */
  readonly children: LockedProcess[];
  constructor(path: string, pid: number, ownerAlive: boolean, children: LockedProcess[]) {
    const kids = children.map((c) => `${c.name} (pid ${c.pid})`).join(', ');
    super(
      ownerAlive
        ? `another run-monitoring (pid ${pid}) is already using this data directory (lock ${path}); stop it first, or use another --data-dir`
        : `an earlier run-monitoring (pid ${pid}) is gone but its children still write to this data directory: ${kids} (lock ${path}); ` +
            `they stop by themselves within seconds of losing it; if they do not, stop them (kill ${children.map((c) => c.pid).join(' ')}) or use another --data-dir`,
    );
    this.pid = pid;
    this.children = children;
  }
}

export interface InstanceLock {
  readonly path: string;
  /** Whether a stale lock (dead pid) was taken over. */
  readonly tookOver: boolean;
  /** Records the processes started for this data directory (replaces the previous list). */
  recordChildren(children: Array<{ name: string; pid: number }>): void;
  release(): void;
}

/** /proc/<pid>/stat: the state letter and the start time (clock ticks after boot), or null when unreadable. */
function procStat(pid: number): { state: string; start: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]); // field 22
    return { state: rest[0] ?? '', start };
  } catch {
    return null;
  }
}

/** The process's start time where the system tells it (Linux), else undefined. */
export function processStartTime(pid: number): number | undefined {
  const st = procStat(pid);
  return st && Number.isFinite(st.start) ? st.start : undefined;
}

/**
 * Whether a process with this pid exists and is not a zombie (EPERM: it exists but belongs to someone
 * else). With `start`, also that it is the same process that had this start time.
 */
export function pidAlive(pid: number, start?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  if (!st) return true; // no /proc: kill(0) is all there is
  if (st.state === 'Z') return false; // exited, not yet reaped: it writes nothing
  return start === undefined || !Number.isFinite(st.start) || st.start === start;
}

function readLock(path: string): LockFile | null {
  try {
    return LockFile.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return null; // unreadable or half-written: treated as stale below
  }
}

/**
 * Takes the lock for `dataDir`, or throws InstanceLockedError when its owner, or any child the owner
 * recorded, still runs.
 */
export function acquireInstanceLock(dataDir: string, pid: number = process.pid): InstanceLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  let tookOver = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const content: LockFile = { pid, start: processStartTime(pid), started_at: new Date().toISOString(), children: [] };
    if (createComplete(path, JSON.stringify(content) + '\n')) return heldLock(path, content, tookOver);
    const held = readLock(path);
    if (held && held.pid !== pid) {
      const ownerAlive = pidAlive(held.pid, held.start);
      const children = held.children.filter((c) => c.pid !== pid && pidAlive(c.pid, c.start));
      if (ownerAlive || children.length) throw new InstanceLockedError(path, held.pid, ownerAlive, children);
    }
    // Stale (owner and children gone, or unreadable): remove and retry the exclusive create, so that
    // of two instances racing for a stale lock only one wins.
    rmSync(path, { force: true });
    tookOver = true;
  }
  throw new Error(`could not take the lock ${path}`);
}

/**
 * Creates `path` with `text` only if it does not exist, never visible half-written: the text goes to a
 * temp file first, which is then hard-linked into place (link fails if the path exists). An exclusive
 * open followed by a write would show readers an empty lock, which they take for a stale one.
 */
function createComplete(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function heldLock(path: string, content: LockFile, tookOver: boolean): InstanceLock {
  let released = false;
  const ours = () => readLock(path)?.pid === content.pid;
  return {
    path,
    tookOver,
    recordChildren(children) {
      if (released || !ours()) return;
      content.children = children.map((c) => ({ ...c, start: processStartTime(c.pid) }));
      writeJsonAtomic(path, content);
    },
    release() {
      if (released) return;
      released = true;
      if (ours()) rmSync(path, { force: true });
    },
  };
}
