// The simulated cluster: a facade over its parts (sim/cluster/): state and clock (state.ts), the
// tick-0 build (build.ts), each tick (tick.ts: scenario churn and faults, container lifecycle in
// lifecycle.ts, controllers in controllers.ts), events (events.ts), reads and inspection views
// (views.ts) and writes (writes.ts). Time moves only through tick(); the HTTP layer (sim/api/) reads
// and writes through the methods here.
import type { FaultKind } from './scenario.ts';
import type { FaultTruth, PodTruth, PodView, SimWorkload, SimEvent, SimNode, SimPdb, SimPod } from './model.ts';
import { buildInitial } from './cluster/build.ts';
import { setReplicas } from './cluster/controllers.ts';
import { containerId, isReady, podStatus } from './cluster/pods.ts';
import { ClusterState, type ClusterOptions } from './cluster/state.ts';
import { step } from './cluster/tick.ts';
import * as views from './cluster/views.ts';
import * as writes from './cluster/writes.ts';
import { notFound } from './errors.ts';
export type {
  ContainerSpec,
  Sample,
  Counters,
  PodStage,
  Termination,
  LogTick,
  SimPod,
  SimReplicaSet,
  SimWorkload,
  SimNode,
  SimPdb,
  SimEvent,
  SimTime,
  FaultTruth,
  PodTruth,
  PodView,
} from './model.ts';
export type { ClusterOptions } from './cluster/state.ts';

export class SimCluster {
  private readonly s: ClusterState;
  private readonly listeners: ((tick: number) => void)[] = [];

  constructor(opts: ClusterOptions) {
    this.s = new ClusterState(opts);
    buildInitial(this.s);
  }

  get scenario(): ClusterOptions['scenario'] {
    return this.s.scenario;
  }

  get seed(): number {
    return this.s.seed;
  }

  get tickSeconds(): number {
    return this.s.tickSeconds;
  }

  get startTime(): Date {
    return this.s.startTime;
  }

  get tickCount(): number {
    return this.s.tickCount;
  }

  /** Bumped on every change; caches (Prometheus text, sorted lists) key on it. */
  get version(): number {
    return this.s.version;
  }

  get resourceVersion(): number {
    return this.s.rv;
  }

  // ---------------------------------------------------------------- time

  now(): Date {
    return this.s.now();
  }

  timeAt(tick: number): Date {
    return this.s.timeAt(tick);
  }

  /** Called after every tick (the truth file writer uses it). */
  onTick(fn: (tick: number) => void): void {
    this.listeners.push(fn);
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) step(this.s);
    for (const fn of this.listeners) fn(this.s.tickCount);
  }

  // ---------------------------------------------------------------- reads (the API layer renders these)

  /** Pods sorted by namespace then name (the API server's order); cached until something changes. */
  sortedPodList(): SimPod[] {
    return views.sortedPodList(this.s);
  }

  getPod(namespace: string, name: string): SimPod | undefined {
    return this.s.podsByKey.get(`${namespace}/${name}`);
  }

  nodeList(): SimNode[] {
    return [...this.s.nodesByName.values()];
  }

  getNode(name: string): SimNode | undefined {
    return this.s.nodesByName.get(name);
  }

  deploymentList(): SimWorkload[] {
    return views.workloadList(this.s, 'Deployment');
  }

  statefulSetList(): SimWorkload[] {
    return views.workloadList(this.s, 'StatefulSet');
  }

  daemonSetList(): SimWorkload[] {
    return views.workloadList(this.s, 'DaemonSet');
  }

  getDeployment(namespace: string, name: string): SimWorkload | undefined {
    return views.getWorkload(this.s, 'Deployment', namespace, name);
  }

  getStatefulSet(namespace: string, name: string): SimWorkload | undefined {
    return views.getWorkload(this.s, 'StatefulSet', namespace, name);
  }

  getDaemonSet(namespace: string, name: string): SimWorkload | undefined {
    return views.getWorkload(this.s, 'DaemonSet', namespace, name);
  }

  /** PodDisruptionBudgets in namespace/name order. */
  pdbObjects(): SimPdb[] {
    return views.pdbObjects(this.s);
  }

  /** When the cluster (its nodes and namespaces) was created: 30 days before tick 0. */
  get clusterCreatedAt(): Date {
    return this.s.clusterCreatedAt;
  }

  eventList(): SimEvent[] {
    return [...this.s.eventsByKey.values()];
  }

  namespaces(): string[] {
    return [...this.s.namespaceSet].sort();
  }

  containerId(pod: SimPod): string {
    return containerId(pod);
  }

  isReady(pod: SimPod): boolean {
    return isReady(this.s, pod);
  }

  /** Phase, or the waiting/terminated reason (the CSV's Pod Status). */
  podStatus(pod: SimPod): string {
    return podStatus(pod);
  }

  podFault(pod: SimPod): FaultKind | undefined {
    return views.podFault(this.s, pod);
  }

  pdbStatus(p: SimPdb): ReturnType<typeof views.pdbStatus> {
    return views.pdbStatus(this.s, p);
  }

  // ---------------------------------------------------------------- the inspection API (SimCluster of sim/index.ts)

  /** Live pods with their state. */
  pods(): PodView[] {
    return views.podViews(this.s);
  }

  /** The values last served for a pod (undefined when there is no such pod). */
  truth(namespace: string, name: string): PodTruth | undefined {
    return views.podTruth(this.s, namespace, name);
  }

  /** Ground truth of every fault injected so far. */
  faults(): FaultTruth[] {
    return views.faultTruths(this.s);
  }

  nodes(): ReturnType<typeof views.nodeViews> {
    return views.nodeViews(this.s);
  }

  deployments(): views.WorkloadSummary[] {
    return this.deploymentList().map((d) => views.workloadSummary(d));
  }

  statefulSets(): (views.WorkloadSummary & { updateRevision: string })[] {
    return this.statefulSetList().map((d) => ({ ...views.workloadSummary(d), updateRevision: `${d.name}-${d.templateHash}` }));
  }

  daemonSets(): ReturnType<typeof views.daemonSetViews> {
    return views.daemonSetViews(this.s);
  }

  pdbs(): ReturnType<typeof views.pdbViews> {
    return views.pdbViews(this.s);
  }

  events(): ReturnType<typeof views.eventViews> {
    return views.eventViews(this.s);
  }

  // ---------------------------------------------------------------- writes (dryRun: check and return, change nothing)

  deletePod(namespace: string, name: string, dryRun: boolean): SimPod {
    return writes.deletePod(this.s, namespace, name, dryRun);
  }

  /** policy/v1 Eviction: refused with 429 when a PodDisruptionBudget would be violated. */
  evictPod(namespace: string, name: string, dryRun: boolean): SimPod {
    return writes.evictPod(this.s, namespace, name, dryRun);
  }

  /** Patches a node's labels/annotations/spec (cordon = spec.unschedulable). Returns the (would-be) node. */
  patchNode(name: string, contentType: string | undefined, body: unknown, dryRun: boolean): SimNode {
    return writes.patchNode(this.s, name, contentType, body, dryRun);
  }

  /** Patches (or, with replace, puts) a deployment; returns the (would-be) deployment. */
  patchDeployment(
    namespace: string,
    name: string,
    contentType: string | undefined,
    body: unknown,
    dryRun: boolean,
    replace = false,
  ): SimWorkload {
    return this.patchFound(this.getDeployment(namespace, name), 'deployments', name, contentType, body, dryRun, replace);
  }

  /** Patches (or, with replace, puts) a DaemonSet; returns the (would-be) DaemonSet. */
  patchDaemonSet(
    namespace: string,
    name: string,
    contentType: string | undefined,
    body: unknown,
    dryRun: boolean,
    replace = false,
  ): SimWorkload {
    return this.patchFound(this.getDaemonSet(namespace, name), 'daemonsets', name, contentType, body, dryRun, replace);
  }

  /** Patches (or, with replace, puts) a StatefulSet; returns the (would-be) StatefulSet. */
  patchStatefulSet(
    namespace: string,
    name: string,
    contentType: string | undefined,
    body: unknown,
    dryRun: boolean,
    replace = false,
  ): SimWorkload {
    return this.patchFound(this.getStatefulSet(namespace, name), 'statefulsets', name, contentType, body, dryRun, replace);
  }

  private patchFound(
    wl: SimWorkload | undefined,
    resource: string,
    name: string,
    contentType: string | undefined,
    body: unknown,
    dryRun: boolean,
    replace: boolean,
  ): SimWorkload {
    if (!wl) throw notFound(resource, name, 'apps');
    return writes.patchWorkload(this.s, wl, contentType, body, dryRun, replace);
  }

  /** A pod change the model does not version (readiness that followed the clock): a new resourceVersion. */
  versionPod(pod: SimPod): void {
    this.s.touch(pod);
  }

  /** Takes the next resourceVersion (a watch's DELETED event has one of its own). */
  nextResourceVersion(): number {
    return this.s.nextRv();
  }

  /** The scale subresource. */
  setReplicas(wl: SimWorkload, replicas: number, dryRun = false): SimWorkload {
    return setReplicas(this.s, wl, replicas, dryRun);
  }
}
