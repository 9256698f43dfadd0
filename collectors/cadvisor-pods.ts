// cAdvisor samples (from collectors/prom-text.ts's scanner) into one aggregate per pod and metric, and the
// network counters into per-second rates. A pod's state (its "namespace/pod" key and its counters'
// previous samples) is kept across ticks under namespace → pod, so a sample finds its pod without a long
// series key built and hashed per sample: at 50,000 pods a tick brings ~300,000 samples.
import { CounterRates } from './counter-rates.ts';

/** The labels the scanner keeps, in the order `add` reads their values. */
export const CADVISOR_LABELS = ['namespace', 'pod', 'pod_name', 'container', 'container_name', 'interface'];

/**
 * Per pod and cAdvisor metric. Network: the largest rate per interface (every cgroup of a pod shares its
 * network namespace, so adding them would double count). Filesystem: the sum over containers, and the
 * pod-level cgroup's (container="") as a fallback when no container series are served.
 */
export interface SeriesGroups {
  /** Network: interface names and their largest rate, side by side (a pod has one or two; no Map per pod and metric). */
  interfaces: string[] | undefined;
  rates: number[] | undefined;
  containers: number | undefined;
  pod: number | undefined;
}

export type PodCadvisorOf<K extends string> = Partial<Record<K, SeriesGroups>>;

interface PodSeries<K extends string> {
  key: string;
  rates: CounterRates;
  /** The tick and node page `entry` belongs to. */
  tick: number;
  page: Map<string, PodCadvisorOf<K>> | undefined;
  entry: PodCadvisorOf<K>;
}

export class CadvisorPods<K extends string> {
  private readonly keys: readonly K[];
  private readonly isNetwork: readonly boolean[];
  private readonly series = new Map<string, Map<string, PodSeries<K>>>();
  private tick = 0;

  /** `keys[m]` names the scanner's metric m; `isNetwork[m]` makes it a counter turned into a rate. */
  constructor(keys: readonly K[], isNetwork: readonly boolean[]) {
    this.keys = keys;
    this.isNetwork = isNetwork;
  }

  /** Starts a tick: each pod's aggregate is made fresh. */
  beginTick(): void {
    this.tick++;
  }

  /** One sample (labels in CADVISOR_LABELS order) into its pod's aggregate on this node's page, `pods`. */
  add(
    pods: Map<string, PodCadvisorOf<K>>,
    m: number,
    labels: readonly (string | undefined)[],
    sampleValue: number,
    timestampMs: number | undefined,
    sampleTime: (podKey: string) => number,
  ): void {
    const metric = this.keys[m]!;
    const ns = labels[0] ?? '';
    const pod = labels[1] ?? labels[2];
    if (!pod) return; // node-level or system cgroups
    const container = labels[3] ?? labels[4] ?? '';
    let byPod = this.series.get(ns);
    if (!byPod) this.series.set(ns, (byPod = new Map()));
    let st = byPod.get(pod);
    if (!st) byPod.set(pod, (st = { key: `${ns}/${pod}`, rates: new CounterRates(), tick: 0, page: undefined, entry: {} }));
    if (st.tick !== this.tick || st.page !== pods) {
      // This tick's aggregate: last tick's emptied in place (no objects per pod and tick to collect);
      // a fresh one when the pod shows on a second node's page in one tick.
      if (st.tick === this.tick) st.entry = {};
      else for (const g of Object.values(st.entry) as SeriesGroups[]) clearGroups(g);
      st.tick = this.tick;
      st.page = pods;
      pods.set(st.key, st.entry);
    }
    let value = sampleValue;
    const network = this.isNetwork[m]!;
    const iface = labels[5] ?? '';
    if (network) {
      // One series per pod, cgroup and interface (a pod is on one node; its name is unique in its namespace).
      value = st.rates.update(`${m}|${container}|${iface}`, sampleValue, timestampMs ?? sampleTime(st.key));
    }
    const g = (st.entry[metric] ??= { interfaces: undefined, rates: undefined, containers: undefined, pod: undefined });
    if (network) {
      const names = (g.interfaces ??= []);
      const rates = (g.rates ??= []);
      const at = names.indexOf(iface);
      if (at < 0) {
        names.push(iface);
        rates.push(value);
      } else if (value > rates[at]! || Number.isNaN(value)) rates[at] = value;
    } else if (container === '') g.pod = (g.pod ?? 0) + value;
    else g.containers = (g.containers ?? 0) + value;
  }

  /** Ends a tick for the rates: series unseen for a few ticks are forgotten, then pods without any. */
  sweep(): void {
    for (const [ns, byPod] of this.series) {
      for (const [pod, st] of byPod) {
        st.rates.sweep();
        if (st.rates.size === 0 && st.tick !== this.tick) byPod.delete(pod);
      }
      if (byPod.size === 0) this.series.delete(ns);
    }
  }
}

function clearGroups(g: SeriesGroups | undefined): void {
  if (!g) return;
  if (g.interfaces) g.interfaces.length = 0;
  if (g.rates) g.rates.length = 0;
  g.containers = undefined;
  g.pod = undefined;
}

/** A pod's network rate: the sum over its interfaces (NaN when it has none this tick). */
export function networkValue(g: SeriesGroups | undefined): number {
  if (!g?.rates || g.rates.length === 0) return NaN;
  let sum = 0;
  for (const v of g.rates) sum += v;
  return sum;
}

/** A pod's filesystem counter: the sum over its containers, else the pod-level cgroup's. */
export function fsValue(g: SeriesGroups | undefined): number {
  return g?.containers ?? g?.pod ?? NaN;
}
