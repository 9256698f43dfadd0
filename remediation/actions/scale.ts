// scale: set spec.replicas through the scale subresource (merge patch), as `kubectl scale` does,
// within [minReplicas, maxReplicas] and at most maxScaleStep away from the live count.
import { kubeErrorMessage } from '../../lib/kube.ts';
import { runOps } from './ops.ts';
import { Refusal, type Plan, type RemediationAction } from './types.ts';
import { analysedPodHint } from './verify-hint.ts';

export const scale: RemediationAction<'scale'> = {
  kind: 'scale',
  async plan(params, ctx): Promise<Plan> {
    let current: number;
    try {
      const s =
        params.kind === 'Deployment'
          ? await ctx.clients.apps.readNamespacedDeploymentScale({ namespace: params.namespace, name: params.name })
          : await ctx.clients.apps.readNamespacedStatefulSetScale({ namespace: params.namespace, name: params.name });
      current = s.spec?.replicas ?? 0;
    } catch (err) {
      throw new Refusal(
        'not_found',
        `cannot read the scale of ${params.kind} ${params.namespace}/${params.name}: ${kubeErrorMessage(err)}`,
      );
    }
    const { maxScaleStep } = ctx.bounds;
    if (params.replicas === current)
      throw new Refusal('no_op', `${params.kind} ${params.namespace}/${params.name} already has ${current} replicas`);
    if (Math.abs(params.replicas - current) > maxScaleStep) {
      throw new Refusal(
        'out_of_bounds',
        `scaling ${params.namespace}/${params.name} from ${current} to ${params.replicas} replicas exceeds the maximum step of ${maxScaleStep}`,
      );
    }
    const resource = params.kind === 'Deployment' ? 'deployments' : 'statefulsets';
    return {
      action: 'scale',
      resource: `${resource}/${params.name}/scale in namespace ${params.namespace}`,
      changes: [{ field: 'spec.replicas', from: String(current), to: String(params.replicas) }],
      ops: [
        {
          verb: 'patch',
          target: params.kind === 'Deployment' ? 'deployment_scale' : 'statefulset_scale',
          namespace: params.namespace,
          name: params.name,
          body: { spec: { replicas: params.replicas } },
          strategy: 'merge',
        },
      ],
      facts: { from: current, to: params.replicas },
      notes: [],
    };
  },
  dryRun: (plan, ctx) => runOps(ctx.clients, plan.ops, true),
  apply: (plan, ctx) => runOps(ctx.clients, plan.ops, false),
  verifyHint: (_plan, _applied, ctx) => analysedPodHint(ctx, `pod ${ctx.analysis.pod} no longer anomalous once load spreads`),
};
