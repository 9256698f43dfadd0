// What verification watches after an action on the analysed pod, its node or its workload: that pod, or
// (once it is replaced) its workload's pods, no longer anomalous.
import type { ActionContext, VerifyHint } from './types.ts';

export function analysedPodHint(ctx: ActionContext, description: string): VerifyHint {
  const owner = ctx.analysis.owner?.name;
  return {
    namespace: ctx.analysis.namespace,
    pods: [ctx.analysis.pod],
    ...(owner ? { workloadPrefix: `${owner}-` } : {}),
    description,
  };
}
