// The pod view's charts as data: the metric series on one time axis (Unix seconds), the limit and threshold
// as dashed lines, and a forecast as a dashed segment from the last sample to (now + eta, limit).
import type { Forecast } from '../lib/schemas.ts';
import type { PodDetailResponse } from '../server/api-schemas.ts';
import type { ChartProps } from './chart.tsx';
import { bytes, pct } from './format.ts';

type Series = PodDetailResponse['series'];
type Values = (number | null)[];

const COLORS = { cpu: '#2563eb', mem: '#7c3aed', limit: '#dc2626', rx: '#059669', tx: '#d97706', restarts: '#be123c', p: '#0f172a' };
/** A forecast further out than this many windows would squash the chart; it is then shown as text only. */
const MAX_FORECAST_WINDOWS = 3;

const seconds = (iso: string) => Date.parse(iso) / 1000;
const lastValue = (v: Values): number | null => {
  for (let i = v.length - 1; i >= 0; i--) if (v[i] != null) return v[i]!;
  return null;
};

/** Adds the forecast's far point to the time axis; returns the forecast line and the other lines padded. */
function withForecast(
  x: number[],
  lines: ChartProps['lines'],
  metric: Values,
  f: Forecast | undefined,
  color: string,
): Pick<ChartProps, 'x' | 'lines'> {
  const start = lastValue(metric);
  const t0 = x[x.length - 1];
  const span = x.length > 1 ? t0! - x[0]! : 0;
  if (!f || start == null || t0 == null || (span > 0 && f.eta_seconds > span * MAX_FORECAST_WINDOWS)) return { x, lines };
  const far = t0 + Math.max(f.eta_seconds, 1);
  const forecast: Values = x.map((_, i) => (i === x.length - 1 ? start : null));
  forecast.push(f.limit);
  return {
    x: [...x, far],
    lines: [
      ...lines.map((l) => ({ ...l, values: [...l.values, l.dash ? (l.values[l.values.length - 1] ?? null) : null] })),
      { label: `forecast (${Math.round(f.confidence * 100)}%)`, values: forecast, color, dash: true, spanGaps: true },
    ],
  };
}

export function podCharts(d: PodDetailResponse): ChartProps[] {
  const s: Series = d.series;
  const x = s.timestamps.map(seconds);
  const fc = (m: Forecast['metric']) => d.forecasts.find((f) => f.metric === m);
  const cpu = withForecast(x, [{ label: 'CPU (m)', values: s.cpu_millicores, color: COLORS.cpu }], s.cpu_millicores, fc('cpu'), COLORS.cpu);
  const mem = withForecast(
    x,
    [
      { label: 'memory', values: s.memory_bytes, color: COLORS.mem },
      { label: 'limit', values: s.memory_limit_bytes, color: COLORS.limit, dash: true },
    ],
    s.memory_bytes,
    fc('memory'),
    COLORS.limit,
  );
  const threshold = d.threshold;
  const hasSeriesP = s.anomaly_probability.some((v) => v != null);
  const px = hasSeriesP ? x : d.probability_history.map((p) => seconds(p.ts));
  const pv: Values = hasSeriesP ? s.anomaly_probability : d.probability_history.map((p) => p.p);
  const pLines: ChartProps['lines'] = [{ label: 'probability', values: pv, color: COLORS.p, spanGaps: true }];
  if (threshold != null) pLines.push({ label: 'alert threshold', values: px.map(() => threshold), color: COLORS.limit, dash: true });
  return [
    { title: 'Anomaly probability', x: px, lines: pLines, format: pct, yRange: [0, 1] },
    { title: 'Memory', ...mem, format: bytes },
    { title: 'CPU', ...cpu, format: (v) => `${Math.round(v)}m` },
    {
      title: 'Network',
      x,
      lines: [
        { label: 'rx', values: s.network_rx_bytes_per_s, color: COLORS.rx },
        { label: 'tx', values: s.network_tx_bytes_per_s, color: COLORS.tx },
      ],
      format: (v) => `${bytes(v)}/s`,
    },
    { title: 'Restarts', x, lines: [{ label: 'restarts', values: s.restarts, color: COLORS.restarts }], height: 120 },
  ];
}
