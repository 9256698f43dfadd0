// What every route works with: the parsed request (Ctx), the reply it gives, and the small helpers the
// resource families share (query parameters, path scope, list order and pagination, the usual errors).
import type { ServerResponse } from 'node:http';
import type { SimCluster } from '../cluster.ts';
import { ApiError } from '../errors.ts';

export type Obj = Record<string, unknown>;

export interface Ctx {
  method: string;
  path: string;
  segs: string[];
  query: Record<string, string>;
  body: unknown;
  contentType: string | undefined;
  accept: string;
  dryRun: boolean;
  cluster: SimCluster;
  /** host:port for the discovery document. */
  serverAddress: () => string;
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  /** A watch: the handler hands the response over instead of writing `body`. */
  stream?: (res: ServerResponse) => void;
}

/** A resource path split as `namespaces/{ns}/<resource>/{name}/<sub...>` or `<resource>/{name}/<sub...>`. */
export interface Target {
  ns: string | undefined;
  resource: string | undefined;
  name: string | undefined;
  sub: string[];
}

export function scope(tail: string[]): Target {
  if (tail[0] === 'namespaces' && tail.length >= 3) return { ns: tail[1], resource: tail[2], name: tail[3], sub: tail.slice(4) };
  return { ns: undefined, resource: tail[0], name: tail[1], sub: tail.slice(2) };
}

export function hasDryRun(query: Record<string, string>, body: unknown): boolean {
  if (query.dryRun !== undefined) return query.dryRun === 'All';
  const b = body as { dryRun?: unknown; deleteOptions?: { dryRun?: unknown } } | undefined;
  const list = b?.dryRun ?? b?.deleteOptions?.dryRun;
  return Array.isArray(list) && list.includes('All');
}

export function intParam(query: Record<string, string>, name: string): number | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, 'BadRequest', `invalid ${name} "${v}": must be an integer`);
  return n;
}

export function boolParam(query: Record<string, string>, name: string): boolean {
  return query[name] === 'true' || query[name] === '1';
}

/**
 * The order lists are served and paginated in: namespace, then name. A NUL separator sorts below every
 * character a name may hold, so comparing keys as strings gives that order ("shop" before "shop-2").
 */
export function listKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** The list key of a rendered object. */
export function objectKey(o: Obj): string {
  const m = o.metadata as Obj;
  return listKey(String(m.namespace), String(m.name));
}

/** Pagination over items already in key order: `limit` and an opaque `continue` token. */
export function paginate<T>(
  items: T[],
  key: (t: T) => string,
  query: Record<string, string>,
  rv: string,
): { page: T[]; cont?: string; remaining?: number } {
  let start = 0;
  if (query.continue) {
    let after: string;
    try {
      const tok = JSON.parse(Buffer.from(query.continue, 'base64url').toString('utf8')) as { k?: unknown; rv?: unknown };
      if (typeof tok.k !== 'string') throw new Error('bad');
      after = tok.k;
    } catch {
      throw new ApiError(400, 'BadRequest', 'continue key is not valid: illegal base64 data or malformed token');
    }
    // Binary search for the first key after `after`.
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(items[mid]!) <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const limit = intParam(query, 'limit');
  if (!limit || limit <= 0 || start + limit >= items.length) return { page: items.slice(start) };
  const page = items.slice(start, start + limit);
  const cont = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, k: key(page[page.length - 1]!) })).toString('base64url');
  return { page, cont, remaining: items.length - start - limit };
}

export function ok(body: unknown, status = 200, contentType?: string): Reply {
  return { status, body, ...(contentType ? { contentType } : {}) };
}

/** A read-only endpoint: GET or HEAD, else 405. */
export function get(ctx: Ctx, fn: () => unknown, contentType?: string): Reply {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw methodNotAllowed();
  return ok(fn(), 200, contentType);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function notFoundPath(ctx: Ctx): ApiError {
  return new ApiError(404, 'NotFound', `the server could not find the requested resource (${ctx.method.toLowerCase()} ${ctx.path})`, {});
}

export function checkNoWatch(ctx: Ctx): void {
  if (boolParam(ctx.query, 'watch')) throw new ApiError(405, 'MethodNotAllowed', 'watch is only supported on lists');
}

export function rvString(ctx: Ctx): string {
  return String(ctx.cluster.resourceVersion);
}

/** One resource of one API group/version; the route table (routes.ts) maps paths to these. */
export interface ResourceRoute {
  groupVersion: string;
  resource: string;
  /** Cluster-scoped: the namespaced path (`namespaces/{ns}/<resource>`) is 404. */
  clusterScoped?: boolean;
  handle: (ctx: Ctx, t: Target) => Reply;
}
