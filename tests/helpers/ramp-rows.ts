// One pod's rows whose CPU value is their index: a reader's output tells exactly which rows it read.
import { METRIC_COLUMNS, formatHeader, formatRows, newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';

export const HEADER = formatHeader(METRIC_COLUMNS);

/** `count` rows from index `from`, 5 s apart, with cpuPercent = index. */
export function rows(from: number, count: number, pod = 'web-1'): MetricRow[] {
  return Array.from({ length: count }, (_, i) =>
    newMetricRow({
      timestamp: new Date(Date.UTC(2026, 0, 1) + (from + i) * 5000).toISOString(),
      namespace: 'default',
      pod,
      status: 'Running',
      cpuPercent: from + i,
      memoryPercent: 10,
    }),
  );
}
export const text = (r: MetricRow[]) => formatRows(r, METRIC_COLUMNS);
export const cpus = (r: MetricRow[]) => r.map((x) => x.cpuPercent);
export const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);
