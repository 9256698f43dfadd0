// The HTTP API of podsentinel-server (docs/SERVER.md): zod schemas of every request and response. The
// server validates its answers' shapes through these in tests, the OpenAPI document is generated from them
// (z.toJSONSchema), and the dashboard (web/) builds against the inferred types. This file is the contract.
import { z } from 'zod';
import { PROPOSAL_STATES } from '../remediation/proposal-state.ts';
import { AnomalyType, AuditRecord, Forecast, PodAnalysis, PodInsight, Severity } from '../lib/schemas.ts';
import { DecisionChannel, DecisionRequest, DecisionVerdict } from '../lib/decisions.ts';

export { DecisionRequest };

/** application/problem+json (RFC 9457); never a stack. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

export const HealthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof HealthResponse>;

/** A pipeline process judged by its heartbeat file (lib/heartbeat.ts). */
export const AgentStatus = z.object({
  name: z.string(),
  /** The heartbeat is younger than three intervals (at least 15 s). */
  fresh: z.boolean(),
  /** Seconds since the last heartbeat; null when there is none. */
  age_seconds: z.number().nullable(),
  state: z.enum(['running', 'stopped', 'missing']),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

export const ReadyResponse = z.object({ ready: z.boolean(), agents: z.array(AgentStatus) });
export type ReadyResponse = z.infer<typeof ReadyResponse>;

export const ClusterPod = z.object({
  namespace: z.string(),
  pod: z.string(),
  anomalous: z.boolean(),
  anomaly_type: AnomalyType,
  probability: z.number(),
});
export type ClusterPod = z.infer<typeof ClusterPod>;

export const ClusterWorkload = z.object({
  name: z.string(),
  /** Every pod of the workload, or (in a large cluster) only its anomalous pods. */
  pods: z.array(ClusterPod),
  /** Pods of the workload in all (listed or not). */
  pod_count: z.number().int().nonnegative(),
  anomalous_count: z.number().int().nonnegative(),
});
export type ClusterWorkload = z.infer<typeof ClusterWorkload>;

export const ClusterNode = z.object({
  /** The node's name, or "unknown" for pods without one. */
  name: z.string(),
  workloads: z.array(ClusterWorkload),
  pod_count: z.number().int().nonnegative(),
  anomalous_count: z.number().int().nonnegative(),
});
export type ClusterNode = z.infer<typeof ClusterNode>;

export const ClusterResponse = z.object({
  nodes: z.array(ClusterNode),
  /** Anomalous pods per anomaly type. */
  counts_by_type: z.record(z.string(), z.number().int().nonnegative()),
  total_pods: z.number().int().nonnegative(),
  anomalous_pods: z.number().int().nonnegative(),
  /** True when normal pods were left out of the node/workload lists (only counted): a large cluster. */
  truncated: z.boolean(),
  agents: z.array(AgentStatus),
  threshold: z.number().nullable(),
  /** The insights' generated_at; null before the first insights. */
  generated_at: z.string().nullable(),
});
export type ClusterResponse = z.infer<typeof ClusterResponse>;

export const PodListItem = z.object({
  namespace: z.string(),
  pod: z.string(),
  node: z.string().nullable(),
  workload: z.string().nullable(),
  status: z.string().nullable(),
  anomaly_probability: z.number(),
  predicted_anomaly: z.boolean(),
  anomaly_type: AnomalyType,
  since: z.string().nullable(),
  timestamp: z.string(),
});
export type PodListItem = z.infer<typeof PodListItem>;

export const PodListQuery = z.object({
  namespace: z.string().optional(),
  anomalous: z.enum(['true', 'false']).optional(),
  /** Substring of namespace/pod. */
  q: z.string().max(200).optional(),
  sort: z.enum(['probability', 'name']).default('probability'),
  order: z.enum(['desc', 'asc']).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type PodListQuery = z.infer<typeof PodListQuery>;

export const PodListResponse = z.object({
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  items: z.array(PodListItem),
  generated_at: z.string().nullable(),
});
export type PodListResponse = z.infer<typeof PodListResponse>;

/** A pod's recent metrics (from the tail of pod_metrics.csv), arrays aligned on timestamps. */
export const PodSeries = z.object({
  timestamps: z.array(z.string()),
  cpu_millicores: z.array(z.number().nullable()),
  memory_bytes: z.array(z.number().nullable()),
  memory_limit_bytes: z.array(z.number().nullable()),
  network_rx_bytes_per_s: z.array(z.number().nullable()),
  network_tx_bytes_per_s: z.array(z.number().nullable()),
  restarts: z.array(z.number().nullable()),
  /** The detector's probability at each timestamp the server saw (null where it did not). */
  anomaly_probability: z.array(z.number().nullable()),
});
export type PodSeries = z.infer<typeof PodSeries>;

/** The probability history the server kept while insights changed (bounded). */
export const ProbabilityPoint = z.object({ ts: z.string(), p: z.number() });

export const PodDetailResponse = z.object({
  insight: PodInsight,
  forecasts: z.array(Forecast),
  threshold: z.number().nullable(),
  series: PodSeries,
  probability_history: z.array(ProbabilityPoint),
  /** The open analysis of this pod, if any. */
  analysis_id: z.string().nullable(),
});
export type PodDetailResponse = z.infer<typeof PodDetailResponse>;

export const AnomalyStatus = z.enum(['open', 'resolved']);

export const AnomalySummary = z.object({
  id: z.string(),
  namespace: z.string(),
  pod: z.string(),
  anomaly_type: AnomalyType,
  severity: Severity,
  anomaly_probability: z.number(),
  detected_at: z.string(),
  status: AnomalyStatus,
  resolved_at: z.string().nullable(),
  root_cause: z.string(),
  /** Proposals waiting for a person (pending in the audit log, no decision yet). */
  pending: z.number().int().nonnegative(),
  /** alert when the investigation was asked for by Alertmanager; detector otherwise. */
  source: z.string(),
});
export type AnomalySummary = z.infer<typeof AnomalySummary>;

export const AnomalyListResponse = z.object({ items: z.array(AnomalySummary), generated_at: z.string().nullable() });
export type AnomalyListResponse = z.infer<typeof AnomalyListResponse>;

export const ProposalState = z.enum(PROPOSAL_STATES);
export type ProposalState = z.infer<typeof ProposalState>;

export const StepResult = z.object({ result: z.string(), detail: z.string().nullable(), ts: z.string() });

export const ProposalDecision = z.object({
  by: z.string(),
  via: DecisionChannel.nullable(),
  ts: z.string(),
  /** approved, skipped, not_an_anomaly, rate_limited, cooldown, ... */
  result: z.string(),
  decision_id: z.string().nullable(),
});

export const Proposal = z.object({
  action_index: z.number().int().nonnegative(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  rationale: z.string(),
  risk: z.enum(['low', 'medium', 'high']),
  state: ProposalState,
  /** The planned change, as run-remediation recorded it (resource, changes). */
  plan: z.object({ resource: z.string().nullable(), changes: z.unknown() }).nullable(),
  dry_run: StepResult.nullable(),
  refusal: StepResult.nullable(),
  decision: ProposalDecision.nullable(),
  execution: StepResult.nullable(),
  verification: StepResult.nullable(),
  /** Decisions written (web/mcp) that run-remediation has not carried out yet. */
  queued_decisions: z.number().int().nonnegative(),
});
export type Proposal = z.infer<typeof Proposal>;

export const AnomalyDetailResponse = z.object({
  analysis: PodAnalysis,
  status: AnomalyStatus,
  resolved_at: z.string().nullable(),
  proposals: z.array(Proposal),
});
export type AnomalyDetailResponse = z.infer<typeof AnomalyDetailResponse>;

export const DecisionResponse = z.object({ decision_id: z.string(), status: z.literal('queued') });
export type DecisionResponse = z.infer<typeof DecisionResponse>;

export const RemediationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const RemediationsResponse = z.object({ items: z.array(AuditRecord) });
export type RemediationsResponse = z.infer<typeof RemediationsResponse>;

export const AlertmanagerResponse = z.object({
  status: z.literal('ok'),
  /** Alerts that named a pod and were appended (new firing ones and resolves). */
  accepted: z.number().int().nonnegative(),
  /** Alerts without namespace+pod labels, or already requested. */
  ignored: z.number().int().nonnegative(),
});
export type AlertmanagerResponse = z.infer<typeof AlertmanagerResponse>;

// ---- Server-sent events (GET /api/events): the `data:` of each event name ----
export const StatusEvent = z.object({
  agents: z.array(AgentStatus),
  total_pods: z.number().int().nonnegative(),
  anomalous_pods: z.number().int().nonnegative(),
  counts_by_type: z.record(z.string(), z.number().int().nonnegative()),
  generated_at: z.string().nullable(),
});
export const AnomalyEvent = z.object({ change: z.enum(['new', 'changed', 'resolved']), anomaly: AnomalySummary });
export const AnalysisEvent = z.object({ generated_at: z.string(), open: z.number().int().nonnegative() });
export const RemediationEvent = AuditRecord;
export const SSE_EVENTS = { status: StatusEvent, anomaly: AnomalyEvent, analysis: AnalysisEvent, remediation: RemediationEvent } as const;
export type SseEventName = keyof typeof SSE_EVENTS;

export { DecisionVerdict };
