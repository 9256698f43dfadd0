// Alertmanager's view of the episodes: one alert per anomalous pod of an open episode. An alert no longer
// wanted gets endsAt = now and stays in the state until Alertmanager accepted that resolve.
import type { AlertRecord, Episode, NotifyState } from './events.ts';
import { alertAnnotations, alertLabels } from './formatters.ts';
import { episodeSummary } from './text.ts';

const fingerprint = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

/** Brings state.alerts in line with the episodes; true when an alert started or ended (send now). */
export function reconcileAlerts(state: NotifyState, episodes: readonly Episode[], now: number): boolean {
  const at = new Date(now).toISOString();
  const wanted = new Map<string, { labels: Record<string, string>; annotations: Record<string, string> }>();
  for (const ep of episodes) {
    if (ep.state !== 'open') continue;
    const summary = episodeSummary(ep);
    for (const pod of ep.active_pods) {
      const labels = alertLabels(ep, pod);
      wanted.set(fingerprint(labels), { labels, annotations: alertAnnotations(ep, summary) });
    }
  }
  let changed = false;
  const have = new Map<string, AlertRecord>(state.alerts.map((a) => [fingerprint(a.labels), a]));
  for (const [fp, a] of have) {
    const w = wanted.get(fp);
    if (w) {
      a.annotations = w.annotations;
      if (a.ends_at) {
        a.ends_at = null;
        changed = true;
      }
    } else if (!a.ends_at) {
      a.ends_at = at;
      changed = true;
    }
  }
  for (const [fp, w] of wanted) {
    if (have.has(fp)) continue;
    state.alerts.push({ ...w, starts_at: at, ends_at: null });
    changed = true;
  }
  return changed;
}

/** Forgets resolved alerts once Alertmanager has them (unless one came back meanwhile). */
export function forgetResolved(state: NotifyState, sent: readonly AlertRecord[]): void {
  const done = new Set(sent.map((a) => `${fingerprint(a.labels)}@${a.ends_at}`));
  state.alerts = state.alerts.filter((a) => !(a.ends_at && done.has(`${fingerprint(a.labels)}@${a.ends_at}`)));
}
