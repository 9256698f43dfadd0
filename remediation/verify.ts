// Verification: after the delay, the anomaly must be gone from pod_insights.json for the analysed pod
// (or, for a restart, its replacement in the same workload). Only an insights file written after the
// action counts as evidence; with none, or with the pod still anomalous, the action is marked FAILED.
import { readJsonFile } from '../lib/atomic-file.ts';
import { allPodInsights, PodInsights, type PodInsight } from '../lib/schemas.ts';
import type { VerifyHint } from './actions/types.ts';

export type VerifyResult = { result: 'RESOLVED' | 'FAILED'; reason: string; stale: boolean; checked: string[] };

/**
 * `live`: the pods that exist now (when the cluster could be asked): a deleted pod's last insight lingers
 * in the file for a while and is no evidence either way.
 */
export function evaluateInsights(
  insights: PodInsights | null,
  hint: VerifyHint,
  executedAt: Date,
  live?: ReadonlySet<string>,
): VerifyResult {
  if (!insights) return { result: 'FAILED', reason: 'no pod insights file to verify against', stale: true, checked: [] };
  const generated = Date.parse(insights.generated_at);
  if (!Number.isFinite(generated) || generated < executedAt.getTime()) {
    return {
      result: 'FAILED',
      reason: `pod insights not updated since the action (generated_at ${insights.generated_at})`,
      stale: true,
      checked: [],
    };
  }
  const exclude = new Set(hint.excludePods ?? []);
  const inNs = allPodInsights(insights).filter((p) => p.namespace === hint.namespace && !exclude.has(p.pod) && (!live || live.has(p.pod)));
  let candidates: PodInsight[] = inNs.filter((p) => hint.pods.includes(p.pod));
  // Exact pods (a restart's known replacement) wait for their own insight; otherwise the workload's pods count.
  if (candidates.length === 0 && hint.workloadPrefix && !(hint.exact && hint.pods.length)) {
    candidates = inNs.filter((p) => inWorkload(p.pod, hint.workloadPrefix!));
  }
  const checked = candidates.map((p) => p.pod);
  if (candidates.length === 0) {
    return {
      result: 'FAILED',
      reason: `no insight for ${hint.pods.join(', ') || 'the pod'}${hint.workloadPrefix ? ` or pods ${hint.workloadPrefix}*` : ''}`,
      stale: true,
      checked,
    };
  }
  const still = candidates.filter((p) => p.predicted_anomaly);
  if (still.length) {
    return {
      result: 'FAILED',
      reason: `still anomalous: ${still.map((p) => `${p.pod} (${p.anomaly_type}, p=${p.anomaly_probability.toFixed(2)})`).join(', ')}`,
      stale: false,
      checked,
    };
  }
  return { result: 'RESOLVED', reason: `no anomaly predicted for ${checked.join(', ')}`, stale: false, checked };
}

/**
 * True when a pod name is one a controller made for the workload named by `prefix` ("web-"):
 * web-<rs-hash>-<5> (Deployment), web-<n> (StatefulSet), web-<5> (DaemonSet), and not web-api-...
 */
export function inWorkload(pod: string, prefix: string): boolean {
  if (!pod.startsWith(prefix)) return false;
  return /^([a-z0-9]{5,10}-[a-z0-9]{5}|\d+|[a-z0-9]{5})$/.test(pod.slice(prefix.length));
}

/** Reads the insights file; a missing or malformed file is "no evidence", never a crash. */
export function readInsights(path: string): PodInsights | null {
  try {
    return readJsonFile(path, PodInsights);
  } catch {
    return null;
  }
}
