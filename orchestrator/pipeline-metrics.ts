// run-monitoring's /metrics: its own series and its children's, on one endpoint. On each scrape every
// pipeline child is asked over its IPC channel for its registry as JSON (lib/metrics-server.ts answers);
// the replies are merged with prom-client's AggregatorRegistry. Series never collide: each process labels
// its own with `component`. A child that does not answer within the timeout is left out of this scrape
// (and counted), so a hung child cannot block the scrape. run-monitoring also counts remediations from
// the audit log, since run-remediation runs on demand and exits before any scrape could ask it.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { bounded, M, metricsSnapshot } from '../lib/metrics.ts';
import { METRICS_REQUEST, MetricsReply } from '../lib/metrics-server.ts';
import { ACTION_NAMES, AuditRecord } from '../lib/schemas.ts';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export const CHILD_METRICS_TIMEOUT_MS = 1_000;

let nextId = 1;

/** Asks one child for its metrics; null when it does not answer in time or is gone. */
export function requestChildMetrics(child: ChildProcess, timeoutMs = CHILD_METRICS_TIMEOUT_MS): Promise<MetricsJson | null> {
  const id = nextId++;
  return new Promise((resolve) => {
    const done = (v: MetricsJson | null) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('disconnect', onGone);
      resolve(v);
    };
    const onMessage = (msg: unknown) => {
      const reply = MetricsReply.safeParse(msg);
      if (reply.success && reply.data.id === id) done(reply.data.metrics as MetricsJson);
    };
    const onGone = () => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    child.on('message', onMessage);
    child.once('disconnect', onGone);
    try {
      child.send({ type: METRICS_REQUEST, id }, (err) => {
        if (err) done(null);
      });
    } catch {
      done(null);
    }
  });
}

/** Merges registries' JSON into one exposition text (every metric kept: labels differ by component). */
export async function mergeMetrics(parts: MetricsJson[]): Promise<string> {
  // 'omit' (process_start_time_seconds) and 'first' would drop or fold children's values; with distinct
  // component labels, a sum per label set keeps each series as it is.
  const all = parts.map((list) => list.map((m) => ({ ...m, aggregator: 'sum' as const })));
  return AggregatorRegistry.aggregate(all).metrics();
}

export class PipelineMetrics {
  private readonly children: () => Array<{ name: string; process: ChildProcess | null }>;
  private readonly timeoutMs: number;
  private readonly audit: AuditCounter | null;

  constructor(o: { children: () => Array<{ name: string; process: ChildProcess | null }>; auditFile?: string; timeoutMs?: number }) {
    this.children = o.children;
    this.timeoutMs = o.timeoutMs ?? CHILD_METRICS_TIMEOUT_MS;
    this.audit = o.auditFile ? new AuditCounter(o.auditFile) : null;
  }

  /** The whole pipeline's exposition text. */
  async render(): Promise<string> {
    this.audit?.poll();
    const kids = this.children();
    const replies = await Promise.all(
      kids.map(async (k) => {
        const json = k.process ? await requestChildMetrics(k.process, this.timeoutMs) : null;
        if (k.process && !json) M.childScrapeErrors().inc({ child: k.name });
        return json;
      }),
    );
    const own = await metricsSnapshot();
    return mergeMetrics([own, ...replies.filter((r): r is MetricsJson => r !== null)]);
  }
}

/**
 * Counts the audit log's decision, execution and verification records into podsentinel_remediations_total,
 * reading only what was appended since the last poll (records already there at start are not counted).
 */
export class AuditCounter {
  private offset: number;
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
    this.offset = sizeOf(file);
  }

  poll(): void {
    const size = sizeOf(this.file);
    if (size < this.offset) this.offset = 0; // replaced or cut back: read it anew
    if (size === this.offset) return;
    const fd = openSync(this.file, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      text = buf.toString('utf8', 0, n);
    } finally {
      closeSync(fd);
    }
    const end = text.lastIndexOf('\n');
    if (end < 0) return; // a line still being written
    this.offset += Buffer.byteLength(text.slice(0, end + 1));
    for (const line of text.slice(0, end).split('\n')) countAuditLine(line);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const STAGES = ['decision', 'execution', 'verification'] as const;
const RESULT_MAX = 24;

function countAuditLine(line: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return;
  }
  const r = AuditRecord.safeParse(parsed);
  if (r.success) countRemediation(r.data);
}

/** One audit record into podsentinel_remediations_total (decisions, executions and verifications only). */
export function countRemediation(r: Pick<AuditRecord, 'event' | 'action' | 'result'>): void {
  const stage = bounded(r.event, STAGES);
  if (stage === 'other') return;
  // Results are short words (approved, skipped, ok, failed, RESOLVED...); anything long is not a category.
  const result = /^[A-Za-z_-]{1,24}$/.test(r.result) && r.result.length <= RESULT_MAX ? r.result : 'other';
  M.remediations().inc({ stage, action: bounded(r.action, ACTION_NAMES), result });
}
