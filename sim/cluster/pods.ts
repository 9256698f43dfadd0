// Pods: creation from a workload's current template (names, labels, the container), scheduling onto the
// least-loaded schedulable node, removal, and the state the API and views read (ready, status, ids).
import type { SimWorkload, SimNode, SimPod } from '../model.ts';
import { Rng, hashSeed } from '../prng.ts';
import { event, podRef, scheduledEvent, workloadRef } from './events.ts';
import { endFault, faultOf } from './faults.ts';
import { zeroCounters, zeroSample, randomUUIDFrom, type ClusterState, type Obj } from './state.ts';
import { containerFromTemplate } from './workloads.ts';

/**
 * A new pod of the controller's current template; a StatefulSet pod takes the given (or lowest free)
 * ordinal, a DaemonSet pod goes on the given node (whatever the scheduler would say).
 */
export function createPod(s: ClusterState, wl: SimWorkload, initial: boolean, ordinal?: number, daemonNode?: SimNode): SimPod {
  const rs = wl.replicaSets.find((r) => r.hash === wl.templateHash)!;
  const sts = wl.kind === 'StatefulSet';
  const ds = wl.kind === 'DaemonSet';
  let name: string;
  if (sts) {
    if (ordinal === undefined) for (ordinal = 0; wl.pods.some((p) => p.ordinal === ordinal); ordinal++);
    name = `${wl.name}-${ordinal}`;
  } else {
    do name = `${ds ? wl.name : rs.name}-${s.rng.suffix(5)}`;
    while (s.podsByKey.has(`${wl.namespace}/${name}`));
  }
  // StatefulSet and DaemonSet pods carry their revision (and identity) labels instead of pod-template-hash.
  const ownLabels: Record<string, string> = sts
    ? { 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': rs.name, 'statefulset.kubernetes.io/pod-name': name }
    : ds
      ? { 'controller-revision-hash': rs.hash, 'pod-template-generation': String(wl.generation) }
      : { 'pod-template-hash': rs.hash };
  const tick = s.tickCount;
  const createdAt = initial ? new Date(s.startTime.getTime() - (3600 + s.rng.int(4 * 86400)) * 1000) : s.now();
  const templateMeta = (rs.template.metadata ?? {}) as Obj;
  const pod: SimPod = {
    uid: randomUUIDFrom(s.rng),
    name,
    namespace: wl.namespace,
    workload: wl,
    rsName: sts || ds ? '' : rs.name,
    ordinal: sts ? ordinal : undefined,
    templateHash: rs.hash,
    labels: { ...((templateMeta.labels ?? {}) as Record<string, string>), ...ownLabels },
    annotations: { ...((templateMeta.annotations ?? {}) as Record<string, string>) },
    container: containerFromTemplate(wl),
    node: undefined,
    podIP: undefined,
    createdAt,
    createdTick: tick,
    stage: 'unscheduled',
    stageTick: tick,
    containerStartedAt: undefined,
    containerStartedTick: tick,
    containerSerial: 0,
    readyAtTick: tick,
    restarts: 0,
    lastTerm: undefined,
    crashCount: 0,
    backoffUntilTick: 0,
    leakBytes: 0,
    counters: zeroCounters(),
    sample: zeroSample(),
    rng: new Rng(hashSeed('pod', s.seed, wl.key, name)),
    hist: [],
    prevHist: [],
    prevEnd: undefined,
    prevFault: undefined,
    resourceVersion: s.nextRv(),
  };
  s.podsByKey.set(`${pod.namespace}/${pod.name}`, pod);
  wl.pods.push(pod);
  s.sortedPods = undefined;
  s.version++;
  if (daemonNode) place(s, pod, daemonNode);
  else schedule(s, pod);
  if (pod.node) {
    if (initial) {
      // Pods that exist when the simulation starts have been running for a while.
      pod.stage = 'running';
      pod.containerStartedAt = createdAt;
      pod.containerStartedTick = -1000;
      pod.readyAtTick = -1000;
      pod.containerSerial = 1;
      pod.counters.cpuSeconds = ((tick - -1000) * s.tickSeconds * wl.entry.cpu.baseCores) / 4;
    } else {
      pod.stage = 'creating';
      if (sts) {
        event(
          s,
          workloadRef(wl),
          'SuccessfulCreate',
          `create Pod ${name} in StatefulSet ${wl.name} successful`,
          'Normal',
          'statefulset-controller',
        );
      } else if (ds) {
        event(s, workloadRef(wl), 'SuccessfulCreate', `Created pod: ${name}`, 'Normal', 'daemonset-controller');
      }
      scheduledEvent(s, pod);
    }
  }
  return pod;
}

/** The scheduler: the schedulable node with the fewest pods; none left → FailedScheduling, pod stays Pending. */
export function schedule(s: ClusterState, pod: SimPod): void {
  let best: SimNode | undefined;
  for (const n of s.nodesByName.values()) {
    if (n.obj.spec.unschedulable === true) continue;
    if (!best || n.podCount < best.podCount) best = n;
  }
  if (!best) {
    const total = s.nodesByName.size;
    event(
      s,
      podRef(pod),
      'FailedScheduling',
      `0/${total} nodes are available: ${total} node(s) were unschedulable. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`,
      'Warning',
      'default-scheduler',
    );
    return;
  }
  place(s, pod, best);
}

function place(s: ClusterState, pod: SimPod, node: SimNode): void {
  node.podCount++;
  pod.node = node.name;
  pod.podIP = `10.244.${node.index % 256}.${(s.podIpSeq++ % 250) + 2}`;
  pod.stageTick = s.tickCount;
  s.touch(pod);
}

/** The pod goes at once (Killing event); a fault on it ends. */
export function removePod(s: ClusterState, pod: SimPod, why: string): void {
  const key = `${pod.namespace}/${pod.name}`;
  if (!s.podsByKey.delete(key)) return;
  pod.workload.pods = pod.workload.pods.filter((p) => p !== pod);
  if (pod.node) {
    const n = s.nodesByName.get(pod.node);
    if (n) n.podCount--;
  }
  for (const f of s.faultList) if (f.active && f.podUid === pod.uid) endFault(s, f, `pod ${pod.name} ${why}`);
  if (pod.stage !== 'unscheduled')
    event(s, podRef(pod, true), 'Killing', `Stopping container ${pod.container.name}`, 'Normal', 'kubelet', pod.node);
  s.sortedPods = undefined;
  s.version++;
}

export function isReady(s: ClusterState, pod: SimPod): boolean {
  return pod.stage === 'running' && s.tickCount >= pod.readyAtTick && !(faultOf(s, pod)?.spec.kind === 'crash_loop');
}

/** Phase, or the waiting/terminated reason (the CSV's Pod Status). */
export function podStatus(pod: SimPod): string {
  switch (pod.stage) {
    case 'unscheduled':
      return 'Pending';
    case 'creating':
      return 'ContainerCreating';
    case 'backoff':
      return 'CrashLoopBackOff';
    case 'oomkilled':
      return 'OOMKilled';
    default:
      return 'Running';
  }
}

export function containerId(pod: SimPod): string {
  return `containerd://${hashSeed(pod.uid, pod.containerSerial).toString(16).padStart(8, '0')}${hashSeed(pod.name, pod.containerSerial).toString(16).padStart(8, '0')}${'0'.repeat(48)}`;
}
