// The workload controllers: Deployment (+ ReplicaSet) rolling updates and scaling, StatefulSet ordinals,
// DaemonSet one-pod-per-node; the reaction to a new spec (a new template starts a rollout, a new count
// scales) and the scale subresource.
import { invalid } from '../errors.ts';
import type { Json } from '../patch.ts';
import type { SimDeployment, SimPod } from '../model.ts';
import { event, workloadRef } from './events.ts';
import { endFault } from './faults.ts';
import { createPod, isReady, removePod } from './pods.ts';
import { canonical, isObj, type ClusterState, type Obj } from './state.ts';
import { newRevision } from './workloads.ts';

export function updateReadyCount(s: ClusterState, dep: SimDeployment): void {
  let n = 0;
  for (const p of dep.pods) if (isReady(s, p)) n++;
  dep.readyCount = n;
}

/** The Deployment + ReplicaSet controllers: rolling update (25% surge / 25% unavailable), scale up and down. */
export function reconcile(s: ClusterState, dep: SimDeployment): void {
  if (dep.kind === 'StatefulSet') {
    reconcileStatefulSet(s, dep);
    return;
  }
  if (dep.kind === 'DaemonSet') {
    reconcileDaemonSet(s, dep);
    return;
  }
  const want = Math.max(0, Number(dep.obj.spec.replicas ?? 1));
  const cur = dep.pods.filter((p) => p.templateHash === dep.templateHash);
  const old = dep.pods.filter((p) => p.templateHash !== dep.templateHash);
  if (old.length === 0) {
    for (let i = cur.length; i < want; i++) createPod(s, dep, false);
    if (cur.length > want) {
      const victims = deletionOrder(s, cur).slice(0, cur.length - want);
      for (const p of victims) removePod(s, p, 'scaled down');
    }
    return;
  }
  const maxSurge = Math.max(1, Math.ceil(want * 0.25));
  const maxUnavailable = Math.floor(want * 0.25);
  const toCreate = Math.min(want + maxSurge - dep.pods.length, want - cur.length);
  for (let i = 0; i < toCreate; i++) createPod(s, dep, false);
  let ready = dep.pods.filter((p) => isReady(s, p)).length;
  for (const p of deletionOrder(s, old)) {
    if (!isReady(s, p)) removePod(s, p, 'rolling update');
    else if (ready - 1 >= want - maxUnavailable) {
      removePod(s, p, 'rolling update');
      ready--;
    }
  }
  const curNow = dep.pods.filter((p) => p.templateHash === dep.templateHash);
  if (curNow.length > want) for (const p of deletionOrder(s, curNow).slice(0, curNow.length - want)) removePod(s, p, 'scaled down');
}

/**
 * The StatefulSet controller, simplified: ordinals 0..replicas-1 exist (a deleted pod comes back under
 * the same name), higher ordinals go, and pods of an old revision are replaced at once (the real
 * controller replaces them one at a time from the highest ordinal, waiting for each to be ready).
 */
function reconcileStatefulSet(s: ClusterState, dep: SimDeployment): void {
  const want = Math.max(0, Number(dep.obj.spec.replicas ?? 1));
  const byHighest = [...dep.pods].sort((a, b) => (b.ordinal ?? 0) - (a.ordinal ?? 0));
  for (const p of byHighest) {
    if ((p.ordinal ?? 0) >= want) removePod(s, p, 'scaled down');
    else if (p.templateHash !== dep.templateHash) removePod(s, p, 'rolling update');
  }
  for (let i = 0; i < want; i++) if (!dep.pods.some((p) => p.ordinal === i)) createPod(s, dep, false, i);
}

/**
 * The DaemonSet controller, simplified: one pod of the current revision on every node (cordoned ones
 * too: DaemonSet pods tolerate unschedulable); pods of an old revision are replaced at once.
 */
function reconcileDaemonSet(s: ClusterState, dep: SimDeployment): void {
  const seen = new Set<string>();
  for (const p of [...dep.pods]) {
    if (p.templateHash !== dep.templateHash || !p.node || seen.has(p.node)) removePod(s, p, p.templateHash !== dep.templateHash ? 'rolling update' : 'misscheduled');
    else seen.add(p.node);
  }
  for (const n of s.nodesByName.values()) if (!seen.has(n.name)) createPod(s, dep, false, undefined, n);
}

/** The ReplicaSet controller's preference: unscheduled, then not running, then not ready, then newest. */
function deletionOrder(s: ClusterState, pods: SimPod[]): SimPod[] {
  const rank = (p: SimPod) => (p.stage === 'unscheduled' ? 0 : p.stage !== 'running' ? 1 : isReady(s, p) ? 3 : 2);
  return [...pods].sort((a, b) => rank(a) - rank(b) || b.createdAt.getTime() - a.createdAt.getTime());
}

/** React to a new spec: a new template starts a rollout; a new replica count scales. */
export function deploymentChanged(s: ClusterState, dep: SimDeployment, before: { replicas: number; template: Json | undefined }): void {
  const templateChanged = canonical(before.template) !== canonical(dep.obj.spec.template);
  if (templateChanged) {
    const imageOf = (t: Json | undefined) => JSON.stringify(((isObj(t) && isObj(t.spec) ? t.spec.containers : []) as Obj[] | undefined)?.map((c) => c.image));
    const imageChanged = imageOf(before.template) !== imageOf(dep.obj.spec.template);
    for (const f of s.faultList) {
      if (!f.active || f.dep !== dep || f.spec.scope !== 'deployment') continue;
      if (f.clearedBy === 'template-change' || (f.clearedBy === 'image-change' && imageChanged)) endFault(s, f, imageChanged ? 'image changed' : 'pod template changed');
    }
    newRevision(s, dep, s.now());
    const rs = dep.replicaSets.find((r) => r.hash === dep.templateHash)!;
    if (dep.kind === 'Deployment') event(s, workloadRef(dep), 'ScalingReplicaSet', `Scaled up replica set ${rs.name} to 1`, 'Normal', 'deployment-controller');
  }
  if (before.replicas !== dep.obj.spec.replicas && !templateChanged && dep.kind === 'Deployment') {
    const rs = dep.replicaSets.find((r) => r.hash === dep.templateHash)!;
    const up = Number(dep.obj.spec.replicas) > before.replicas;
    event(
      s,
      workloadRef(dep),
      'ScalingReplicaSet',
      `Scaled ${up ? 'up' : 'down'} replica set ${rs.name} to ${String(dep.obj.spec.replicas)} from ${before.replicas}`,
      'Normal',
      'deployment-controller',
    );
  }
  reconcile(s, dep);
  updateReadyCount(s, dep);
  s.version++;
}

/** The scale subresource. */
export function setReplicas(s: ClusterState, dep: SimDeployment, replicas: number, dryRun = false): SimDeployment {
  if (!Number.isInteger(replicas) || replicas < 0) throw invalid('Scale.autoscaling', dep.name, 'spec.replicas', 'must be a non-negative integer');
  if (dryRun) return { ...dep, obj: { ...dep.obj, spec: { ...dep.obj.spec, replicas } } };
  const before = Number(dep.obj.spec.replicas);
  if (before === replicas) return dep;
  dep.obj.spec.replicas = replicas;
  dep.generation++;
  dep.resourceVersion = s.nextRv();
  deploymentChanged(s, dep, { replicas: before, template: dep.obj.spec.template });
  return dep;
}
