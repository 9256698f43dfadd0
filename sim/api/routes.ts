// The route table: discovery at the roots (/version, /healthz, /api, /apis/{group}/{version}), then
// `<group/version>/[namespaces/{ns}/]<resource>/...` to the resource family that serves it. A request
// with watch=true is answered by watching the list it names.
import { apiGroup, apiGroupList, apiVersions, resourceList, versionInfo } from '../discovery.ts';
import { ApiError } from '../errors.ts';
import { eventRoutes } from './events.ts';
import { leaseRoutes } from './leases.ts';
import { metricsRoutes } from './metrics.ts';
import { namespaceRoutes } from './namespaces.ts';
import { nodeRoutes } from './nodes.ts';
import { flushPodWatches } from './pod-watch.ts';
import { podRoutes } from './pods.ts';
import { policyRoutes } from './policy.ts';
import { boolParam, get, notFoundPath, ok, scope, type Ctx, type Reply, type ResourceRoute } from './request.ts';
import { watchReply } from './watch.ts';
import { workloadRoutes } from './workloads.ts';

const ROUTES: ResourceRoute[] = [
  ...podRoutes,
  ...nodeRoutes,
  ...namespaceRoutes,
  ...eventRoutes,
  ...workloadRoutes,
  ...policyRoutes,
  ...metricsRoutes,
  ...leaseRoutes,
];

/** groupVersion → resource → route. */
const TABLE = new Map<string, Map<string, ResourceRoute>>();
for (const r of ROUTES) {
  const group = TABLE.get(r.groupVersion) ?? new Map<string, ResourceRoute>();
  if (group.has(r.resource)) throw new Error(`two routes for ${r.groupVersion} ${r.resource}`);
  group.set(r.resource, r);
  TABLE.set(r.groupVersion, group);
}

const METHODS = new Set(['GET', 'HEAD', 'DELETE', 'PATCH', 'POST', 'PUT']);
const ROOT_PATHS = [
  '/api',
  '/api/v1',
  '/apis',
  '/apis/apps/v1',
  '/apis/policy/v1',
  '/apis/metrics.k8s.io/v1beta1',
  '/apis/coordination.k8s.io/v1',
  '/version',
  '/healthz',
];

export function route(ctx: Ctx): Reply {
  // Pod watchers hear of a change before any later answer (and a write's changes right after it).
  flushPodWatches(ctx.cluster);
  try {
    return dispatch(ctx);
  } finally {
    flushPodWatches(ctx.cluster);
  }
}

function dispatch(ctx: Ctx): Reply {
  const s = ctx.segs;
  if (!METHODS.has(ctx.method))
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  if (boolParam(ctx.query, 'watch')) return watchReply(ctx, route);
  if (s.length === 0) return ok({ paths: ROOT_PATHS });
  const [root, ...rest] = s;
  if (root === 'version' && rest.length === 0) return get(ctx, () => versionInfo());
  if ((root === 'healthz' || root === 'readyz' || root === 'livez') && rest.length === 0) return get(ctx, () => 'ok', 'text/plain');
  if (root === 'api') {
    if (rest.length === 0) return get(ctx, () => apiVersions(ctx.serverAddress()));
    if (rest[0] !== 'v1') throw notFoundPath(ctx);
    if (rest.length === 1) return get(ctx, () => resourceList('v1')!);
    return resource(ctx, 'v1', rest.slice(1));
  }
  if (root === 'apis') {
    if (rest.length === 0) return get(ctx, () => apiGroupList());
    const group = rest[0]!;
    if (rest.length === 1) {
      const g = apiGroup(group);
      if (!g) throw notFoundPath(ctx);
      return get(ctx, () => g);
    }
    const gv = `${group}/${rest[1]}`;
    const list = resourceList(gv);
    if (!list) throw notFoundPath(ctx);
    if (rest.length === 2) return get(ctx, () => list);
    return resource(ctx, gv, rest.slice(2));
  }
  throw notFoundPath(ctx);
}

function resource(ctx: Ctx, groupVersion: string, tail: string[]): Reply {
  const target = scope(tail);
  const r = target.resource === undefined ? undefined : TABLE.get(groupVersion)?.get(target.resource);
  if (!r || (r.clusterScoped && target.ns !== undefined)) throw notFoundPath(ctx);
  return r.handle(ctx, target);
}
