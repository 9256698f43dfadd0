// Operator feedback: "not an anomaly" on a proposal, at the terminal prompt or from the browser/MCP (through
// a decision, lib/decisions.ts). run-remediation is the only writer of feedback.jsonl (append-only, one
// record per line); the dataset agent reads it and re-baselines that pod's or workload's model so the same
// pattern stops alerting.
import { z } from 'zod';
import { appendJsonLine, readJsonLines } from './atomic-file.ts';
import { AnomalyType } from './schemas.ts';
import { DecisionChannel } from './decisions.ts';

export const FeedbackRecord = z.object({
  ts: z.string(),
  kind: z.literal('not_an_anomaly'),
  namespace: z.string(),
  pod: z.string(),
  /** The pod's workload (e.g. Deployment/api), when known: with scope workload, every pod of it is re-baselined. */
  workload: z.string().optional(),
  scope: z.enum(['pod', 'workload']),
  anomaly_type: AnomalyType,
  analysis_id: z.string(),
  /** When the anomaly the person judged began (the insight's since), if known. */
  since: z.string().nullable().optional(),
  by: z.string(),
  via: DecisionChannel,
});
export type FeedbackRecord = z.infer<typeof FeedbackRecord>;

export function appendFeedback(path: string, record: FeedbackRecord): void {
  appendJsonLine(path, record, FeedbackRecord);
}

export function readFeedback(path: string): { records: FeedbackRecord[]; rejected: number } {
  return readJsonLines(path, FeedbackRecord);
}
