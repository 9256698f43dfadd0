// Shared by the node actions: read a node and build the spec.unschedulable patch (what kubectl cordon sends).
import type { V1Node } from '@kubernetes/client-node';
import { kubeErrorMessage } from '../../lib/kube.ts';
import { Refusal, type ActionContext, type KubeOp, type VerifyHint } from './types.ts';
import { analysedPodHint } from './verify-hint.ts';

export async function readNode(ctx: ActionContext, name: string): Promise<V1Node> {
  try {
    return await ctx.clients.core.readNode({ name });
  } catch (err) {
    throw new Refusal('not_found', `cannot read node ${name}: ${kubeErrorMessage(err)}`);
  }
}

export function unschedulableOp(node: string, value: boolean): KubeOp {
  return { verb: 'patch', target: 'node', name: node, body: { spec: { unschedulable: value } }, strategy: 'strategic' };
}

export function nodeVerifyHint(ctx: ActionContext, what: string): VerifyHint {
  return analysedPodHint(ctx, `pod ${ctx.analysis.pod} no longer anomalous after ${what}`);
}
