// The cluster at tick 0: nodes, namespaces, each workload with its PDB and pods that have been running
// for hours, their first usage samples, and what the scenario schedules for tick 0.
import { GiB } from '../quantity.ts';
import { updateReadyCount } from './controllers.ts';
import { samplePod } from './lifecycle.ts';
import { createPod } from './pods.ts';
import { randomUUIDFrom, type ClusterState } from './state.ts';
import { activateScheduled } from './tick.ts';
import { makeWorkload } from './workloads.ts';

export function buildInitial(s: ClusterState): void {
  const sc = s.scenario;
  const nodeCreated = s.clusterCreatedAt;
  sc.nodes.forEach((n, index) => {
    const zone = n.zone ?? `zone-${String.fromCharCode(97 + (index % 3))}`;
    s.nodesByName.set(n.name, {
      name: n.name,
      uid: randomUUIDFrom(s.rng),
      index,
      cpuCores: n.cpuCores,
      memoryBytes: n.memoryGiB * GiB,
      zone,
      obj: {
        metadata: {
          labels: {
            'kubernetes.io/arch': 'amd64',
            'kubernetes.io/hostname': n.name,
            'kubernetes.io/os': 'linux',
            'topology.kubernetes.io/zone': zone,
            'node.kubernetes.io/instance-type': 'sim.standard',
          },
          annotations: {},
        },
        spec: { podCIDR: `10.244.${index % 256}.0/24`, podCIDRs: [`10.244.${index % 256}.0/24`], providerID: `sim://${n.name}` },
      },
      createdAt: nodeCreated,
      podCount: 0,
      resourceVersion: s.nextRv(),
    });
  });
  for (const w of sc.workloads) {
    s.namespaceSet.add(w.namespace);
    const wl = makeWorkload(s, w);
    s.workloadsByKey.set(wl.key, wl);
    if (w.pdb) {
      s.pdbList.push({
        name: w.name,
        namespace: w.namespace,
        uid: randomUUIDFrom(s.rng),
        workload: wl,
        minAvailable: w.pdb.minAvailable,
        maxUnavailable: w.pdb.maxUnavailable,
        createdAt: wl.createdAt,
      });
    }
    if (wl.kind === 'DaemonSet') for (const n of s.nodesByName.values()) createPod(s, wl, true, undefined, n);
    else for (let i = 0; i < w.replicas; i++) createPod(s, wl, true);
  }
  for (const wl of s.workloadsByKey.values()) updateReadyCount(s, wl);
  for (const pod of s.podsByKey.values()) samplePod(s, pod, false);
  activateScheduled(s, 0);
}
