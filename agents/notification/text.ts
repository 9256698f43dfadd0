// Short human texts shared by every format: a forecast, a recommended action, an episode's one-liner.
import type { Forecast, PodAnalysis, RecommendedAction } from '../../lib/schemas.ts';
import type { Episode } from './events.ts';

const METRIC_NAMES: Record<Forecast['metric'], string> = { memory: 'memory', cpu: 'CPU', ephemeral_storage: 'ephemeral storage' };

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** The soonest forecast, e.g. "memory reaches its limit in ~6 min"; null without one. */
export function forecastText(forecasts: readonly Forecast[] | undefined): string | null {
  if (!forecasts?.length) return null;
  const f = forecasts.reduce((a, b) => (b.eta_seconds < a.eta_seconds ? b : a));
  return `${METRIC_NAMES[f.metric]} reaches its limit in ~${duration(f.eta_seconds)}`;
}

export function actionText(a: RecommendedAction): string {
  const params = Object.entries(a.params)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  return `${a.action}(${params})`;
}

export function recommendedText(an: Pick<PodAnalysis, 'recommended_actions'>): string | null {
  const first = an.recommended_actions[0];
  return first ? actionText(first) : null;
}

export function podsText(pods: readonly string[], max = 10): string {
  const shown = pods.slice(0, max).join(', ');
  return pods.length > max ? `${shown} and ${pods.length - max} more` : shown;
}

/** "oom_risk in shop/payments: 2 pods anomalous (payments-1, payments-2)". */
export function episodeSummary(ep: Episode): string {
  const pods = ep.active_pods.length ? ep.active_pods : ep.pods;
  const n = pods.length;
  return `${ep.key.anomaly_type} in ${ep.key.namespace}/${ep.key.workload}: ${n} pod${n === 1 ? '' : 's'} anomalous (${podsText(pods)})`;
}
