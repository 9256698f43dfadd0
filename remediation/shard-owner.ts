// run-remediation in a sharded replica: an action is proposed and carried out only for a pod this replica
// owns at that moment. Ownership is read from the group's membership Leases, the same data and ring the
// collectors judge by (lib/shard-membership.ts); run-remediation never holds a lease itself (its replica's
// collector does). A pod whose workload moved to another replica after a takeover is left to that
// replica, which analyses it from its own rows: two replicas never act on one pod.
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeErrorMessage, serviceAccountNamespace } from '../lib/kube.ts';
import { LeaseMembership } from '../lib/shard-membership.ts';
import type { Logger } from '../lib/log.ts';

/** null: this replica owns the pod now; otherwise why it must not act on it. */
export type OwnershipCheck = (namespace: string, pod: string) => Promise<string | null>;

export interface ShardOwnerOptions {
  kc: KubeConfig;
  group: string;
  identity?: string | undefined;
  namespace?: string | undefined;
  /** The group's lease duration (a join counts after the same settle period the collectors wait). */
  leaseDurationSeconds?: number;
  log?: Logger;
  /** A lease list younger than this is reused (a pass over many analyses lists once). */
  maxAgeMs?: number;
  now?: () => number;
}

/** The ownership check of replica `identity` in `group`. It fails closed: leases that cannot be read mean no action. */
export function leaseOwnership(o: ShardOwnerOptions): OwnershipCheck & { readonly identity: string; readonly group: string } {
  const now = o.now ?? Date.now;
  const view = new LeaseMembership({
    kc: o.kc,
    namespace: o.namespace ?? serviceAccountNamespace() ?? 'default',
    group: o.group,
    ...(o.identity !== undefined ? { identity: o.identity } : {}),
    ...(o.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: o.leaseDurationSeconds } : {}),
    ...(o.log ? { log: o.log } : {}),
    now,
  });
  const maxAgeMs = o.maxAgeMs ?? 1000;
  let listedAt = -Infinity;
  const check = async (namespace: string, pod: string): Promise<string | null> => {
    if (now() - listedAt >= maxAgeMs) {
      try {
        await view.refresh();
        listedAt = now();
      } catch (err) {
        return `cannot read the membership leases of shard group ${view.group}, so ownership is unknown: ${kubeErrorMessage(err)}`;
      }
    }
    const owner = view.ownerOf(namespace, pod);
    if (owner === view.identity) return null;
    return owner
      ? `the pod belongs to replica ${owner} of shard group ${view.group} now, not to ${view.identity}`
      : `no replica of shard group ${view.group} holds a live lease, ${view.identity} included`;
  };
  return Object.assign(check, { identity: view.identity, group: view.group });
}
