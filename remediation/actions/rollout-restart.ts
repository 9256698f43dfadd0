// rollout_restart: what `kubectl rollout restart` does: set the kubectl.kubernetes.io/restartedAt
// annotation on the pod template (strategic merge patch), so the controller rolls every pod.
import { runOps } from './ops.ts';
import { describeWorkload, PATCH_TARGET, readWorkload } from './workload.ts';
import type { Plan, RemediationAction } from './types.ts';
import { analysedPodHint } from './verify-hint.ts';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export const rolloutRestart: RemediationAction<'rollout_restart'> = {
  kind: 'rollout_restart',
  async plan(params, ctx): Promise<Plan> {
    const live = await readWorkload(ctx, params.kind, params.namespace, params.name);
    const old = live.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
    const stamp = ctx.now().toISOString();
    return {
      action: 'rollout_restart',
      resource: describeWorkload(params.kind, params.namespace, params.name),
      changes: [{ field: `spec.template.metadata.annotations["${RESTARTED_AT}"]`, from: old ?? '(unset)', to: stamp }],
      ops: [
        {
          verb: 'patch',
          target: PATCH_TARGET[params.kind],
          namespace: params.namespace,
          name: params.name,
          body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } } },
          strategy: 'strategic',
        },
      ],
      facts: { replicas: (live.spec as { replicas?: number } | undefined)?.replicas },
      notes: [],
    };
  },
  dryRun: (plan, ctx) => runOps(ctx.clients, plan.ops, true),
  apply: (plan, ctx) => runOps(ctx.clients, plan.ops, false),
  verifyHint: (_plan, _applied, ctx) =>
    analysedPodHint(ctx, `the rolled pods of ${ctx.analysis.owner?.name ?? ctx.analysis.pod} no longer anomalous`),
};
