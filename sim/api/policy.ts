// policy/v1 PodDisruptionBudgets: list (Table) and get, their status computed live. (Evictions are a
// pod subresource: pods.ts.)
import { notFound } from '../errors.ts';
import { renderPdb } from '../render.ts';
import { checkNoWatch, get, rvString, type Ctx, type Reply, type ResourceRoute, type Target } from './request.ts';
import { maybeTable } from './tables.ts';

function pdbs(ctx: Ctx, { ns, name }: Target): Reply {
  const c = ctx.cluster;
  const items = c.pdbObjects().filter((p) => !ns || p.namespace === ns);
  if (!name) {
    checkNoWatch(ctx);
    return get(ctx, () =>
      maybeTable(
        ctx,
        'PodDisruptionBudgetList',
        'policy/v1',
        items.map((p) => renderPdb(c, p)),
        rvString(ctx),
      ),
    );
  }
  const pdb = items.find((p) => p.name === name);
  if (!pdb) throw notFound('poddisruptionbudgets', name, 'policy');
  return get(ctx, () => renderPdb(c, pdb));
}

export const policyRoutes: ResourceRoute[] = [{ groupVersion: 'policy/v1', resource: 'poddisruptionbudgets', handle: pdbs }];
