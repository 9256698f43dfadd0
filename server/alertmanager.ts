// POST /api/alertmanager: Alertmanager's webhook (payload version 4). Alerts naming a pod become
// investigation requests in alert_requests.jsonl (lib/alert-requests.ts), deduplicated by fingerprint: a
// firing alert already requested is not appended again, a resolve is appended once. The answer comes at
// once; the anomaly agent does the investigating.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { activeAlerts, appendAlertRequest, readAlertRequests, type AlertRequest } from '../lib/alert-requests.ts';

const Labels = z.record(z.string(), z.string());

export const AlertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(128).optional(),
});

export const AlertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: Labels.optional(),
  commonLabels: Labels.optional(),
  commonAnnotations: Labels.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).max(1000),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

/** Alertmanager's fingerprint, or one of the label set when a sender leaves it out. */
function fingerprintOf(a: z.infer<typeof AlertmanagerAlert>): string {
  if (a.fingerprint) return a.fingerprint;
  const labels = Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16);
}

export class AlertIntake {
  private readonly path: string;
  private readonly active: Map<string, AlertRequest>;

  constructor(path: string) {
    this.path = path;
    this.active = activeAlerts(readAlertRequests(path).records);
  }

  receive(payload: AlertmanagerPayload, now = new Date()): { accepted: number; ignored: number } {
    let accepted = 0;
    let ignored = 0;
    for (const a of payload.alerts) {
      const namespace = a.labels.namespace;
      const pod = a.labels.pod;
      const fingerprint = fingerprintOf(a);
      const known = this.active.has(fingerprint);
      if (!namespace || !pod || (a.status === 'firing' && known) || (a.status === 'resolved' && !known)) {
        ignored++;
        continue;
      }
      const summary = a.annotations.summary ?? a.annotations.description;
      const record: AlertRequest = {
        ts: now.toISOString(),
        kind: a.status,
        fingerprint,
        namespace,
        pod,
        alertname: a.labels.alertname ?? 'unnamed',
        ...(a.labels.severity ? { severity: a.labels.severity.slice(0, 64) } : {}),
        ...(summary ? { summary: summary.slice(0, 1000) } : {}),
        ...(a.startsAt ? { starts_at: a.startsAt } : {}),
      };
      appendAlertRequest(this.path, record);
      if (a.status === 'firing') this.active.set(fingerprint, record);
      else this.active.delete(fingerprint);
      accepted++;
    }
    return { accepted, ignored };
  }
}
