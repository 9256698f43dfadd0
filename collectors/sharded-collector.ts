// A collector that keeps only its replica's shard: the pods whose workload the membership Leases
// (lib/shard-membership.ts) assign to this replica at the sample's tick. Replicas with the same
// --interval quantise sample times to the same instants, so two of them that sample one pod in one tick
// ask the ring the same question and get the same owner.
import type { LeaseMembership } from '../lib/shard-membership.ts';
import type { MetricRow } from '../lib/metrics-csv.ts';
import type { Collector, ProbeReport } from './collector.ts';

export class ShardedCollector implements Collector {
  readonly description: string;
  readonly extraColumns: readonly string[];
  /** Rows of other replicas' pods left out in the latest tick. */
  lastLeftOut = 0;
  private readonly inner: Collector;
  private readonly membership: LeaseMembership;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(inner: Collector, membership: LeaseMembership, intervalMs: number, now: () => number = Date.now) {
    this.inner = inner;
    this.membership = membership;
    this.intervalMs = intervalMs;
    this.now = now;
    this.description = `${inner.description}, shard of ${membership.identity} in group ${membership.group}`;
    this.extraColumns = inner.extraColumns;
  }

  async collectOnce(): Promise<MetricRow[]> {
    const rows = await this.inner.collectOnce();
    // A fresh view for this tick: a collection of tens of thousands of pods can keep the renewal timer from
    // firing, and a stale list would make others' leases look expired.
    await this.membership.sync();
    // Ownership at the sample's own time: a replica that is late collects the same tick's sample as one
    // that was on time, and both must ask the ring about the same instant.
    const tickOf = new Map<string, number>();
    const now = this.now();
    const fallback = Math.floor(now / this.intervalMs) * this.intervalMs;
    const mine = rows.filter((r) => {
      let at = tickOf.get(r.timestamp);
      if (at === undefined) {
        const ms = Date.parse(r.timestamp);
        at = Number.isFinite(ms) ? Math.floor(ms / this.intervalMs) * this.intervalMs : fallback;
        tickOf.set(r.timestamp, at);
      }
      return this.membership.owns(r.namespace, r.pod, at, now);
    });
    this.lastLeftOut = rows.length - mine.length;
    return mine;
  }

  async probe(): Promise<ProbeReport> {
    const report = await this.inner.probe();
    const members = this.membership.membersAt(this.now());
    return {
      ...report,
      lines: [...report.lines, `shard group ${this.membership.group}: members ${members.join(', ') || '(none settled yet)'}`],
    };
  }

  close(): void {
    this.inner.close?.();
  }
}
