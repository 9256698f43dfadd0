// The pods of one insights document, indexed once per change so a page of GET /api/pods is a slice, not a
// sort: two orders (probability descending, name ascending) over one array of list items, and the same two
// orders per namespace and for the anomalous pods; the reverse orders read them from the end. Only the
// substring search (q) scans, over the smallest list the other filters allow.
import type { PodInsight, PodInsights } from '../lib/schemas.ts';
import type { PodListItem, PodListQuery, PodListResponse } from './api-schemas.ts';

export class PodIndex {
  readonly generatedAt: string | null;
  readonly threshold: number | null;
  /** Full entries by namespace/pod (anomalous pods and those near the threshold). */
  private readonly full = new Map<string, PodInsight>();
  private readonly byProbability: PodListItem[];
  private readonly byName: PodListItem[];
  private readonly itemByKey = new Map<string, PodListItem>();
  /** Per namespace and for the anomalous pods: [by probability, by name]. */
  private readonly byNamespace = new Map<string, [PodListItem[], PodListItem[]]>();
  private readonly anomalous: [PodListItem[], PodListItem[]] = [[], []];
  /** namespace/pod in lower case, made once per index for the substring search. */
  private readonly searchKey = new WeakMap<PodListItem, string>();

  constructor(ins: PodInsights | null) {
    this.generatedAt = ins?.generated_at ?? null;
    this.threshold = ins?.threshold ?? null;
    const items: PodListItem[] = [];
    for (const p of ins?.pods ?? []) {
      this.full.set(key(p.namespace, p.pod), p);
      items.push({
        namespace: p.namespace,
        pod: p.pod,
        node: p.node ?? null,
        workload: p.workload ?? null,
        status: p.status ?? null,
        anomaly_probability: p.anomaly_probability,
        predicted_anomaly: p.predicted_anomaly,
        anomaly_type: p.anomaly_type,
        since: p.since,
        timestamp: p.timestamp,
      });
    }
    for (const [namespace, pod, timestamp, p] of ins?.other_pods ?? []) {
      items.push({
        namespace,
        pod,
        node: null,
        workload: null,
        status: null,
        anomaly_probability: p,
        predicted_anomaly: false,
        anomaly_type: 'none',
        since: null,
        timestamp,
      });
    }
    for (const it of items) {
      const k = key(it.namespace, it.pod);
      this.itemByKey.set(k, it);
      this.searchKey.set(it, k.toLowerCase());
    }
    this.byName = items.slice().sort(compareName);
    this.byProbability = items.sort((a, b) => b.anomaly_probability - a.anomaly_probability || compareName(a, b));
    for (const [order, list] of [this.byProbability, this.byName].entries()) {
      for (const it of list) {
        let ns = this.byNamespace.get(it.namespace);
        if (!ns) this.byNamespace.set(it.namespace, (ns = [[], []]));
        ns[order]!.push(it);
        if (it.predicted_anomaly) this.anomalous[order]!.push(it);
      }
    }
  }

  get size(): number {
    return this.byName.length;
  }

  /** The full insight of a pod; a brief one (a normal pod in a large cluster) is expanded. */
  insight(namespace: string, pod: string): PodInsight | null {
    const full = this.full.get(key(namespace, pod));
    if (full) return full;
    const it = this.itemByKey.get(key(namespace, pod));
    if (!it) return null;
    return {
      namespace,
      pod,
      timestamp: it.timestamp,
      anomaly_probability: it.anomaly_probability,
      predicted_anomaly: false,
      anomaly_type: 'none',
      contributing_metrics: [],
      since: null,
    };
  }

  /** The full entries (every anomalous pod is one). */
  fullEntries(): IterableIterator<PodInsight> {
    return this.full.values();
  }

  allItems(): readonly PodListItem[] {
    return this.byName;
  }

  page(q: PodListQuery): PodListResponse {
    const order = q.sort === 'name' ? 1 : 0;
    const nsList = q.namespace !== undefined ? (this.byNamespace.get(q.namespace)?.[order] ?? []) : undefined;
    const anomalousList = q.anomalous === 'true' ? this.anomalous[order] : undefined;
    // The smallest precomputed list that holds every match; the remaining filters are checked on it.
    const candidates = [nsList, anomalousList].filter((l): l is PodListItem[] => l !== undefined);
    const list = candidates.length ? candidates.reduce((a, b) => (b.length < a.length ? b : a)) : order ? this.byName : this.byProbability;
    const natural = q.sort === 'name' ? 'asc' : 'desc';
    const reversed = (q.order ?? natural) !== natural;
    const ns = q.namespace;
    const anomalous = q.anomalous === undefined ? undefined : q.anomalous === 'true';
    const needle = q.q?.toLowerCase();
    // Filters the chosen list does not already guarantee: then the list is scanned with every filter.
    const filtered =
      (ns !== undefined && list !== nsList) || (anomalous !== undefined && !(anomalous && list === anomalousList)) || !!needle;
    const match = (it: PodListItem) =>
      (ns === undefined || it.namespace === ns) &&
      (anomalous === undefined || it.predicted_anomaly === anomalous) &&
      (!needle || this.searchKey.get(it)!.includes(needle));
    const items: PodListItem[] = [];
    let total = 0;
    const n = list.length;
    if (!filtered) {
      total = n;
      for (let i = q.offset; i < n && items.length < q.limit; i++) items.push(list[reversed ? n - 1 - i : i]!);
    } else {
      for (let i = 0; i < n; i++) {
        const it = list[reversed ? n - 1 - i : i]!;
        if (!match(it)) continue;
        if (total >= q.offset && items.length < q.limit) items.push(it);
        total++;
      }
    }
    return { total, offset: q.offset, limit: q.limit, items, generated_at: this.generatedAt };
  }
}

export function key(namespace: string, pod: string): string {
  return `${namespace}/${pod}`;
}

function compareName(a: PodListItem, b: PodListItem): number {
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0;
}
