// The dataset agent's series, read from its state at scrape time (lib/metrics.ts onCollect): the
// per-row loop makes no metric calls, so serving metrics costs scoring nothing.
import { counterFrom, M, MAX_POD_SERIES, onCollect } from '../../lib/metrics.ts';
import { ANOMALY_TYPES } from '../../lib/schemas.ts';
import type { DatasetAgent } from './agent.ts';

/** Registers the agent's collect hook; returns its removal. */
export function collectAgentMetrics(agent: DatasetAgent): () => void {
  agent.trackLag = true;
  const read = counterFrom(() => agent.rowsRead, M.rowsRead);
  const scored = counterFrom(() => agent.perf.rows_scored, M.rowsScored);
  const rejected = counterFrom(() => agent.rowsRejected, M.rowsRejected);
  return onCollect(() => {
    read();
    scored();
    rejected();
    const s = agent.status();
    M.podsWatched().set(s.pods);
    M.agentLagBytes().set(s.lag_bytes);
    if (Number.isFinite(agent.lagSeconds)) M.agentLag().set(agent.lagSeconds);
    const pods = agent.anomalousPods();
    const byType = new Map<string, number>(ANOMALY_TYPES.filter((t) => t !== 'none').map((t) => [t, 0]));
    for (const p of pods) byType.set(p.type, (byType.get(p.type) ?? 0) + 1);
    for (const [type, n] of byType) M.anomaliesOpen().set({ type }, n);
    // A pod label only on the most anomalous pods, so the series count stays bounded.
    const score = M.anomalousPodScore();
    score.reset();
    pods.sort((a, b) => b.probability - a.probability);
    for (const p of pods.slice(0, MAX_POD_SERIES)) score.set({ namespace: p.namespace, pod: p.pod }, p.probability);
  });
}
