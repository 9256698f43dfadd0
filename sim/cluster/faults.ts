// Injected faults: started from the scenario at their tick on a pod (by replica index, oldest first) or a
// whole workload, ended by the scenario, by the pod going, or by the template change that clears them.
import { MiB } from '../quantity.ts';
import type { FaultSpec } from '../scenario.ts';
import type { SimFault, SimPod } from '../model.ts';
import type { ClusterState } from './state.ts';
import { containerFromTemplate } from './workloads.ts';

export function startFault(s: ClusterState, spec: FaultSpec): void {
  const wl = s.workloadsByKey.get(`${spec.namespace}/${spec.deployment}`)!;
  // Replica index counts from the oldest pod (ties by name), as the scenario documents.
  const live = [...wl.pods].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : 1));
  const target = live.length ? live[spec.replica % live.length] : undefined;
  const c = target?.container ?? containerFromTemplate(wl);
  const w = wl.entry;
  const limit = c.memLimitBytes || w.memory.limitMiB * MiB;
  const base = w.memory.baseMiB * MiB + w.memory.gcSawtoothMiB * MiB;
  const leakPerTick =
    spec.leakMiBPerTick !== undefined ? spec.leakMiBPerTick * MiB : Math.max(MiB / 4, (limit - base) / spec.oomAfterTicks);
  const fault: SimFault = {
    id: `f${s.faultList.length + 1}-${spec.kind}`,
    spec,
    workload: wl,
    podUid: spec.scope === 'pod' ? target?.uid : undefined,
    podName: target?.name ?? '',
    pods: new Set(target ? [target.name] : []),
    active: spec.scope === 'deployment' || target !== undefined,
    startedTick: s.tickCount,
    startedAt: s.now(),
    ended: undefined,
    firstOom: undefined,
    oomKills: 0,
    crashes: 0,
    clearedBy: spec.scope === 'pod' ? 'restart' : (spec.clearedBy ?? (spec.kind === 'cpu_exhaustion' ? 'never' : 'image-change')),
    leakPerTick,
    plateauBytes: spec.plateauMiB !== undefined ? spec.plateauMiB * MiB : limit * 1.6,
  };
  if (!fault.active) fault.ended = { ...s.simTime(), reason: 'no pod to inject into' };
  s.faultList.push(fault);
  s.version++;
}

export function endFault(s: ClusterState, f: SimFault, reason: string): void {
  if (!f.active) return;
  f.active = false;
  f.ended = { ...s.simTime(), reason };
  s.version++;
}

/** The active fault on a pod (its own, or its workload's), noting the pod among those it affected. */
export function faultOf(s: ClusterState, pod: SimPod): SimFault | undefined {
  for (const f of s.faultList) {
    if (!f.active) continue;
    if (f.podUid === pod.uid || (f.spec.scope === 'deployment' && f.workload === pod.workload)) {
      if (!f.pods.has(pod.name)) f.pods.add(pod.name);
      return f;
    }
  }
  return undefined;
}
