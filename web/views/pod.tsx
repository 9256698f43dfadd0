// Pod view: the detector's verdict, the open analysis if any, forecasts, and the charts, refreshed live
// whenever the server reports new insights.
import type { PodDetailResponse } from '../../server/api-schemas.ts';
import { Chart } from '../chart.tsx';
import { ago, anomalyHref, bytes, duration, pct, typeLabel } from '../format.ts';
import { podCharts } from '../pod-charts.ts';
import { useResource } from '../resource.ts';

const forecastLimit = (metric: string, limit: number) => (metric === 'cpu' ? `${Math.round(limit)}m` : bytes(limit));

export function PodView({ namespace, pod }: { namespace: string; pod: string }) {
  const path = `/api/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}`;
  const { data, error } = useResource<PodDetailResponse>(path, ['status', 'analysis']);
  const i = data?.insight;
  return (
    <section class="pod-view">
      <h2>
        <span class="muted">{namespace}/</span>
        {pod}
      </h2>
      {error && <p class="error">{error}</p>}
      {i && (
        <div class={`verdict ${i.predicted_anomaly ? 'anomalous' : 'normal'}`} data-testid="verdict">
          <b>{i.predicted_anomaly ? `Anomalous: ${typeLabel(i.anomaly_type)}` : 'Normal'}</b>
          <span>probability {pct(i.anomaly_probability)}</span>
          {data.threshold != null && <span class="muted">threshold {pct(data.threshold)}</span>}
          {i.since && <span>since {ago(i.since)}</span>}
          <span class="muted">
            {i.node ?? ''} {i.workload ? `· ${i.workload}` : ''} {i.status ? `· ${i.status}` : ''} · scored {ago(i.timestamp)}
          </span>
          {data.analysis_id && (
            <a class="button primary" href={anomalyHref(data.analysis_id)}>
              Open the analysis →
            </a>
          )}
        </div>
      )}
      {data && data.forecasts.length > 0 && (
        <ul class="forecasts">
          {data.forecasts.map((f) => (
            <li>
              {f.metric} reaches its limit ({forecastLimit(f.metric, f.limit)}) in about <b>{duration(f.eta_seconds)}</b>{' '}
              <span class="muted">(confidence {pct(f.confidence)})</span>
            </li>
          ))}
        </ul>
      )}
      {i && i.contributing_metrics.length > 0 && (
        <p class="muted">
          Contributing:{' '}
          {i.contributing_metrics
            .slice(0, 4)
            .map((m) => `${m.metric} (${m.value.toPrecision(3)}, expected ${m.expected.toPrecision(3)})`)
            .join(', ')}
        </p>
      )}
      {data && (
        <div class="charts">
          {podCharts(data).map((c) => (
            <Chart key={c.title} {...c} />
          ))}
        </div>
      )}
      {!data && !error && <p class="muted">Loading…</p>}
    </section>
  );
}
