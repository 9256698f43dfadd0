// The notification agent's series, read from its counters at scrape time (lib/metrics.ts onCollect).
import { M, onCollect } from '../../lib/metrics.ts';
import type { NotifyCounters } from './events.ts';
import type { NotifyFormat } from './options.ts';

/** Registers the agent's collect hook; returns its removal. Webhooks count as `slack` or `webhook` by their format. */
export function collectNotifyMetrics(counters: NotifyCounters, format: NotifyFormat): () => void {
  const webhookKind = format === 'slack' ? 'slack' : 'webhook';
  const last = { sent: { alertmanager: 0, webhook: 0 }, failed: { alertmanager: 0, webhook: 0 } };
  const sync = (which: 'sent' | 'failed') => {
    const c = which === 'sent' ? M.notificationsSent() : M.notificationsFailed();
    for (const target of ['alertmanager', 'webhook'] as const) {
      const now = counters[which][target];
      if (now > last[which][target]) c.inc({ target_kind: target === 'webhook' ? webhookKind : 'alertmanager' }, now - last[which][target]);
      last[which][target] = now;
    }
  };
  // Zero-valued series from the start, so a rate() has a beginning.
  for (const kind of ['alertmanager', webhookKind]) {
    M.notificationsSent().inc({ target_kind: kind }, 0);
    M.notificationsFailed().inc({ target_kind: kind }, 0);
  }
  return onCollect(() => {
    sync('sent');
    sync('failed');
  });
}
