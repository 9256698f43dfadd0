// GET /api/cluster: pods grouped by node and workload for the dashboard's map. Bounded: beyond
// FULL_LIST_MAX pods only the anomalous ones are listed (the rest are counted), so the answer stays small at
// 150,000 pods.
import type { ClusterNode, ClusterPod, ClusterResponse } from './api-schemas.ts';
import type { PipelineState } from './pipeline-state.ts';

export const FULL_LIST_MAX = 2_000;

export function clusterView(state: PipelineState): ClusterResponse {
  const index = state.index;
  const truncated = index.size > FULL_LIST_MAX;
  const nodes = new Map<string, Map<string, { pods: ClusterPod[]; pod_count: number; anomalous_count: number }>>();
  let anomalous = 0;
  for (const it of index.allItems()) {
    if (it.predicted_anomaly) anomalous++;
    // A brief entry (a normal pod of a large cluster) has no node or workload: counted in the total only.
    if (truncated && it.node === null) continue;
    const node = it.node ?? 'unknown';
    const workload = it.workload ?? it.pod;
    let byWorkload = nodes.get(node);
    if (!byWorkload) nodes.set(node, (byWorkload = new Map()));
    let w = byWorkload.get(workload);
    if (!w) byWorkload.set(workload, (w = { pods: [], pod_count: 0, anomalous_count: 0 }));
    w.pod_count++;
    if (it.predicted_anomaly) w.anomalous_count++;
    if (!truncated || it.predicted_anomaly)
      w.pods.push({
        namespace: it.namespace,
        pod: it.pod,
        anomalous: it.predicted_anomaly,
        anomaly_type: it.anomaly_type,
        probability: it.anomaly_probability,
      });
  }
  const out: ClusterNode[] = [...nodes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, ws]) => {
      const workloads = [...ws.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([wname, w]) => ({ name: wname, ...w }));
      return {
        name,
        workloads,
        pod_count: workloads.reduce((n, w) => n + w.pod_count, 0),
        anomalous_count: workloads.reduce((n, w) => n + w.anomalous_count, 0),
      };
    });
  return {
    nodes: out,
    counts_by_type: state.countsByType(),
    total_pods: index.size,
    anomalous_pods: anomalous,
    truncated,
    agents: state.agents(),
    threshold: index.threshold,
    generated_at: index.generatedAt,
  };
}
