// Replicas that split the cluster through Kubernetes Leases (coordination.k8s.io/v1): each replica holds
// its own membership Lease in one namespace, labelled with the shard group, and renews it every
// renewSeconds; the leases alive at a moment define the members and so the hash ring (lib/shard-ring.ts).
// No home-made protocol: the API server's resourceVersion checks are the only arbiter of writes.
//
// Every replica judges membership from the same lease data, so views agree: a member counts for samples
// taken from its acquireTime + settle on (long enough for every other replica to have listed its lease
// once: a join never makes two replicas collect one sample), until renewTime + leaseDurationSeconds (a
// replica that stops renewing is dropped by all as its lease runs out, and only its workloads move, to the
// survivors' arcs). This relies on clocks within the settle margin of each other (NTP), as Kubernetes'
// node leases do.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { HashRing, shardKey } from './shard-ring.ts';
import { kubeErrorMessage } from './kube.ts';
import { sleep } from './backoff.ts';
import type { Logger } from './log.ts';

export const GROUP_LABEL = 'podsentinel.io/shard-group';
export const MEMBER_LABEL = 'podsentinel.io/shard-member';

export interface MembershipOptions {
  kc: KubeConfig;
  /** Namespace of the membership leases (the replicas' own namespace in a cluster). */
  namespace: string;
  /** Replicas with the same group split the cluster between them. */
  group: string;
  /** This replica's name (a StatefulSet pod's hostname by default). */
  identity?: string;
  leaseDurationSeconds?: number;
  /** How often the lease is renewed and the members listed; default a third of the lease duration. */
  renewSeconds?: number;
  log?: Logger;
  now?: () => number;
}

interface Member {
  identity: string;
  acquiredAt: number;
  renewedAt: number;
  durationMs: number;
}

const DNS_LABEL = /[^a-z0-9-]/g;

/** A DNS-1123 label from free text (lease names and label values must be one). */
export function dnsLabel(s: string): string {
  const out = s
    .toLowerCase()
    .replace(DNS_LABEL, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return out || 'x';
}

export class LeaseMembership {
  readonly identity: string;
  readonly group: string;
  readonly namespace: string;
  readonly leaseDurationSeconds: number;
  readonly renewMs: number;
  /** Extra wait before a new member counts: every replica has listed its lease by then. */
  readonly settleMs: number;
  private readonly api: CoordinationV1Api;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly leaseName: string;
  private members: Member[] = [];
  private ringCache: { key: string; ring: HashRing } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private acquiredAt = 0;
  private lastRenewOk = 0;
  private stopped = false;

  constructor(o: MembershipOptions) {
    this.identity = dnsLabel(o.identity ?? hostname());
    this.group = dnsLabel(o.group);
    this.namespace = o.namespace;
    this.leaseDurationSeconds = o.leaseDurationSeconds ?? 15;
    this.renewMs = (o.renewSeconds ?? this.leaseDurationSeconds / 3) * 1000;
    if (!(this.renewMs > 0 && this.renewMs < this.leaseDurationSeconds * 1000))
      throw new Error('the renew interval must be positive and shorter than the lease duration');
    this.settleMs = this.renewMs + 1000;
    this.api = o.kc.makeApiClient(CoordinationV1Api);
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.leaseName = dnsLabel(`${this.group}-${this.identity}`);
  }

  /** Acquires (or takes back) this replica's lease, lists the members, and keeps renewing until stop(). */
  async start(): Promise<void> {
    await this.renew();
    await this.refresh();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.renewMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.renew();
    } catch (err) {
      this.log?.warn('cannot renew the membership lease', { lease: this.leaseName, error: kubeErrorMessage(err) });
    }
    try {
      await this.refresh();
    } catch (err) {
      this.log?.warn('cannot list the membership leases', { error: kubeErrorMessage(err) });
    }
  }

  /** Writes this replica's lease: create, or update with the resourceVersion read (a conflict is retried once). */
  async renew(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      let cur: V1Lease | undefined;
      try {
        cur = await this.api.readNamespacedLease({ name: this.leaseName, namespace: this.namespace });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
      const spec = cur?.spec;
      const expired =
        !spec?.renewTime ||
        new Date(spec.renewTime).getTime() + (spec.leaseDurationSeconds ?? 0) * 1000 <= now ||
        spec.holderIdentity !== this.identity;
      // Back after expiry (or first time): a new acquireTime, so the others hand its workloads back only after settling.
      if (expired || this.acquiredAt === 0) this.acquiredAt = expired ? now : new Date(spec!.acquireTime ?? now).getTime();
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: this.leaseName,
          namespace: this.namespace,
          labels: { [GROUP_LABEL]: this.group, [MEMBER_LABEL]: this.identity },
          ...(cur?.metadata?.resourceVersion ? { resourceVersion: cur.metadata.resourceVersion } : {}),
        },
        spec: {
          holderIdentity: this.identity,
          leaseDurationSeconds: this.leaseDurationSeconds,
          acquireTime: new V1MicroTime(this.acquiredAt),
          renewTime: new V1MicroTime(now),
          leaseTransitions: (spec?.leaseTransitions ?? 0) + (expired && cur ? 1 : 0),
        },
      };
      try {
        if (cur) await this.api.replaceNamespacedLease({ name: this.leaseName, namespace: this.namespace, body });
        else await this.api.createNamespacedLease({ namespace: this.namespace, body });
        this.lastRenewOk = now;
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if ((code === 409 || code === 404) && attempt === 0) continue; // someone wrote in between: read again
        throw err;
      }
    }
  }

  /** Lists the group's leases. */
  async refresh(): Promise<void> {
    const list = await this.api.listNamespacedLease({ namespace: this.namespace, labelSelector: `${GROUP_LABEL}=${this.group}` });
    const members: Member[] = [];
    for (const l of list.items) {
      const s = l.spec;
      const identity = l.metadata?.labels?.[MEMBER_LABEL] ?? s?.holderIdentity;
      if (!identity || !s?.renewTime || !s.acquireTime || !s.leaseDurationSeconds) continue;
      members.push({
        identity,
        acquiredAt: new Date(s.acquireTime).getTime(),
        renewedAt: new Date(s.renewTime).getTime(),
        durationMs: s.leaseDurationSeconds * 1000,
      });
    }
    this.members = members;
  }

  /**
   * The members counted for a sample taken at `sampleAt` (ms), judged at wall time `now`: joined (settled)
   * by the sample's time, so two replicas that collect one sample agree even when one of them is late; and
   * not expired now, so a replica that died is dropped as soon as its lease runs out (a removal cannot make
   * two replicas own a pod: only the dead one's workloads move).
   */
  membersAt(sampleAt: number, now: number = this.now()): string[] {
    const out: string[] = [];
    for (const m of this.members) {
      // While this replica holds its lease, its own record is fresher than the listed copy (below). An
      // observer that never started (run-remediation beside the collector) reads its lease like any other.
      if (m.identity === this.identity && this.acquiredAt > 0) continue;
      if (m.acquiredAt + this.settleMs <= sampleAt && now < m.renewedAt + m.durationMs) out.push(m.identity);
    }
    // Our own lease as we last renewed it (the listed copy may be a renewal behind).
    if (this.acquiredAt > 0 && this.acquiredAt + this.settleMs <= sampleAt && now < this.lastRenewOk + this.leaseDurationSeconds * 1000)
      out.push(this.identity);
    return out.sort();
  }

  /** The ring for a sample taken at `sampleAt`, judged now. */
  ringAt(sampleAt: number, now: number = this.now()): HashRing {
    const members = this.membersAt(sampleAt, now);
    const key = members.join('\n');
    if (this.ringCache?.key !== key) this.ringCache = { key, ring: new HashRing(members) };
    return this.ringCache.ring;
  }

  /** The replica that owns the pod at `sampleAt` (ms), judged now; undefined when no member is alive. */
  ownerOf(namespace: string, pod: string, sampleAt: number = this.now(), now: number = this.now()): string | undefined {
    return this.ringAt(sampleAt, now).owner(shardKey(namespace, pod));
  }

  /** Whether this replica owns the pod's sample taken at `sampleAt` (ms). */
  owns(namespace: string, pod: string, sampleAt: number, now: number = this.now()): boolean {
    return this.ringAt(sampleAt, now).owner(shardKey(namespace, pod)) === this.identity;
  }

  /**
   * Renews (when a renewal is due) and lists the members now: the collector calls this right before it
   * filters a tick's rows, so ownership is judged on a fresh view even when a long tick kept the timer from
   * firing. A failure leaves the previous view (and is logged); a stale own lease drops this replica, never
   * the others.
   */
  async sync(): Promise<void> {
    try {
      if (this.now() - this.lastRenewOk >= this.renewMs / 2) await this.renew();
      await this.refresh();
    } catch (err) {
      this.log?.warn('cannot sync the membership leases; judging ownership on the last view', { error: kubeErrorMessage(err) });
    }
  }

  /** Waits until this replica's own lease has settled (it owns its shard from then on), then lists the members. */
  async settled(signal?: AbortSignal): Promise<void> {
    const wait = this.acquiredAt + this.settleMs - this.now();
    if (wait > 0) await sleep(wait, signal);
    await this.refresh();
  }

  /** Stops renewing; with release, deletes the lease so the others take over at once instead of after expiry. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!release) return;
    try {
      await this.api.deleteNamespacedLease({ name: this.leaseName, namespace: this.namespace });
    } catch (err) {
      this.log?.warn('cannot release the membership lease', { error: kubeErrorMessage(err) });
    }
  }
}
