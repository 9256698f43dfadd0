// One way to follow a file that its writer replaces atomically (write a temp file, rename it over): a
// chokidar watch on its directory, backed by a stat poll (a watch can miss a rename under load), both only
// prompting a check of the file's identity (inode, size, mtime), so events that change nothing cost a stat,
// not a run. Runs never overlap: a change during a run schedules exactly one more run after it.
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { watch } from 'chokidar';

export interface FileWatchOptions {
  /** Runs on a change of the file (and on `trigger()`); never two at once. */
  run: () => Promise<void>;
  /** Seconds between stat polls that back up the watch (default 1). */
  pollSeconds?: number;
  /** Seconds between runs even without a change (e.g. to re-check time-based state); default none. */
  everySeconds?: number;
  /** Run once at start, before any change (default true). */
  runAtStart?: boolean;
  /** Called when a run throws; the watch goes on. */
  onError?: (err: unknown) => void;
  /** Called on a watch error (the poll still covers changes). */
  onWatchError?: (err: unknown) => void;
}

export interface FileWatch {
  /** Asks for a run now (coalesced with a running one). */
  trigger(): void;
  /** Stops watching and waits for the run in progress, if any. */
  close(): Promise<void>;
}

/** A file's identity (inode, size, mtime): it changes when the file is replaced or written; 'missing' when absent. */
export function fileIdentity(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export function watchFile(path: string, opts: FileWatchOptions): FileWatch {
  const target = resolve(path);
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  const trigger = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await opts.run();
        } catch (err) {
          opts.onError?.(err);
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
    });
  };

  let seen = fileIdentity(target);
  const check = (): void => {
    const id = fileIdentity(target);
    if (id === seen) return;
    seen = id;
    if (id !== 'missing') trigger();
  };

  // The directory, not the file: an atomic replace is a rename into the directory.
  const watcher = watch(dirname(target), {
    depth: 0,
    ignoreInitial: true,
    awaitWriteFinish: false,
    ignored: (p: string) => p !== dirname(target) && basename(p) !== basename(target),
  });
  watcher.on('all', check).on('error', (err) => opts.onWatchError?.(err));
  const poll = setInterval(check, (opts.pollSeconds ?? 1) * 1000);
  const every = opts.everySeconds ? setInterval(trigger, opts.everySeconds * 1000) : null;
  if (opts.runAtStart ?? true) trigger();

  return {
    trigger,
    async close() {
      closed = true;
      clearInterval(poll);
      if (every) clearInterval(every);
      await watcher.close();
      while (running) await running;
    },
  };
}

/**
 * Resolves with the first of these signals to arrive (or 'abort' when `signal` aborts), then stops
 * listening: the caller runs its own orderly shutdown instead of Node's default exit.
 */
export function untilStopped(
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'],
  signal?: AbortSignal,
): Promise<NodeJS.Signals | 'abort'> {
  return new Promise((resolveStop) => {
    const done = (why: NodeJS.Signals | 'abort') => {
      for (const s of signals) process.off(s, handlers[s]!);
      signal?.removeEventListener('abort', onAbort);
      resolveStop(why);
    };
    const handlers: Partial<Record<NodeJS.Signals, () => void>> = {};
    for (const s of signals) {
      handlers[s] = () => done(s);
      process.once(s, handlers[s]);
    }
    const onAbort = () => done('abort');
    if (signal?.aborted) done('abort');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
