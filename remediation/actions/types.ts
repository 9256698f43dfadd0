// One interface for every remediation action kind (one module per kind, as k8sgpt has one analyzer per
// resource): plan() reads the live object and describes the exact operation; dryRun() sends it with
// dryRun=All; apply() sends it for real; verifyHint() says which pods must be free of the anomaly.
import type { KubeClients } from '../../lib/kube.ts';
import type { ActionName, ActionParams, PodAnalysis } from '../../lib/schemas.ts';
import type { Bounds } from '../config.ts';
import type { z } from 'zod';

export type ParamsOf<K extends ActionName> = z.infer<(typeof ActionParams)[K]>;

export interface ActionContext {
  clients: KubeClients;
  bounds: Bounds;
  protectedNamespaces: readonly string[];
  analysis: PodAnalysis;
  /** The clock, injectable so a rollout_restart's timestamp is reproducible in tests. */
  now: () => Date;
}

/** One field the operation changes: shown to the person as `field: from → to`. */
export interface Change {
  field: string;
  from: string;
  to: string;
}

/** Kubernetes write requests an action is made of; the same list is sent as a dry run and then for real. */
export type PatchTarget = 'deployment' | 'statefulset' | 'daemonset' | 'deployment_scale' | 'statefulset_scale' | 'node';
export type KubeOp =
  | { verb: 'delete_pod'; namespace: string; name: string }
  | { verb: 'evict_pod'; namespace: string; name: string }
  | {
      verb: 'patch';
      target: PatchTarget;
      namespace?: string;
      name: string;
      body: Record<string, unknown>;
      strategy: 'strategic' | 'merge';
    };

export interface Plan {
  action: ActionName;
  /** e.g. "deployments/web in namespace shop" or "node worker-1". */
  resource: string;
  changes: Change[];
  ops: KubeOp[];
  /** Facts read while planning that apply/verify need (the pod's controller, the pods on a node...). */
  facts: Record<string, unknown>;
  /** Notes for the person (pods a drain leaves alone, and why). */
  notes: string[];
}

export interface OpOutcome {
  op: string;
  ok: boolean;
  status?: number;
  message?: string;
  /** For a refused eviction: the PodDisruptionBudget(s) that forbade it. */
  blockedBy?: string[];
}

export interface StepOutcome {
  ok: boolean;
  summary: string;
  ops: OpOutcome[];
  /** Facts found while applying (e.g. the replacement pod's name). */
  facts?: Record<string, unknown>;
}

/** Which pods verification looks at in pod_insights.json. */
export interface VerifyHint {
  namespace: string;
  /** Pods by name: the analysed pod, and its replacements when they are known. */
  pods: string[];
  /** Pods whose name starts with this belong to the same workload (e.g. "web-"): replacements. */
  workloadPrefix?: string;
  /** Only `pods` count (when there are any): no fallback to the workload's other pods. */
  exact?: boolean;
  /** Pods that are no evidence either way (a deleted pod's last, stale insight). */
  excludePods?: string[];
  description: string;
}

export interface RemediationAction<K extends ActionName> {
  readonly kind: K;
  plan(params: ParamsOf<K>, ctx: ActionContext): Promise<Plan>;
  dryRun(plan: Plan, ctx: ActionContext): Promise<StepOutcome>;
  apply(plan: Plan, ctx: ActionContext): Promise<StepOutcome>;
  verifyHint(plan: Plan, applied: StepOutcome, ctx: ActionContext): VerifyHint;
}

/** Thrown by plan() when the operation must not be proposed (bounds, protected namespace, no-op, unsafe). */
export class Refusal extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
