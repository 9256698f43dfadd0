// The heartbeat file contract: what the collector and the two agents write beside their output (see
// lib/pipeline-files.ts for where) and run-monitoring reads to judge their health and show their counters.
// One header for every writer (name, pid, time, state), then the writer's own counters, told apart by name.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic, writeFileAtomicAsync } from './atomic-file.ts';
import type { HeartbeatWriter } from './pipeline-files.ts';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

const header = {
  pid: z.number().int().positive(),
  /** When the heartbeat was written (ISO 8601). */
  time: z.iso.datetime(),
  /** 'stopped' on the last beat of a process that finished its work (a graceful stop, --once). */
  state: z.enum(['running', 'stopped']),
};

export const CollectorHeartbeat = z.object({
  name: z.literal('dataset-generator'),
  ...header,
  /** Rows appended since the collector started. */
  rows_total: count,
  last_tick_ms: ms,
  /** Pods in the last tick. */
  pods: count,
});

export const DatasetAgentHeartbeat = z.object({
  name: z.literal('dataset-generator-agent'),
  ...header,
  rows_read: count,
  rows_rejected: count,
  /** Bytes of the input not read yet. */
  lag_bytes: count,
  pods: count,
  /** Pods anomalous now. */
  anomalies: count,
  /** Where the agent's time goes (agents/dataset-generator/agent.ts AgentPerf), for bench:perf. */
  perf: z.record(z.string(), z.number()).optional(),
});

export const AnomalyAgentHeartbeat = z.object({
  name: z.literal('anomaly-detection-agent'),
  ...header,
  /** Anomalies with an open analysis. */
  open: count,
  analysed_total: count,
  llm_calls: count,
  llm_failures: count,
});

export const NotificationAgentHeartbeat = z.object({
  name: z.literal('notification-agent'),
  ...header,
  /** Episodes open now (anomalies being notified about). */
  open: count,
  /** Webhook messages waiting for delivery (all targets). */
  outbox: count,
  sent_total: count,
  failed_total: count,
});

export const Heartbeat = z.discriminatedUnion('name', [
  CollectorHeartbeat,
  DatasetAgentHeartbeat,
  AnomalyAgentHeartbeat,
  NotificationAgentHeartbeat,
]);
export type Heartbeat = z.infer<typeof Heartbeat>;
export type HeartbeatOf<N extends HeartbeatWriter> = Extract<Heartbeat, { name: N }>;
/** What a writer supplies: its counters (the header is filled in by `heartbeat`). */
export type HeartbeatCounters<N extends HeartbeatWriter> = Omit<HeartbeatOf<N>, 'name' | 'pid' | 'time' | 'state'>;

/** A heartbeat of this process, now. */
export function heartbeat<N extends HeartbeatWriter>(
  name: N,
  counters: HeartbeatCounters<N>,
  state: Heartbeat['state'] = 'running',
  now: Date = new Date(),
): HeartbeatOf<N> {
  return { name, pid: process.pid, time: now.toISOString(), state, ...counters } as HeartbeatOf<N>;
}

function text(hb: Heartbeat): string {
  return JSON.stringify(Heartbeat.parse(hb), null, 2) + '\n';
}

/** Validates and writes a heartbeat atomically (a reader never sees half of one). */
export function writeHeartbeat(path: string, hb: Heartbeat): void {
  writeFileAtomic(path, text(hb));
}

/** writeHeartbeat with the I/O in the thread pool (a sync fsync can wait behind other writes). */
export async function writeHeartbeatAsync(path: string, hb: Heartbeat): Promise<void> {
  await writeFileAtomicAsync(path, text(hb));
}

export type HeartbeatRead =
  | { status: 'ok'; heartbeat: Heartbeat }
  | { status: 'absent' }
  /** The file exists but is not a heartbeat (not JSON, or not this contract); `reason` says why. */
  | { status: 'invalid'; reason: string };

export function readHeartbeat(path: string): HeartbeatRead {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
    return { status: 'invalid', reason: (err as Error).message };
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { status: 'invalid', reason: `not JSON: ${(err as Error).message}` };
  }
  const r = Heartbeat.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { status: 'invalid', reason: `${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { status: 'ok', heartbeat: r.data };
}

/** What run-monitoring shows of any heartbeat: each writer's counters under one set of names. */
export interface HeartbeatSummary {
  rows?: number;
  lagBytes?: number;
  pods?: number;
  anomalies?: number;
}

export function heartbeatSummary(hb: Heartbeat): HeartbeatSummary {
  switch (hb.name) {
    case 'dataset-generator':
      return { rows: hb.rows_total, pods: hb.pods };
    case 'dataset-generator-agent':
      return { rows: hb.rows_read, lagBytes: hb.lag_bytes, pods: hb.pods, anomalies: hb.anomalies };
    case 'anomaly-detection-agent':
      return { anomalies: hb.open };
    case 'notification-agent':
      return {};
  }
}
