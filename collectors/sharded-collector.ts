// A collector that keeps only its replica's shard: the pods whose workload the membership Leases
// (lib/shard-membership.ts) assign to this replica at the sample's tick. Replicas with the same
// --interval quantise sample times to the same instants, so two of them that sample one pod in one tick
// ask the ring the same question and get the same owner. A collector that can filter its pods before it
// builds rows (the Kubernetes one: then only the nodes of owned pods have their cAdvisor page read) gets
// the rule itself; others' rows are filtered after.
import type { LeaseMembership } from '../lib/shard-membership.ts';
import type { MetricRow } from '../lib/metrics-csv.ts';
import type { Collector, ProbeReport } from './collector.ts';

/** A collector that keeps only the rows `owns` accepts, judged before the rows are built. */
export interface OwnershipCollector extends Collector {
  collectOwned(owns: (namespace: string, pod: string, timestamp: string) => boolean): Promise<MetricRow[]>;
}

function filtersOwnership(c: Collector): c is OwnershipCollector {
  return typeof (c as Partial<OwnershipCollector>).collectOwned === 'function';
}

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
    if (filtersOwnership(this.inner)) {
      // The membership is read first (one lease list); the collection then asks it pod by pod.
      await this.membership.sync();
      let owns: ((namespace: string, pod: string, timestamp: string) => boolean) | undefined;
      let leftOut = 0;
      const rows = await this.inner.collectOwned((namespace, pod, timestamp) => {
        owns ??= this.ownership();
        const mine = owns(namespace, pod, timestamp);
        if (!mine) leftOut++;
        return mine;
      });
      this.lastLeftOut = leftOut;
      return rows;
    }
    const rows = await this.inner.collectOnce();
    // A fresh view for this tick: a collection of tens of thousands of pods can keep the renewal timer from
    // firing, and a stale list would make others' leases look expired.
    await this.membership.sync();
    const owns = this.ownership();
    const mine = rows.filter((r) => owns(r.namespace, r.pod, r.timestamp));
    this.lastLeftOut = rows.length - mine.length;
    return mine;
  }

  /**
   * Ownership at the sample's own time: a replica that is late collects the same tick's sample as one
   * that was on time, and both must ask the ring about the same instant.
   */
  private ownership(): (namespace: string, pod: string, timestamp: string) => boolean {
    const tickOf = new Map<string, number>();
    const now = this.now();
    const fallback = Math.floor(now / this.intervalMs) * this.intervalMs;
    return (namespace, pod, timestamp) => {
      let at = tickOf.get(timestamp);
      if (at === undefined) {
        const ms = Date.parse(timestamp);
        at = Number.isFinite(ms) ? Math.floor(ms / this.intervalMs) * this.intervalMs : fallback;
        tickOf.set(timestamp, at);
      }
      return this.membership.owns(namespace, pod, at, now);
    };
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
