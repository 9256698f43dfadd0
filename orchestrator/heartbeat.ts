// Reads the heartbeat files the collector and agents write beside their output, and judges health:
// a heartbeat older than its staleness limit (or missing after a grace period) is unhealthy.
import { readFileSync, statSync } from 'node:fs';

export interface Heartbeat {
  pid?: number;
  /** When the heartbeat was written (ISO 8601). */
  time?: string;
  /** Any other counters the child reports (rows_total, lag_bytes, pods, anomalies...). */
  [key: string]: unknown;
}

export type Health = 'ok' | 'stale' | 'waiting' | 'unknown';

export interface HeartbeatReading {
  health: Health;
  /** Milliseconds since the heartbeat was written, or null when there is none. */
  ageMs: number | null;
  data: Heartbeat | null;
}

/** The heartbeat object, or null when the file is missing or unreadable (a torn write is retried next tick). */
export function readHeartbeat(path: string): Heartbeat | null {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Heartbeat) : null;
  } catch {
    return null;
  }
}

function heartbeatTime(hb: Heartbeat, path: string): number | null {
  for (const key of ['time', 'ts', 'updated_at', 'at']) {
    const v = hb[key];
    if (typeof v === 'string') {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    }
    if (typeof v === 'number' && Number.isFinite(v)) return v > 1e12 ? v : v * 1000;
  }
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Health of one child from its heartbeat: 'ok' when fresh, 'stale' when older than staleAfterMs,
 * 'waiting' when there is none yet and the child started less than graceMs ago, 'unknown' otherwise.
 * A heartbeat written by an earlier pid than the running child counts only once the new one writes.
 */
export function judgeHeartbeat(
  path: string,
  opts: { staleAfterMs: number; graceMs: number; childStartedAt: number | null; now?: number },
): HeartbeatReading {
  const now = opts.now ?? Date.now();
  const data = readHeartbeat(path);
  const startedRecently = opts.childStartedAt !== null && now - opts.childStartedAt < opts.graceMs;
  if (!data) return { health: startedRecently ? 'waiting' : 'unknown', ageMs: null, data: null };
  const t = heartbeatTime(data, path);
  const ageMs = t === null ? null : Math.max(0, now - t);
  if (ageMs === null) return { health: 'unknown', ageMs, data };
  if (ageMs <= opts.staleAfterMs) return { health: 'ok', ageMs, data };
  // Written before the current child started: the new one is still warming up.
  if (startedRecently && opts.childStartedAt !== null && t !== null && t < opts.childStartedAt) return { health: 'waiting', ageMs, data };
  return { health: 'stale', ageMs, data };
}

/** A number field of a heartbeat, or undefined. */
export function hbNumber(hb: Heartbeat | null, ...keys: string[]): number | undefined {
  if (!hb) return undefined;
  for (const k of keys) {
    const v = hb[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
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
