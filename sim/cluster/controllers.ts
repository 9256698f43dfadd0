// The workload controllers: Deployment (+ ReplicaSet) rolling updates and scaling, StatefulSet ordinals,
// DaemonSet one-pod-per-node; the reaction to a new spec (a new template starts a rollout, a new count
// scales) and the scale subresource.
import { invalid } from '../errors.ts';
import type { Json } from '../patch.ts';
import type { SimWorkload, SimPod } from '../model.ts';
import { event, workloadRef } from './events.ts';
import { endFault } from './faults.ts';
import { createPod, isReady, removePod } from './pods.ts';
import { canonical, isObj, type ClusterState, type Obj } from './state.ts';
import { newRevision } from './workloads.ts';

export function updateReadyCount(s: ClusterState, wl: SimWorkload): void {
  let n = 0;
  for (const p of wl.pods) if (isReady(s, p)) n++;
  wl.readyCount = n;
}

/** The Deployment + ReplicaSet controllers: rolling update (25% surge / 25% unavailable), scale up and down. */
export function reconcile(s: ClusterState, wl: SimWorkload): void {
  if (wl.kind === 'StatefulSet') {
    reconcileStatefulSet(s, wl);
    return;
  }
  if (wl.kind === 'DaemonSet') {
    reconcileDaemonSet(s, wl);
    return;
  }
  const want = Math.max(0, Number(wl.obj.spec.replicas ?? 1));
  const cur = wl.pods.filter((p) => p.templateHash === wl.templateHash);
  const old = wl.pods.filter((p) => p.templateHash !== wl.templateHash);
  if (old.length === 0) {
    for (let i = cur.length; i < want; i++) createPod(s, wl, false);
    if (cur.length > want) {
      const victims = deletionOrder(s, cur).slice(0, cur.length - want);
      for (const p of victims) removePod(s, p, 'scaled down');
    }
    return;
  }
  const maxSurge = Math.max(1, Math.ceil(want * 0.25));
  const maxUnavailable = Math.floor(want * 0.25);
  const toCreate = Math.min(want + maxSurge - wl.pods.length, want - cur.length);
  for (let i = 0; i < toCreate; i++) createPod(s, wl, false);
  let ready = wl.pods.filter((p) => isReady(s, p)).length;
  for (const p of deletionOrder(s, old)) {
    if (!isReady(s, p)) removePod(s, p, 'rolling update');
    else if (ready - 1 >= want - maxUnavailable) {
      removePod(s, p, 'rolling update');
      ready--;
    }
  }
  const curNow = wl.pods.filter((p) => p.templateHash === wl.templateHash);
  if (curNow.length > want) for (const p of deletionOrder(s, curNow).slice(0, curNow.length - want)) removePod(s, p, 'scaled down');
}

/**
 * The StatefulSet controller, simplified: ordinals 0..replicas-1 exist (a deleted pod comes back under
 * the same name), higher ordinals go, and pods of an old revision are replaced at once (the real
 * controller replaces them one at a time from the highest ordinal, waiting for each to be ready).
 */
function reconcileStatefulSet(s: ClusterState, wl: SimWorkload): void {
  const want = Math.max(0, Number(wl.obj.spec.replicas ?? 1));
  const byHighest = [...wl.pods].sort((a, b) => (b.ordinal ?? 0) - (a.ordinal ?? 0));
  for (const p of byHighest) {
    if ((p.ordinal ?? 0) >= want) removePod(s, p, 'scaled down');
    else if (p.templateHash !== wl.templateHash) removePod(s, p, 'rolling update');
  }
  for (let i = 0; i < want; i++) if (!wl.pods.some((p) => p.ordinal === i)) createPod(s, wl, false, i);
}

/**
 * The DaemonSet controller, simplified: one pod of the current revision on every node (cordoned ones
 * too: DaemonSet pods tolerate unschedulable); pods of an old revision are replaced at once.
 */
function reconcileDaemonSet(s: ClusterState, wl: SimWorkload): void {
  const seen = new Set<string>();
  for (const p of [...wl.pods]) {
    if (p.templateHash !== wl.templateHash || !p.node || seen.has(p.node))
      removePod(s, p, p.templateHash !== wl.templateHash ? 'rolling update' : 'misscheduled');
    else seen.add(p.node);
  }
  for (const n of s.nodesByName.values()) if (!seen.has(n.name)) createPod(s, wl, false, undefined, n);
}

/** The ReplicaSet controller's preference: unscheduled, then not running, then not ready, then newest. */
function deletionOrder(s: ClusterState, pods: SimPod[]): SimPod[] {
  const rank = (p: SimPod) => (p.stage === 'unscheduled' ? 0 : p.stage !== 'running' ? 1 : isReady(s, p) ? 3 : 2);
  return [...pods].sort((a, b) => rank(a) - rank(b) || b.createdAt.getTime() - a.createdAt.getTime());
}

/** React to a new spec: a new template starts a rollout; a new replica count scales. */
export function workloadChanged(s: ClusterState, wl: SimWorkload, before: { replicas: number; template: Json | undefined }): void {
  const templateChanged = canonical(before.template) !== canonical(wl.obj.spec.template);
  if (templateChanged) {
    const imageOf = (t: Json | undefined) =>
      JSON.stringify(((isObj(t) && isObj(t.spec) ? t.spec.containers : []) as Obj[] | undefined)?.map((c) => c.image));
    const imageChanged = imageOf(before.template) !== imageOf(wl.obj.spec.template);
    for (const f of s.faultList) {
      if (!f.active || f.workload !== wl || f.spec.scope !== 'deployment') continue;
      if (f.clearedBy === 'template-change' || (f.clearedBy === 'image-change' && imageChanged))
        endFault(s, f, imageChanged ? 'image changed' : 'pod template changed');
    }
    newRevision(s, wl, s.now());
    const rs = wl.replicaSets.find((r) => r.hash === wl.templateHash)!;
    if (wl.kind === 'Deployment')
      event(s, workloadRef(wl), 'ScalingReplicaSet', `Scaled up replica set ${rs.name} to 1`, 'Normal', 'deployment-controller');
  }
  if (before.replicas !== wl.obj.spec.replicas && !templateChanged && wl.kind === 'Deployment') {
    const rs = wl.replicaSets.find((r) => r.hash === wl.templateHash)!;
    const up = Number(wl.obj.spec.replicas) > before.replicas;
    event(
      s,
      workloadRef(wl),
      'ScalingReplicaSet',
      `Scaled ${up ? 'up' : 'down'} replica set ${rs.name} to ${String(wl.obj.spec.replicas)} from ${before.replicas}`,
      'Normal',
      'deployment-controller',
    );
  }
  reconcile(s, wl);
  updateReadyCount(s, wl);
  s.version++;
}

/** The scale subresource. */
export function setReplicas(s: ClusterState, wl: SimWorkload, replicas: number, dryRun = false): SimWorkload {
  if (!Number.isInteger(replicas) || replicas < 0)
    throw invalid('Scale.autoscaling', wl.name, 'spec.replicas', 'must be a non-negative integer');
  if (dryRun) return { ...wl, obj: { ...wl.obj, spec: { ...wl.obj.spec, replicas } } };
  const before = Number(wl.obj.spec.replicas);
  if (before === replicas) return wl;
  wl.obj.spec.replicas = replicas;
  wl.generation++;
  wl.resourceVersion = s.nextRv();
  workloadChanged(s, wl, { replicas: before, template: wl.obj.spec.template });
  return wl;
}
