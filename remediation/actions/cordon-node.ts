// cordon_node: mark the node unschedulable; running pods stay.
import { runOps } from './ops.ts';
import { nodeVerifyHint, readNode, unschedulableOp } from './node-common.ts';
import { Refusal, type Plan, type RemediationAction } from './types.ts';

export const cordonNode: RemediationAction<'cordon_node'> = {
  kind: 'cordon_node',
  async plan(params, ctx): Promise<Plan> {
    const node = await readNode(ctx, params.node);
    if (node.spec?.unschedulable) throw new Refusal('no_op', `node ${params.node} is already cordoned`);
    return {
      action: 'cordon_node',
      resource: `node ${params.node}`,
      changes: [{ field: 'spec.unschedulable', from: 'false', to: 'true' }],
      ops: [unschedulableOp(params.node, true)],
      facts: {},
      notes: ['pods already on the node keep running; no new pods are scheduled there'],
    };
  },
  dryRun: (plan, ctx) => runOps(ctx.clients, plan.ops, true),
  apply: (plan, ctx) => runOps(ctx.clients, plan.ops, false),
  verifyHint: (_plan, _applied, ctx) => nodeVerifyHint(ctx, 'cordoning its node'),
};
