// Cluster view: open anomalies first, counts by type, agent health, then nodes → workloads → pods with the
// anomalous pods highlighted (in a large cluster the server lists only those, with counts for the rest).
import { useState } from 'preact/hooks';
import type { AgentStatus, AnomalyListResponse, ClusterNode, ClusterResponse, ClusterWorkload } from '../../server/api-schemas.ts';
import { ago, anomalyHref, pct, podHref, typeLabel } from '../format.ts';
import { useResource } from '../resource.ts';

function Agents({ agents }: { agents: AgentStatus[] }) {
  return (
    <ul class="agents">
      {agents.map((a) => (
        <li class={a.fresh ? 'ok' : 'bad'} title={a.state}>
          <span class="dot" /> {a.name} <small>{a.age_seconds == null ? 'no heartbeat' : `${Math.round(a.age_seconds)} s`}</small>
        </li>
      ))}
    </ul>
  );
}

function Anomalies() {
  const { data, error } = useResource<AnomalyListResponse>('/api/anomalies', ['anomaly', 'analysis', 'remediation']);
  const open = (data?.items ?? []).filter((a) => a.status === 'open');
  return (
    <section>
      <h2>Open anomalies {data && <small>({open.length})</small>}</h2>
      {error && <p class="error">{error}</p>}
      {data && open.length === 0 && <p class="muted">None.</p>}
      {open.length > 0 && (
        <table class="anomalies">
          <thead>
            <tr>
              <th>Pod</th>
              <th>Type</th>
              <th>Severity</th>
              <th>Probability</th>
              <th>Root cause</th>
              <th>Waiting</th>
              <th>Detected</th>
            </tr>
          </thead>
          <tbody>
            {open.map((a) => (
              <tr class={`sev-${a.severity}`} data-anomaly={a.id}>
                <td>
                  <a href={anomalyHref(a.id)}>
                    {a.namespace}/{a.pod}
                  </a>
                </td>
                <td>{typeLabel(a.anomaly_type)}</td>
                <td>
                  <span class={`badge sev-${a.severity}`}>{a.severity}</span>
                </td>
                <td>{pct(a.anomaly_probability)}</td>
                <td class="cause">{a.root_cause}</td>
                <td>{a.pending > 0 ? <span class="badge pending">{a.pending} to decide</span> : ''}</td>
                <td>{ago(a.detected_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Workloads without an anomaly are only counted until asked for: 150k pods make ~50k workloads. */
function Node({ node }: { node: ClusterNode }) {
  // Open while the node has an anomaly, unless the person chose otherwise.
  const [chosen, setOpen] = useState<boolean | null>(null);
  const open = chosen ?? node.anomalous_count > 0;
  const [all, setAll] = useState(false);
  const shown = all ? node.workloads : node.workloads.filter((w) => w.anomalous_count > 0);
  const hidden = node.workloads.length - shown.length;
  return (
    <details class={`node ${node.anomalous_count ? 'has-anomaly' : ''}`} open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <b>{node.name}</b> <small>{node.pod_count} pods</small>
        {node.anomalous_count > 0 && <span class="badge bad">{node.anomalous_count} anomalous</span>}
      </summary>
      {open && shown.map((w) => <Workload w={w} />)}
      {open && hidden > 0 && (
        <button type="button" class="link" onClick={() => setAll(true)}>
          show {hidden} workload{hidden > 1 ? 's' : ''} without anomalies
        </button>
      )}
    </details>
  );
}

function Workload({ w }: { w: ClusterWorkload }) {
  return (
    <div class="workload">
      <div class="wl-name">
        {w.name} <small>{w.pod_count} pods</small>
      </div>
      <div class="pods">
        {w.pods.map((p) => (
          <a
            href={podHref(p.namespace, p.pod)}
            class={`pod ${p.anomalous ? 'anomalous' : ''}`}
            data-pod={`${p.namespace}/${p.pod}`}
            title={`${p.namespace}/${p.pod}: ${pct(p.probability)}${p.anomalous ? ` (${typeLabel(p.anomaly_type)})` : ''}`}
          >
            {p.pod}
            {p.anomalous && <small> {typeLabel(p.anomaly_type)}</small>}
          </a>
        ))}
        {w.pods.length < w.pod_count && <span class="muted">+{w.pod_count - w.pods.length} normal</span>}
      </div>
    </div>
  );
}

export function ClusterView() {
  const { data, error } = useResource<ClusterResponse>('/api/cluster', ['status', 'anomaly']);
  const counts = Object.entries(data?.counts_by_type ?? {}).filter(([t, n]) => t !== 'none' && n > 0);
  return (
    <div class="cluster">
      {error && <p class="error">{error}</p>}
      {data && (
        <section class="summary">
          <div class="stat">
            <b>{data.total_pods}</b> pods
          </div>
          <div class={`stat ${data.anomalous_pods ? 'bad' : ''}`}>
            <b data-testid="anomalous-count">{data.anomalous_pods}</b> anomalous
          </div>
          {counts.map(([t, n]) => (
            <div class="stat bad">
              <b>{n}</b> {typeLabel(t)}
            </div>
          ))}
          <div class="stat muted">insights {ago(data.generated_at)}</div>
          <Agents agents={data.agents} />
        </section>
      )}
      <Anomalies />
      {data && (
        <section>
          <h2>Nodes</h2>
          {data.truncated && <p class="muted">Large cluster: only anomalous pods are listed; the Pods tab pages through all of them.</p>}
          {data.nodes.map((n) => (
            <Node node={n} />
          ))}
        </section>
      )}
      {!data && !error && <p class="muted">Loading…</p>}
    </div>
  );
}
