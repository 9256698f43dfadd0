// core/v1 pods: list (selectors, pagination, Table), get, delete, status, logs and the policy/v1
// eviction subresource.
import type { SimPod } from '../cluster.ts';
import { ApiError, notFound, statusObject } from '../errors.ts';
import { podLogs } from '../logs.ts';
import { listOf, renderPod } from '../render.ts';
import { trackPods } from './pod-watch.ts';
import { fieldMatcher, labelMatcher } from '../selectors.ts';
import {
  boolParam,
  checkNoWatch,
  get,
  intParam,
  listKey,
  methodNotAllowed,
  notFoundPath,
  ok,
  paginate,
  rvString,
  type Ctx,
  type Obj,
  type Reply,
  type ResourceRoute,
  type Target,
} from './request.ts';
import { age, table, wantsTable } from './tables.ts';

function pods(ctx: Ctx, { ns, name, sub }: Target): Reply {
  const c = ctx.cluster;
  if (!name) {
    checkNoWatch(ctx);
    return get(ctx, () => listPods(ctx, ns));
  }
  if (!ns) throw notFoundPath(ctx);
  const pod = c.getPod(ns, name);
  if (sub.length === 0) {
    if (ctx.method === 'GET') {
      if (!pod) throw notFound('pods', name);
      return ok(renderPod(c, pod));
    }
    if (ctx.method === 'DELETE') {
      const gone = c.deletePod(ns, name, ctx.dryRun);
      return ok(renderPod(c, gone, true));
    }
    throw methodNotAllowed();
  }
  if (sub[0] === 'log' && sub.length === 1) {
    if (ctx.method !== 'GET') throw methodNotAllowed();
    if (!pod) throw notFound('pods', name);
    if (boolParam(ctx.query, 'follow')) throw new ApiError(400, 'BadRequest', 'follow is not supported by podsentinel-sim');
    const text = podLogs(c, pod, {
      previous: boolParam(ctx.query, 'previous'),
      timestamps: boolParam(ctx.query, 'timestamps'),
      ...(ctx.query.container ? { container: ctx.query.container } : {}),
      ...optionalInt(ctx.query, 'tailLines'),
      ...optionalInt(ctx.query, 'sinceSeconds'),
      ...optionalInt(ctx.query, 'limitBytes'),
    });
    return ok(text, 200, 'text/plain');
  }
  if (sub[0] === 'eviction' && sub.length === 1) {
    if (ctx.method !== 'POST') throw methodNotAllowed();
    const body = ctx.body as Obj | undefined;
    if (body && typeof body === 'object' && body.kind !== undefined && body.kind !== 'Eviction') {
      throw new ApiError(400, 'BadRequest', `expected kind Eviction, got ${String(body.kind)}`);
    }
    c.evictPod(ns, name, ctx.dryRun);
    return ok(statusObject(201, '', ''), 201);
  }
  if (sub[0] === 'status' && sub.length === 1) {
    if (ctx.method !== 'GET') throw methodNotAllowed();
    if (!pod) throw notFound('pods', name);
    return ok(renderPod(c, pod));
  }
  throw notFoundPath(ctx);
}

function optionalInt(
  query: Record<string, string>,
  name: 'tailLines' | 'sinceSeconds' | 'limitBytes',
): Partial<Record<typeof name, number>> {
  const v = intParam(query, name);
  return v === undefined ? {} : { [name]: v };
}

function listPods(ctx: Ctx, ns: string | undefined): Obj {
  const c = ctx.cluster;
  trackPods(c); // a watch from this list's resourceVersion can then be served
  const labelOk = labelMatcher(ctx.query.labelSelector);
  const fieldSel = ctx.query.fieldSelector;
  const fieldOk = fieldMatcher(fieldSel, [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'status.phase',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.podIP',
  ]);
  let source: SimPod[] = c.sortedPodList();
  if (ns) source = source.filter((p) => p.namespace === ns);
  if (ctx.query.labelSelector) source = source.filter((p) => labelOk(p.labels));
  let items: SimPod[] = source;
  if (fieldSel) items = source.filter((p) => fieldOk(renderPod(c, p)));
  const rv = rvString(ctx);
  const { page, cont, remaining } = paginate(items, (p) => listKey(p.namespace, p.name), ctx.query, rv);
  const rendered = page.map((p) => renderPod(c, p));
  if (wantsTable(ctx)) {
    const now = c.now();
    return table(
      [
        { name: 'Name', type: 'string', format: 'name' },
        { name: 'Ready', type: 'string' },
        { name: 'Status', type: 'string' },
        { name: 'Restarts', type: 'string' },
        { name: 'Age', type: 'string' },
        { name: 'IP', type: 'string', priority: 1 },
        { name: 'Node', type: 'string', priority: 1 },
      ],
      page.map((p, i) => ({
        cells: [
          p.name,
          `${c.isReady(p) ? 1 : 0}/1`,
          c.podStatus(p),
          p.lastTerm ? `${p.restarts} (${age(now, p.lastTerm.finishedAt)} ago)` : String(p.restarts),
          age(now, p.createdAt),
          p.podIP ?? '<none>',
          p.node ?? '<none>',
        ],
        object: rendered[i]!,
      })),
      ctx.query.includeObject ?? 'Metadata',
      rv,
      cont,
    );
  }
  return listOf('PodList', 'v1', rendered, rv, cont, remaining);
}

export const podRoutes: ResourceRoute[] = [{ groupVersion: 'v1', resource: 'pods', handle: pods }];
