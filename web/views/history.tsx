// Remediation history: the audit log, newest first, updated as records are appended.
import type { RemediationsResponse } from '../../server/api-schemas.ts';
import { ago, anomalyHref } from '../format.ts';
import { useResource } from '../resource.ts';

const target = (params: Record<string, unknown>) =>
  [params.namespace, params.pod ?? params.name ?? params.node].filter((v) => typeof v === 'string' && v).join('/');

export function HistoryView() {
  const { data, error } = useResource<RemediationsResponse>('/api/remediations?limit=200', ['remediation']);
  return (
    <section>
      <h2>Remediation history</h2>
      {error && <p class="error">{error}</p>}
      {data && data.items.length === 0 && <p class="muted">No remediation yet.</p>}
      {data && data.items.length > 0 && (
        <table class="history">
          <thead>
            <tr>
              <th>When</th>
              <th>Event</th>
              <th>Action</th>
              <th>Target</th>
              <th>Result</th>
              <th>By</th>
              <th>Analysis</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((r) => (
              <tr class={`event-${r.event} result-${r.result}`}>
                <td title={r.ts}>{ago(r.ts)}</td>
                <td>{r.event}</td>
                <td>{r.action}</td>
                <td>{target(r.params)}</td>
                <td>{r.result}</td>
                <td>
                  {r.user}
                  {r.via ? ` (${r.via})` : ''}
                </td>
                <td>
                  <a href={anomalyHref(r.analysis_id)}>{r.analysis_id.slice(0, 12)}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
