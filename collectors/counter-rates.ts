// Per-second rates from monotonic counters sampled once per tick (as Prometheus' rate() does for two
// points): the previous sample of each series is kept, a counter that went down is taken as a reset
// (its new value is the increase since the restart), and series missing for a few ticks are forgotten so
// the state stays bounded as pods come and go. (A series missing for a tick or two, e.g. a container
// being restarted, resumes with a rate over the longer interval.)
// One CounterRates holds one pod's few series (a metric and two label values, e.g. container and
// interface), found by a short scan: no key string is built per sample.

interface Series {
  metric: number;
  a: string;
  b: string;
  value: number;
  timeMs: number;
  /** Sweeps since the series was last updated. */
  missed: number;
  /** The last rate computed, reused while the series has no newer sample. */
  rate: number;
}

export class CounterRates {
  private series: Series[] = [];
  private readonly maxMissed: number;

  /** `maxMissed`: ticks a series may be absent before it is forgotten. */
  constructor(maxMissed = 3) {
    this.maxMissed = maxMissed;
  }

  /**
   * The rate per second of the series (`metric`, `a`, `b`), given its counter value at `timeMs`; NaN on
   * a series' first sample. A sample no newer than the previous one returns the previous rate (the
   * source has not moved on).
   */
  update(metric: number, a: string, b: string, value: number, timeMs: number): number {
    let p: Series | undefined;
    for (const s of this.series) {
      if (s.metric === metric && s.a === a && s.b === b) {
        p = s;
        break;
      }
    }
    if (!p) {
      this.series.push({ metric, a, b, value, timeMs, rate: NaN, missed: -1 });
      return NaN;
    }
    p.missed = -1;
    const dt = (timeMs - p.timeMs) / 1000;
    if (!(dt > 0)) return p.rate;
    const increase = value >= p.value ? value - p.value : value;
    const rate = increase / dt;
    p.value = value;
    p.timeMs = timeMs;
    p.rate = rate;
    return rate;
  }

  /** Ends a tick: forgets the series not updated in the last `maxMissed` ticks. */
  sweep(): void {
    let stale = false;
    for (const p of this.series) if (++p.missed >= this.maxMissed) stale = true;
    if (stale) this.series = this.series.filter((p) => p.missed < this.maxMissed);
  }

  get size(): number {
    return this.series.length;
  }
}
