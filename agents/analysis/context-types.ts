// The facts about one anomalous pod that an analysis is made from. Built by context.ts from the cluster
// and the metrics CSV; every part may be missing (cluster unreachable, pod gone), and `notes` says why.
import type { PodInsight } from '../../lib/schemas.ts';

export interface ContainerFacts {
  name: string;
  ready: boolean;
  restartCount: number;
  /** e.g. "running", "waiting: CrashLoopBackOff", "terminated: OOMKilled (exit 137)". */
  state: string;
  waitingReason?: string;
  /** Why the previous instance ended (OOMKilled, Error, ...), with its exit code. */
  lastTerminationReason?: string;
  lastExitCode?: number;
  limits: { cpu?: string; memory?: string };
  requests: { cpu?: string; memory?: string };
}

export interface WarningEvent {
  /** uid when the API gives one, else reason+message: new keys mean a new event. */
  key: string;
  reason: string;
  message: string;
  count: number;
  lastSeen: string;
}

export interface OwnerLink {
  kind: string;
  name: string;
  /** spec.replicas of a Deployment/StatefulSet, when read. */
  replicas?: number;
}

export interface MetricMovement {
  metric: string;
  from: number;
  to: number;
  min: number;
  max: number;
}

export interface MetricWindow {
  source: 'csv' | 'insight';
  rows: number;
  /** First and last timestamps of the window (csv only). */
  start?: string;
  end?: string;
  movements: MetricMovement[];
  /** Readable lines: what moved, from what to what. */
  summary: string[];
  statuses: string[];
}

export interface PodContext {
  insight: PodInsight;
  /** 'ok': the pod was read; 'gone': the API says 404; 'unreachable'/'unconfigured': no cluster facts. */
  cluster: 'ok' | 'gone' | 'unreachable' | 'unconfigured';
  phase?: string;
  node?: string;
  containers: ContainerFacts[];
  events: WarningEvent[];
  /** Pod → ReplicaSet → Deployment ... (the pod itself not included). */
  ownerChain: OwnerLink[];
  /** Log tail of the current container and, after a restart, of the previous one. */
  logs: { current: string[]; previous: string[] };
  metrics: MetricWindow;
  /** Why parts are missing, for the analysis and the prompt. */
  notes: string[];
}

/** The controlling workload: the last link of the owner chain, or the insight's workload hint. */
export function topOwner(ctx: PodContext): OwnerLink | null {
  const last = ctx.ownerChain[ctx.ownerChain.length - 1];
  return last ?? null;
}

export function podNode(ctx: PodContext): string | undefined {
  return ctx.node ?? ctx.insight.node;
}
