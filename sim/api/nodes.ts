// core/v1 nodes: list (selectors, Table), get, patch (cordon), and the kubelet's cAdvisor page through
// the API server proxy.
import { notFound } from '../errors.ts';
import { cadvisorPage } from '../prometheus.ts';
import { listOf, renderNode } from '../render.ts';
import { fieldMatcher, labelMatcher } from '../selectors.ts';
import {
  checkNoWatch,
  get,
  methodNotAllowed,
  notFoundPath,
  ok,
  rvString,
  type Ctx,
  type Obj,
  type Reply,
  type ResourceRoute,
  type Target,
} from './request.ts';
import { ageOf, table, wantsTable } from './tables.ts';

function nodes(ctx: Ctx, { name, sub }: Target): Reply {
  const c = ctx.cluster;
  if (!name) {
    checkNoWatch(ctx);
    const labelOk = labelMatcher(ctx.query.labelSelector);
    const fieldOk = fieldMatcher(ctx.query.fieldSelector, ['metadata.name', 'spec.unschedulable']);
    const items = c
      .nodeList()
      .map((n) => renderNode(c, n))
      .filter((o) => labelOk(((o.metadata as Obj).labels ?? {}) as Record<string, string>) && fieldOk(o));
    if (wantsTable(ctx)) {
      const now = c.now();
      return get(ctx, () =>
        table(
          [
            { name: 'Name', type: 'string', format: 'name' },
            { name: 'Status', type: 'string' },
            { name: 'Roles', type: 'string' },
            { name: 'Age', type: 'string' },
            { name: 'Version', type: 'string' },
          ],
          items.map((o) => {
            const meta = o.metadata as Obj;
            const spec = o.spec as Obj;
            return {
              cells: [meta.name, spec.unschedulable === true ? 'Ready,SchedulingDisabled' : 'Ready', '<none>', ageOf(now, o), 'v1.31.0'],
              object: o,
            };
          }),
          ctx.query.includeObject ?? 'Metadata',
          rvString(ctx),
        ),
      );
    }
    return get(ctx, () => listOf('NodeList', 'v1', items, rvString(ctx)));
  }
  const node = c.getNode(name);
  if (sub.length === 0) {
    if (ctx.method === 'GET') {
      if (!node) throw notFound('nodes', name);
      return ok(renderNode(c, node));
    }
    if (ctx.method === 'PATCH') return ok(renderNode(c, c.patchNode(name, ctx.contentType, ctx.body, ctx.dryRun)));
    throw methodNotAllowed();
  }
  if (sub[0] === 'proxy' && sub.slice(1).join('/') === 'metrics/cadvisor') {
    if (!node) throw notFound('nodes', name);
    return get(ctx, () => cadvisorPage(c, name), 'text/plain; version=0.0.4; charset=utf-8');
  }
  throw notFoundPath(ctx);
}

export const nodeRoutes: ResourceRoute[] = [{ groupVersion: 'v1', resource: 'nodes', clusterScoped: true, handle: nodes }];
