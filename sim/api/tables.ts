// meta/v1 Tables, the shape kubectl asks for (`Accept: ...;as=Table;...`): column definitions, one row
// of cells per object, and the object itself as kubectl's includeObject asks (Metadata by default).
import { listOf } from '../render.ts';
import type { Ctx, Obj } from './request.ts';

export interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
}

export function wantsTable(ctx: Ctx): boolean {
  return /as=Table/.test(ctx.accept);
}

/** kubectl's age: 45s, 3m20s, 95m, 7h, 12d. */
export function age(now: Date, from: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function table(columns: Column[], rows: { cells: unknown[]; object: Obj }[], includeObject: string, rv: string, cont?: string): Obj {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: '',
      priority: c.priority ?? 0,
    })),
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

/** The Age cell of a rendered object. */
export function ageOf(now: Date, o: Obj): string {
  return age(now, new Date(String((o.metadata as Obj).creationTimestamp)));
}

const EXTRA: Record<string, { columns: Column[]; cells: (o: Obj) => unknown[] }> = {
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

/** A list, or for kubectl a Table: Name + the kind's usual columns + Age. */
export function maybeTable(ctx: Ctx, kind: string, apiVersion: string, items: Obj[], rv: string): Obj {
  if (!wantsTable(ctx)) return listOf(kind, apiVersion, items, rv);
  const now = ctx.cluster.now();
  const more = EXTRA[kind];
  return table(
    [{ name: 'Name', type: 'string', format: 'name' }, ...(more?.columns ?? []), { name: 'Age', type: 'string' }],
    items.map((o) => ({ cells: [(o.metadata as Obj).name, ...(more ? more.cells(o) : []), ageOf(now, o)], object: o })),
    ctx.query.includeObject ?? 'Metadata',
    rv,
  );
}
