// The agent's follow loop: read what the input has, write the periodic outputs every interval, build them in
// slices while idle, and sleep until the input grows (or the interval ends, or a stop).

export interface FollowSteps {
  /** Calls `poke` when the input may have grown. */
  watch(poke: () => void): void;
  /** Reads and scores for at most `budgetMs`; true once at the end of the input. */
  read(budgetMs: number): boolean;
  /** Starts the periodic outputs (never waits). */
  periodic(): void;
  /** One idle slice of outputs being built: null when none is, else whether the disk is behind. */
  idleSlice(): { diskBehind: boolean } | null;
}

/** Runs until `signal` aborts; the caller then reads what is left and writes the outputs. */
export async function followLoop(signal: AbortSignal, watchInterval: number, steps: FollowSteps): Promise<void> {
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  signal.addEventListener('abort', poke, { once: true });
  steps.watch(poke);
  let lastWrite = 0;
  while (!signal.aborted) {
    const drained = steps.read(Math.min(1000, watchInterval * 1000));
    const now = Date.now();
    if (now - lastWrite >= watchInterval * 1000) {
      steps.periodic();
      lastWrite = now;
    }
    if (!drained) {
      // A backlog: keep reading, but let signals, timers and I/O run between budgets (a stop must not
      // wait for the whole backlog).
      await new Promise<void>((res) => setImmediate(res));
      continue;
    }
    const idle = steps.idleSlice();
    if (idle) {
      // Idle: copy the checkpoint's pods and build the insights, yielding to I/O between slices (and
      // waiting a little while the disk is behind, instead of spinning).
      if (idle.diskBehind) await new Promise<void>((res) => setTimeout(res, 2));
      else await new Promise<void>((res) => setImmediate(res));
      continue;
    }
    const waitMs = Math.max(10, lastWrite + watchInterval * 1000 - Date.now());
    await new Promise<void>((res) => {
      const timer = setTimeout(res, waitMs);
      wake = () => {
        clearTimeout(timer);
        res();
      };
      if (signal.aborted) wake();
    });
  }
}
