// The workload a pod belongs to, read off its name, the one place both the detector (sibling comparison)
// and the shard ring (a workload's pods stay in one replica) take it from.

/**
 * Deployment pods `name-<rs-hash>-<5 chars>`, StatefulSet pods `name-N`, DaemonSet/Job pods
 * `name-<5 chars>`: `namespace/Kind/name`. Undefined for a bare pod.
 */
export function workloadOf(namespace: string, pod: string): string | undefined {
  let m = /^(.+)-([a-z0-9]{6,10})-([a-z0-9]{5})$/.exec(pod);
  if (m && /\d/.test(m[2]!)) return `${namespace}/Deployment/${m[1]}`;
  m = /^(.+)-(\d+)$/.exec(pod);
  if (m) return `${namespace}/StatefulSet/${m[1]}`;
  m = /^(.+)-([a-z0-9]{5})$/.exec(pod);
  if (m && /\d/.test(m[2]!)) return `${namespace}/ReplicaSet/${m[1]}`;
  return undefined;
}
