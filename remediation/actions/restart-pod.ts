// restart_pod: delete the pod; its controller (a ReplicaSet, StatefulSet...) creates a fresh one.
// A pod without a controller would be gone for good, so it is refused, as is a static (mirror) pod.
import type { V1Pod } from '@kubernetes/client-node';
import { kubeErrorMessage } from '../../lib/kube.ts';
import { runOps } from './ops.ts';
import { Refusal, type ActionContext, type Plan, type RemediationAction, type StepOutcome } from './types.ts';

export function controllerOf(pod: V1Pod): { kind: string; name: string; uid: string } | null {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  return ref ? { kind: ref.kind, name: ref.name, uid: ref.uid } : null;
}

export function isMirrorPod(pod: V1Pod): boolean {
  return !!pod.metadata?.annotations?.['kubernetes.io/config.mirror'];
}

/** The workload prefix of a controller-made pod name: "web-7d9f8-abcde" → "web-" (Deployment), "db-0" → "db-". */
export function workloadPrefix(pod: V1Pod, ownerName?: string): string | undefined {
  if (ownerName) return `${ownerName}-`;
  const c = controllerOf(pod);
  if (!c) return undefined;
  // A ReplicaSet is named <deployment>-<hash>; its pods share the deployment name as prefix.
  const name = c.kind === 'ReplicaSet' ? c.name.replace(/-[a-z0-9]{5,10}$/, '') : c.name;
  return `${name}-`;
}

async function podsOfController(ctx: ActionContext, namespace: string, uid: string): Promise<{ name: string; uid: string }[]> {
  const list = await ctx.clients.core.listNamespacedPod({ namespace });
  return list.items.filter((p) => controllerOf(p)?.uid === uid).map((p) => ({ name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '' }));
}

export const restartPod: RemediationAction<'restart_pod'> = {
  kind: 'restart_pod',
  async plan(params, ctx): Promise<Plan> {
    let pod: V1Pod;
    try {
      pod = await ctx.clients.core.readNamespacedPod({ namespace: params.namespace, name: params.pod });
    } catch (err) {
      throw new Refusal('not_found', `cannot read pod ${params.namespace}/${params.pod}: ${kubeErrorMessage(err)}`);
    }
    if (isMirrorPod(pod))
      throw new Refusal('unsafe', `pod ${params.namespace}/${params.pod} is a static (mirror) pod: deleting it does not restart it`);
    const controller = controllerOf(pod);
    if (!controller) {
      throw new Refusal('unsafe', `pod ${params.namespace}/${params.pod} has no controller: deleting it would not bring it back`);
    }
    const before = await podsOfController(ctx, params.namespace, controller.uid);
    const phase = pod.status?.phase ?? 'Unknown';
    const restarts = (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    return {
      action: 'restart_pod',
      resource: `pods/${params.pod} in namespace ${params.namespace}`,
      changes: [
        {
          field: 'pod',
          from: `exists (phase ${phase}, ${restarts} container restarts, uid ${pod.metadata?.uid ?? '?'})`,
          to: `deleted; ${controller.kind} ${controller.name} creates a replacement`,
        },
      ],
      ops: [{ verb: 'delete_pod', namespace: params.namespace, name: params.pod }],
      facts: {
        controller,
        workloadPrefix: workloadPrefix(pod, ctx.analysis.owner?.name),
        podsBefore: before.map((p) => p.name),
        podUidsBefore: before.map((p) => p.uid),
      },
      notes: [],
    };
  },
  dryRun: (plan, ctx) => runOps(ctx.clients, plan.ops, true),
  async apply(plan, ctx): Promise<StepOutcome> {
    const out = await runOps(ctx.clients, plan.ops, false);
    if (!out.ok) return out;
    // The controller's new pods are the replacement: verification follows them.
    const controller = plan.facts.controller as { uid: string };
    // By uid: a StatefulSet recreates the pod under the same name, and that new pod is the replacement.
    const before = new Set(plan.facts.podUidsBefore as string[]);
    const ns = (plan.ops[0] as { namespace: string }).namespace;
    try {
      const after = await podsOfController(ctx, ns, controller.uid);
      const replacements = after.filter((p) => !before.has(p.uid)).map((p) => p.name);
      return { ...out, summary: `${out.summary}; replacement: ${replacements.join(', ') || '(not yet created)'}`, facts: { replacements } };
    } catch {
      return out;
    }
  },
  verifyHint(plan, applied, ctx) {
    const replacements = (applied.facts?.replacements as string[] | undefined) ?? [];
    const prefix = plan.facts.workloadPrefix as string | undefined;
    return {
      namespace: ctx.analysis.namespace,
      // The deleted pod's last insight predates the restart: only its replacement counts.
      pods: replacements,
      ...(prefix ? { workloadPrefix: prefix } : {}),
      // A replacement under the deleted pod's own name (StatefulSet) is the evidence, not stale.
      excludePods: replacements.includes(ctx.analysis.pod) ? [] : [ctx.analysis.pod],
      exact: replacements.length > 0,
      description: `pod ${ctx.analysis.pod} or its replacement${replacements.length ? ` (${replacements.join(', ')})` : ''} no longer anomalous`,
    };
  },
};
