// The floor every recommended action passes, whoever proposed it (the LLM or the rules): it must be on
// the allow-list with valid params, and the params must point at the analysed pod's own namespace, pod,
// workload, containers and node, never at a protected namespace, within bounds. Anything else is dropped
// with a reason the caller logs.
import { ACTION_NAMES, RecommendedAction, type ActionName } from '../../lib/schemas.ts';
import { cpuMillis, memoryBytes } from '../../lib/quantity.ts';
import { podNode, topOwner, type PodContext } from './context-types.ts';

export interface GuardOptions {
  protectedNamespaces: readonly string[];
  minReplicas: number;
  maxReplicas: number;
  /** A new limit may be at most this many times the current one. */
  maxRaiseFactor: number;
}

export const DEFAULT_GUARD: GuardOptions = {
  protectedNamespaces: ['kube-system'],
  minReplicas: 1,
  maxReplicas: 10,
  maxRaiseFactor: 4,
};

export interface DroppedAction {
  action: string;
  reason: string;
}

const NODE_ACTIONS = new Set<ActionName>(['cordon_node', 'uncordon_node', 'drain_node']);
const HIGH_RISK = new Set<ActionName>(['cordon_node', 'drain_node']);

function describe(raw: unknown): string {
  const a = (raw as { action?: unknown })?.action;
  return typeof a === 'string' ? a.slice(0, 60) : '(no action name)';
}

/** Why one parsed action is not acceptable for this pod, or null. */
function contextProblem(a: RecommendedAction, ctx: PodContext, opts: GuardOptions): string | null {
  const ns = ctx.insight.namespace;
  if (opts.protectedNamespaces.includes(ns)) return `namespace ${ns} is protected: no actions`;
  const p = a.params as Record<string, unknown>;
  if ('namespace' in p && p.namespace !== ns) {
    return `namespace ${String(p.namespace)} is not the analysed pod's namespace ${ns}`;
  }
  if (typeof p.namespace === 'string' && opts.protectedNamespaces.includes(p.namespace)) {
    return `namespace ${p.namespace} is protected`;
  }
  switch (a.action) {
    case 'restart_pod':
      return a.params.pod === ctx.insight.pod ? null : `pod ${a.params.pod} is not the analysed pod ${ctx.insight.pod}`;
    case 'rollout_restart':
    case 'scale':
    case 'set_resources': {
      const owner = topOwner(ctx);
      if (owner) {
        if (owner.kind !== a.params.kind || owner.name !== a.params.name) {
          return `${a.params.kind}/${a.params.name} is not the pod's workload ${owner.kind}/${owner.name}`;
        }
      } else if (ctx.insight.workload !== a.params.name) {
        return `workload ${a.params.name} is not known to own the pod`;
      }
      if (a.action === 'scale') {
        const r = a.params.replicas;
        if (r < opts.minReplicas || r > opts.maxReplicas) {
          return `replicas ${r} outside bounds [${opts.minReplicas}, ${opts.maxReplicas}]`;
        }
      }
      if (a.action === 'set_resources') return resourcesProblem(a.params, ctx, opts);
      return null;
    }
    case 'cordon_node':
    case 'uncordon_node':
    case 'drain_node': {
      const node = podNode(ctx);
      if (!node) return "the pod's node is unknown";
      return a.params.node === node ? null : `node ${a.params.node} is not the pod's node ${node}`;
    }
  }
}

type SetResourcesParams = Extract<RecommendedAction, { action: 'set_resources' }>['params'];

function resourcesProblem(p: SetResourcesParams, ctx: PodContext, opts: GuardOptions): string | null {
  if (!p.limits && !p.requests) return 'set_resources without limits or requests';
  const container = ctx.containers.find((c) => c.name === p.container);
  if (ctx.containers.length > 0 && !container) return `container ${p.container} is not in the pod`;
  const checks: Array<[string, number, number]> = [
    ['memory limit', memoryBytes(p.limits?.memory), memoryBytes(container?.limits.memory)],
    ['cpu limit', cpuMillis(p.limits?.cpu), cpuMillis(container?.limits.cpu)],
  ];
  for (const [what, next, current] of checks) {
    if (!Number.isFinite(next) || !Number.isFinite(current)) continue;
    if (next < current) return `${what} would be lowered (an anomaly is not fixed by less headroom)`;
    if (next > current * opts.maxRaiseFactor) return `${what} raised more than ${opts.maxRaiseFactor}×`;
  }
  // Requests reserve capacity on the node: bounded like limits, and never above the limit they will run under.
  const requests: Array<[string, number, number, number]> = [
    [
      'memory request',
      memoryBytes(p.requests?.memory),
      memoryBytes(container?.requests.memory),
      memoryBytes(p.limits?.memory ?? container?.limits.memory),
    ],
    ['cpu request', cpuMillis(p.requests?.cpu), cpuMillis(container?.requests.cpu), cpuMillis(p.limits?.cpu ?? container?.limits.cpu)],
  ];
  for (const [what, next, current, limit] of requests) {
    if (!Number.isFinite(next)) continue;
    if (Number.isFinite(current) && next > current * opts.maxRaiseFactor) return `${what} raised more than ${opts.maxRaiseFactor}×`;
    if (Number.isFinite(limit) && next > limit) return `${what} would exceed the limit`;
  }
  return null;
}

/** Validates proposed actions; keeps the acceptable ones (deduplicated, node actions marked high risk). */
export function vetActions(
  raw: readonly unknown[],
  ctx: PodContext,
  opts: GuardOptions,
): { kept: RecommendedAction[]; dropped: DroppedAction[] } {
  const kept: RecommendedAction[] = [];
  const dropped: DroppedAction[] = [];
  const seen = new Set<string>();
  for (const item of raw) {
    const name = describe(item);
    if (!(ACTION_NAMES as string[]).includes(name)) {
      dropped.push({ action: name, reason: `"${name}" is not on the remediation allow-list` });
      continue;
    }
    const parsed = RecommendedAction.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      dropped.push({ action: name, reason: `invalid ${issue?.path.join('.') || 'action'}: ${issue?.message ?? 'does not match'}` });
      continue;
    }
    const action = parsed.data as RecommendedAction;
    const problem = contextProblem(action, ctx, opts);
    if (problem) {
      dropped.push({ action: name, reason: problem });
      continue;
    }
    if (HIGH_RISK.has(action.action)) action.risk = 'high';
    else if (NODE_ACTIONS.has(action.action) && action.risk === 'low') action.risk = 'medium';
    const key = JSON.stringify([action.action, action.params]);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(action);
  }
  return { kept, dropped };
}
