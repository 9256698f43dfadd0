// What the Kubernetes collector keeps per pod from tick to tick, found by namespace and name: the
// PodMetrics reader writes each pod's usage into its slot (no "namespace/name" string, no object and no
// map entry made per pod and tick: at 50,000 pods those were a tenth of the tick), and the tick's rows
// read it back there with the time of the pod's last row written.

export interface PodSlot {
  /** "namespace/name" */
  readonly key: string;
  /** The PodMetrics read that last wrote the usage below (0: none yet). */
  usageRead: number;
  cpuCores: number;
  memoryBytes: number;
  /** The usage sample's time (ISO 8601); undefined when the item had none, or one that is not a time. */
  timestamp: string | undefined;
  /** The sample time of the pod's last row written (a sample is written once however often we poll). */
  written: string | undefined;
  /** The tick whose pod list last held the pod. */
  listed: number;
}

export class PodSlots {
  private readonly byNamespace = new Map<string, Map<string, PodSlot>>();
  private count = 0;

  /** The pod's slot, made on first sight. */
  slot(namespace: string, name: string): PodSlot {
    let byName = this.byNamespace.get(namespace);
    if (!byName) this.byNamespace.set(namespace, (byName = new Map()));
    let s = byName.get(name);
    if (!s) {
      s = {
        key: `${namespace}/${name}`,
        usageRead: 0,
        cpuCores: NaN,
        memoryBytes: NaN,
        timestamp: undefined,
        written: undefined,
        listed: 0,
      };
      byName.set(name, s);
      this.count++;
    }
    return s;
  }

  /** The pod's slot when it has one. */
  find(namespace: string, name: string): PodSlot | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Forgets the pods the pod list of `tick` did not hold, once they are over a fifth of the `listed`
   * ones (a sweep per tick over 50,000 slots would cost more than the few that left).
   */
  sweep(tick: number, listed: number): void {
    if (this.count - listed <= listed / 5) return;
    for (const [namespace, byName] of this.byNamespace) {
      for (const [name, s] of byName) {
        if (s.listed === tick) continue;
        byName.delete(name);
        this.count--;
      }
      if (byName.size === 0) this.byNamespace.delete(namespace);
    }
  }
}
