// uncordon_node: make the node schedulable again.
import { runOps } from './ops.ts';
import { nodeVerifyHint, readNode, unschedulableOp } from './node-common.ts';
import { Refusal, type Plan, type RemediationAction } from './types.ts';

export const uncordonNode: RemediationAction<'uncordon_node'> = {
  kind: 'uncordon_node',
  async plan(params, ctx): Promise<Plan> {
    const node = await readNode(ctx, params.node);
    if (!node.spec?.unschedulable) throw new Refusal('no_op', `node ${params.node} is not cordoned`);
    return {
      action: 'uncordon_node',
      resource: `node ${params.node}`,
      changes: [{ field: 'spec.unschedulable', from: 'true', to: 'false' }],
      ops: [unschedulableOp(params.node, false)],
      facts: {},
      notes: [],
    };
  },
  dryRun: (plan, ctx) => runOps(ctx.clients, plan.ops, true),
  apply: (plan, ctx) => runOps(ctx.clients, plan.ops, false),
  verifyHint: (_plan, _applied, ctx) => nodeVerifyHint(ctx, 'uncordoning the node'),
};
