// The outbox: webhook messages not delivered yet, one entry per (message, target), in order. It lives in
// the agent's state file, so a restart delivers what was pending, once. Bounded: beyond the cap the
// oldest entries are dropped, counted and warned about.
import type { Logger } from '../../lib/log.ts';
import type { NotifyEvent, NotifyState, OutboxEntry } from './events.ts';

export class Outbox {
  private readonly state: NotifyState;
  private readonly max: number;
  private readonly log: Logger;

  constructor(state: NotifyState, max: number, log: Logger) {
    this.state = state;
    this.max = max;
    this.log = log;
  }

  get size(): number {
    return this.state.outbox.length;
  }

  add(event: NotifyEvent, targets: readonly string[], now: number): void {
    for (const target of targets) this.state.outbox.push({ target, event, attempts: 0, enqueued_at: new Date(now).toISOString() });
    const over = this.state.outbox.length - this.max;
    if (over > 0) {
      const dropped = this.state.outbox.splice(0, over);
      this.state.dropped_total += over;
      this.log.warn('outbox full: oldest messages dropped', {
        dropped: over,
        dropped_total: this.state.dropped_total,
        max: this.max,
        messages: dropped.map((d) => d.event.message_id),
      });
    }
  }

  /** The next message for a target (they go out in order). */
  head(target: string): OutboxEntry | undefined {
    return this.state.outbox.find((e) => e.target === target);
  }

  remove(entry: OutboxEntry): void {
    const i = this.state.outbox.indexOf(entry);
    if (i >= 0) this.state.outbox.splice(i, 1);
  }

  /** Drops entries for targets no longer configured (their URL is not known any more); returns how many. */
  retainTargets(ids: ReadonlySet<string>): number {
    const before = this.state.outbox.length;
    this.state.outbox = this.state.outbox.filter((e) => ids.has(e.target));
    return before - this.state.outbox.length;
  }
}
