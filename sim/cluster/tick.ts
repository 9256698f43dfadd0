// One tick of simulated time: the scenario's churn and faults due now, every pod's container step, the
// controllers, ready counts, and a usage sample for every running container.
import { clone } from '../patch.ts';
import type { ChurnSpec } from '../scenario.ts';
import { workloadChanged, reconcile, setReplicas, updateReadyCount } from './controllers.ts';
import { trimEvents } from './events.ts';
import { endFault, startFault } from './faults.ts';
import { samplePod, stepPod } from './lifecycle.ts';
import type { ClusterState, Obj } from './state.ts';

export function step(s: ClusterState): void {
  s.tickCount++;
  const t = s.tickCount;
  activateScheduled(s, t);
  for (const pod of s.podsByKey.values()) stepPod(s, pod);
  for (const wl of s.workloadsByKey.values()) reconcile(s, wl);
  for (const wl of s.workloadsByKey.values()) updateReadyCount(s, wl);
  for (const pod of s.podsByKey.values()) samplePod(s, pod, true);
  if (t % 10 === 0) trimEvents(s);
  s.version++;
}

/** The scenario's churn and faults that start (or end) at tick `t`. */
export function activateScheduled(s: ClusterState, t: number): void {
  for (const c of s.scenario.churn) {
    if (t === c.tick || (c.every !== undefined && t > c.tick && (t - c.tick) % c.every === 0)) runChurn(s, c);
  }
  for (const f of s.scenario.faults) {
    if (f.startTick === t) startFault(s, f);
  }
  for (const f of s.faultList) {
    if (f.active && f.spec.endTick !== undefined && t >= f.spec.endTick) endFault(s, f, 'ended by scenario');
  }
}

function runChurn(s: ClusterState, c: ChurnSpec): void {
  const wl = s.workloadsByKey.get(`${c.namespace}/${c.deployment}`);
  if (!wl) return;
  if (c.action === 'rollout') {
    const before = clone(wl.obj.spec.template);
    const tmpl = wl.obj.spec.template as Obj;
    const meta = (tmpl.metadata ?? (tmpl.metadata = {})) as Obj;
    const ann = (meta.annotations ?? (meta.annotations = {})) as Obj;
    ann['kubectl.kubernetes.io/restartedAt'] = s.now().toISOString();
    wl.generation++;
    workloadChanged(s, wl, { replicas: wl.obj.spec.replicas as number, template: before });
  } else if (c.replicas !== undefined) {
    setReplicas(s, wl, c.replicas);
  }
}
