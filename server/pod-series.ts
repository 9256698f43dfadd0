// A pod's recent metrics for GET /api/pods/{namespace}/{pod}: the last rows of that pod from the tail of
// pod_metrics.csv (read through lib/metrics-csv.ts by the anomaly agent's readPodRows), converted to the
// API's units, with the probability the server saw at each timestamp.
import { readPodRows } from '../agents/analysis/metric-window.ts';
import type { PodSeries } from './api-schemas.ts';

const MIB = 1024 * 1024;
export const SERIES_ROWS = 120;

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function podSeries(csv: string, namespace: string, pod: string, history: ReadonlyArray<{ ts: string; p: number }>): PodSeries {
  const rows = readPodRows(csv, namespace, pod, SERIES_ROWS) ?? [];
  const p = new Map(history.map((h) => [h.ts, h.p]));
  const s: PodSeries = {
    timestamps: [],
    cpu_millicores: [],
    memory_bytes: [],
    memory_limit_bytes: [],
    network_rx_bytes_per_s: [],
    network_tx_bytes_per_s: [],
    restarts: [],
    anomaly_probability: [],
  };
  for (const r of rows) {
    s.timestamps.push(r.timestamp);
    // CPU Usage (%) is percent of one core (collectors/k8s-collector.ts: cores × 100).
    s.cpu_millicores.push(num(r.cpuPercent * 10));
    const mem = num(r.memoryMb * MIB);
    s.memory_bytes.push(mem);
    s.memory_limit_bytes.push(mem !== null && r.memoryPercent > 0 ? Math.round(mem / (r.memoryPercent / 100)) : null);
    s.network_rx_bytes_per_s.push(num(r.netRxBytes));
    s.network_tx_bytes_per_s.push(num(r.netTxBytes));
    s.restarts.push(num(r.restarts));
    s.anomaly_probability.push(p.get(r.timestamp) ?? null);
  }
  return s;
}
