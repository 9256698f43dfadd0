// Helpers for carrying out a decision taken away from the terminal (lib/decisions.ts): the fields a
// decision's audit record carries, and the "not an anomaly" feedback (lib/feedback.ts) it leads to.
import type { DecisionRecord } from '../lib/decisions.ts';
import { appendFeedback } from '../lib/feedback.ts';
import type { PodAnalysis } from '../lib/schemas.ts';
import { readInsights } from './verify.ts';

/** A decision that replaces the prompt for one proposal. */
export interface Forced {
  record: DecisionRecord;
}

/** Who decided where, and which decision file (none for a terminal answer, which has no file). */
export function decisionRecordFields(f: Forced): { via: DecisionRecord['via']; decision_id?: string } {
  return f.record.via === 'terminal' ? { via: 'terminal' } : { via: f.record.via, decision_id: f.record.id };
}

/** A terminal answer in the shape of a decision (it has no file: no id is recorded for it). */
export function terminalDecision(analysis: PodAnalysis, index: number, action: string, user: string): DecisionRecord {
  return {
    id: `terminal-${Date.now()}`,
    ts: new Date().toISOString(),
    analysis_id: analysis.id,
    decision: 'not-an-anomaly',
    action_index: index,
    action,
    by: user,
    via: 'terminal',
  };
}

/** Appends the feedback record: the pod, and its workload when the analysis or the insights name it. */
export function feedbackFor(file: string, analysis: PodAnalysis, insightsFile: string, d: DecisionRecord): void {
  let insight;
  try {
    insight = readInsights(insightsFile)?.pods.find((p) => p.namespace === analysis.namespace && p.pod === analysis.pod);
  } catch {
    insight = undefined;
  }
  const workload = analysis.owner ? `${analysis.owner.kind}/${analysis.owner.name}` : insight?.workload;
  appendFeedback(file, {
    ts: new Date().toISOString(),
    kind: 'not_an_anomaly',
    namespace: analysis.namespace,
    pod: analysis.pod,
    ...(workload ? { workload } : {}),
    scope: 'pod',
    anomaly_type: analysis.anomaly_type,
    analysis_id: analysis.id,
    since: insight?.since ?? null,
    by: d.by,
    via: d.via,
  });
}
