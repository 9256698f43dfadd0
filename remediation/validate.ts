// Checks that need no cluster, made before any request: the parameters parse against the allow-list
// (only typed params ever reach the API; the LLM's prose never does), the target is in the analysed
// pod's namespace and not a protected one, and numbers are within the configured bounds.
import { ActionParams, ACTION_NAMES, type ActionName, type PodAnalysis } from '../lib/schemas.ts';
import type { Bounds } from './config.ts';
import { memoryBytesOrNull, quantityValue } from '../lib/quantity.ts';

export type Validated = { ok: true; action: ActionName; params: Record<string, unknown> } | { ok: false; code: string; reason: string };

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

function refuse(code: string, reason: string): Validated {
  return { ok: false, code, reason };
}

export function checkResourceBounds(
  section: 'requests' | 'limits',
  res: { cpu?: string | undefined; memory?: string | undefined } | undefined,
  bounds: Bounds,
): string | null {
  if (!res) return null;
  if (res.cpu !== undefined) {
    const v = quantityValue(res.cpu);
    if (v === null) return `${section}.cpu "${res.cpu}" is not a quantity`;
    if (v > quantityValue(bounds.maxCpu)!) return `${section}.cpu ${res.cpu} exceeds the maximum ${bounds.maxCpu} per container`;
    if (v < quantityValue(bounds.minCpu)!) return `${section}.cpu ${res.cpu} is below the minimum ${bounds.minCpu} per container`;
  }
  if (res.memory !== undefined) {
    const v = memoryBytesOrNull(res.memory);
    if (v === null) return `${section}.memory "${res.memory}" is not a quantity`;
    if (v > memoryBytesOrNull(bounds.maxMemory)!)
      return `${section}.memory ${res.memory} exceeds the maximum ${bounds.maxMemory} per container`;
    if (v < memoryBytesOrNull(bounds.minMemory)!)
      return `${section}.memory ${res.memory} is below the minimum ${bounds.minMemory} per container`;
  }
  return null;
}

export function validateAction(
  action: string,
  rawParams: unknown,
  analysis: Pick<PodAnalysis, 'namespace' | 'node'> & Partial<Pick<PodAnalysis, 'pod' | 'owner'>>,
  opts: { bounds: Bounds; protectedNamespaces: readonly string[] },
): Validated {
  if (!(ACTION_NAMES as string[]).includes(action)) return refuse('not_allowed', `"${action}" is not on the remediation allow-list`);
  const name = action as ActionName;
  const parsed = ActionParams[name].safeParse(rawParams);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse('invalid_params', `parameters of ${name} are invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const params = parsed.data as Record<string, unknown>;
  const { bounds, protectedNamespaces } = opts;
  // The analysed pod's namespace guards node actions too: a kube-system pod's anomaly is not ours to act on.
  for (const ns of [analysis.namespace, params.namespace as string | undefined]) {
    if (ns !== undefined && protectedNamespaces.includes(ns)) return refuse('protected_namespace', `namespace ${ns} is protected`);
  }
  if (typeof params.namespace === 'string' && params.namespace !== analysis.namespace) {
    return refuse('wrong_target', `${name} targets namespace ${params.namespace}, but the anomaly is in ${analysis.namespace}`);
  }
  // The anomaly's own pod and workload only: an action elsewhere needs its own analysis.
  if (name === 'restart_pod' && analysis.pod && params.pod !== analysis.pod) {
    return refuse('wrong_target', `restart_pod targets pod ${String(params.pod)}, but the anomaly is on ${analysis.pod}`);
  }
  const owner = analysis.owner;
  if (
    typeof params.kind === 'string' &&
    owner &&
    WORKLOAD_KINDS.includes(owner.kind) &&
    (params.kind !== owner.kind || params.name !== owner.name)
  ) {
    return refuse(
      'wrong_target',
      `${name} targets ${params.kind} ${String(params.name)}, but the pod belongs to ${owner.kind} ${owner.name}`,
    );
  }
  if (typeof params.node === 'string' && analysis.node && params.node !== analysis.node) {
    return refuse('wrong_target', `${name} targets node ${params.node}, but the pod runs on ${analysis.node}`);
  }
  if (name === 'scale') {
    const r = params.replicas as number;
    if (r > bounds.maxReplicas) return refuse('out_of_bounds', `replicas ${r} exceeds maxReplicas ${bounds.maxReplicas}`);
    if (r < bounds.minReplicas) return refuse('out_of_bounds', `replicas ${r} is below minReplicas ${bounds.minReplicas}`);
  }
  if (name === 'set_resources') {
    const p = params as { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
    if (!p.requests && !p.limits) return refuse('invalid_params', 'set_resources needs requests or limits');
    const why = checkResourceBounds('requests', p.requests, bounds) ?? checkResourceBounds('limits', p.limits, bounds);
    if (why) return refuse('out_of_bounds', why);
  }
  return { ok: true, action: name, params };
}
