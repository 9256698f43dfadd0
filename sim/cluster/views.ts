// Reading the cluster: sorted lists and lookups the API layer renders, and the inspection views of the
// programmatic API (pods, truth, faults, workloads, PDBs, events).
import type { FaultKind } from '../scenario.ts';
import type { FaultTruth, PodTruth, PodView, SimWorkload, SimPdb, SimPod } from '../model.ts';
import { faultOf } from './faults.ts';
import { isReady, podStatus } from './pods.ts';
import type { ClusterState } from './state.ts';
import { containerFromTemplate } from './workloads.ts';

const byNamespaceThenName = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
  a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1;

/** Pods sorted by namespace then name (the API server's order); cached until something changes. */
export function sortedPodList(s: ClusterState): SimPod[] {
  if (!s.sortedPods) s.sortedPods = [...s.podsByKey.values()].sort(byNamespaceThenName);
  return s.sortedPods;
}

/** The workloads of one kind in namespace/name order. */
export function workloadList(s: ClusterState, kind: SimWorkload['kind']): SimWorkload[] {
  return [...s.workloadsByKey.values()].filter((d) => d.kind === kind).sort(byNamespaceThenName);
}

export function getWorkload(s: ClusterState, kind: SimWorkload['kind'], namespace: string, name: string): SimWorkload | undefined {
  const d = s.workloadsByKey.get(`${namespace}/${name}`);
  return d?.kind === kind ? d : undefined;
}

/** PodDisruptionBudgets in namespace/name order. */
export function pdbObjects(s: ClusterState): SimPdb[] {
  return [...s.pdbList].sort(byNamespaceThenName);
}

export function podFault(s: ClusterState, pod: SimPod): FaultKind | undefined {
  return faultOf(s, pod)?.spec.kind;
}

/** An intOrString PDB value against a pod count (percentages round up, as the disruption controller does). */
function resolveIntOrPercent(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  return Math.ceil((Number(m[1]) / 100) * total);
}

export function pdbStatus(
  s: ClusterState,
  p: SimPdb,
): { expectedPods: number; currentHealthy: number; desiredHealthy: number; disruptionsAllowed: number } {
  const pods = p.workload.pods;
  const expected = pods.length;
  const healthy = pods.filter((x) => isReady(s, x)).length;
  const desired =
    p.minAvailable !== undefined
      ? resolveIntOrPercent(p.minAvailable, expected)
      : Math.max(0, expected - resolveIntOrPercent(p.maxUnavailable ?? 0, expected));
  return { expectedPods: expected, currentHealthy: healthy, desiredHealthy: desired, disruptionsAllowed: Math.max(0, healthy - desired) };
}

// ---------------------------------------------------------------- the inspection API (SimCluster of sim/index.ts)

/** Live pods with their state. */
export function podViews(s: ClusterState): PodView[] {
  return sortedPodList(s).map((p) => {
    const status = podStatus(p);
    return {
      namespace: p.namespace,
      name: p.name,
      uid: p.uid,
      node: p.node,
      phase: p.stage === 'unscheduled' || p.stage === 'creating' ? 'Pending' : 'Running',
      status,
      reason: status === 'Running' || status === 'Pending' ? undefined : status,
      ready: isReady(s, p),
      restarts: p.restarts,
      deployment: p.workload.name,
      kind: p.workload.kind,
      replicaSet: p.rsName,
      createdAt: p.createdAt.toISOString(),
      memoryLimitBytes: p.container.memLimitBytes,
      cpuLimitCores: p.container.cpuLimitCores,
      fault: podFault(s, p),
    };
  });
}

/** The values last served for a pod (undefined when there is no such pod). */
export function podTruth(s: ClusterState, namespace: string, name: string): PodTruth | undefined {
  const p = s.podsByKey.get(`${namespace}/${name}`);
  if (!p) return undefined;
  const sample = p.sample;
  const fault = podFault(s, p);
  return {
    namespace,
    pod: name,
    node: p.node,
    deployment: p.workload.name,
    tick: s.tickCount,
    time: s.now().toISOString(),
    metricsServed: sample.running,
    cpuCores: sample.cpuCores,
    cpuLimitCores: p.container.cpuLimitCores,
    memoryBytes: sample.memoryBytes,
    memoryLimitBytes: p.container.memLimitBytes,
    fsUsageBytes: sample.running ? p.counters.fsUsageBytes : 0,
    ephemeralLimitBytes: p.container.ephemeralLimitBytes,
    netRxBytesPerSec: sample.netRxBytesPerSec,
    netTxBytesPerSec: sample.netTxBytesPerSec,
    netRxDroppedPerSec: sample.netRxDroppedPerSec,
    netTxDroppedPerSec: sample.netTxDroppedPerSec,
    fsReadBytesPerSec: sample.fsReadBytesPerSec,
    fsWriteBytesPerSec: sample.fsWriteBytesPerSec,
    cpuSecondsTotal: p.counters.cpuSeconds,
    fsReadBytesTotal: p.counters.fsReadBytes,
    fsWriteBytesTotal: p.counters.fsWriteBytes,
    netRxBytesTotal: p.counters.netRxBytes,
    netTxBytesTotal: p.counters.netTxBytes,
    restarts: p.restarts,
    ready: isReady(s, p),
    status: podStatus(p),
    ...(fault ? { fault } : {}),
  };
}

/** Ground truth of every fault injected so far. */
export function faultTruths(s: ClusterState): FaultTruth[] {
  return s.faultList.map((f) => ({
    id: f.id,
    kind: f.spec.kind,
    scope: f.spec.scope,
    namespace: f.workload.namespace,
    deployment: f.workload.name,
    pod: f.podName || ([...f.pods][0] ?? ''),
    pods: [...f.pods],
    active: f.active,
    startedAt: { tick: f.startedTick, time: f.startedAt.toISOString() },
    ...(f.ended ? { endedAt: f.ended } : {}),
    ...(f.firstOom ? { firstOomKilledAt: f.firstOom } : {}),
    oomKills: f.oomKills,
    crashes: f.crashes,
  }));
}

export function nodeViews(s: ClusterState): { name: string; unschedulable: boolean; pods: number }[] {
  return [...s.nodesByName.values()].map((n) => ({ name: n.name, unschedulable: n.obj.spec.unschedulable === true, pods: n.podCount }));
}

export interface WorkloadSummary {
  namespace: string;
  name: string;
  replicas: number;
  readyReplicas: number;
  revision: number;
  image: string;
  memoryLimitBytes: number;
  cpuLimitCores: number;
}

/** What deployments() and statefulSets() report of a workload. */
export function workloadSummary(d: SimWorkload): WorkloadSummary {
  const c = containerFromTemplate(d);
  return {
    namespace: d.namespace,
    name: d.name,
    replicas: Number(d.obj.spec.replicas),
    readyReplicas: d.readyCount,
    revision: d.revision,
    image: c.image,
    memoryLimitBytes: c.memLimitBytes,
    cpuLimitCores: c.cpuLimitCores,
  };
}

export function daemonSetViews(s: ClusterState): {
  namespace: string;
  name: string;
  desired: number;
  ready: number;
  revision: number;
  image: string;
  memoryLimitBytes: number;
  cpuLimitCores: number;
}[] {
  return workloadList(s, 'DaemonSet').map((d) => {
    const c = containerFromTemplate(d);
    return {
      namespace: d.namespace,
      name: d.name,
      desired: s.nodesByName.size,
      ready: d.readyCount,
      revision: d.revision,
      image: c.image,
      memoryLimitBytes: c.memLimitBytes,
      cpuLimitCores: c.cpuLimitCores,
    };
  });
}

export function pdbViews(s: ClusterState): {
  namespace: string;
  name: string;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}[] {
  return s.pdbList.map((p) => ({
    namespace: p.namespace,
    name: p.name,
    ...(p.minAvailable !== undefined ? { minAvailable: p.minAvailable } : {}),
    ...(p.maxUnavailable !== undefined ? { maxUnavailable: p.maxUnavailable } : {}),
    ...pdbStatus(s, p),
  }));
}

export function eventViews(
  s: ClusterState,
): { namespace: string; name: string; reason: string; type: string; message: string; count: number; object: string }[] {
  return [...s.eventsByKey.values()].map((e) => ({
    namespace: e.namespace,
    name: e.name,
    reason: e.reason,
    type: e.type,
    message: e.message,
    count: e.count,
    object: `${e.involved.kind}/${e.involved.name}`,
  }));
}
