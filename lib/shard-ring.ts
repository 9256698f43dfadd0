// A consistent-hash ring over workloads: every live member owns the arcs before its virtual points, so
// when a member joins or leaves only the workloads on its arcs move (about 1/N of them), and a
// workload's pods always move together (sibling comparison needs them in one replica).
import { workloadOf } from './workload-name.ts';

const VIRTUAL_POINTS = 128;

/** FNV-1a, 32 bits, then a murmur3 finaliser: cheap, stable across processes and versions, well spread. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashRing {
  readonly members: readonly string[];
  private readonly points: Uint32Array;
  private readonly owners: string[];

  constructor(members: Iterable<string>, virtualPoints = VIRTUAL_POINTS) {
    this.members = [...new Set(members)].sort();
    const pts: { p: number; m: string }[] = [];
    for (const m of this.members) for (let v = 0; v < virtualPoints; v++) pts.push({ p: hash32(`${m}#${v}`), m });
    // Ties (vanishingly rare) are broken by member name so every replica builds the same ring.
    pts.sort((a, b) => a.p - b.p || (a.m < b.m ? -1 : a.m > b.m ? 1 : 0));
    this.points = Uint32Array.from(pts, (x) => x.p);
    this.owners = pts.map((x) => x.m);
  }

  /** The member owning `key`, or undefined on an empty ring. */
  owner(key: string): string | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    const h = hash32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === n ? 0 : lo];
  }
}

/**
 * The key a pod is sharded by: its workload (lib/workload-name.ts) when it has one, else the pod itself.
 * A Deployment's pods are keyed by the Deployment, not the ReplicaSet, so a rollout keeps them together.
 */
export function shardKey(namespace: string, pod: string): string {
  return workloadOf(namespace, pod) ?? `${namespace}/Pod/${pod}`;
}
