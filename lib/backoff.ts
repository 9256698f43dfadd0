// Exponential backoff with full jitter, for retries against an API, Prometheus, an LLM or a child process.
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  jitter?: boolean;
}

export class Backoff {
  private attempt = 0;
  private readonly opts: BackoffOptions;
  constructor(opts: BackoffOptions = {}) {
    this.opts = opts;
  }

  /** The delay before the next attempt, growing each call until reset(). */
  next(): number {
    const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = true } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    return jitter ? base / 2 + Math.random() * (base / 2) : base;
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
