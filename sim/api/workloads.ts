// apps/v1 workloads: Deployments, StatefulSets and DaemonSets share their routes (list with selectors,
// pagination and kubectl's Table; get, patch, put, status; the autoscaling/v1 scale subresource except
// for DaemonSets); only the lookup, the shape and the columns differ. ReplicaSets: list and get.
import { ApiError, notFound } from '../errors.ts';
import { listOf, renderDaemonSet, renderDeployment, renderReplicaSet, renderScale, renderStatefulSet } from '../render.ts';
import { fieldMatcher, labelMatcher } from '../selectors.ts';
import {
  checkNoWatch,
  get,
  methodNotAllowed,
  notFoundPath,
  objectKey,
  ok,
  paginate,
  rvString,
  type Ctx,
  type Obj,
  type Reply,
  type ResourceRoute,
  type Target,
} from './request.ts';
import { ageOf, maybeTable, table, wantsTable, type Column } from './tables.ts';

type Resource = 'deployments' | 'statefulsets' | 'daemonsets';

/** kubectl's columns for each kind (besides Name first and, where it comes last, Age). */
const COLUMNS: Record<Resource, { columns: Column[]; cells: (o: Obj, age: string) => unknown[] }> = {
  daemonsets: {
    columns: [
      { name: 'Desired', type: 'integer' },
      { name: 'Current', type: 'integer' },
      { name: 'Ready', type: 'integer' },
      { name: 'Up-to-date', type: 'integer' },
      { name: 'Available', type: 'integer' },
      { name: 'Age', type: 'string' },
    ],
    cells: (o, age) => {
      const st = o.status as Obj;
      return [st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady, st.updatedNumberScheduled, st.numberAvailable, age];
    },
  },
  statefulsets: {
    columns: [
      { name: 'Ready', type: 'string' },
      { name: 'Age', type: 'string' },
    ],
    cells: (o, age) => [`${Number((o.status as Obj).readyReplicas ?? 0)}/${Number((o.spec as Obj).replicas)}`, age],
  },
  deployments: {
    columns: [
      { name: 'Ready', type: 'string' },
      { name: 'Up-to-date', type: 'integer' },
      { name: 'Available', type: 'integer' },
      { name: 'Age', type: 'string' },
    ],
    cells: (o, age) => {
      const st = o.status as Obj;
      return [`${Number(st.readyReplicas ?? 0)}/${Number((o.spec as Obj).replicas)}`, st.updatedReplicas, st.availableReplicas, age];
    },
  },
};

const LIST_KIND: Record<Resource, string> = { deployments: 'DeploymentList', statefulsets: 'StatefulSetList', daemonsets: 'DaemonSetList' };

function workloads(resource: Resource): ResourceRoute['handle'] {
  const sts = resource === 'statefulsets';
  const ds = resource === 'daemonsets';
  const render = sts ? renderStatefulSet : ds ? renderDaemonSet : renderDeployment;
  return (ctx: Ctx, { ns, name, sub }: Target): Reply => {
    const c = ctx.cluster;
    const lookup = (namespace: string, n: string) =>
      sts ? c.getStatefulSet(namespace, n) : ds ? c.getDaemonSet(namespace, n) : c.getDeployment(namespace, n);
    const patch = (namespace: string, n: string, replace: boolean) =>
      sts
        ? c.patchStatefulSet(namespace, n, ctx.contentType, ctx.body, ctx.dryRun, replace)
        : ds
          ? c.patchDaemonSet(namespace, n, ctx.contentType, ctx.body, ctx.dryRun, replace)
          : c.patchDeployment(namespace, n, ctx.contentType, ctx.body, ctx.dryRun, replace);
    if (!name) {
      checkNoWatch(ctx);
      const labelOk = labelMatcher(ctx.query.labelSelector);
      const fieldOk = fieldMatcher(ctx.query.fieldSelector, ['metadata.name', 'metadata.namespace']);
      const items = (sts ? c.statefulSetList() : ds ? c.daemonSetList() : c.deploymentList())
        .filter((d) => !ns || d.namespace === ns)
        .filter((d) => labelOk(d.obj.metadata.labels))
        .map((d) => render(c, d))
        .filter((o) => fieldOk(o));
      const rv = rvString(ctx);
      const { page, cont, remaining } = paginate(items, objectKey, ctx.query, rv);
      if (wantsTable(ctx)) {
        const now = c.now();
        const kind = COLUMNS[resource];
        return get(ctx, () =>
          table(
            [{ name: 'Name', type: 'string', format: 'name' }, ...kind.columns],
            page.map((o) => ({ cells: [(o.metadata as Obj).name, ...kind.cells(o, ageOf(now, o))], object: o })),
            ctx.query.includeObject ?? 'Metadata',
            rv,
            cont,
          ),
        );
      }
      return get(ctx, () => listOf(LIST_KIND[resource], 'apps/v1', page, rv, cont, remaining));
    }
    if (!ns) throw notFoundPath(ctx);
    const wl = lookup(ns, name);
    if (sub.length === 0) {
      if (ctx.method === 'GET') {
        if (!wl) throw notFound(resource, name, 'apps');
        return ok(render(c, wl));
      }
      if (ctx.method === 'PATCH') return ok(render(c, patch(ns, name, false)));
      if (ctx.method === 'PUT') return ok(render(c, patch(ns, name, true)));
      throw methodNotAllowed();
    }
    if (sub[0] === 'scale' && sub.length === 1 && !ds) {
      if (!wl) throw notFound(resource, name, 'apps');
      if (ctx.method === 'GET') return ok(renderScale(wl));
      if (ctx.method === 'PUT' || ctx.method === 'PATCH') {
        let replicas: unknown;
        if (ctx.method === 'PUT') replicas = ((ctx.body as Obj | undefined)?.spec as Obj | undefined)?.replicas;
        else {
          const patched = applyScalePatch(ctx, renderScale(wl));
          replicas = (patched.spec as Obj | undefined)?.replicas;
        }
        if (typeof replicas !== 'number')
          throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Required value`);
        return ok(renderScale(c.setReplicas(wl, replicas, ctx.dryRun)));
      }
      throw methodNotAllowed();
    }
    if (sub[0] === 'status' && sub.length === 1) {
      if (!wl) throw notFound(resource, name, 'apps');
      return get(ctx, () => render(c, wl));
    }
    throw notFoundPath(ctx);
  };
}

function applyScalePatch(ctx: Ctx, scale: Obj): Obj {
  // Scale patches are small; reuse the generic patch code on the Scale object.
  const body = ctx.body;
  const type = (ctx.contentType ?? '').split(';')[0]!.trim();
  if (type === 'application/json-patch+json') {
    const ops = body as { op?: string; path?: string; value?: unknown }[];
    if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
    const out = structuredClone(scale);
    for (const op of ops)
      if (op.path === '/spec/replicas' && (op.op === 'replace' || op.op === 'add')) (out.spec as Obj).replicas = op.value;
    return out;
  }
  if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
    );
  }
  const spec = ((body as Obj | undefined)?.spec ?? {}) as Obj;
  return { ...scale, spec: { ...(scale.spec as Obj), ...spec } };
}

/** A Deployment's ReplicaSets (its revisions), listed and read. */
function replicaSets(ctx: Ctx, { ns, name, sub }: Target): Reply {
  const c = ctx.cluster;
  const all = c
    .deploymentList()
    .filter((d) => !ns || d.namespace === ns)
    .flatMap((d) => d.replicaSets.map((rs) => ({ d, rs })));
  if (!name) {
    checkNoWatch(ctx);
    const labelOk = labelMatcher(ctx.query.labelSelector);
    const items = all
      .map(({ d, rs }) => renderReplicaSet(c, d, rs))
      .filter((o) => labelOk(((o.metadata as Obj).labels ?? {}) as Record<string, string>));
    return get(ctx, () => maybeTable(ctx, 'ReplicaSetList', 'apps/v1', items, rvString(ctx)));
  }
  const hit = all.find(({ rs }) => rs.name === name);
  if (!hit || sub.length) throw hit ? notFoundPath(ctx) : notFound('replicasets', name, 'apps');
  return get(ctx, () => renderReplicaSet(c, hit.d, hit.rs));
}

export const workloadRoutes: ResourceRoute[] = [
  { groupVersion: 'apps/v1', resource: 'deployments', handle: workloads('deployments') },
  { groupVersion: 'apps/v1', resource: 'statefulsets', handle: workloads('statefulsets') },
  { groupVersion: 'apps/v1', resource: 'daemonsets', handle: workloads('daemonsets') },
  { groupVersion: 'apps/v1', resource: 'replicasets', handle: replicaSets },
];
