// coordination.k8s.io/v1 Leases with the API server's semantics that coordination relies on: create is
// refused when the name exists (409 AlreadyExists), update and patch carrying a stale
// metadata.resourceVersion are refused (409 Conflict), every write bumps the resourceVersion, and the
// spec (holderIdentity, renewTime, leaseDurationSeconds, ...) is stored as the client sent it: expiry is
// the clients' judgement, as in Kubernetes. Leases are not part of a scenario: they live beside it.
import { randomUUID } from 'node:crypto';
import type { SimCluster } from '../cluster.ts';
import { ApiError, notFound } from '../errors.ts';
import { applyPatch, clone, type Json } from '../patch.ts';
import { labelMatcher } from '../selectors.ts';
import {
  checkNoWatch,
  listKey,
  methodNotAllowed,
  ok,
  paginate,
  type Ctx,
  type Obj,
  type Reply,
  type ResourceRoute,
  type Target,
} from './request.ts';

const GROUP = 'coordination.k8s.io';
const API_VERSION = `${GROUP}/v1`;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface Stored {
  namespace: string;
  name: string;
  obj: Obj;
}

class LeaseStore {
  private readonly byKey = new Map<string, Stored>();
  private rv = 1;

  nextRv(): string {
    return String(++this.rv);
  }
  get listRv(): string {
    return String(this.rv);
  }
  get(ns: string, name: string): Stored | undefined {
    return this.byKey.get(listKey(ns, name));
  }
  put(s: Stored): void {
    this.byKey.set(listKey(s.namespace, s.name), s);
  }
  delete(ns: string, name: string): void {
    this.byKey.delete(listKey(ns, name));
  }
  list(ns: string | undefined): Stored[] {
    return [...this.byKey.entries()]
      .filter(([, s]) => ns === undefined || s.namespace === ns)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => s);
  }
}

const STORES = new WeakMap<SimCluster, LeaseStore>();
function store(c: SimCluster): LeaseStore {
  let s = STORES.get(c);
  if (!s) STORES.set(c, (s = new LeaseStore()));
  return s;
}

function metaOf(o: unknown): Obj {
  const m = (o as Obj | undefined)?.metadata;
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Obj) : {};
}

function invalidLease(name: string, field: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `Lease.${GROUP} "${name}" is invalid: ${field}: ${message}`, {
    name,
    group: GROUP,
    kind: 'Lease',
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}

/** The stored form of a client's object: our metadata fields win, the spec is checked for its types. */
function normalise(body: unknown, ns: string, name: string, prev: Obj | undefined, rv: string): Obj {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'the body must be a Lease object');
  const b = body as Obj;
  const spec = (b.spec ?? {}) as Obj;
  if (typeof spec !== 'object' || Array.isArray(spec)) throw invalidLease(name, 'spec', 'must be an object');
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && d !== null && (!Number.isInteger(d) || (d as number) <= 0))
    throw invalidLease(name, 'spec.leaseDurationSeconds', 'must be greater than 0');
  for (const f of ['holderIdentity', 'acquireTime', 'renewTime']) {
    if (spec[f] !== undefined && spec[f] !== null && typeof spec[f] !== 'string') throw invalidLease(name, `spec.${f}`, 'must be a string');
  }
  const m = metaOf(b);
  const prevMeta = prev ? metaOf(prev) : undefined;
  return {
    apiVersion: API_VERSION,
    kind: 'Lease',
    metadata: {
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
      name,
      namespace: ns,
      uid: prevMeta?.uid ?? randomUUID(),
      resourceVersion: rv,
      creationTimestamp: prevMeta?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    },
    spec: clone(spec),
  };
}

function leases(ctx: Ctx, { ns, name, sub }: Target): Reply {
  const s = store(ctx.cluster);
  if (sub.length > 0) throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
  if (!name) {
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      checkNoWatch(ctx);
      const match = labelMatcher(ctx.query.labelSelector);
      const items = s.list(ns).filter((l) => match((metaOf(l.obj).labels as Record<string, string>) ?? {}));
      const { page, cont, remaining } = paginate(items, (l) => listKey(l.namespace, l.name), ctx.query, s.listRv);
      return ok({
        apiVersion: API_VERSION,
        kind: 'LeaseList',
        metadata: { resourceVersion: s.listRv, ...(cont ? { continue: cont, remainingItemCount: remaining } : {}) },
        items: page.map((l) => l.obj),
      });
    }
    if (ctx.method === 'POST') {
      if (!ns) throw new ApiError(404, 'NotFound', 'leases are namespaced');
      const want = String(metaOf(ctx.body).name ?? '');
      if (!NAME.test(want))
        throw invalidLease(want, 'metadata.name', 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters');
      if (s.get(ns, want))
        throw new ApiError(409, 'AlreadyExists', `leases.${GROUP} "${want}" already exists`, { name: want, group: GROUP, kind: 'leases' });
      const obj = normalise(ctx.body, ns, want, undefined, ctx.dryRun ? s.listRv : s.nextRv());
      if (!ctx.dryRun) s.put({ namespace: ns, name: want, obj });
      return ok(obj, 201);
    }
    throw methodNotAllowed();
  }
  if (!ns) throw new ApiError(404, 'NotFound', 'leases are namespaced');
  const cur = s.get(ns, name);
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    if (!cur) throw notFound('leases', name, GROUP);
    return ok(cur.obj);
  }
  if (ctx.method === 'DELETE') {
    if (!cur) throw notFound('leases', name, GROUP);
    if (!ctx.dryRun) s.delete(ns, name);
    return ok({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: GROUP, kind: 'leases', uid: metaOf(cur.obj).uid },
    });
  }
  if (ctx.method === 'PUT' || ctx.method === 'PATCH') {
    if (!cur) throw notFound('leases', name, GROUP);
    const next = ctx.method === 'PUT' ? ctx.body : applyPatch(ctx.contentType, cur.obj as Json, ctx.body);
    const sentRv = metaOf(ctx.body).resourceVersion;
    if (sentRv !== undefined && sentRv !== null && sentRv !== '' && String(sentRv) !== metaOf(cur.obj).resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on leases.${GROUP} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: GROUP, kind: 'leases' },
      );
    const bodyName = metaOf(next).name;
    if (bodyName !== undefined && bodyName !== name)
      throw new ApiError(400, 'BadRequest', `the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`);
    const obj = normalise(next, ns, name, cur.obj, ctx.dryRun ? String(metaOf(cur.obj).resourceVersion) : s.nextRv());
    if (!ctx.dryRun) s.put({ namespace: ns, name, obj });
    return ok(obj);
  }
  throw methodNotAllowed();
}

export const leaseRoutes: ResourceRoute[] = [{ groupVersion: API_VERSION, resource: 'leases', handle: leases }];
