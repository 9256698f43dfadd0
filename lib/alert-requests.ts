// Investigation requests from Alertmanager: podsentinel-server (its only writer) appends one line per alert
// that names a pod (labels namespace and pod) when it starts firing, and one when it resolves; the anomaly
// agent tails the file and investigates such a pod like one of its own anomalies until the resolve.
import { z } from 'zod';
import { appendJsonLine, readJsonLines } from './atomic-file.ts';

export const AlertRequest = z.object({
  ts: z.string(),
  kind: z.enum(['firing', 'resolved']),
  /** Alertmanager's fingerprint of the alert (its label set): one request per firing alert. */
  fingerprint: z.string().min(1).max(128),
  namespace: z.string().min(1).max(253),
  pod: z.string().min(1).max(253),
  alertname: z.string().max(253),
  severity: z.string().max(64).optional(),
  /** The alert's summary or description annotation, shortened. */
  summary: z.string().max(1000).optional(),
  starts_at: z.string().optional(),
});
export type AlertRequest = z.infer<typeof AlertRequest>;

export function appendAlertRequest(path: string, record: AlertRequest): void {
  appendJsonLine(path, record, AlertRequest);
}

export function readAlertRequests(path: string): { records: AlertRequest[]; rejected: number } {
  return readJsonLines(path, AlertRequest);
}

/** The alerts firing now (by fingerprint) after replaying the records in order. */
export function activeAlerts(records: readonly AlertRequest[]): Map<string, AlertRequest> {
  const active = new Map<string, AlertRequest>();
  for (const r of records) {
    if (r.kind === 'firing') active.set(r.fingerprint, r);
    else active.delete(r.fingerprint);
  }
  return active;
}
