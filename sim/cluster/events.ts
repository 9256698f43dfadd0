// core/v1 Events as the components emit them: one object per involved object and reason (repeats bump
// its count), kept one simulated hour and at most a bounded number.
import { hashSeed } from '../prng.ts';
import type { SimEvent, SimPod } from '../model.ts';
import { randomUUIDFrom, type ClusterState } from './state.ts';

export type Involved = SimEvent['involved'];

export function podRef(pod: SimPod, container = false): Involved {
  return {
    kind: 'Pod',
    name: pod.name,
    namespace: pod.namespace,
    uid: pod.uid,
    apiVersion: 'v1',
    ...(container ? { fieldPath: `spec.containers{${pod.container.name}}` } : {}),
  };
}

export function event(
  s: ClusterState,
  involved: Involved,
  reason: string,
  message: string,
  type: 'Normal' | 'Warning',
  component: string,
  host?: string,
): void {
  const key = `${involved.uid}/${reason}`;
  const now = s.now();
  const existing = s.eventsByKey.get(key);
  if (existing) {
    existing.count++;
    existing.last = now;
    existing.message = message;
    existing.resourceVersion = s.nextRv();
    // Re-insert so the map stays ordered by last occurrence (trimming drops the oldest first).
    s.eventsByKey.delete(key);
    s.eventsByKey.set(key, existing);
  } else {
    s.eventsByKey.set(key, {
      uid: randomUUIDFrom(s.rng),
      name: `${involved.name}.${(hashSeed(key, now.getTime()) * 4096 + s.rng.int(4096)).toString(16).padStart(16, '0').slice(0, 16)}`,
      namespace: involved.namespace || 'default',
      involved,
      reason,
      message,
      type,
      count: 1,
      first: now,
      last: now,
      component,
      host,
      resourceVersion: s.nextRv(),
    });
  }
  s.version++;
}

/** The kubelet's warning while a crashed container waits out its back-off. */
export function backOffEvent(s: ClusterState, pod: SimPod): void {
  event(
    s,
    podRef(pod, true),
    'BackOff',
    `Back-off restarting failed container ${pod.container.name} in pod ${pod.name}_${pod.namespace}(${pod.uid})`,
    'Warning',
    'kubelet',
    pod.node,
  );
}

/** The scheduler's note once a pod has a node. */
export function scheduledEvent(s: ClusterState, pod: SimPod): void {
  event(s, podRef(pod), 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${pod.node}`, 'Normal', 'default-scheduler');
}

/** A workload controller's event (SuccessfulCreate, ScalingReplicaSet). */
export function workloadRef(wl: { kind: string; name: string; namespace: string; uid: string }): Involved {
  return { kind: wl.kind, name: wl.name, namespace: wl.namespace, uid: wl.uid, apiVersion: 'apps/v1' };
}

/** Events live one simulated hour (as the API server's default TTL), and at most a bounded number. */
export function trimEvents(s: ClusterState): void {
  const cutoff = s.now().getTime() - 3600_000;
  const cap = Math.max(2000, s.podsByKey.size * 3);
  for (const [k, e] of s.eventsByKey) {
    if (e.last.getTime() >= cutoff && s.eventsByKey.size <= cap) break;
    s.eventsByKey.delete(k);
  }
}
