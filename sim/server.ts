// The HTTP layer: routes Kubernetes API requests to the cluster model and answers in API shapes
// (JSON objects, lists with pagination, meta/v1 Status errors, meta/v1 Tables for kubectl), checks the
// bearer token, and records every request for tests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { SimCluster, SimPod } from './cluster.ts';
import { apiGroup, apiGroupList, apiVersions, resourceList, versionInfo } from './discovery.ts';
import { ApiError, notFound, statusObject } from './errors.ts';
import { podLogs } from './logs.ts';
import { cadvisorText } from './prometheus.ts';
import {
  listOf,
  renderDeployment,
  renderEvent,
  renderNamespace,
  renderNode,
  renderNodeMetrics,
  renderPdb,
  renderPod,
  renderPodMetrics,
  renderReplicaSet,
  renderStatefulSet,
  renderDaemonSet,
  renderScale,
} from './render.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  contentType?: string;
  dryRun: boolean;
  status: number;
  time: number;
}

export interface ApiServerDeps {
  cluster: SimCluster;
  token: string;
  requests: RecordedRequest[];
  /** host:port for the discovery document. */
  serverAddress: () => string;
  /** Most requests kept in `requests` (oldest dropped first). */
  maxRecorded?: number;
}

type Obj = Record<string, unknown>;

interface Ctx {
  method: string;
  path: string;
  segs: string[];
  query: Record<string, string>;
  body: unknown;
  contentType: string | undefined;
  accept: string;
  dryRun: boolean;
}

interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  /** A watch: the handler hands the response over instead of writing `body`. */
  stream?: (res: ServerResponse) => void;
}

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'BadRequest', 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tokenOk(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hasDryRun(query: Record<string, string>, body: unknown): boolean {
  if (query.dryRun !== undefined) return query.dryRun === 'All';
  const b = body as { dryRun?: unknown; deleteOptions?: { dryRun?: unknown } } | undefined;
  const list = b?.dryRun ?? b?.deleteOptions?.dryRun;
  return Array.isArray(list) && list.includes('All');
}

function intParam(query: Record<string, string>, name: string): number | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, 'BadRequest', `invalid ${name} "${v}": must be an integer`);
  return n;
}

function boolParam(query: Record<string, string>, name: string): boolean {
  return query[name] === 'true' || query[name] === '1';
}

/**
 * The order lists are served and paginated in: namespace, then name. A NUL separator sorts below every
 * character a name may hold, so comparing keys as strings gives that order ("shop" before "shop-2").
 */
function listKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** Pagination over items already in key order: `limit` and an opaque `continue` token. */
function paginate<T>(items: T[], key: (t: T) => string, query: Record<string, string>, rv: string): { page: T[]; cont?: string; remaining?: number } {
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

function age(now: Date, from: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
}

function table(columns: Column[], rows: { cells: unknown[]; object: Obj }[], includeObject: string, rv: string, cont?: string): Obj {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 })),
    rows: rows.map((r) => ({
      cells: r.cells,
      object:
        includeObject === 'Object'
          ? r.object
          : includeObject === 'None'
            ? null
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: r.object.metadata },
    })),
  };
}

export function createApiHandler(deps: ApiServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { cluster: c } = deps;
  const maxRecorded = deps.maxRecorded ?? 50_000;

  const record = (ctx: Ctx, status: number) => {
    deps.requests.push({
      method: ctx.method,
      path: ctx.path,
      query: ctx.query,
      body: ctx.body,
      ...(ctx.contentType ? { contentType: ctx.contentType } : {}),
      dryRun: ctx.dryRun,
      status,
      time: Date.now(),
    });
    if (deps.requests.length > maxRecorded * 1.2) deps.requests.splice(0, deps.requests.length - maxRecorded);
  };

  return (req, res) => {
    (async () => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'https://sim.local');
      } catch {
        url = new URL('https://sim.local/');
      }
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const ctx: Ctx = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        segs: [],
        query,
        body: undefined,
        contentType: req.headers['content-type'],
        accept: String(req.headers.accept ?? ''),
        dryRun: false,
      };
      let reply: Reply;
      try {
        try {
          ctx.segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        } catch {
          throw new ApiError(400, 'BadRequest', `malformed path ${url.pathname}`);
        }
        const raw = await readBody(req);
        if (raw) {
          try {
            ctx.body = JSON.parse(raw);
          } catch {
            ctx.body = raw;
            if (/json/.test(ctx.contentType ?? '')) throw new ApiError(400, 'BadRequest', 'the request body is not valid JSON');
          }
        }
        ctx.dryRun = hasDryRun(query, ctx.body);
        if (!tokenOk(req.headers.authorization, deps.token)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        reply = route(ctx);
      } catch (err) {
        if (err instanceof ApiError) reply = { status: err.code, body: statusObject(err.code, err.reason, err.message, err.details) };
        else reply = { status: 500, body: statusObject(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`) };
      }
      record(ctx, reply.status);
      if (reply.stream) {
        reply.stream(res);
        return;
      }
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'Content-Type': reply.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-cache, private',
        'Audit-Id': `sim-${deps.requests.length}`,
      });
      res.end(text);
    })().catch(() => {
      // Only a broken connection gets here (every API error became a Status above).
      res.destroy();
    });
  };

  // ------------------------------------------------------------------ routing

  function route(ctx: Ctx): Reply {
    const s = ctx.segs;
    const m = ctx.method;
    if (m !== 'GET' && m !== 'HEAD' && m !== 'DELETE' && m !== 'PATCH' && m !== 'POST' && m !== 'PUT') {
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    if (boolParam(ctx.query, 'watch')) return watchReply(ctx);
    if (s.length === 0) return ok({ paths: ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/apis/policy/v1', '/apis/metrics.k8s.io/v1beta1', '/version', '/healthz'] });
    const [root, ...rest] = s;
    if (root === 'version' && rest.length === 0) return get(ctx, () => versionInfo());
    if ((root === 'healthz' || root === 'readyz' || root === 'livez') && rest.length === 0) return get(ctx, () => 'ok', 'text/plain');
    if (root === 'api') {
      if (rest.length === 0) return get(ctx, () => apiVersions(deps.serverAddress()));
      if (rest[0] !== 'v1') throw notFoundPath(ctx);
      if (rest.length === 1) return get(ctx, () => resourceList('v1')!);
      return core(ctx, rest.slice(1));
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
      const tail = rest.slice(2);
      if (gv === 'apps/v1') return apps(ctx, tail);
      if (gv === 'policy/v1') return policy(ctx, tail);
      if (gv === 'metrics.k8s.io/v1beta1') return metrics(ctx, tail);
    }
    throw notFoundPath(ctx);
  }

  function ok(body: unknown, status = 200, contentType?: string): Reply {
    return { status, body, ...(contentType ? { contentType } : {}) };
  }

  function get(ctx: Ctx, fn: () => unknown, contentType?: string): Reply {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw methodNotAllowed();
    return ok(fn(), 200, contentType);
  }

  function methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  function notFoundPath(ctx: Ctx): ApiError {
    return new ApiError(404, 'NotFound', `the server could not find the requested resource (${ctx.method.toLowerCase()} ${ctx.path})`, {});
  }

  function wantsTable(ctx: Ctx): boolean {
    return /as=Table/.test(ctx.accept);
  }

  /** Splits `namespaces/{ns}/<resource>/...` or `<resource>/...`. */
  function scope(tail: string[]): { ns: string | undefined; resource: string | undefined; name: string | undefined; sub: string[] } {
    if (tail[0] === 'namespaces' && tail.length >= 3) return { ns: tail[1], resource: tail[2], name: tail[3], sub: tail.slice(4) };
    return { ns: undefined, resource: tail[0], name: tail[1], sub: tail.slice(2) };
  }

  function rvString(): string {
    return String(c.resourceVersion);
  }

  function checkNoWatch(ctx: Ctx): void {
    if (boolParam(ctx.query, 'watch')) throw new ApiError(405, 'MethodNotAllowed', 'watch is only supported on lists');
  }

  /**
   * A watch on any list (pods, deployments, nodes, events, ...): the same list is taken again whenever
   * the cluster changes (checked every 200 ms) and the differences go out as ADDED / MODIFIED / DELETED
   * lines. Without a resourceVersion (or "0") the current objects come first as ADDED. With kubectl's
   * Table Accept header, each event carries a one-row Table.
   */
  function watchReply(ctx: Ctx): Reply {
    if (ctx.method !== 'GET') throw methodNotAllowed();
    const query = { ...ctx.query };
    for (const k of ['watch', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'allowWatchBookmarks', 'sendInitialEvents']) delete query[k];
    const listCtx = (accept: string): Ctx => ({ ...ctx, query, accept });
    const keyOf = (o: Obj) => {
      const m = (o.metadata ?? {}) as Obj;
      return `${String(m.namespace ?? '')}/${String(m.name)}`;
    };
    const asTable = wantsTable(ctx);
    type Snap = Map<string, { json: string; obj: Obj; row?: unknown }>;
    let columns: unknown = [];
    const take = (): Snap => {
      const body = route(listCtx('application/json')).body as Obj;
      if (!Array.isArray(body.items)) throw new ApiError(405, 'MethodNotAllowed', 'watch is only supported on lists');
      const snap: Snap = new Map();
      for (const o of body.items as Obj[]) snap.set(keyOf(o), { json: JSON.stringify(o), obj: o });
      if (asTable) {
        const t = route(listCtx(ctx.accept)).body as Obj;
        columns = t.columnDefinitions;
        for (const row of (t.rows ?? []) as { object?: Obj }[]) {
          const hit = row.object ? snap.get(keyOf(row.object)) : undefined;
          if (hit) hit.row = row;
        }
      }
      return snap;
    };
    let prev = take(); // validates the path and selectors before answering 200
    const initial = ctx.query.resourceVersion === undefined || ctx.query.resourceVersion === '0' || ctx.query.resourceVersion === '';
    const timeout = Math.min(Math.max(intParam(ctx.query, 'timeoutSeconds') ?? 1800, 1), 3600);
    return {
      status: 200,
      body: '',
      stream: (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
        const send = (type: string, e: { obj: Obj; row?: unknown }) => {
          const object = asTable
            ? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: rvString() }, columnDefinitions: columns, rows: e.row ? [e.row] : [] }
            : e.obj;
          res.write(JSON.stringify({ type, object }) + '\n');
        };
        if (initial) for (const e of prev.values()) send('ADDED', e);
        let seen = c.version;
        const poll = setInterval(() => {
          if (c.version === seen) return;
          seen = c.version;
          let next: Snap;
          try {
            next = take();
          } catch {
            finish();
            return;
          }
          for (const [k, e] of next) {
            const before = prev.get(k);
            if (!before) send('ADDED', e);
            else if (before.json !== e.json) send('MODIFIED', e);
          }
          for (const [k, e] of prev) if (!next.has(k)) send('DELETED', e);
          prev = next;
        }, 200);
        poll.unref();
        const stop = setTimeout(() => finish(), timeout * 1000);
        stop.unref();
        const finish = () => {
          clearInterval(poll);
          clearTimeout(stop);
          if (!res.writableEnded) res.end();
        };
        res.on('close', finish);
      },
    };
  }

  // ------------------------------------------------------------------ core/v1

  function core(ctx: Ctx, tail: string[]): Reply {
    if (tail[0] === 'namespaces' && tail.length <= 2) {
      if (tail.length === 1) {
        checkNoWatch(ctx);
        const items = c.namespaces().map((n) => renderNamespace(n, c.clusterCreatedAt));
        return get(ctx, () => maybeTable(ctx, 'NamespaceList', 'v1', items, rvString()));
      }
      const ns = tail[1]!;
      if (!c.namespaces().includes(ns)) throw notFound('namespaces', ns);
      return get(ctx, () => renderNamespace(ns, c.clusterCreatedAt));
    }
    if (tail[0] === 'nodes') return nodes(ctx, tail.slice(1));
    const { ns, resource, name, sub } = scope(tail);
    if (resource === 'pods') return pods(ctx, ns, name, sub);
    if (resource === 'events' && !name) {
      checkNoWatch(ctx);
      return get(ctx, () => listEvents(ctx, ns));
    }
    if (resource === 'events' && name && ns) {
      const e = c.eventList().find((x) => x.namespace === ns && x.name === name);
      if (!e) throw notFound('events', name);
      return get(ctx, () => renderEvent(e));
    }
    throw notFoundPath(ctx);
  }

  function pods(ctx: Ctx, ns: string | undefined, name: string | undefined, sub: string[]): Reply {
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

  function optionalInt(query: Record<string, string>, name: 'tailLines' | 'sinceSeconds' | 'limitBytes'): Partial<Record<typeof name, number>> {
    const v = intParam(query, name);
    return v === undefined ? {} : { [name]: v };
  }

  function listPods(ctx: Ctx, ns: string | undefined): Obj {
    const labelOk = labelMatcher(ctx.query.labelSelector);
    const fieldSel = ctx.query.fieldSelector;
    const fieldOk = fieldMatcher(fieldSel, ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP']);
    let source: SimPod[] = c.sortedPodList();
    if (ns) source = source.filter((p) => p.namespace === ns);
    if (ctx.query.labelSelector) source = source.filter((p) => labelOk(p.labels));
    let items: SimPod[] = source;
    if (fieldSel) items = source.filter((p) => fieldOk(renderPod(c, p)));
    const rv = rvString();
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

  function listEvents(ctx: Ctx, ns: string | undefined): Obj {
    const fieldOk = fieldMatcher(ctx.query.fieldSelector, [
      'metadata.name',
      'metadata.namespace',
      'involvedObject.kind',
      'involvedObject.name',
      'involvedObject.namespace',
      'involvedObject.uid',
      'involvedObject.fieldPath',
      'involvedObject.apiVersion',
      'reason',
      'type',
      'source',
      'reportingComponent',
    ]);
    const all = c
      .eventList()
      .filter((e) => !ns || e.namespace === ns)
      .map((e) => renderEvent(e))
      .filter((o) => fieldOk(o))
      .sort((a, b) => {
        const ka = eventKey(a);
        const kb = eventKey(b);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    const rv = rvString();
    const { page, cont, remaining } = paginate(all, eventKey, ctx.query, rv);
    if (wantsTable(ctx)) {
      const now = c.now();
      return table(
        [
          { name: 'Last Seen', type: 'string' },
          { name: 'Type', type: 'string' },
          { name: 'Reason', type: 'string' },
          { name: 'Object', type: 'string' },
          { name: 'Message', type: 'string' },
        ],
        page.map((e) => {
          const inv = e.involvedObject as Obj;
          return {
            cells: [age(now, new Date(String(e.lastTimestamp))), e.type, e.reason, `${String(inv.kind).toLowerCase()}/${String(inv.name)}`, e.message],
            object: e,
          };
        }),
        ctx.query.includeObject ?? 'Metadata',
        rv,
        cont,
      );
    }
    return listOf('EventList', 'v1', page, rv, cont, remaining);
  }

  function eventKey(e: Obj): string {
    const m = e.metadata as Obj;
    return listKey(String(m.namespace), String(m.name));
  }

  function nodes(ctx: Ctx, tail: string[]): Reply {
    if (tail.length === 0) {
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
                cells: [meta.name, spec.unschedulable === true ? 'Ready,SchedulingDisabled' : 'Ready', '<none>', age(now, new Date(String(meta.creationTimestamp))), 'v1.31.0'],
                object: o,
              };
            }),
            ctx.query.includeObject ?? 'Metadata',
            rvString(),
          ),
        );
      }
      return get(ctx, () => listOf('NodeList', 'v1', items, rvString()));
    }
    const name = tail[0]!;
    const node = c.getNode(name);
    if (tail.length === 1) {
      if (ctx.method === 'GET') {
        if (!node) throw notFound('nodes', name);
        return ok(renderNode(c, node));
      }
      if (ctx.method === 'PATCH') return ok(renderNode(c, c.patchNode(name, ctx.contentType, ctx.body, ctx.dryRun)));
      throw methodNotAllowed();
    }
    if (tail[1] === 'proxy' && tail.slice(2).join('/') === 'metrics/cadvisor') {
      if (!node) throw notFound('nodes', name);
      const pods = c.sortedPodList().filter((p) => p.node === name);
      return get(ctx, () => cadvisorText(c, pods, false), 'text/plain; version=0.0.4; charset=utf-8');
    }
    throw notFoundPath(ctx);
  }

  /** A list, or for kubectl a Table: Name + the kind's usual columns + Age. */
  function maybeTable(ctx: Ctx, kind: string, apiVersion: string, items: Obj[], rv: string): Obj {
    if (!wantsTable(ctx)) return listOf(kind, apiVersion, items, rv);
    const now = c.now();
    const extra: Record<string, { columns: Column[]; cells: (o: Obj) => unknown[] }> = {
      NamespaceList: { columns: [{ name: 'Status', type: 'string' }], cells: (o) => [(o.status as Obj).phase] },
      ReplicaSetList: {
        columns: [
          { name: 'Desired', type: 'integer' },
          { name: 'Current', type: 'integer' },
          { name: 'Ready', type: 'integer' },
        ],
        cells: (o) => [(o.spec as Obj).replicas, (o.status as Obj).replicas, (o.status as Obj).readyReplicas ?? 0],
      },
      PodDisruptionBudgetList: {
        columns: [
          { name: 'Min Available', type: 'string' },
          { name: 'Max Unavailable', type: 'string' },
          { name: 'Allowed Disruptions', type: 'integer' },
        ],
        cells: (o) => {
          const spec = o.spec as Obj;
          return [spec.minAvailable ?? 'N/A', spec.maxUnavailable ?? 'N/A', (o.status as Obj).disruptionsAllowed];
        },
      },
    };
    const more = extra[kind];
    return table(
      [{ name: 'Name', type: 'string', format: 'name' }, ...(more?.columns ?? []), { name: 'Age', type: 'string' }],
      items.map((o) => {
        const meta = o.metadata as Obj;
        return { cells: [meta.name, ...(more ? more.cells(o) : []), age(now, new Date(String(meta.creationTimestamp)))], object: o };
      }),
      ctx.query.includeObject ?? 'Metadata',
      rv,
    );
  }

  // ------------------------------------------------------------------ apps/v1

  function apps(ctx: Ctx, tail: string[]): Reply {
    const { ns, resource, name, sub } = scope(tail);
    if (resource === 'deployments' || resource === 'statefulsets' || resource === 'daemonsets') {
      // The three controllers share the routes; only the lookup, the shape and the columns differ
      // (and a DaemonSet has no scale subresource).
      const sts = resource === 'statefulsets';
      const ds = resource === 'daemonsets';
      const render = sts ? renderStatefulSet : ds ? renderDaemonSet : renderDeployment;
      const lookup = (namespace: string, n: string) => (sts ? c.getStatefulSet(namespace, n) : ds ? c.getDaemonSet(namespace, n) : c.getDeployment(namespace, n));
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
        const rv = rvString();
        const { page, cont, remaining } = paginate(items, (o) => listKey(String((o.metadata as Obj).namespace), String((o.metadata as Obj).name)), ctx.query, rv);
        if (ds && wantsTable(ctx)) {
          const now = c.now();
          return get(ctx, () =>
            table(
              [
                { name: 'Name', type: 'string', format: 'name' },
                { name: 'Desired', type: 'integer' },
                { name: 'Current', type: 'integer' },
                { name: 'Ready', type: 'integer' },
                { name: 'Up-to-date', type: 'integer' },
                { name: 'Available', type: 'integer' },
                { name: 'Age', type: 'string' },
              ],
              page.map((o) => {
                const st = o.status as Obj;
                const meta = o.metadata as Obj;
                return {
                  cells: [meta.name, st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady, st.updatedNumberScheduled, st.numberAvailable, age(now, new Date(String(meta.creationTimestamp)))],
                  object: o,
                };
              }),
              ctx.query.includeObject ?? 'Metadata',
              rv,
              cont,
            ),
          );
        }
        if (sts && wantsTable(ctx)) {
          const now = c.now();
          return get(ctx, () =>
            table(
              [
                { name: 'Name', type: 'string', format: 'name' },
                { name: 'Ready', type: 'string' },
                { name: 'Age', type: 'string' },
              ],
              page.map((o) => {
                const meta = o.metadata as Obj;
                return {
                  cells: [meta.name, `${Number((o.status as Obj).readyReplicas ?? 0)}/${Number((o.spec as Obj).replicas)}`, age(now, new Date(String(meta.creationTimestamp)))],
                  object: o,
                };
              }),
              ctx.query.includeObject ?? 'Metadata',
              rv,
              cont,
            ),
          );
        }
        if (wantsTable(ctx)) {
          const now = c.now();
          return get(ctx, () =>
            table(
              [
                { name: 'Name', type: 'string', format: 'name' },
                { name: 'Ready', type: 'string' },
                { name: 'Up-to-date', type: 'integer' },
                { name: 'Available', type: 'integer' },
                { name: 'Age', type: 'string' },
              ],
              page.map((o) => {
                const st = o.status as Obj;
                const sp = o.spec as Obj;
                const meta = o.metadata as Obj;
                return {
                  cells: [meta.name, `${Number(st.readyReplicas ?? 0)}/${Number(sp.replicas)}`, st.updatedReplicas, st.availableReplicas, age(now, new Date(String(meta.creationTimestamp)))],
                  object: o,
                };
              }),
              ctx.query.includeObject ?? 'Metadata',
              rv,
              cont,
            ),
          );
        }
        return get(ctx, () => listOf(sts ? 'StatefulSetList' : ds ? 'DaemonSetList' : 'DeploymentList', 'apps/v1', page, rv, cont, remaining));
      }
      if (!ns) throw notFoundPath(ctx);
      const dep = lookup(ns, name);
      if (sub.length === 0) {
        if (ctx.method === 'GET') {
          if (!dep) throw notFound(resource, name, 'apps');
          return ok(render(c, dep));
        }
        if (ctx.method === 'PATCH') return ok(render(c, patch(ns, name, false)));
        if (ctx.method === 'PUT') return ok(render(c, patch(ns, name, true)));
        throw methodNotAllowed();
      }
      if (sub[0] === 'scale' && sub.length === 1 && !ds) {
        if (!dep) throw notFound(resource, name, 'apps');
        if (ctx.method === 'GET') return ok(renderScale(dep));
        if (ctx.method === 'PUT' || ctx.method === 'PATCH') {
          let replicas: unknown;
          if (ctx.method === 'PUT') replicas = ((ctx.body as Obj | undefined)?.spec as Obj | undefined)?.replicas;
          else {
            const patched = applyScalePatch(ctx, renderScale(dep));
            replicas = (patched.spec as Obj | undefined)?.replicas;
          }
          if (typeof replicas !== 'number') throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Required value`);
          return ok(renderScale(c.setReplicas(dep, replicas, ctx.dryRun)));
        }
        throw methodNotAllowed();
      }
      if (sub[0] === 'status' && sub.length === 1) {
        if (!dep) throw notFound(resource, name, 'apps');
        return get(ctx, () => render(c, dep));
      }
      throw notFoundPath(ctx);
    }
    if (resource === 'replicasets') {
      const all = c
        .deploymentList()
        .filter((d) => !ns || d.namespace === ns)
        .flatMap((d) => d.replicaSets.map((rs) => ({ d, rs })));
      if (!name) {
        checkNoWatch(ctx);
        const labelOk = labelMatcher(ctx.query.labelSelector);
        const items = all.map(({ d, rs }) => renderReplicaSet(c, d, rs)).filter((o) => labelOk(((o.metadata as Obj).labels ?? {}) as Record<string, string>));
        return get(ctx, () => maybeTable(ctx, 'ReplicaSetList', 'apps/v1', items, rvString()));
      }
      const hit = all.find(({ rs }) => rs.name === name);
      if (!hit || sub.length) throw hit ? notFoundPath(ctx) : notFound('replicasets', name, 'apps');
      return get(ctx, () => renderReplicaSet(c, hit.d, hit.rs));
    }
    throw notFoundPath(ctx);
  }

  function applyScalePatch(ctx: Ctx, scale: Obj): Obj {
    // Scale patches are small; reuse the generic patch code on the Scale object.
    const body = ctx.body;
    const type = (ctx.contentType ?? '').split(';')[0]!.trim();
    if (type === 'application/json-patch+json') {
      const ops = body as { op?: string; path?: string; value?: unknown }[];
      if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
      const out = structuredClone(scale);
      for (const op of ops) if (op.path === '/spec/replicas' && (op.op === 'replace' || op.op === 'add')) (out.spec as Obj).replicas = op.value;
      return out;
    }
    if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
    }
    const spec = ((body as Obj | undefined)?.spec ?? {}) as Obj;
    return { ...scale, spec: { ...(scale.spec as Obj), ...spec } };
  }

  // ------------------------------------------------------------------ policy/v1

  function policy(ctx: Ctx, tail: string[]): Reply {
    const { ns, resource, name } = scope(tail);
    if (resource !== 'poddisruptionbudgets') throw notFoundPath(ctx);
    const items = c.pdbObjects().filter((p) => !ns || p.namespace === ns);
    if (!name) {
      checkNoWatch(ctx);
      return get(ctx, () => maybeTable(ctx, 'PodDisruptionBudgetList', 'policy/v1', items.map((p) => renderPdb(c, p)), rvString()));
    }
    const pdb = items.find((p) => p.name === name);
    if (!pdb) throw notFound('poddisruptionbudgets', name, 'policy');
    return get(ctx, () => renderPdb(c, pdb));
  }

  // ------------------------------------------------------------------ metrics.k8s.io/v1beta1

  function metrics(ctx: Ctx, tail: string[]): Reply {
    const { ns, resource, name } = scope(tail);
    if (resource === 'pods') {
      if (!name) {
        const labelOk = labelMatcher(ctx.query.labelSelector);
        const fieldOk = fieldMatcher(ctx.query.fieldSelector, ['metadata.name', 'metadata.namespace']);
        let pods = c.sortedPodList().filter((p) => p.sample.running);
        if (ns) pods = pods.filter((p) => p.namespace === ns);
        if (ctx.query.labelSelector) pods = pods.filter((p) => labelOk(p.labels));
        let items = pods.map((p) => renderPodMetrics(c, p));
        if (ctx.query.fieldSelector) items = items.filter((o) => fieldOk(o));
        const { page, cont, remaining } = paginate(items, (o) => listKey(String((o.metadata as Obj).namespace), String((o.metadata as Obj).name)), ctx.query, rvString());
        return get(ctx, () => listOf('PodMetricsList', 'metrics.k8s.io/v1beta1', page, '', cont, remaining));
      }
      if (!ns) throw notFoundPath(ctx);
      const pod = c.getPod(ns, name);
      if (!pod || !pod.sample.running) throw notFound('pods', name, 'metrics.k8s.io');
      return get(ctx, () => renderPodMetrics(c, pod));
    }
    if (resource === 'nodes') {
      const byNode = new Map<string, SimPod[]>();
      for (const p of c.sortedPodList()) {
        if (!p.node || !p.sample.running) continue;
        const list = byNode.get(p.node) ?? [];
        list.push(p);
        byNode.set(p.node, list);
      }
      if (!name) return get(ctx, () => listOf('NodeMetricsList', 'metrics.k8s.io/v1beta1', c.nodeList().map((n) => renderNodeMetrics(c, n, byNode.get(n.name) ?? [])), ''));
      const node = c.getNode(name);
      if (!node) throw notFound('nodes', name, 'metrics.k8s.io');
      return get(ctx, () => renderNodeMetrics(c, node, byNode.get(name) ?? []));
    }
    throw notFoundPath(ctx);
  }
}
