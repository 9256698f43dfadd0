// The simulated cluster's object model: pods with their container state, workloads (Deployments,
// StatefulSets, DaemonSets) with their revisions, nodes, PDBs, events, and the ground-truth and
// inspection views the programmatic API returns.
import type { Json } from './patch.ts';
import type { Rng } from './prng.ts';
import type { UsageRates } from './usage.ts';
import type { FaultKind, FaultSpec, Workload, WorkloadKind } from './scenario.ts';

type Obj = { [k: string]: Json };

export interface ContainerSpec {
  name: string;
  image: string;
  cpuRequestCores: number;
  cpuLimitCores: number;
  memRequestBytes: number;
  memLimitBytes: number;
  /** The ephemeral-storage limit in bytes; 0 = none. */
  ephemeralLimitBytes: number;
}

/** Usage served for one pod at the current tick (rates per second; totals are the container's counters). */
export interface Sample extends UsageRates {
  running: boolean;
}

export interface Counters {
  cpuSeconds: number;
  fsReadBytes: number;
  fsWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  netRxDropped: number;
  netTxDropped: number;
  /** Ephemeral storage in use (a gauge, cAdvisor's container_fs_usage_bytes). */
  fsUsageBytes: number;
}

export type PodStage = 'unscheduled' | 'creating' | 'running' | 'backoff' | 'oomkilled';

export interface Termination {
  reason: 'OOMKilled' | 'Error' | 'Completed';
  exitCode: number;
  startedAt: Date;
  finishedAt: Date;
  containerId: string;
}

/** One tick of a container's life, kept (last LOG_HISTORY) to write logs that fit. */
export interface LogTick {
  tick: number;
  cpuRatio: number;
  memRatio: number;
  fault: FaultKind | undefined;
  burst: boolean;
}

export interface SimPod {
  uid: string;
  name: string;
  namespace: string;
  workload: SimWorkload;
  /** The owning ReplicaSet's name ('' for a StatefulSet or DaemonSet pod). */
  rsName: string;
  /** A StatefulSet pod's ordinal (its name is <statefulset>-<ordinal>). */
  ordinal: number | undefined;
  templateHash: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  container: ContainerSpec;
  node: string | undefined;
  podIP: string | undefined;
  createdAt: Date;
  createdTick: number;
  stage: PodStage;
  stageTick: number;
  containerStartedAt: Date | undefined;
  containerStartedTick: number;
  containerSerial: number;
  readyAtTick: number;
  restarts: number;
  lastTerm: Termination | undefined;
  crashCount: number;
  backoffUntilTick: number;
  leakBytes: number;
  counters: Counters;
  sample: Sample;
  rng: Rng;
  hist: LogTick[];
  prevHist: LogTick[];
  prevEnd: 'oom' | 'crash' | undefined;
  prevFault: FaultKind | undefined;
  resourceVersion: number;
}

export interface SimReplicaSet {
  name: string;
  uid: string;
  hash: string;
  revision: number;
  template: Obj;
  createdAt: Date;
  resourceVersion: number;
}

/** A workload controller: a Deployment, or a StatefulSet / DaemonSet (then replicaSets hold its controller revisions). */
export interface SimWorkload {
  kind: WorkloadKind;
  key: string;
  namespace: string;
  name: string;
  uid: string;
  /** Its scenario entry: normal behaviour, log profile, the image and limits it started with. */
  entry: Workload;
  /** The patchable part: metadata labels/annotations and spec, in API shape. */
  obj: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Obj };
  generation: number;
  templateHash: string;
  revision: number;
  replicaSets: SimReplicaSet[];
  pods: SimPod[];
  initialReplicas: number;
  cyclePhase: number;
  createdAt: Date;
  resourceVersion: number;
  readyCount: number;
}

export interface SimNode {
  name: string;
  uid: string;
  index: number;
  cpuCores: number;
  memoryBytes: number;
  zone: string;
  obj: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Obj };
  createdAt: Date;
  podCount: number;
  resourceVersion: number;
}

export interface SimPdb {
  name: string;
  namespace: string;
  uid: string;
  workload: SimWorkload;
  minAvailable: number | string | undefined;
  maxUnavailable: number | string | undefined;
  createdAt: Date;
}

export interface SimEvent {
  uid: string;
  name: string;
  namespace: string;
  involved: { kind: string; name: string; namespace: string; uid: string; apiVersion: string; fieldPath?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count: number;
  first: Date;
  last: Date;
  component: string;
  host: string | undefined;
  resourceVersion: number;
}

export interface SimTime {
  tick: number;
  time: string;
}

/** Ground truth of one injected fault. */
export interface FaultTruth {
  id: string;
  kind: FaultKind;
  scope: 'pod' | 'deployment';
  namespace: string;
  deployment: string;
  /** The pod it was injected on (for deployment scope: the first affected pod). */
  pod: string;
  /** Every pod it has affected so far. */
  pods: string[];
  active: boolean;
  startedAt: SimTime;
  endedAt?: SimTime & { reason: string };
  firstOomKilledAt?: SimTime & { pod: string };
  oomKills: number;
  crashes: number;
}

/** An injected fault's live state (internal to the cluster). */
export interface SimFault {
  id: string;
  spec: FaultSpec;
  workload: SimWorkload;
  podUid: string | undefined;
  podName: string;
  pods: Set<string>;
  active: boolean;
  startedTick: number;
  startedAt: Date;
  ended: (SimTime & { reason: string }) | undefined;
  firstOom: (SimTime & { pod: string }) | undefined;
  oomKills: number;
  crashes: number;
  clearedBy: 'restart' | 'template-change' | 'image-change' | 'never';
  /** memory_leak: bytes per tick (fixed at the start from the limit then). */
  leakPerTick: number;
  plateauBytes: number;
}

/** What the simulator last served for a pod (see SimCluster.truth). */
export interface PodTruth extends UsageRates {
  namespace: string;
  pod: string;
  node: string | undefined;
  deployment: string;
  tick: number;
  time: string;
  /** False when the container is not running: metrics.k8s.io and cAdvisor then serve nothing for it. */
  metricsServed: boolean;
  cpuLimitCores: number;
  memoryLimitBytes: number;
  /** Ephemeral storage in use and the limit (0 = none). */
  fsUsageBytes: number;
  ephemeralLimitBytes: number;
  cpuSecondsTotal: number;
  fsReadBytesTotal: number;
  fsWriteBytesTotal: number;
  netRxBytesTotal: number;
  netTxBytesTotal: number;
  restarts: number;
  ready: boolean;
  /** Phase, or the waiting/terminated reason when there is one (as the CSV's Pod Status). */
  status: string;
  fault?: string;
}

export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  node: string | undefined;
  phase: 'Pending' | 'Running';
  status: string;
  reason: string | undefined;
  ready: boolean;
  restarts: number;
  /** The owning workload's name (whatever its kind) and kind. */
  deployment: string;
  kind: WorkloadKind;
  /** The owning ReplicaSet ('' for StatefulSet and DaemonSet pods). */
  replicaSet: string;
  createdAt: string;
  memoryLimitBytes: number;
  cpuLimitCores: number;
  fault: string | undefined;
}
