// Rate-limited logging of rejected input rows: the first few of each reason in a window are logged one by
// one, the rest counted and logged as one summary per window, so a flood of bad rows neither floods the
// log nor goes unreported.
import type { Logger } from './log.ts';

export interface RejectLogOptions {
  /** Rows logged one by one per reason and window (default 5). */
  perReason?: number;
  /** Window length in milliseconds (default 60 s). */
  windowMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export class RejectLog {
  private readonly log: Logger;
  private readonly what: string;
  private readonly perReason: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private windowStart: number;
  private readonly logged = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  /** `what` names the rows in the summary, e.g. "malformed rows skipped". */
  constructor(log: Logger, what: string, opts: RejectLogOptions = {}) {
    this.log = log;
    this.what = what;
    this.perReason = opts.perReason ?? 5;
    this.windowMs = opts.windowMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.windowStart = this.now();
  }

  /** One rejected row: logged as a warning (`msg`, `fields`) unless its reason has used up the window. */
  reject(reason: string, msg: string, fields?: Record<string, unknown>): void {
    this.flush();
    const n = this.logged.get(reason) ?? 0;
    if (n < this.perReason) {
      this.logged.set(reason, n + 1);
      this.log.warn(msg, fields);
    } else this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
  }

  /** Logs the summary of the rows not logged one by one once the window is over (now, when `force`). */
  flush(force = false): void {
    const now = this.now();
    if (!force && now - this.windowStart < this.windowMs) return;
    if (this.suppressed.size > 0) {
      const by = Object.fromEntries(this.suppressed);
      const total = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
      const secs = Math.max(1, Math.round((now - this.windowStart) / 1000));
      this.log.warn(
        `${total} more ${this.what} in the last ${secs} s (not logged one by one): ${Object.entries(by)
          .map(([r, c]) => `${r} ${c}`)
          .join(', ')}`,
        { suppressed: by },
      );
    }
    this.windowStart = now;
    this.logged.clear();
    this.suppressed.clear();
  }
}
