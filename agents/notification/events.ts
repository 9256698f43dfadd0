// The notification agent's contracts: the JSON event a webhook receives (--notify-format json), the
// episode it belongs to, and the state file that carries episodes, the outbox and Alertmanager's alerts
// across restarts (lib/pipeline-files.ts notifyState; this agent is its only writer).
import { z } from 'zod';
import { AnomalyType, Severity } from '../../lib/schemas.ts';

export const NOTIFY_KINDS = ['open', 'analysis', 'remediated', 'resolved'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

/** What makes two anomalies the same episode: never the wording of an analysis. */
export const EpisodeKey = z.object({
  cluster: z.string(),
  namespace: z.string(),
  /** The workload (owner) of the pods, or the pod itself when it has none. */
  workload: z.string(),
  anomaly_type: AnomalyType,
});
export type EpisodeKey = z.infer<typeof EpisodeKey>;

export function keyString(k: EpisodeKey): string {
  return JSON.stringify([k.cluster, k.namespace, k.workload, k.anomaly_type]);
}

/** The first analysis of an episode, as notified (later rewordings are not). */
export const AnalysisSummary = z.object({
  id: z.string(),
  severity: Severity,
  root_cause: z.string(),
  recommended_action: z.string().nullable(),
  source: z.string(),
});
export type AnalysisSummary = z.infer<typeof AnalysisSummary>;

export const RemediationSummary = z.object({
  action: z.string(),
  target: z.string(),
  result: z.string(),
  summary: z.string().nullable(),
  user: z.string(),
});
export type RemediationSummary = z.infer<typeof RemediationSummary>;

const iso = z.string();

export const Episode = z.object({
  id: z.string(),
  key: EpisodeKey,
  /** pending: inside its grouping window, nothing sent yet; open: notified; resolved: in its cooldown. */
  state: z.enum(['pending', 'open', 'resolved']),
  first_seen: iso,
  opened_at: iso.nullable(),
  resolved_at: iso.nullable(),
  /** When its pods last went normal while a remediation awaited verification (the resolve is held). */
  cleared_at: iso.nullable().default(null),
  /** Every pod of the episode, and those anomalous in the latest insights. */
  pods: z.array(z.string()),
  active_pods: z.array(z.string()),
  max_probability: z.number(),
  forecast: z.string().nullable(),
  /** The Alertmanager severity label, fixed when the episode opens so that the alert keeps its identity. */
  severity_label: Severity,
  analysis: AnalysisSummary.nullable(),
  /** Analysis ids seen for the episode's pods (to match audit records). */
  analysis_ids: z.array(z.string()),
  /** Executions (audit keys) applied for the episode and not verified yet. */
  awaiting_verification: z.array(z.string()).default([]),
  /** Verified remediations already notified (audit keys). */
  remediations: z.array(z.string()),
});
export type Episode = z.infer<typeof Episode>;

/** The JSON event a webhook receives; also what the outbox holds and the Slack text is made from. */
export const NotifyEvent = z.object({
  schema: z.literal('podsentinel.notification/v1'),
  /** Stable per message: receivers may deduplicate on it (also sent as the Idempotency-Key header). */
  message_id: z.string(),
  kind: z.enum(NOTIFY_KINDS),
  at: iso,
  episode: z.object({
    id: z.string(),
    cluster: z.string(),
    namespace: z.string(),
    workload: z.string(),
    anomaly_type: AnomalyType,
    opened_at: iso.nullable(),
    pods: z.array(z.string()),
  }),
  summary: z.string(),
  severity: Severity.nullable(),
  root_cause: z.string().nullable(),
  recommended_action: z.string().nullable(),
  forecast: z.string().nullable(),
  remediation: RemediationSummary.nullable(),
  resolved_at: iso.nullable(),
});
export type NotifyEvent = z.infer<typeof NotifyEvent>;

export const OutboxEntry = z.object({
  /** A hash of the target URL (the URL itself is a secret and never stored). */
  target: z.string(),
  event: NotifyEvent,
  attempts: z.number().int().nonnegative(),
  enqueued_at: iso,
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

export const AlertRecord = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  starts_at: iso,
  /** Set when the anomaly resolved: sent once with this endsAt, then forgotten. */
  ends_at: iso.nullable(),
});
export type AlertRecord = z.infer<typeof AlertRecord>;

export const NotifyState = z.object({
  version: z.literal(1),
  episodes: z.array(Episode),
  outbox: z.array(OutboxEntry),
  alerts: z.array(AlertRecord),
  /** Bytes of the audit log already read. */
  audit_offset: z.number().int().nonnegative(),
  dropped_total: z.number().int().nonnegative(),
});
export type NotifyState = z.infer<typeof NotifyState>;

export function emptyState(): NotifyState {
  return { version: 1, episodes: [], outbox: [], alerts: [], audit_offset: 0, dropped_total: 0 };
}

/** Sent/failed per target kind, for the heartbeat (and a /metrics exporter to wire later). */
export interface NotifyCounters {
  sent: { alertmanager: number; webhook: number };
  failed: { alertmanager: number; webhook: number };
  dropped: number;
  /** Anomalies not notified because their key is in its cooldown. */
  suppressed: number;
}

export function newCounters(): NotifyCounters {
  return { sent: { alertmanager: 0, webhook: 0 }, failed: { alertmanager: 0, webhook: 0 }, dropped: 0, suppressed: 0 };
}
