// core/v1 namespaces: list (Table) and get; every scenario namespace plus default and kube-system.
import { notFound } from '../errors.ts';
import { renderNamespace } from '../render.ts';
import { checkNoWatch, get, rvString, type Ctx, type Reply, type ResourceRoute, type Target } from './request.ts';
import { maybeTable } from './tables.ts';

function namespaces(ctx: Ctx, { name }: Target): Reply {
  const c = ctx.cluster;
  if (!name) {
    checkNoWatch(ctx);
    const items = c.namespaces().map((n) => renderNamespace(n, c.clusterCreatedAt));
    return get(ctx, () => maybeTable(ctx, 'NamespaceList', 'v1', items, rvString(ctx)));
  }
  if (!c.namespaces().includes(name)) throw notFound('namespaces', name);
  return get(ctx, () => renderNamespace(name, c.clusterCreatedAt));
}

export const namespaceRoutes: ResourceRoute[] = [{ groupVersion: 'v1', resource: 'namespaces', clusterScoped: true, handle: namespaces }];
