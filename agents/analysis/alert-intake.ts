// Pods that Alertmanager alerts about (alert_requests.jsonl, lib/alert-requests.ts, written by
// podsentinel-server) are investigated like the detector's own anomalies: for each alert firing now whose
// pod the detector does not already flag, an insight is made anomalous (the pod's own figures when the
// insights have it) and goes through the same context, LLM or rules, and guard. A resolve drops it, and the
// engine then moves its analysis to `resolved` as for any anomaly that cleared.
import { activeAlerts, readAlertRequests, type AlertRequest } from '../../lib/alert-requests.ts';
import { allPodInsights, type PodInsight, type PodInsights } from '../../lib/schemas.ts';

export const ALERT_ID_PREFIX = 'alert-';

const key = (namespace: string, pod: string) => `${namespace}/${pod}`;

/** The alerts firing now, one per pod (the earliest), from the requests file; empty when it is absent. */
export function firingAlertsByPod(path: string): Map<string, AlertRequest> {
  const byPod = new Map<string, AlertRequest>();
  for (const a of activeAlerts(readAlertRequests(path).records).values()) {
    const k = key(a.namespace, a.pod);
    const prev = byPod.get(k);
    if (!prev || (a.starts_at ?? a.ts) < (prev.starts_at ?? prev.ts)) byPod.set(k, a);
  }
  return byPod;
}

/** Insights for alerted pods the detector does not flag, made anomalous (at least at the threshold). */
export function alertInsights(insights: PodInsights, alerts: ReadonlyMap<string, AlertRequest>): PodInsight[] {
  if (alerts.size === 0) return [];
  const known = new Map<string, PodInsight>();
  for (const p of allPodInsights(insights)) if (alerts.has(key(p.namespace, p.pod))) known.set(key(p.namespace, p.pod), p);
  const out: PodInsight[] = [];
  for (const [k, a] of alerts) {
    const p = known.get(k);
    if (p?.predicted_anomaly) continue; // the detector's own anomaly already covers it
    out.push({
      ...(p ?? { namespace: a.namespace, pod: a.pod, contributing_metrics: [], anomaly_type: 'unknown' as const }),
      timestamp: p?.timestamp ?? a.ts,
      anomaly_probability: Math.max(p?.anomaly_probability ?? 0, insights.threshold),
      predicted_anomaly: true,
      anomaly_type: p && p.anomaly_type !== 'none' ? p.anomaly_type : 'unknown',
      since: a.starts_at ?? a.ts,
    });
  }
  return out;
}

/** The evidence line an alert adds to its analysis. */
export function alertEvidence(a: AlertRequest): string {
  return `Alertmanager alert ${a.alertname}${a.severity ? ` (${a.severity})` : ''} firing since ${a.starts_at ?? a.ts}${a.summary ? `: ${a.summary}` : ''}`;
}
