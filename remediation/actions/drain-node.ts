// drain_node: cordon the node, then evict each pod on it through the eviction API, which honours
// PodDisruptionBudgets: a 429 means a budget forbids the eviction now; it is reported (naming the
// budget) and never forced. DaemonSet pods and static (mirror) pods are left alone, as kubectl does;
// pods without a controller and pods in protected namespaces make the drain refuse.
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { kubeErrorMessage } from '../../lib/kube.ts';
import { describeOp, sendOp, statusOf } from './ops.ts';
import { nodeVerifyHint, readNode, unschedulableOp } from './node-common.ts';
import { controllerOf, isMirrorPod } from './restart-pod.ts';
import { Refusal, type ActionContext, type KubeOp, type OpOutcome, type Plan, type RemediationAction, type StepOutcome } from './types.ts';

interface PodRef {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

function selectorMatches(sel: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const val = labels[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(val!))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(val!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The names of the PodDisruptionBudgets that select the pod (the ones that can refuse its eviction). */
export async function budgetsFor(ctx: ActionContext, pod: PodRef): Promise<string[]> {
  try {
    const list = await ctx.clients.policy.listNamespacedPodDisruptionBudget({ namespace: pod.namespace });
    return list.items
      .filter((b) => selectorMatches(b.spec?.selector, pod.labels))
      .map((b) => `${pod.namespace}/${b.metadata?.name ?? '?'}`);
  } catch {
    return [];
  }
}

function classify(pod: V1Pod): 'evict' | 'daemonset' | 'mirror' | 'finished' | 'unmanaged' {
  if (isMirrorPod(pod)) return 'mirror';
  const c = controllerOf(pod);
  if (c?.kind === 'DaemonSet') return 'daemonset';
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 'finished';
  if (!c) return 'unmanaged';
  return 'evict';
}

async function evictAll(ctx: ActionContext, plan: Plan, dryRun: boolean): Promise<StepOutcome> {
  const outcomes: OpOutcome[] = [];
  const pods = plan.facts.pods as PodRef[];
  const blocked: string[] = [];
  const failed: string[] = [];
  for (const op of plan.ops) {
    try {
      await sendOp(ctx.clients, op, dryRun);
      outcomes.push({ op: describeOp(op), ok: true });
    } catch (err) {
      const status = statusOf(err);
      const outcome: OpOutcome = { op: describeOp(op), ok: false, message: kubeErrorMessage(err), ...(status ? { status } : {}) };
      if (op.verb !== 'evict_pod') {
        // The cordon failed: evicting without it would let pods land back on the node.
        outcomes.push(outcome);
        return { ok: false, summary: `${describeOp(op)} failed: ${kubeErrorMessage(err)}; nothing evicted`, ops: outcomes };
      }
      if (status === 429) {
        const pod = pods.find((p) => p.namespace === op.namespace && p.name === op.name);
        outcome.blockedBy = pod ? await budgetsFor(ctx, pod) : [];
        blocked.push(`${op.namespace}/${op.name} (PodDisruptionBudget ${outcome.blockedBy.join(', ') || 'unknown'})`);
      } else {
        failed.push(`${op.namespace}/${op.name}: ${kubeErrorMessage(err)}`);
      }
      outcomes.push(outcome);
    }
  }
  const evicted = outcomes.filter((o) => o.ok && o.op.startsWith('EVICT')).length;
  const verb = dryRun ? 'would evict' : 'evicted';
  const parts = [`${verb} ${evicted} pod${evicted === 1 ? '' : 's'}`];
  if (blocked.length) parts.push(`eviction refused by a disruption budget (not forced): ${blocked.join('; ')}`);
  if (failed.length) parts.push(`eviction failed: ${failed.join('; ')}`);
  return { ok: blocked.length === 0 && failed.length === 0, summary: parts.join('; '), ops: outcomes, facts: { blocked, failed } };
}

export const drainNode: RemediationAction<'drain_node'> = {
  kind: 'drain_node',
  async plan(params, ctx): Promise<Plan> {
    const node = await readNode(ctx, params.node);
    let all: V1Pod[];
    try {
      all = (await ctx.clients.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${params.node}` })).items;
    } catch (err) {
      throw new Refusal('not_found', `cannot list the pods on node ${params.node}: ${kubeErrorMessage(err)}`);
    }
    const onNode = all.filter((p) => p.spec?.nodeName === params.node);
    const evict: PodRef[] = [];
    const notes: string[] = [];
    const unmanaged: string[] = [];
    const protectedPods: string[] = [];
    for (const pod of onNode) {
      const ref: PodRef = {
        namespace: pod.metadata?.namespace ?? 'default',
        name: pod.metadata?.name ?? '',
        labels: pod.metadata?.labels ?? {},
      };
      const id = `${ref.namespace}/${ref.name}`;
      const kind = classify(pod);
      if (kind === 'daemonset') notes.push(`leaves DaemonSet pod ${id}`);
      else if (kind === 'mirror') notes.push(`leaves static pod ${id}`);
      else if (kind === 'finished') notes.push(`leaves finished pod ${id}`);
      else if (kind === 'unmanaged') unmanaged.push(id);
      else if (ctx.protectedNamespaces.includes(ref.namespace)) protectedPods.push(id);
      else evict.push(ref);
    }
    if (unmanaged.length) {
      throw new Refusal('unsafe', `draining ${params.node} would delete pods no controller recreates: ${unmanaged.join(', ')}`);
    }
    if (protectedPods.length) {
      throw new Refusal(
        'protected_namespace',
        `draining ${params.node} would evict pods in protected namespaces: ${protectedPods.join(', ')}`,
      );
    }
    const ops: KubeOp[] = [];
    const changes = [];
    if (!node.spec?.unschedulable) {
      ops.push(unschedulableOp(params.node, true));
      changes.push({ field: 'spec.unschedulable', from: 'false', to: 'true' });
    }
    for (const p of evict) {
      ops.push({ verb: 'evict_pod', namespace: p.namespace, name: p.name });
      changes.push({
        field: `pod ${p.namespace}/${p.name}`,
        from: `running on ${params.node}`,
        to: 'evicted (its controller reschedules it elsewhere)',
      });
    }
    if (ops.length === 0) throw new Refusal('no_op', `node ${params.node} is already cordoned and has no pods to evict`);
    return { action: 'drain_node', resource: `node ${params.node}`, changes, ops, facts: { pods: evict }, notes };
  },
  dryRun: (plan, ctx) => evictAll(ctx, plan, true),
  apply: (plan, ctx) => evictAll(ctx, plan, false),
  verifyHint: (_plan, _applied, ctx) => nodeVerifyHint(ctx, 'draining its node'),
};
