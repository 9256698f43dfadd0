// Judges a child's health from the heartbeat it writes beside its output (lib/heartbeat.ts): a heartbeat
// older than its staleness limit (or missing after a grace period) is unhealthy.
import { readHeartbeat, type Heartbeat } from '../lib/heartbeat.ts';

export type Health = 'ok' | 'stale' | 'waiting' | 'unknown';

export interface HeartbeatReading {
  health: Health;
  /** Milliseconds since the heartbeat was written, or null when there is none. */
  ageMs: number | null;
  data: Heartbeat | null;
  /** Why the file is not a heartbeat (health 'unknown'), when it exists but breaks the contract. */
  invalid?: string;
}

/**
 * Health of one child from its heartbeat: 'ok' when fresh, 'stale' when older than staleAfterMs,
 * 'waiting' when there is none yet and the child started less than graceMs ago, 'unknown' otherwise
 * (no heartbeat, or a file that is not one). A heartbeat written before the running child started
 * counts only once the new one writes.
 */
export function judgeHeartbeat(
  path: string,
  opts: { staleAfterMs: number; graceMs: number; childStartedAt: number | null; now?: number },
): HeartbeatReading {
  const now = opts.now ?? Date.now();
  const read = readHeartbeat(path);
  const startedRecently = opts.childStartedAt !== null && now - opts.childStartedAt < opts.graceMs;
  if (read.status === 'invalid') return { health: 'unknown', ageMs: null, data: null, invalid: read.reason };
  if (read.status === 'absent') return { health: startedRecently ? 'waiting' : 'unknown', ageMs: null, data: null };
  const data = read.heartbeat;
  const t = Date.parse(data.time);
  const ageMs = Math.max(0, now - t);
  if (ageMs <= opts.staleAfterMs) return { health: 'ok', ageMs, data };
  // Written before the current child started: the new one is still warming up.
  if (startedRecently && opts.childStartedAt !== null && t < opts.childStartedAt) return { health: 'waiting', ageMs, data };
  return { health: 'stale', ageMs, data };
}

/** Rate of a growing counter over a sliding window (rows per minute from rows_total samples). */
export class RateMeter {
  private samples: Array<{ t: number; v: number }> = [];
  private readonly windowMs: number;
  constructor(windowMs = 60_000) {
    this.windowMs = windowMs;
  }

  add(value: number, t = Date.now()): void {
    const last = this.samples.at(-1);
    // A counter that went down (child restarted from zero) starts a new series.
    if (last && value < last.v) this.samples = [];
    this.samples.push({ t, v: value });
    this.samples = this.samples.filter((s) => t - s.t <= this.windowMs);
  }

  /** Per-minute rate, or undefined before two samples. */
  perMinute(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.t <= first.t) return undefined;
    return ((last.v - first.v) / (last.t - first.t)) * 60_000;
  }
}
