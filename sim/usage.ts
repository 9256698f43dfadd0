// The usage model: what one running container uses in one tick, from its workload's normal behaviour
// (daily cycle, load spread over ready replicas, noise, benign bursts, start-up burst, GC sawtooth,
// warming heap) and the fault it carries. Pure apart from the pod's own random stream.
import type { Rng } from './prng.ts';
import { MiB } from './quantity.ts';
import type { FaultSpec, Workload } from './scenario.ts';

export interface UsageInput {
  tick: number;
  dayPeriodTicks: number;
  workload: Workload;
  cpuLimitCores: number;
  rng: Rng;
  containerStartedTick: number;
  /** Per-deployment phase of the daily cycle (radians). */
  cyclePhase: number;
  initialReplicas: number;
  readyReplicas: number;
  fault: { spec: FaultSpec; startedTick: number; leakPerTick: number; plateauBytes: number } | undefined;
  /** Leaked bytes so far in this container. */
  leakBytes: number;
  /** False for the first sample at start-up (no time has passed: the leak does not grow). */
  advance: boolean;
}

/** A pod's resource usage this tick (rates per second), as metrics.k8s.io and cAdvisor serve it. */
export interface UsageRates {
  cpuCores: number;
  memoryBytes: number;
  netRxBytesPerSec: number;
  netTxBytesPerSec: number;
  netRxDroppedPerSec: number;
  netTxDroppedPerSec: number;
  fsReadBytesPerSec: number;
  fsWriteBytesPerSec: number;
}

export interface Usage extends UsageRates {
  burst: boolean;
  leakBytes: number;
  /** network_drops: a readiness probe timed out this tick. */
  probeFailed: boolean;
}

export function podUsage(i: UsageInput): Usage {
  const { workload: w, rng: r, tick: t } = i;
  const age = t - i.containerStartedTick;
  const day = 1 + w.cpu.dailyAmplitude * Math.sin((2 * Math.PI * t) / i.dayPeriodTicks + i.cyclePhase);
  // Load is shared by the ready replicas: scaling out lowers every pod's share.
  const spread = Math.min(4, Math.max(0.25, i.initialReplicas / Math.max(1, i.readyReplicas)));
  const burst = r.next() < w.burstProbability;
  let cpu = w.cpu.baseCores * day * spread * Math.max(0.2, 1 + w.cpu.noise * r.normal());
  if (burst) cpu *= 2 + r.next();
  if (age < 2) cpu = Math.max(cpu, Math.min(i.cpuLimitCores, w.cpu.baseCores * 4)); // start-up burst

  const gc =
    w.memory.gcSawtoothMiB > 0
      ? (w.memory.gcSawtoothMiB * MiB * ((age + i.cyclePhase * 7) % w.memory.gcPeriodTicks)) / w.memory.gcPeriodTicks
      : 0;
  let mem = w.memory.baseMiB * MiB * (1 + w.memory.noise * r.normal()) + Math.max(0, gc);
  if (age < 3) mem *= 0.45 + (0.55 * Math.max(0, age)) / 3; // heap warming up

  let rx = w.network.rxBytesPerSec * day * spread * Math.max(0.1, 1 + 0.1 * r.normal());
  let tx = w.network.txBytesPerSec * day * spread * Math.max(0.1, 1 + 0.1 * r.normal());
  if (burst) {
    rx *= 1.5;
    tx *= 1.5;
  }
  let rxDrop = r.next() < 0.03 ? r.next() * 0.5 : 0;
  let txDrop = r.next() < 0.02 ? r.next() * 0.3 : 0;
  let fsRead = w.fs.readBytesPerSec * Math.max(0.05, 1 + 0.3 * r.normal());
  let fsWrite = w.fs.writeBytesPerSec * Math.max(0.05, 1 + 0.3 * r.normal());
  let leak = i.leakBytes;
  let probeFailed = false;

  const f = i.fault;
  if (f) {
    const since = Math.max(f.startedTick, i.containerStartedTick);
    switch (f.spec.kind) {
      case 'cpu_exhaustion':
        if (f.spec.scope === 'deployment') {
          const demand = f.spec.demandCores ?? i.initialReplicas * i.cpuLimitCores * 1.15;
          cpu += demand / Math.max(1, i.readyReplicas);
        } else {
          cpu = i.cpuLimitCores * (0.96 + 0.04 * r.next());
        }
        break;
      case 'cpu_creep':
        cpu += f.spec.coresPerTick * Math.max(0, t - since);
        break;
      case 'memory_leak':
        if (i.advance) leak += f.leakPerTick * Math.max(0.6, 1 + 0.15 * r.normal());
        leak = Math.min(leak, Math.max(0, f.plateauBytes - w.memory.baseMiB * MiB));
        mem += leak;
        break;
      case 'network_drops':
        rxDrop = f.spec.dropsPerSec * (0.7 + 0.6 * r.next());
        txDrop = f.spec.dropsPerSec * 0.4 * (0.7 + 0.6 * r.next());
        rx *= f.spec.throughputFactor;
        tx *= f.spec.throughputFactor;
        probeFailed = r.next() < 0.25;
        break;
      case 'io_pressure':
        fsRead = Math.max(fsRead, 1e5) * f.spec.ioFactor * (0.8 + 0.4 * r.next());
        fsWrite = Math.max(fsWrite, 1e5) * f.spec.ioFactor * (0.8 + 0.4 * r.next());
        cpu *= 1.15;
        break;
      case 'crash_loop':
        cpu = Math.max(cpu, i.cpuLimitCores * 0.3); // busy starting up before it fails
        break;
    }
  }
  return {
    cpuCores: Math.min(Math.max(cpu, 0.0005), i.cpuLimitCores),
    memoryBytes: Math.round(Math.max(mem, 4 * MiB)),
    netRxBytesPerSec: rx,
    netTxBytesPerSec: tx,
    netRxDroppedPerSec: rxDrop,
    netTxDroppedPerSec: txDrop,
    fsReadBytesPerSec: fsRead,
    fsWriteBytesPerSec: fsWrite,
    burst,
    leakBytes: leak,
    probeFailed,
  };
}
