// Pods table: filtering, sorting and paging happen on the server (GET /api/pods), so one page costs the
// same at 150 pods or 150,000; the text filter is debounced so typing does not send a request per key.
import { useEffect, useState } from 'preact/hooks';
import type { PodListResponse } from '../../server/api-schemas.ts';
import { ago, pct, podHref, typeLabel } from '../format.ts';
import { useResource } from '../resource.ts';

const PAGE = 50;

interface Query {
  q: string;
  anomalous: boolean;
  sort: 'probability' | 'name';
  order: 'desc' | 'asc';
  offset: number;
}

function path(q: Query): string {
  const p = new URLSearchParams({ sort: q.sort, order: q.order, offset: String(q.offset), limit: String(PAGE) });
  if (q.q) p.set('q', q.q);
  if (q.anomalous) p.set('anomalous', 'true');
  return `/api/pods?${p}`;
}

export function PodsView() {
  const [query, setQuery] = useState<Query>({ q: '', anomalous: false, sort: 'probability', order: 'desc', offset: 0 });
  const [text, setText] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setQuery((q) => (q.q === text ? q : { ...q, q: text, offset: 0 })), 300);
    return () => clearTimeout(t);
  }, [text]);
  const { data, error } = useResource<PodListResponse>(path(query), ['status']);
  const sortBy = (sort: Query['sort']) =>
    setQuery((q) => ({
      ...q,
      sort,
      offset: 0,
      order: q.sort === sort ? (q.order === 'desc' ? 'asc' : 'desc') : sort === 'name' ? 'asc' : 'desc',
    }));
  const arrow = (s: Query['sort']) => (query.sort === s ? (query.order === 'desc' ? ' ▼' : ' ▲') : '');
  const total = data?.total ?? 0;
  const last = Math.max(0, Math.floor((total - 1) / PAGE) * PAGE);

  return (
    <section class="pods-view">
      <div class="toolbar">
        <input type="search" placeholder="Filter by namespace or pod" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <label>
          <input
            type="checkbox"
            checked={query.anomalous}
            onChange={(e) => setQuery((q) => ({ ...q, anomalous: e.currentTarget.checked, offset: 0 }))}
          />{' '}
          anomalous only
        </label>
        <span class="pager">
          <button disabled={query.offset === 0} onClick={() => setQuery((q) => ({ ...q, offset: 0 }))}>
            «
          </button>
          <button disabled={query.offset === 0} onClick={() => setQuery((q) => ({ ...q, offset: Math.max(0, q.offset - PAGE) }))}>
            ‹
          </button>
          <span>
            {total === 0 ? 0 : query.offset + 1}–{Math.min(query.offset + PAGE, total)} of {total.toLocaleString()}
          </span>
          <button disabled={query.offset >= last} onClick={() => setQuery((q) => ({ ...q, offset: q.offset + PAGE }))}>
            ›
          </button>
          <button disabled={query.offset >= last} onClick={() => setQuery((q) => ({ ...q, offset: last }))}>
            »
          </button>
        </span>
      </div>
      {error && <p class="error">{error}</p>}
      <table class="pod-table">
        <thead>
          <tr>
            <th class="sortable" onClick={() => sortBy('name')}>
              Pod{arrow('name')}
            </th>
            <th>Node</th>
            <th>Workload</th>
            <th>Status</th>
            <th class="sortable num" onClick={() => sortBy('probability')}>
              Probability{arrow('probability')}
            </th>
            <th>Type</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((p) => (
            <tr class={p.predicted_anomaly ? 'anomalous' : ''} data-pod={`${p.namespace}/${p.pod}`}>
              <td>
                <a href={podHref(p.namespace, p.pod)}>
                  <span class="muted">{p.namespace}/</span>
                  {p.pod}
                </a>
              </td>
              <td>{p.node ?? '–'}</td>
              <td>{p.workload ?? '–'}</td>
              <td>{p.status ?? '–'}</td>
              <td class="num">{pct(p.anomaly_probability)}</td>
              <td>{p.predicted_anomaly ? typeLabel(p.anomaly_type) : ''}</td>
              <td>{p.predicted_anomaly ? ago(p.since) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 && <p class="muted">No pods match.</p>}
    </section>
  );
}
