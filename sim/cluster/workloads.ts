// A workload's controller object from its scenario entry (Deployment, StatefulSet or DaemonSet spec with
// the pod template), its revisions (ReplicaSets, or controller revisions), and the container a pod of
// the current template gets.
import { clone, type Json } from '../patch.ts';
import { formatCpu, formatMemory, MiB, parseQuantity } from '../quantity.ts';
import type { Workload } from '../scenario.ts';
import type { ContainerSpec, SimDeployment } from '../model.ts';
import { hashString, randomUUIDFrom, type ClusterState, type Obj } from './state.ts';

export function makeDeployment(s: ClusterState, w: Workload): SimDeployment {
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
            limits: { cpu: formatCpu(w.cpu.limitCores), memory: formatMemory(Math.round(w.memory.limitMiB) * MiB) },
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
  const dep: SimDeployment = {
    kind: w.kind,
    key: `${w.namespace}/${w.name}`,
    namespace: w.namespace,
    name: w.name,
    uid: randomUUIDFrom(s.rng),
    workload: w,
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
  newRevision(s, dep, createdAt);
  return dep;
}

/** A new ReplicaSet for the deployment's current template (or the old one when the template returns to it). */
export function newRevision(s: ClusterState, dep: SimDeployment, at: Date): void {
  const template = dep.obj.spec.template as Obj;
  const hash = hashString(template);
  dep.templateHash = hash;
  dep.revision += 1;
  const existing = dep.replicaSets.find((rs) => rs.hash === hash);
  if (existing) {
    existing.revision = dep.revision;
    existing.resourceVersion = s.nextRv();
  } else {
    dep.replicaSets.push({
      name: `${dep.name}-${hash}`,
      uid: randomUUIDFrom(s.rng),
      hash,
      revision: dep.revision,
      template: clone(template),
      createdAt: at,
      resourceVersion: s.nextRv(),
    });
    if (dep.replicaSets.length > 4) dep.replicaSets.splice(0, dep.replicaSets.length - 4);
  }
  if (dep.kind === 'Deployment') dep.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(dep.revision);
}

export function containerFromTemplate(dep: SimDeployment): ContainerSpec {
  const spec = (dep.obj.spec.template as Obj).spec as Obj;
  const c = (spec.containers as Obj[])[0]!;
  const res = (c.resources ?? {}) as Obj;
  const limits = (res.limits ?? {}) as Obj;
  const requests = (res.requests ?? {}) as Obj;
  const q = (v: Json | undefined, fallback: number) => (v === undefined || v === null ? fallback : parseQuantity(v as string | number));
  const w = dep.workload;
  const cpuLimit = q(limits.cpu, Math.max(w.cpu.baseCores * 4, 1));
  const memLimit = q(limits.memory, 0);
  return {
    name: String(c.name),
    image: String(c.image),
    cpuLimitCores: cpuLimit,
    cpuRequestCores: q(requests.cpu, Math.min(cpuLimit, w.cpu.baseCores)),
    memLimitBytes: memLimit,
    memRequestBytes: q(requests.memory, memLimit || w.memory.baseMiB * MiB),
  };
}
