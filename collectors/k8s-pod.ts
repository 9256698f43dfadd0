// What a collector reads off a Pod object: its display status (as `kubectl get pods` shows it), container
// counts and restarts, and its memory, CPU and ephemeral-storage limits; plus Kubernetes resource quantities ("250m", "512Mi").
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { quantityValue } from '../lib/quantity.ts';

/** A Kubernetes quantity as a number (cores for CPU, bytes for memory); NaN when malformed (lib/quantity.ts). */
export function parseQuantity(q: string | number | undefined | null): number {
  return quantityValue(q) ?? NaN;
}

/**
 * The pod's status as kubectl shows it: Terminating for a pod being deleted, the pod's own reason
 * (Evicted), a container's waiting reason (ContainerCreating, CrashLoopBackOff, ImagePullBackOff...),
 * a container's terminated reason (OOMKilled, Error, Completed), else the phase.
 */
export function podDisplayStatus(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const status = pod.status;
  if (status?.reason) return status.reason;
  const init = status?.initContainerStatuses ?? [];
  for (const c of init) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && waiting !== 'PodInitializing') return `Init:${waiting}`;
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode !== 0) return `Init:${terminated.reason ?? 'Error'}`;
  }
  let terminatedReason: string | undefined;
  for (const c of status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting) return waiting;
    const terminated = c.state?.terminated;
    if (terminated && !terminatedReason) terminatedReason = terminated.reason ?? (terminated.exitCode === 0 ? 'Completed' : 'Error');
  }
  if (terminatedReason) return terminatedReason;
  return status?.phase ?? 'Unknown';
}

export function containerCounts(pod: V1Pod): { ready: number; total: number; restarts: number } {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  let ready = 0;
  let restarts = 0;
  for (const c of statuses) {
    if (c.ready) ready++;
    restarts += c.restartCount ?? 0;
  }
  return { ready, total, restarts };
}

export function hasRunningContainer(pod: V1Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some((c) => !!c.state?.running);
}

/** Sum of a resource's limits over the pod's containers (parsed quantity); undefined when any container has none. */
function podLimitSum(pod: V1Pod, resource: string): number | undefined {
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0) return undefined;
  let sum = 0;
  for (const c of containers) {
    const limit = parseQuantity(c.resources?.limits?.[resource]);
    if (!(limit > 0)) return undefined;
    sum += limit;
  }
  return sum;
}

/** Sum of the containers' memory limits in bytes; undefined when any container has none (unbounded pod). */
export function podMemoryLimitBytes(pod: V1Pod): number | undefined {
  return podLimitSum(pod, 'memory');
}

/** Sum of the containers' CPU limits in cores; undefined when any container has none. */
export function podCpuLimitCores(pod: V1Pod): number | undefined {
  return podLimitSum(pod, 'cpu');
}

/** Sum of the containers' ephemeral-storage limits in bytes (what the kubelet evicts the pod at); undefined when any has none. */
export function podEphemeralStorageLimitBytes(pod: V1Pod): number | undefined {
  return podLimitSum(pod, 'ephemeral-storage');
}

/** When an event last happened (epoch ms), from whichever time field the server filled in. */
export function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  if (!t) return NaN;
  return t instanceof Date ? t.getTime() : Date.parse(String(t));
}

export function eventCount(e: CoreV1Event): number {
  return e.series?.count ?? e.count ?? 1;
}

/** What a collector keeps of a Pod object (extracted per page, so the full objects can be freed). */
export interface PodSummary {
  namespace: string;
  name: string;
  /** "namespace/name": how the metrics reads key the pod (made once per pod, not per tick). */
  key: string;
  uid: string;
  node: string;
  status: string;
  ready: number;
  total: number;
  restarts: number;
  /** Sum of container memory limits in bytes; undefined when a container has none. */
  memoryLimitBytes: number | undefined;
  /** Sum of container CPU limits in cores; undefined when a container has none. */
  cpuLimitCores?: number | undefined;
  /** Sum of container ephemeral-storage limits in bytes; undefined when a container has none. */
  ephemeralStorageLimitBytes?: number | undefined;
  running: boolean;
}

export function summarizePod(pod: V1Pod): PodSummary {
  const counts = containerCounts(pod);
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  return {
    namespace,
    name,
    key: `${namespace}/${name}`,
    uid: pod.metadata?.uid ?? '',
    node: pod.spec?.nodeName ?? '',
    status: podDisplayStatus(pod),
    ready: counts.ready,
    total: counts.total,
    restarts: counts.restarts,
    memoryLimitBytes: podMemoryLimitBytes(pod),
    cpuLimitCores: podCpuLimitCores(pod),
    ephemeralStorageLimitBytes: podEphemeralStorageLimitBytes(pod),
    running: hasRunningContainer(pod),
  };
}
