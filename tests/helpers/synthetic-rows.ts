// Synthetic pod_metrics rows for agent tests: a few pods with gentle cycles and an optional CPU shift.
import { newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';

export const T0 = Date.UTC(2026, 0, 1);

/** Ticks [from, to) of `pods` pods of one deployment, 5 s apart; pod 1's CPU jumps by 70 points from tick `shiftAt`. */
export function syntheticTicks(from: number, to: number, { pods = 4, shiftAt = Infinity } = {}): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let t = from; t < to; t++) {
    for (let p = 0; p < pods; p++) {
      rows.push(
        newMetricRow({
          timestamp: new Date(T0 + t * 5000).toISOString(),
          namespace: 'shop',
          pod: `web-5d8f7c9b4-x${p}k2q`,
          node: 'node-1',
          status: 'Running',
          readyContainers: 1,
          totalContainers: 1,
          restarts: 0,
          cpuPercent: 20 + 3 * p + 2 * Math.sin(t * 0.9 + p) + (p === 1 && t >= shiftAt ? 70 : 0),
          memoryPercent: 40 + Math.cos(t * 0.3 + p),
          memoryMb: 300,
          netRxBytes: 50_000 + 2_000 * Math.sin(t * 1.3 + p),
          netTxBytes: 40_000 + 1_500 * Math.cos(t * 1.1 + p),
          fsReadsMb: t * 0.01,
          fsWritesMb: t * 0.04,
          netRxDropped: 0,
          netTxDropped: 0,
          eventCount: 0,
        }),
      );
    }
  }
  return rows;
}
