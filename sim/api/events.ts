// core/v1 events: list (fieldSelector on involvedObject.*, reason, type; pagination; Table) and get.
import { notFound } from '../errors.ts';
import { listOf, renderEvent } from '../render.ts';
import { fieldMatcher } from '../selectors.ts';
import {
  checkNoWatch,
  get,
  notFoundPath,
  objectKey,
  paginate,
  rvString,
  type Ctx,
  type Obj,
  type Reply,
  type ResourceRoute,
  type Target,
} from './request.ts';
import { age, table, wantsTable } from './tables.ts';

function events(ctx: Ctx, { ns, name }: Target): Reply {
  if (!name) {
    checkNoWatch(ctx);
    return get(ctx, () => listEvents(ctx, ns));
  }
  if (!ns) throw notFoundPath(ctx);
  const e = ctx.cluster.eventList().find((x) => x.namespace === ns && x.name === name);
  if (!e) throw notFound('events', name);
  return get(ctx, () => renderEvent(e));
}

function listEvents(ctx: Ctx, ns: string | undefined): Obj {
  const c = ctx.cluster;
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
      const ka = objectKey(a);
      const kb = objectKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  const rv = rvString(ctx);
  const { page, cont, remaining } = paginate(all, objectKey, ctx.query, rv);
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
          cells: [
            age(now, new Date(String(e.lastTimestamp))),
            e.type,
            e.reason,
            `${String(inv.kind).toLowerCase()}/${String(inv.name)}`,
            e.message,
          ],
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

export const eventRoutes: ResourceRoute[] = [{ groupVersion: 'v1', resource: 'events', handle: events }];
