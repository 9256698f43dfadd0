// Per-second rates from monotonic counters sampled once per tick (as Prometheus' rate() does for two
// points): the previous sample of each series is kept, a counter that went down is taken as a reset
// (its new value is the increase since the restart), and series not seen in a tick are forgotten so the
// state stays bounded as pods come and go.

interface Previous {
  value: number;
  timeMs: number;
  /** The last rate computed, reused while the series has no newer sample. */
  rate: number;
}

export class CounterRates {
  private prev = new Map<string, Previous>();
  private seen = new Set<string>();

  /**
   * The rate of `key` per second, given its counter value at `timeMs`; NaN on a series' first sample.
   * A sample no newer than the previous one returns the previous rate (the source has not moved on).
   */
  update(key: string, value: number, timeMs: number): number {
    this.seen.add(key);
    const p = this.prev.get(key);
    if (!p) {
      this.prev.set(key, { value, timeMs, rate: NaN });
      return NaN;
    }
    const dt = (timeMs - p.timeMs) / 1000;
    if (!(dt > 0)) return p.rate;
    const increase = value >= p.value ? value - p.value : value;
    const rate = increase / dt;
    p.value = value;
    p.timeMs = timeMs;
    p.rate = rate;
    return rate;
  }

  /** Ends a tick: drops the series that were not updated in it. */
  sweep(): void {
    for (const key of this.prev.keys()) if (!this.seen.has(key)) this.prev.delete(key);
    this.seen.clear();
  }

  get size(): number {
    return this.prev.size;
  }
}
