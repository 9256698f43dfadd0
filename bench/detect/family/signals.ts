// The randomised family's signal models, written from scratch (nothing from sim/): a seeded RNG, AR(1)
// noise, a seasonal cycle, a GC sawtooth and one-tick bursts. Every time constant is in seconds and turned
// into ticks with the seed's tick length, so a workload looks the same in time at any tick.
import { mulberry32 } from '../../../lib/prng.ts';

/** The project's mulberry32 stream (lib/prng.ts), its seed spread by the golden ratio so that neighbouring seeds differ from the start. */
export function rng(seed: number): () => number {
  return mulberry32(seed * 0x9e3779b9);
}

export type Rand = () => number;
export const uniform = (r: Rand, lo: number, hi: number) => lo + (hi - lo) * r();
export const intIn = (r: Rand, lo: number, hi: number) => Math.floor(uniform(r, lo, hi + 1));
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export function gauss(r: Rand): number {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}
/** Lower-case alphanumeric name part with at least one digit (as ReplicaSet hashes and pod suffixes are). */
export function hashPart(r: Rand, n: number): string {
  const abc = 'bcdfghjklmnpqrstvwxz';
  const digits = '0123456789';
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r() < 0.4 ? pick(r, [...digits]) : pick(r, [...abc]));
  if (!out.some((c) => /\d/.test(c))) out[intIn(r, 0, n - 1)] = pick(r, [...digits]);
  return out.join('');
}

/** Stationary AR(1) with unit marginal spread: x' = φx + √(1−φ²)·ε. */
export class Ar1 {
  private x: number;
  private readonly r: Rand;
  private readonly phi: number;
  constructor(r: Rand, phi: number) {
    this.r = r;
    this.phi = phi;
    this.x = gauss(r);
  }
  next(): number {
    this.x = this.phi * this.x + Math.sqrt(1 - this.phi * this.phi) * gauss(this.r);
    return this.x;
  }
}

/** A workload's shape: shared by its pods (each pod has its own noise and a small level offset). */
export interface WorkloadShape {
  cpu: number;
  mem: number;
  rx: number;
  tx: number;
  fsRead: number;
  fsWrite: number;
  /** Relative spread of the AR(1) noise on CPU and network (memory: a fifth of it). */
  noise: number;
  phi: number;
  seasonAmp: number;
  seasonPeriodS: number;
  seasonPhase: number;
  /** GC sawtooth on memory (percentage points, period in seconds); 0 amplitude = none. */
  gcAmp: number;
  gcPeriodS: number;
  /** One-tick bursts: chance per tick, and the CPU/network factor. */
  burstP: number;
  burstFactor: number;
}

/** The seasonal factor at time t (seconds since the run's start). */
export function season(w: WorkloadShape, t: number): number {
  return 1 + w.seasonAmp * Math.sin((2 * Math.PI * t) / w.seasonPeriodS + w.seasonPhase);
}

/** The sawtooth's offset at t: climbs from −amp/2 to +amp/2 over a period, then the collector drops it. */
export function sawtooth(w: WorkloadShape, t: number, phaseS: number): number {
  if (w.gcAmp <= 0) return 0;
  const u = ((t + phaseS) % w.gcPeriodS) / w.gcPeriodS;
  return w.gcAmp * (u - 0.5);
}
