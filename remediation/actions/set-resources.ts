// set_resources: change one container's CPU/memory requests and limits in the pod template
// (strategic merge patch: containers merge by name, so the other containers are untouched).
import { quantityValue } from '../../lib/quantity.ts';
import { runOps } from './ops.ts';
import { describeWorkload, PATCH_TARGET, readWorkload } from './workload.ts';
import { Refusal, type Change, type Plan, type RemediationAction } from './types.ts';
import { analysedPodHint } from './verify-hint.ts';

type Res = { cpu?: string; memory?: string };

export const setResources: RemediationAction<'set_resources'> = {
  kind: 'set_resources',
  async plan(params, ctx): Promise<Plan> {
    const live = await readWorkload(ctx, params.kind, params.namespace, params.name);
    const containers = live.spec?.template?.spec?.containers ?? [];
    const container = containers.find((c) => c.name === params.container);
    if (!container) {
      throw new Refusal(
        'not_found',
        `${params.kind} ${params.namespace}/${params.name} has no container "${params.container}" (has: ${containers.map((c) => c.name).join(', ') || 'none'})`,
      );
    }
    const current = {
      requests: { ...(container.resources?.requests ?? {}) } as Record<string, string>,
      limits: { ...(container.resources?.limits ?? {}) } as Record<string, string>,
    };
    const changes: Change[] = [];
    const resources: { requests?: Res; limits?: Res } = {};
    for (const section of ['requests', 'limits'] as const) {
      const wanted = params[section];
      if (!wanted) continue;
      for (const res of ['cpu', 'memory'] as const) {
        const to = wanted[res];
        if (to === undefined) continue;
        const from = current[section][res];
        if (from !== undefined && quantityValue(from) === quantityValue(to)) continue;
        changes.push({
          field: `spec.template.spec.containers[${params.container}].resources.${section}.${res}`,
          from: from ?? '(unset)',
          to,
        });
        (resources[section] ??= {})[res] = to;
        current[section][res] = to;
      }
    }
    if (changes.length === 0) throw new Refusal('no_op', `container ${params.container} already has these resources`);
    // A request above its limit is rejected by the API server; say so before anything is sent.
    for (const res of ['cpu', 'memory'] as const) {
      const req = quantityValue(current.requests[res]);
      const lim = quantityValue(current.limits[res]);
      if (req !== null && lim !== null && req > lim) {
        throw new Refusal('invalid', `the ${res} request ${current.requests[res]} would exceed the ${res} limit ${current.limits[res]}`);
      }
    }
    return {
      action: 'set_resources',
      resource: describeWorkload(params.kind, params.namespace, params.name),
      changes,
      ops: [
        {
          verb: 'patch',
          target: PATCH_TARGET[params.kind],
          namespace: params.namespace,
          name: params.name,
          body: { spec: { template: { spec: { containers: [{ name: params.container, resources }] } } } },
          strategy: 'strategic',
        },
      ],
      facts: {},
      notes: ["changing the pod template rolls the workload's pods"],
    };
  },
  dryRun: (plan, ctx) => runOps(ctx.clients, plan.ops, true),
  apply: (plan, ctx) => runOps(ctx.clients, plan.ops, false),
  verifyHint: (_plan, _applied, ctx) =>
    analysedPodHint(ctx, `the pods of ${ctx.analysis.owner?.name ?? ctx.analysis.pod} no longer anomalous with the new resources`),
};
