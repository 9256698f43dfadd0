// One run-monitoring per data directory: a lock file holding the owner's pid, created exclusively.
// A lock left by a process that no longer exists (crash, SIGKILL) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';

export const LOCK_FILE_NAME = PIPELINE_FILE_NAMES.lock;

export class InstanceLockedError extends Error {
  readonly pid: number;
  constructor(path: string, pid: number) {
    super(`another run-monitoring (pid ${pid}) is already using this data directory (lock ${path}); stop it first, or use another --data-dir`);
    this.pid = pid;
  }
}

export interface InstanceLock {
  readonly path: string;
  /** Whether a stale lock (dead pid) was taken over. */
  readonly tookOver: boolean;
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockOwner(path: string): number | null {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    return typeof data.pid === 'number' ? data.pid : null;
  } catch {
    return null; // unreadable or half-written: treated as stale below
  }
}

/** Takes the lock for `dataDir` or throws InstanceLockedError when a live process holds it. */
export function acquireInstanceLock(dataDir: string, pid: number = process.pid): InstanceLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  let tookOver = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid, started_at: new Date().toISOString() }) + '\n');
      closeSync(fd);
      let released = false;
      return {
        path,
        tookOver,
        release() {
          if (released) return;
          released = true;
          if (lockOwner(path) === pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = lockOwner(path);
    if (owner !== null && owner !== pid && pidAlive(owner)) throw new InstanceLockedError(path, owner);
    // Stale (dead owner, or unreadable): remove and retry the exclusive create, so that of two
    // instances racing for a stale lock only one wins.
    rmSync(path, { force: true });
    tookOver = true;
  }
  throw new Error(`could not take the lock ${path}`);
}
