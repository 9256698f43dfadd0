// Schemas of the JSON contracts between processes (docs/ARCHITECTURE.md). Writers validate before writing,
// readers parse through these, so a contract is defined once and checked at every boundary.
import { z } from 'zod';
import { CpuQuantity, MemoryQuantity } from './quantity.ts';

export const ANOMALY_TYPES = ['crash_loop', 'oom_risk', 'resource_exhaustion', 'network_issue', 'io_pressure', 'unknown', 'none'] as const;
export const AnomalyType = z.enum(ANOMALY_TYPES);
export type AnomalyType = z.infer<typeof AnomalyType>;

export const ContributingMetric = z.object({
  metric: z.string(),
  value: z.number(),
  expected: z.number(),
  deviation: z.number(),
});
export type ContributingMetric = z.infer<typeof ContributingMetric>;

/**
 * An exhaustion forecast: while a metric's trend points at its limit, when it gets there. metric names a
 * CSV column family (memory against the container memory limit, cpu against the CPU limit, ephemeral
 * storage where collected); limit is in the metric's base unit (bytes, millicores).
 */
export const FORECAST_METRICS = ['memory', 'cpu', 'ephemeral_storage'] as const;
export const Forecast = z.object({
  metric: z.enum(FORECAST_METRICS),
  limit: z.number().positive(),
  eta_seconds: z.number().nonnegative(),
  confidence: z.number().min(0).max(1),
});
export type Forecast = z.infer<typeof Forecast>;

export const PodInsight = z.object({
  namespace: z.string(),
  pod: z.string(),
  /** Timestamp of the latest row scored (ISO 8601). */
  timestamp: z.string(),
  anomaly_probability: z.number().min(0).max(1),
  predicted_anomaly: z.boolean(),
  anomaly_type: AnomalyType,
  contributing_metrics: z.array(ContributingMetric),
  /** When the current anomalous stretch began, or null when the pod is normal. */
  since: z.string().nullable(),
  /** Status and workload, for readers that need them without re-reading the CSV. */
  status: z.string().optional(),
  node: z.string().optional(),
  workload: z.string().optional(),
  /** Present while a trend points at a limit (see Forecast). */
  forecasts: z.array(Forecast).optional(),
});
export type PodInsight = z.infer<typeof PodInsight>;

export const ModelInfo = z.object({
  name: z.string(),
  version: z.string(),
  trained_at: z.string().nullable(),
  backend: z.string(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

/**
 * A pod in brief, in a large cluster's insights: [namespace, pod, timestamp, anomaly_probability]. Such a
 * pod is not anomalous (its probability is below half the threshold); it has no contributing metrics.
 */
export const PodScoreSummary = z.tuple([z.string(), z.string(), z.string(), z.number().min(0).max(1)]);
export type PodScoreSummary = z.infer<typeof PodScoreSummary>;

export const PodInsights = z.object({
  generated_at: z.string(),
  model: ModelInfo,
  threshold: z.number().min(0).max(1),
  rows_read: z.number().int().nonnegative(),
  rows_rejected: z.number().int().nonnegative(),
  /** Full entries: every pod, or (when other_pods is present) every pod at or above half the threshold. */
  pods: z.array(PodInsight),
  /**
   * Present beyond the agent's --insights-detail-max pods (default 5,000): the other pods in brief, so that
   * the file stays small and quick to write at 150,000 pods. Every anomalous pod is in `pods`.
   */
  other_pods: z.array(PodScoreSummary).optional(),
});
export type PodInsights = z.infer<typeof PodInsights>;

/** Number of pods an insights document covers (full entries and brief ones). */
export function insightsPodCount(ins: PodInsights): number {
  return ins.pods.length + (ins.other_pods?.length ?? 0);
}

/**
 * Every pod of an insights document as a PodInsight: the full entries, then the brief ones expanded
 * (not anomalous, type none, no contributing metrics). For readers that look at normal pods too.
 */
export function allPodInsights(ins: PodInsights): PodInsight[] {
  if (!ins.other_pods?.length) return ins.pods;
  const out = ins.pods.slice();
  for (const brief of ins.other_pods) out.push(briefInsight(brief));
  return out;
}

/** A pod in brief as a PodInsight: not anomalous, type none, no contributing metrics. */
export function briefInsight([namespace, pod, timestamp, p]: PodScoreSummary): PodInsight {
  return {
    namespace,
    pod,
    timestamp,
    anomaly_probability: p,
    predicted_anomaly: false,
    anomaly_type: 'none',
    contributing_metrics: [],
    since: null,
  };
}

// ---- Remediation allow-list: action names and their typed parameters ----
const k8sName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name');
const workloadKind = z.enum(['Deployment', 'StatefulSet', 'DaemonSet']);
/** Kubernetes quantities as strings, in the API server's syntax (lib/quantity.ts). */
const cpuQuantity = CpuQuantity;
const memoryQuantity = MemoryQuantity;

export const ActionParams = {
  restart_pod: z.object({ namespace: k8sName, pod: k8sName }).strict(),
  rollout_restart: z.object({ namespace: k8sName, kind: workloadKind, name: k8sName }).strict(),
  scale: z
    .object({ namespace: k8sName, kind: z.enum(['Deployment', 'StatefulSet']), name: k8sName, replicas: z.number().int().min(0) })
    .strict(),
  set_resources: z
    .object({
      namespace: k8sName,
      kind: workloadKind,
      name: k8sName,
      container: k8sName,
      requests: z.object({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).strict().optional(),
      limits: z.object({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).strict().optional(),
    })
    .strict(),
  cordon_node: z.object({ node: k8sName }).strict(),
  uncordon_node: z.object({ node: k8sName }).strict(),
  drain_node: z.object({ node: k8sName }).strict(),
} as const;
export type ActionName = keyof typeof ActionParams;
export const ACTION_NAMES = Object.keys(ActionParams) as ActionName[];

export const RecommendedAction = z.discriminatedUnion('action', [
  ...(ACTION_NAMES.map((name) =>
    z.object({
      action: z.literal(name),
      params: ActionParams[name],
      rationale: z.string(),
      risk: z.enum(['low', 'medium', 'high']),
    }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]),
]);
export type RecommendedAction = {
  [K in ActionName]: { action: K; params: z.infer<(typeof ActionParams)[K]>; rationale: string; risk: 'low' | 'medium' | 'high' };
}[ActionName];

export const Severity = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const Owner = z.object({ kind: z.string(), name: z.string() });

export const AnalysisSource = z.union([z.object({ type: z.literal('llm'), model: z.string() }), z.object({ type: z.literal('rules') })]);

export const PodAnalysis = z.object({
  /** Stable across cycles for the same ongoing anomaly. */
  id: z.string(),
  namespace: z.string(),
  pod: z.string(),
  owner: Owner.nullable(),
  detected_at: z.string(),
  anomaly_probability: z.number().min(0).max(1),
  anomaly_type: AnomalyType,
  severity: Severity,
  root_cause: z.string(),
  explanation: z.string(),
  evidence: z.array(z.string()),
  recommended_actions: z.array(RecommendedAction),
  source: AnalysisSource,
  analyzed_at: z.string().optional(),
  node: z.string().optional(),
});
export type PodAnalysis = Omit<z.infer<typeof PodAnalysis>, 'recommended_actions'> & {
  recommended_actions: RecommendedAction[];
};

export const PodAnalysisFile = z.object({
  generated_at: z.string(),
  analyses: z.array(PodAnalysis),
  /** Anomalies that cleared, most recent first (bounded). */
  resolved: z.array(PodAnalysis.extend({ resolved_at: z.string() })).default([]),
});
export type PodAnalysisFile = z.infer<typeof PodAnalysisFile>;

// ---- remediation_history.jsonl: one object per line, append-only ----
export const AuditEvent = z.enum(['proposal', 'refusal', 'dry_run', 'decision', 'execution', 'verification', 'pending']);
export const AuditRecord = z.object({
  ts: z.string(),
  event: AuditEvent,
  analysis_id: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  user: z.string(),
  /** Outcome of this step: e.g. approved/skipped, ok/failed, RESOLVED/FAILED. */
  result: z.string(),
  /**
   * Where a decision was taken (lib/decisions.ts DECISION_CHANNELS), on the decision and on the execution and
   * verification of what it approved; absent on older records and on proposals, dry runs and refusals.
   */
  via: z.enum(['terminal', 'web', 'mcp', 'auto']).optional(),
  /** The decision file (lib/decisions.ts) the decision carried out; also on its execution and verification. */
  decision_id: z.string().optional(),
  detail: z.unknown().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
