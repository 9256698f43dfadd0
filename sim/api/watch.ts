// watch=true on any list (deployments, nodes, events, pods as a Table or with selectors, ...; plain pod
// watches go to pod-watch.ts): the same list is taken again whenever
// the cluster changes (checked every 200 ms) and the differences go out as ADDED / MODIFIED / DELETED
// lines. Without a resourceVersion (or "0") the current objects come first as ADDED. With kubectl's
// Table Accept header, each event carries a one-row Table.
import { ApiError } from '../errors.ts';
import { isHubPodWatch, podWatchStream } from './pod-watch.ts';
import { intParam, methodNotAllowed, rvString, type Ctx, type Obj, type Reply } from './request.ts';
import { wantsTable } from './tables.ts';

/** `list` answers the same request without the watch parameters (the route table's dispatch). */
export function watchReply(ctx: Ctx, list: (ctx: Ctx) => Reply): Reply {
  if (ctx.method !== 'GET') throw methodNotAllowed();
  const c = ctx.cluster;
  const query = { ...ctx.query };
  for (const k of [
    'watch',
    'limit',
    'continue',
    'resourceVersion',
    'resourceVersionMatch',
    'timeoutSeconds',
    'allowWatchBookmarks',
    'sendInitialEvents',
  ])
    delete query[k];
  const listCtx = (accept: string): Ctx => ({ ...ctx, query, accept });
  if (isHubPodWatch(ctx)) {
    // Pods in JSON without selectors (informers, the collector): only what changed, per resourceVersion.
    return { status: 200, body: '', stream: podWatchStream(ctx, () => (list(listCtx('application/json')).body as Obj).items as Obj[]) };
  }
  const keyOf = (o: Obj) => {
    const m = (o.metadata ?? {}) as Obj;
    return `${String(m.namespace ?? '')}/${String(m.name)}`;
  };
  const asTable = wantsTable(ctx);
  type Snap = Map<string, { json: string; obj: Obj; row?: unknown }>;
  let columns: unknown = [];
  const take = (): Snap => {
    const body = list(listCtx('application/json')).body as Obj;
    if (!Array.isArray(body.items)) throw new ApiError(405, 'MethodNotAllowed', 'watch is only supported on lists');
    const snap: Snap = new Map();
    for (const o of body.items as Obj[]) snap.set(keyOf(o), { json: JSON.stringify(o), obj: o });
    if (asTable) {
      const t = list(listCtx(ctx.accept)).body as Obj;
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
          ? {
              kind: 'Table',
              apiVersion: 'meta.k8s.io/v1',
              metadata: { resourceVersion: rvString(ctx) },
              columnDefinitions: columns,
              rows: e.row ? [e.row] : [],
            }
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
