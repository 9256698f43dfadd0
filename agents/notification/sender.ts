// Delivery: every target on its own, with exponential backoff (lib/backoff.ts), so a target that is down
// delays only its own messages and never the pipeline (the tracker only enqueues). Webhook messages go out
// of the outbox in order, each removed only once its target accepted it; Alertmanager gets the open
// alerts re-sent every --alertmanager-resend seconds and each resolve (endsAt) until it accepted one.
import { Backoff, sleep } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/log.ts';
import type { AlertRecord, NotifyCounters } from './events.ts';
import { alertmanagerBody, webhookBody } from './formatters.ts';
import type { NotifyFormat } from './options.ts';
import type { Outbox } from './outbox.ts';
import { safeUrlLabel, type WebhookTarget } from './targets.ts';

export class PermanentError extends Error {}

/** POSTs JSON; throws on a network error, a timeout or a non-2xx answer (PermanentError for a 4xx that retrying cannot fix). */
export async function postJson(
  url: string,
  body: unknown,
  timeoutMs: number,
  headers: Record<string, string> = {},
  stop?: AbortSignal,
): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: stop ? AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const msg = `HTTP ${res.status} from ${safeUrlLabel(url)}: ${text.slice(0, 200)}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentError(msg);
  throw new Error(msg);
}

function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } };
  // fetch's errors name the host at most; the message of a cause may not, but never holds the path.
  return e.cause?.code ? `${e.message} (${e.cause.code})` : e.message;
}

export interface SenderOptions {
  timeoutMs: number;
  retryMaxMs: number;
  log: Logger;
  counters: NotifyCounters;
  /** Called after every change of the outbox or the alerts (the agent persists its state). */
  changed: () => void;
}

export class WebhookSender {
  private readonly busy = new Set<string>();
  private readonly stop = new AbortController();
  private readonly running = new Set<Promise<void>>();

  private readonly targets: readonly WebhookTarget[];
  private readonly outbox: Outbox;
  private readonly format: NotifyFormat;
  private readonly o: SenderOptions;

  constructor(targets: readonly WebhookTarget[], outbox: Outbox, format: NotifyFormat, o: SenderOptions) {
    this.targets = targets;
    this.outbox = outbox;
    this.format = format;
    this.o = o;
  }

  /** Starts a delivery loop for every target that has messages and none running. */
  kick(): void {
    for (const t of this.targets) {
      if (this.busy.has(t.id) || this.stop.signal.aborted || !this.outbox.head(t.id)) continue;
      this.busy.add(t.id);
      const p = this.drain(t).finally(() => {
        this.busy.delete(t.id);
        this.running.delete(p);
      });
      this.running.add(p);
    }
  }

  private async drain(t: WebhookTarget): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: this.o.retryMaxMs });
    for (let entry = this.outbox.head(t.id); entry && !this.stop.signal.aborted; entry = this.outbox.head(t.id)) {
      const id = entry.event.message_id;
      try {
        await postJson(t.url, webhookBody(entry.event, this.format), this.o.timeoutMs, { 'idempotency-key': id }, this.stop.signal);
        this.o.counters.sent.webhook++;
        this.outbox.remove(entry);
        backoff.reset();
        this.o.log.info('webhook message sent', { target: t.label, message: id, attempts: entry.attempts + 1 });
      } catch (err) {
        if (this.stop.signal.aborted) break;
        this.o.counters.failed.webhook++;
        entry.attempts++;
        if (err instanceof PermanentError) {
          this.outbox.remove(entry);
          this.o.log.error('webhook refused the message; dropped', { target: t.label, message: id, reason: reason(err) });
        } else {
          const wait = backoff.next();
          this.o.log.warn('webhook delivery failed; retrying', {
            target: t.label,
            message: id,
            attempts: entry.attempts,
            retry_in_ms: Math.round(wait),
            reason: reason(err),
          });
          this.o.changed();
          await sleep(wait, this.stop.signal);
          continue;
        }
      }
      this.o.changed();
    }
  }

  /** Stops retrying and cuts requests in flight short (their messages stay in the outbox). */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.running]);
  }
}

export class AlertmanagerSender {
  private lastSent = 0;
  private nextTry = 0;
  private inFlight: Promise<void> | null = null;
  private readonly backoff: Backoff;
  readonly label: string;

  private readonly url: string;
  private readonly alerts: () => AlertRecord[];
  private readonly resendMs: number;
  private readonly o: SenderOptions & { forget: (sent: AlertRecord[]) => void };

  constructor(url: string, alerts: () => AlertRecord[], resendMs: number, o: SenderOptions & { forget: (sent: AlertRecord[]) => void }) {
    this.url = url;
    this.alerts = alerts;
    this.resendMs = resendMs;
    this.o = o;
    this.backoff = new Backoff({ initialMs: 500, maxMs: Math.min(o.retryMaxMs, resendMs) });
    this.label = safeUrlLabel(url);
  }

  /** Sends when something changed (`urgent`) or the resend interval passed, unless backing off. */
  tick(now: number, urgent: boolean): void {
    if (this.inFlight || now < this.nextTry) return;
    const alerts = this.alerts();
    if (!alerts.length) return;
    if (!urgent && now - this.lastSent < this.resendMs && !alerts.some((a) => a.ends_at)) return;
    this.inFlight = this.send(alerts, now).finally(() => (this.inFlight = null));
  }

  private async send(alerts: AlertRecord[], now: number): Promise<void> {
    try {
      // Open alerts expire by themselves three resends after the last one, should this agent stop.
      await postJson(`${this.url.replace(/\/+$/, '')}/api/v2/alerts`, alertmanagerBody(alerts, now, 3 * this.resendMs), this.o.timeoutMs);
      this.o.counters.sent.alertmanager++;
      this.lastSent = now;
      this.backoff.reset();
      this.o.forget(alerts.filter((a) => a.ends_at));
      this.o.log.debug('alerts sent to Alertmanager', {
        target: this.label,
        firing: alerts.filter((a) => !a.ends_at).length,
        resolved: alerts.filter((a) => a.ends_at).length,
      });
    } catch (err) {
      this.o.counters.failed.alertmanager++;
      const wait = this.backoff.next();
      this.nextTry = Date.now() + wait;
      this.o.log.warn('Alertmanager unreachable; retrying', { target: this.label, retry_in_ms: Math.round(wait), reason: reason(err) });
    }
    this.o.changed();
  }

  async close(): Promise<void> {
    await this.inFlight;
  }
}
