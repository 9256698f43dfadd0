// The recent metric window of one pod, summarised as what moved and from what to what. Reads the tail of
// pod_metrics.csv through the shared MetricsCsvSchema; without the CSV, falls back to the insight's
// contributing metrics.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MetricsCsvSchema, type MetricRow } from '../../lib/metrics-csv.ts';
import type { PodInsight } from '../../lib/schemas.ts';
import type { MetricMovement, MetricWindow } from './context-types.ts';

/** Numeric fields summarised, with their CSV column names. */
const TRACKED: Array<[keyof MetricRow, string]> = [
  ['cpuPercent', 'CPU Usage (%)'],
  ['memoryPercent', 'Memory Usage (%)'],
  ['memoryMb', 'Memory Usage (MB)'],
  ['restarts', 'Pod Restarts'],
  ['netRxBytes', 'Network Receive Bytes'],
  ['netTxBytes', 'Network Transmit Bytes'],
  ['netRxDropped', 'Network Receive Packets Dropped (p/s)'],
  ['netTxDropped', 'Network Transmit Packets Dropped (p/s)'],
  ['fsReadsMb', 'FS Reads Total (MB)'],
  ['fsWritesMb', 'FS Writes Total (MB)'],
];

const TAIL_BYTES = 4 * 1024 * 1024;

/** The last `maxRows` rows of one pod from the end of the CSV (null when the file cannot be read). */
export function readPodRows(path: string, namespace: string, pod: string, maxRows = 30): MetricRow[] | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const headBuf = Buffer.alloc(Math.min(size, 64 * 1024));
    readSync(fd, headBuf, 0, headBuf.length, 0);
    const head = headBuf.toString('utf8');
    const nl = head.indexOf('\n');
    if (nl < 0) return [];
    const schema = new MetricsCsvSchema(head.slice(0, nl));
    const start = Math.max(nl + 1, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    if (start > nl + 1) lines.shift(); // a partial first line
    lines.pop(); // empty after the last newline, or a torn last line
    const rows: MetricRow[] = [];
    for (let i = lines.length - 1; i >= 0 && rows.length < maxRows; i--) {
      const line = lines[i]!;
      if (!line.includes(pod)) continue;
      const r = schema.parseLine(line);
      if (r.ok && r.row.namespace === namespace && r.row.pod === pod) rows.push(r.row);
    }
    return rows.reverse();
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** True when a series moved enough to mention. */
function isMove(m: MetricMovement): boolean {
  const scale = Math.max(Math.abs(m.from), Math.abs(m.to), 1e-9);
  return Math.abs(m.to - m.from) / scale >= 0.25 || (m.max - m.min) / Math.max(Math.abs(m.max), 1e-9) >= 0.5;
}

export function summariseRows(rows: MetricRow[]): MetricWindow {
  const movements: MetricMovement[] = [];
  for (const [key, name] of TRACKED) {
    const values = rows.map((r) => r[key] as number).filter((v) => Number.isFinite(v));
    if (values.length === 0) continue;
    movements.push({ metric: name, from: values[0]!, to: values[values.length - 1]!, min: Math.min(...values), max: Math.max(...values) });
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  const minutes = first && last ? Math.round((last.time - first.time) / 60_000) : 0;
  const summary = movements.filter(isMove).map((m) => {
    const pct = m.from !== 0 ? ` (${m.to >= m.from ? '+' : ''}${Math.round(((m.to - m.from) / Math.abs(m.from)) * 100)}%)` : '';
    return `${m.metric}: ${fmt(m.from)} → ${fmt(m.to)}${pct}, range ${fmt(m.min)}–${fmt(m.max)} over ${minutes} min`;
  });
  const statuses = [...new Set(rows.map((r) => r.status).filter((s) => s !== ''))];
  if (statuses.length > 1) summary.push(`Pod Status went through: ${statuses.join(' → ')}`);
  const lastEvent = [...rows].reverse().find((r) => r.eventReason !== '');
  if (lastEvent) summary.push(`latest event in metrics: ${lastEvent.eventReason}: ${lastEvent.eventMessage.slice(0, 160)}`);
  return {
    source: 'csv',
    rows: rows.length,
    ...(first ? { start: first.timestamp } : {}),
    ...(last ? { end: last.timestamp } : {}),
    movements,
    summary,
    statuses,
  };
}

export function windowFromInsight(insight: PodInsight): MetricWindow {
  return {
    source: 'insight',
    rows: 0,
    movements: insight.contributing_metrics.map((c) => ({
      metric: c.metric,
      from: c.expected,
      to: c.value,
      min: Math.min(c.expected, c.value),
      max: Math.max(c.expected, c.value),
    })),
    summary: insight.contributing_metrics.map(
      (c) => `${c.metric}: ${fmt(c.value)} (expected ${fmt(c.expected)}, deviation ${c.deviation.toFixed(2)})`,
    ),
    statuses: insight.status ? [insight.status] : [],
  };
}

/** The CSV window when the file has rows for the pod, else the insight's contributing metrics. */
export function metricWindow(csvPath: string | undefined, insight: PodInsight, maxRows = 30): MetricWindow {
  const rows = csvPath ? readPodRows(csvPath, insight.namespace, insight.pod, maxRows) : null;
  if (rows && rows.length >= 2) return summariseRows(rows);
  return windowFromInsight(insight);
}
