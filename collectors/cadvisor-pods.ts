// cAdvisor samples (from collectors/prom-text.ts's scanner) into one aggregate per pod and metric, and the
// network counters into per-second rates. A pod's state (its "namespace/pod" key and its counters'
// previous samples) is kept across ticks under namespace → pod, so a sample finds its pod without a long
// series key built and hashed per sample: at 50,000 pods a tick brings ~350,000 samples. The aggregates
// live in one Float64Array (a slot per pod), not in objects per pod and metric: at that scale those
// objects and their boxed numbers were most of the collector's old heap, marked again at every full GC.
import { CounterRates } from './counter-rates.ts';

/** The labels the scanner keeps, in the order `add` reads their values. */
export const CADVISOR_LABELS = ['namespace', 'pod', 'pod_name', 'container', 'container_name', 'interface'];

/** Network interfaces tracked per pod (each gets its own largest rate); samples of further ones are left out. */
const MAX_INTERFACES = 8;
/** Per metric: a mask of the slots filled this tick, then the slots (network: one per interface; filesystem: containers, pod cgroup). */
const PER_METRIC = 1 + MAX_INTERFACES;
const CONTAINERS = 1;
const POD_CGROUP = 2;

interface PodSeries {
  key: string;
  rates: CounterRates;
  /** The pod's interfaces, in the order they were first seen: interface i has slot i. */
  interfaces: string[];
  /** The pod's own slot (its offset in the slab). */
  home: number;
  /** The tick `home` was last filled in. */
  tick: number;
  /** The page and slot the pod's last sample went to (a second page in one tick gets a slot of its own). */
  page: Map<string, number> | undefined;
  at: number;
}

/**
 * Per pod and cAdvisor metric. Network: the largest rate per interface, summed over interfaces (every
 * cgroup of a pod shares its network namespace, so adding them would double count). Filesystem: the sum
 * over containers, and the pod-level cgroup's (container="") as a fallback when no container series are
 * served. A node's page is a map "namespace/pod" → slot, read with `network` and `fs`.
 */
export class CadvisorPods {
  private readonly isNetwork: readonly boolean[];
  private readonly slotSize: number;
  private slab: Float64Array;
  private readonly freeSlots: number[] = [];
  private highWater = 0;
  /** Slots lent this tick to pods seen on a second node's page; returned at the next tick. */
  private lent: number[] = [];
  private readonly series = new Map<string, Map<string, PodSeries>>();
  private tick = 0;

  /** `isNetwork[m]` makes the scanner's metric m a counter turned into a rate. */
  constructor(isNetwork: readonly boolean[]) {
    this.isNetwork = isNetwork;
    this.slotSize = isNetwork.length * PER_METRIC;
    this.slab = new Float64Array(this.slotSize * 1024);
  }

  /** Starts a tick: each pod's aggregate is made fresh when its first sample arrives. */
  beginTick(): void {
    this.tick++;
    for (const at of this.lent) this.freeSlots.push(at);
    this.lent = [];
  }

  /** One sample (labels in CADVISOR_LABELS order) into its pod's aggregate on this node's page. */
  add(
    page: Map<string, number>,
    m: number,
    labels: readonly (string | undefined)[],
    sampleValue: number,
    timestampMs: number | undefined,
    sampleTime: (namespace: string, pod: string) => number,
  ): void {
    const ns = labels[0] ?? '';
    const pod = labels[1] ?? labels[2];
    if (!pod) return; // node-level or system cgroups
    const container = labels[3] ?? labels[4] ?? '';
    let byPod = this.series.get(ns);
    if (!byPod) this.series.set(ns, (byPod = new Map()));
    let st = byPod.get(pod);
    if (!st) {
      st = { key: `${ns}/${pod}`, rates: new CounterRates(), interfaces: [], home: this.alloc(), tick: 0, page: undefined, at: -1 };
      byPod.set(pod, st);
    }
    if (st.tick !== this.tick || st.page !== page) this.enter(st, page);
    let value = sampleValue;
    const base = st.at + m * PER_METRIC;
    const slab = this.slab;
    if (this.isNetwork[m]) {
      const iface = labels[5] ?? '';
      // One series per pod, cgroup and interface (a pod is on one node; its name is unique in its namespace).
      value = st.rates.update(m, container, iface, sampleValue, timestampMs ?? sampleTime(ns, pod));
      let i = st.interfaces.indexOf(iface);
      if (i < 0) {
        if (st.interfaces.length >= MAX_INTERFACES) return;
        i = st.interfaces.push(iface) - 1;
      }
      const bit = 1 << i;
      const mask = slab[base]!;
      if (!(mask & bit)) {
        slab[base] = mask | bit;
        slab[base + 1 + i] = value;
      } else if (value > slab[base + 1 + i]! || Number.isNaN(value)) slab[base + 1 + i] = value;
    } else {
      const slot = container === '' ? POD_CGROUP : CONTAINERS;
      const mask = slab[base]!;
      if (!(mask & slot)) {
        slab[base] = mask | slot;
        slab[base + slot] = value;
      } else slab[base + slot] = slab[base + slot]! + value;
    }
  }

  /** A pod's network rate on its page: the sum over its interfaces (NaN when it has none this tick). */
  network(at: number | undefined, m: number): number {
    if (at === undefined) return NaN;
    const base = at + m * PER_METRIC;
    const mask = this.slab[base]!;
    if (mask === 0) return NaN;
    let sum = 0;
    for (let i = 0; i < MAX_INTERFACES; i++) if (mask & (1 << i)) sum += this.slab[base + 1 + i]!;
    return sum;
  }

  /** A pod's filesystem counter on its page: the sum over its containers, else the pod-level cgroup's. */
  fs(at: number | undefined, m: number): number {
    if (at === undefined) return NaN;
    const base = at + m * PER_METRIC;
    const mask = this.slab[base]!;
    if (mask & CONTAINERS) return this.slab[base + CONTAINERS]!;
    if (mask & POD_CGROUP) return this.slab[base + POD_CGROUP]!;
    return NaN;
  }

  /** Ends a tick for the rates: series unseen for a few ticks are forgotten, then pods without any. */
  sweep(): void {
    // forEach, not for-of over entries: no [key, value] array per pod and tick (50,000 of them).
    this.series.forEach((byPod, ns) => {
      byPod.forEach((st, pod) => {
        st.rates.sweep();
        if (st.rates.size === 0 && st.tick !== this.tick) {
          byPod.delete(pod);
          this.freeSlots.push(st.home);
        }
      });
      if (byPod.size === 0) this.series.delete(ns);
    });
  }

  /** Points the pod at its slot for `page`: its home slot emptied at its first sample of a tick, a lent one on a second page. */
  private enter(st: PodSeries, page: Map<string, number>): void {
    if (st.tick !== this.tick) {
      st.tick = this.tick;
      st.at = st.home;
      this.clear(st.at);
      page.set(st.key, st.at);
    } else {
      // Pages are scanned side by side, so samples of a pod served by two nodes (moved mid-tick) interleave.
      let at = page.get(st.key);
      if (at === undefined) {
        at = this.alloc();
        this.lent.push(at);
        this.clear(at);
        page.set(st.key, at);
      }
      st.at = at;
    }
    st.page = page;
  }

  private clear(at: number): void {
    for (let m = 0; m < this.isNetwork.length; m++) this.slab[at + m * PER_METRIC] = 0;
  }

  private alloc(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const at = this.highWater;
    this.highWater += this.slotSize;
    if (this.highWater > this.slab.length) {
      const grown = new Float64Array(this.slab.length * 2);
      grown.set(this.slab);
      this.slab = grown;
    }
    return at;
  }
}
