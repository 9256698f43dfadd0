// A workload's controller object from its scenario entry (Deployment, StatefulSet or DaemonSet spec with
// the pod template), its revisions (ReplicaSets, or controller revisions), and the container a pod of
// the current template gets.
import { clone, type Json } from '../patch.ts';
import { formatCpu, formatMemory, MiB, parseQuantity } from '../quantity.ts';
import type { Workload } from '../scenario.ts';
import type { ContainerSpec, SimWorkload } from '../model.ts';
import { hashString, randomUUIDFrom, type ClusterState, type Obj } from './state.ts';

export function makeWorkload(s: ClusterState, w: Workload): SimWorkload {
  const container = w.container ?? w.name;
  const labels = { app: w.name, ...w.labels };
  const template: Obj = {
    metadata: { labels: { ...labels } },
    spec: {
      containers: [
        {
          name: container,
          image: w.image,
          ports: [{ containerPort: w.profile === 'dns' ? 53 : 8080, protocol: w.profile === 'dns' ? 'UDP' : 'TCP' }],
          resources: {
            requests: {
              cpu: formatCpu(w.cpu.requestCores ?? Math.min(w.cpu.limitCores, w.cpu.baseCores * 1.2)),
              memory: formatMemory(Math.round(w.memory.requestMiB ?? Math.min(w.memory.limitMiB, w.memory.baseMiB * 1.2)) * MiB),
            },
            limits: {
              cpu: formatCpu(w.cpu.limitCores),
              memory: formatMemory(Math.round(w.memory.limitMiB) * MiB),
              ...(w.storage?.limitMiB ? { 'ephemeral-storage': formatMemory(Math.round(w.storage.limitMiB) * MiB) } : {}),
            },
          },
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
    },
  };
  const createdAt = new Date(s.startTime.getTime() - (2 + s.rng.int(20)) * 86400_000);
  const wl: SimWorkload = {
    kind: w.kind,
    key: `${w.namespace}/${w.name}`,
    namespace: w.namespace,
    name: w.name,
    uid: randomUUIDFrom(s.rng),
    entry: w,
    obj: {
      metadata: { labels: { ...labels }, annotations: {} },
      spec:
        w.kind === 'DaemonSet'
          ? {
              selector: { matchLabels: { app: w.name } },
              template,
              updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
              revisionHistoryLimit: 10,
            }
          : w.kind === 'StatefulSet'
            ? {
                replicas: w.replicas,
                selector: { matchLabels: { app: w.name } },
                template,
                serviceName: w.name,
                podManagementPolicy: 'OrderedReady',
                updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
                revisionHistoryLimit: 10,
                persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
              }
            : {
                replicas: w.replicas,
                selector: { matchLabels: { app: w.name } },
                template,
                strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
                revisionHistoryLimit: 10,
                progressDeadlineSeconds: 600,
              },
    },
    generation: 1,
    templateHash: '',
    revision: 0,
    replicaSets: [],
    pods: [],
    initialReplicas: Math.max(1, w.kind === 'DaemonSet' ? s.nodesByName.size : w.replicas),
    cyclePhase: s.rng.next() * Math.PI * 0.5,
    createdAt,
    resourceVersion: s.nextRv(),
    readyCount: 0,
  };
  newRevision(s, wl, createdAt);
  return wl;
}

/** A new revision (ReplicaSet) for the workload's current template (or the old one when the template returns to it). */
export function newRevision(s: ClusterState, wl: SimWorkload, at: Date): void {
  const template = wl.obj.spec.template as Obj;
  const hash = hashString(template);
  wl.templateHash = hash;
  wl.revision += 1;
  const existing = wl.replicaSets.find((rs) => rs.hash === hash);
  if (existing) {
    existing.revision = wl.revision;
    existing.resourceVersion = s.nextRv();
  } else {
    wl.replicaSets.push({
      name: `${wl.name}-${hash}`,
      uid: randomUUIDFrom(s.rng),
      hash,
      revision: wl.revision,
      template: clone(template),
      createdAt: at,
      resourceVersion: s.nextRv(),
    });
    if (wl.replicaSets.length > 4) wl.replicaSets.splice(0, wl.replicaSets.length - 4);
  }
  if (wl.kind === 'Deployment') wl.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(wl.revision);
}

export function containerFromTemplate(wl: SimWorkload): ContainerSpec {
  const spec = (wl.obj.spec.template as Obj).spec as Obj;
  const c = (spec.containers as Obj[])[0]!;
  const res = (c.resources ?? {}) as Obj;
  const limits = (res.limits ?? {}) as Obj;
  const requests = (res.requests ?? {}) as Obj;
  const q = (v: Json | undefined, fallback: number) => (v === undefined || v === null ? fallback : parseQuantity(v as string | number));
  const w = wl.entry;
  const cpuLimit = q(limits.cpu, Math.max(w.cpu.baseCores * 4, 1));
  const memLimit = q(limits.memory, 0);
  return {
    name: String(c.name),
    image: String(c.image),
    cpuLimitCores: cpuLimit,
    cpuRequestCores: q(requests.cpu, Math.min(cpuLimit, w.cpu.baseCores)),
    memLimitBytes: memLimit,
    memRequestBytes: q(requests.memory, memLimit || w.memory.baseMiB * MiB),
    ephemeralLimitBytes: q(limits['ephemeral-storage'], 0),
  };
}
