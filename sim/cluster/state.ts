// The simulated cluster's state, shared by the modules that build, step, read and write it: the
// scenario and clock, the object maps, the resource-version counter and the change counter that caches
// key on. Also the small deterministic helpers (ids, template hashes) they have in common.
import type { Json } from '../patch.ts';
import { Rng, hashSeed } from '../prng.ts';
import type { Scenario } from '../scenario.ts';
import type { Counters, Sample, SimWorkload, SimEvent, SimFault, SimNode, SimPdb, SimPod, SimTime } from '../model.ts';

export type Obj = { [k: string]: Json };

export interface ClusterOptions {
  scenario: Scenario;
  seed: number;
  tickSeconds: number;
  startTime: Date;
}

export class ClusterState {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly tickSeconds: number;
  readonly startTime: Date;
  tickCount = 0;
  /** Bumped on every change; caches (Prometheus text, sorted lists) key on it. */
  version = 0;
  rv = 1000;
  readonly rng: Rng;
  readonly nodesByName = new Map<string, SimNode>();
  readonly workloadsByKey = new Map<string, SimWorkload>();
  readonly podsByKey = new Map<string, SimPod>();
  readonly pdbList: SimPdb[] = [];
  readonly eventsByKey = new Map<string, SimEvent>();
  readonly faultList: SimFault[] = [];
  readonly namespaceSet = new Set<string>(['default', 'kube-system']);
  /** Pods in namespace/name order; undefined when a pod came or went. */
  sortedPods: SimPod[] | undefined;
  podIpSeq = 10;

  constructor(opts: ClusterOptions) {
    this.scenario = opts.scenario;
    this.seed = opts.seed;
    this.tickSeconds = opts.tickSeconds;
    this.startTime = opts.startTime;
    this.rng = new Rng(hashSeed('cluster', opts.seed, opts.scenario.name));
  }

  now(): Date {
    return this.timeAt(this.tickCount);
  }

  timeAt(tick: number): Date {
    return new Date(this.startTime.getTime() + tick * this.tickSeconds * 1000);
  }

  simTime(tick = this.tickCount): SimTime {
    return { tick, time: this.timeAt(tick).toISOString() };
  }

  /** When the cluster (its nodes and namespaces) was created: 30 days before tick 0. */
  get clusterCreatedAt(): Date {
    return new Date(this.startTime.getTime() - 30 * 86400_000);
  }

  nextRv(): number {
    return ++this.rv;
  }

  /** A pod changed: new resourceVersion, and the change counter moves. */
  touch(pod: SimPod): void {
    pod.resourceVersion = this.nextRv();
    this.version++;
  }
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * JSON with object keys sorted and empty/null values dropped, so that the same pod template compares
 * equal however a client ordered or padded it (kubectl rollout undo sends creationTimestamp: null...).
 */
export function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = norm((v as Record<string, unknown>)[k]);
        if (x === null || x === undefined || (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0)) continue;
        out[k] = x;
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value)) ?? '';
}

/** A pod-template-hash style name part from the canonical form of a value. */
export function hashString(value: unknown, len = 10): string {
  let h = hashSeed(canonical(value));
  let out = '';
  for (let i = 0; i < len; i++) {
    out += HASH_ALPHABET[h % HASH_ALPHABET.length];
    h = Math.floor(h / HASH_ALPHABET.length) || hashSeed(out, i);
  }
  return out;
}

export function randomUUIDFrom(rng: Rng): string {
  // Deterministic UUID-shaped ids (v4 layout) so that the same seed gives the same objects.
  const hex = (n: number) => Array.from({ length: n }, () => rng.int(16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[rng.int(4)]}${hex(3)}-${hex(12)}`;
}

export function zeroSample(): Sample {
  return {
    running: false,
    cpuCores: 0,
    memoryBytes: 0,
    netRxBytesPerSec: 0,
    netTxBytesPerSec: 0,
    netRxDroppedPerSec: 0,
    netTxDroppedPerSec: 0,
    fsReadBytesPerSec: 0,
    fsWriteBytesPerSec: 0,
  };
}

export function zeroCounters(): Counters {
  return {
    cpuSeconds: 0,
    fsReadBytes: 0,
    fsWriteBytes: 0,
    netRxBytes: 0,
    netTxBytes: 0,
    netRxDropped: 0,
    netTxDropped: 0,
    fsUsageBytes: 0,
  };
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
