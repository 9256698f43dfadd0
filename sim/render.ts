// The simulator's state in the real Kubernetes response shapes (core/v1 Pod, Node, Event, Namespace;
// apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet; autoscaling/v1 Scale; policy/v1 PodDisruptionBudget;
// metrics.k8s.io/v1beta1 PodMetrics, NodeMetrics).
import type { SimCluster, SimWorkload, SimEvent, SimNode, SimPdb, SimPod, SimReplicaSet } from './cluster.ts';
import { clone } from './patch.ts';
import { formatCpu, formatKi, formatMemory, formatNanocores } from './quantity.ts';

type Obj = Record<string, unknown>;

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function podContainerStatus(c: SimCluster, p: SimPod): Obj {
  const ready = c.isReady(p);
  let state: Obj;
  switch (p.stage) {
    case 'creating':
    case 'unscheduled':
      state = { waiting: { reason: 'ContainerCreating' } };
      break;
    case 'backoff':
      state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.min(300, 10 * 2 ** Math.max(0, p.crashCount - 1))}s restarting failed container=${p.container.name} pod=${p.name}_${p.namespace}(${p.uid})`,
        },
      };
      break;
    case 'oomkilled':
      state = {
        terminated: {
          exitCode: 137,
          reason: 'OOMKilled',
          startedAt: iso(p.lastTerm!.startedAt),
          finishedAt: iso(p.lastTerm!.finishedAt),
          containerID: p.lastTerm!.containerId,
        },
      };
      break;
    default:
      state = { running: { startedAt: iso(p.containerStartedAt ?? p.createdAt) } };
  }
  const lastState: Obj =
    p.lastTerm && p.stage !== 'oomkilled'
      ? {
          terminated: {
            exitCode: p.lastTerm.exitCode,
            reason: p.lastTerm.reason,
            startedAt: iso(p.lastTerm.startedAt),
            finishedAt: iso(p.lastTerm.finishedAt),
            containerID: p.lastTerm.containerId,
          },
        }
      : {};
  const running = p.stage === 'running' || p.stage === 'oomkilled';
  return {
    name: p.container.name,
    image: p.container.image,
    imageID: `${p.container.image.split(':')[0]}@sha256:${p.templateHash.padEnd(64, '0').slice(0, 64)}`,
    ...(running || p.stage === 'backoff' ? { containerID: p.stage === 'backoff' ? p.lastTerm?.containerId : c.containerId(p) } : {}),
    ready,
    started: p.stage === 'running',
    restartCount: p.restarts,
    state,
    lastState,
  };
}

export function renderPod(c: SimCluster, p: SimPod, deleting = false): Obj {
  const ready = c.isReady(p);
  const scheduled = p.node !== undefined;
  const startTime = scheduled ? iso(p.createdAt) : undefined;
  const cond = (type: string, status: boolean, extra: Obj = {}) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: iso(p.createdAt),
    ...extra,
  });
  const containersReady = ready;
  const conditions = scheduled
    ? [
        cond('PodReadyToStartContainers', p.stage !== 'creating'),
        cond('Initialized', true),
        cond(
          'Ready',
          ready,
          ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${p.container.name}]` },
        ),
        cond(
          'ContainersReady',
          containersReady,
          containersReady ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${p.container.name}]` },
        ),
        cond('PodScheduled', true),
      ]
    : [cond('PodScheduled', false, { reason: 'Unschedulable', message: '0 nodes are available: node(s) were unschedulable.' })];
  const node = p.node ? c.getNode(p.node) : undefined;
  const sts = p.workload.kind === 'StatefulSet';
  const ds = p.workload.kind === 'DaemonSet';
  const owner =
    sts || ds
      ? {
          apiVersion: 'apps/v1',
          kind: p.workload.kind,
          name: p.workload.name,
          uid: p.workload.uid,
          controller: true,
          blockOwnerDeletion: true,
        }
      : {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: p.rsName,
          uid: p.workload.replicaSets.find((r) => r.name === p.rsName)?.uid ?? p.workload.uid,
          controller: true,
          blockOwnerDeletion: true,
        };
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: p.name,
      generateName: `${sts || ds ? p.workload.name : p.rsName}-`,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: String(p.resourceVersion),
      creationTimestamp: iso(p.createdAt),
      ...(deleting ? { deletionTimestamp: iso(c.now()), deletionGracePeriodSeconds: 30 } : {}),
      labels: { ...p.labels },
      ...(Object.keys(p.annotations).length ? { annotations: { ...p.annotations } } : {}),
      ownerReferences: [owner],
    },
    spec: {
      containers: [
        {
          name: p.container.name,
          image: p.container.image,
          resources: {
            limits: {
              cpu: formatCpu(p.container.cpuLimitCores),
              ...(p.container.memLimitBytes ? { memory: formatMemory(p.container.memLimitBytes) } : {}),
              ...(p.container.ephemeralLimitBytes ? { 'ephemeral-storage': formatMemory(p.container.ephemeralLimitBytes) } : {}),
            },
            requests: { cpu: formatCpu(p.container.cpuRequestCores), memory: formatMemory(p.container.memRequestBytes) },
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      ...(p.node ? { nodeName: p.node } : {}),
      // A StatefulSet pod's stable network identity: <pod>.<serviceName>.
      ...(sts ? { hostname: p.name, subdomain: String(p.workload.obj.spec.serviceName ?? p.workload.name) } : {}),
      // The DaemonSet controller pins its pod to the node by affinity.
      ...(ds && p.node
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.node] }] }],
                },
              },
            },
          }
        : {}),
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: ds
        ? [
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
            { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
          ]
        : [
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: p.stage === 'unscheduled' || p.stage === 'creating' ? 'Pending' : 'Running',
      conditions,
      ...(node ? { hostIP: nodeIp(node), hostIPs: [{ ip: nodeIp(node) }] } : {}),
      ...(p.podIP && p.stage !== 'creating' ? { podIP: p.podIP, podIPs: [{ ip: p.podIP }] } : {}),
      ...(startTime ? { startTime } : {}),
      ...(scheduled ? { containerStatuses: [podContainerStatus(c, p)] } : {}),
      qosClass: 'Burstable',
    },
  };
}

export function nodeIp(n: SimNode): string {
  return `10.0.${Math.floor(n.index / 250)}.${(n.index % 250) + 4}`;
}

export function renderNode(c: SimCluster, n: SimNode): Obj {
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: iso(c.now()),
    lastTransitionTime: iso(n.createdAt),
    reason,
    message,
  });
  const unschedulable = n.obj.spec.unschedulable === true;
  const taints = [
    ...(Array.isArray(n.obj.spec.taints) ? (n.obj.spec.taints as Obj[]).filter((t) => t.key !== 'node.kubernetes.io/unschedulable') : []),
    ...(unschedulable ? [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: iso(c.now()) }] : []),
  ];
  const memKi = formatKi(n.memoryBytes);
  const allocMemKi = formatKi(n.memoryBytes - 512 * 1024 * 1024);
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: n.name,
      uid: n.uid,
      resourceVersion: String(n.resourceVersion),
      creationTimestamp: iso(n.createdAt),
      labels: { ...n.obj.metadata.labels },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...n.obj.metadata.annotations,
      },
    },
    spec: { ...clone(n.obj.spec), ...(taints.length ? { taints } : {}) },
    status: {
      capacity: { cpu: String(n.cpuCores), memory: memKi, pods: '110', 'ephemeral-storage': '104845292Ki' },
      allocatable: { cpu: formatCpu(n.cpuCores - 0.1), memory: allocMemKi, pods: '110', 'ephemeral-storage': '96625420948' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: nodeIp(n) },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: n.uid.replace(/-/g, ''),
        systemUUID: n.uid,
        bootID: n.uid,
        kernelVersion: '6.1.0-sim',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.22',
        kubeletVersion: 'v1.31.0',
        kubeProxyVersion: 'v1.31.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

function depStatus(c: SimCluster, d: SimWorkload): Obj {
  const replicas = d.pods.length;
  const updated = d.pods.filter((p) => p.templateHash === d.templateHash).length;
  const ready = d.pods.filter((p) => c.isReady(p)).length;
  const want = Number(d.obj.spec.replicas ?? 1);
  const cond = (type: string, status: boolean, reason: string, message: string) => ({
    type,
    status: status ? 'True' : 'False',
    lastUpdateTime: iso(d.createdAt),
    lastTransitionTime: iso(d.createdAt),
    reason,
    message,
  });
  const rs = d.replicaSets.find((r) => r.hash === d.templateHash);
  return {
    observedGeneration: d.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: ready,
    ...(replicas - ready > 0 ? { unavailableReplicas: Math.max(0, want - ready) } : {}),
    conditions: [
      ready >= want - Math.floor(want * 0.25)
        ? cond('Available', true, 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : cond('Available', false, 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
      updated === want && replicas === want
        ? cond('Progressing', true, 'NewReplicaSetAvailable', `ReplicaSet "${rs?.name}" has successfully progressed.`)
        : cond('Progressing', true, 'ReplicaSetUpdated', `ReplicaSet "${rs?.name}" is progressing.`),
    ],
  };
}

/** The metadata of a Deployment, StatefulSet or DaemonSet; `annotations` undefined leaves the field out. */
function workloadMeta(d: SimWorkload, annotations: Record<string, string> | undefined): Obj {
  return {
    name: d.name,
    namespace: d.namespace,
    uid: d.uid,
    resourceVersion: String(d.resourceVersion),
    generation: d.generation,
    creationTimestamp: iso(d.createdAt),
    labels: { ...d.obj.metadata.labels },
    ...(annotations ? { annotations } : {}),
  };
}

export function renderDeployment(c: SimCluster, d: SimWorkload): Obj {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: workloadMeta(d, { ...d.obj.metadata.annotations }),
    spec: clone(d.obj.spec),
    status: depStatus(c, d),
  };
}

function stsStatus(c: SimCluster, d: SimWorkload): Obj {
  const replicas = d.pods.length;
  const updated = d.pods.filter((p) => p.templateHash === d.templateHash).length;
  const ready = d.pods.filter((p) => c.isReady(p)).length;
  const updateRevision = `${d.name}-${d.templateHash}`;
  // currentRevision moves to the update revision once every pod runs it (as the controller reports).
  const current = d.pods.find((p) => p.templateHash !== d.templateHash);
  const currentRevision = current ? `${d.name}-${current.templateHash}` : updateRevision;
  return {
    observedGeneration: d.generation,
    replicas,
    readyReplicas: ready,
    currentReplicas: current ? replicas - updated : replicas,
    updatedReplicas: updated,
    currentRevision,
    updateRevision,
    collisionCount: 0,
    availableReplicas: ready,
  };
}

export function renderStatefulSet(c: SimCluster, d: SimWorkload): Obj {
  return {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    metadata: workloadMeta(d, Object.keys(d.obj.metadata.annotations).length ? { ...d.obj.metadata.annotations } : undefined),
    spec: clone(d.obj.spec),
    status: stsStatus(c, d),
  };
}

export function renderDaemonSet(c: SimCluster, d: SimWorkload): Obj {
  const desired = c.nodeList().length;
  const ready = d.pods.filter((p) => c.isReady(p)).length;
  const updated = d.pods.filter((p) => p.templateHash === d.templateHash).length;
  return {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    metadata: workloadMeta(d, { 'deprecated.daemonset.template.generation': String(d.generation), ...d.obj.metadata.annotations }),
    spec: clone(d.obj.spec),
    status: {
      currentNumberScheduled: d.pods.filter((p) => p.node).length,
      numberMisscheduled: 0,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: d.generation,
      updatedNumberScheduled: updated,
      numberAvailable: ready,
      ...(desired - ready > 0 ? { numberUnavailable: desired - ready } : {}),
    },
  };
}

export function renderScale(d: SimWorkload): Obj {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: d.name,
      namespace: d.namespace,
      uid: d.uid,
      resourceVersion: String(d.resourceVersion),
      creationTimestamp: iso(d.createdAt),
    },
    spec: { replicas: Number(d.obj.spec.replicas ?? 1) },
    status: { replicas: d.pods.length, selector: `app=${d.name}` },
  };
}

export function renderReplicaSet(c: SimCluster, d: SimWorkload, rs: SimReplicaSet): Obj {
  const pods = d.pods.filter((p) => p.templateHash === rs.hash);
  const current = rs.hash === d.templateHash;
  const ready = pods.filter((p) => c.isReady(p)).length;
  const want = current ? Number(d.obj.spec.replicas ?? 1) : pods.length;
  const template = clone(rs.template) as { metadata?: { labels?: Record<string, string> } };
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': rs.hash } };
  return {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: {
      name: rs.name,
      namespace: d.namespace,
      uid: rs.uid,
      resourceVersion: String(rs.resourceVersion),
      generation: 1,
      creationTimestamp: iso(rs.createdAt),
      labels: { ...d.obj.metadata.labels, app: d.name, 'pod-template-hash': rs.hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(d.obj.spec.replicas),
        'deployment.kubernetes.io/max-replicas': String(
          Number(d.obj.spec.replicas) + Math.max(1, Math.ceil(Number(d.obj.spec.replicas) * 0.25)),
        ),
        'deployment.kubernetes.io/revision': String(rs.revision),
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: d.name, uid: d.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      replicas: want,
      selector: { matchLabels: { app: d.name, 'pod-template-hash': rs.hash } },
      template,
    },
    status: {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: 1,
    },
  };
}

export function renderEvent(e: SimEvent): Obj {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: e.name,
      namespace: e.namespace,
      uid: e.uid,
      resourceVersion: String(e.resourceVersion),
      creationTimestamp: iso(e.first),
    },
    involvedObject: { ...e.involved, ...(e.involved.namespace ? {} : { namespace: undefined }) },
    reason: e.reason,
    message: e.message,
    source: { component: e.component, ...(e.host ? { host: e.host } : {}) },
    firstTimestamp: iso(e.first),
    lastTimestamp: iso(e.last),
    count: e.count,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: e.host ?? '',
  };
}

export function renderPdb(c: SimCluster, p: SimPdb): Obj {
  const st = c.pdbStatus(p);
  return {
    kind: 'PodDisruptionBudget',
    apiVersion: 'policy/v1',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: String(c.resourceVersion),
      generation: 1,
      creationTimestamp: iso(p.createdAt),
    },
    spec: {
      ...(p.minAvailable !== undefined ? { minAvailable: p.minAvailable } : {}),
      ...(p.maxUnavailable !== undefined ? { maxUnavailable: p.maxUnavailable } : {}),
      selector: { matchLabels: { app: p.workload.name } },
    },
    status: {
      observedGeneration: 1,
      disruptionsAllowed: st.disruptionsAllowed,
      currentHealthy: st.currentHealthy,
      desiredHealthy: st.desiredHealthy,
      expectedPods: st.expectedPods,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: st.disruptionsAllowed > 0 ? 'True' : 'False',
          reason: st.disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: 1,
          lastTransitionTime: iso(p.createdAt),
        },
      ],
    },
  };
}

export function renderNamespace(name: string, created: Date): Obj {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${Buffer.from(name).toString('hex').padEnd(12, '0').slice(0, 12)}`,
      resourceVersion: '1',
      creationTimestamp: iso(created),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function renderPodMetrics(c: SimCluster, p: SimPod): Obj {
  return {
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      creationTimestamp: iso(c.now()),
      labels: { ...p.labels },
    },
    timestamp: iso(c.now()),
    window: `${c.tickSeconds}s`,
    containers: [{ name: p.container.name, usage: { cpu: formatNanocores(p.sample.cpuCores), memory: formatKi(p.sample.memoryBytes) } }],
  };
}

export function renderNodeMetrics(c: SimCluster, n: SimNode, pods: SimPod[]): Obj {
  let cpu = 0.12;
  let mem = 700 * 1024 * 1024;
  for (const p of pods) {
    cpu += p.sample.cpuCores;
    mem += p.sample.memoryBytes;
  }
  return {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: n.name, creationTimestamp: iso(c.now()), labels: { ...n.obj.metadata.labels } },
    timestamp: iso(c.now()),
    window: `${c.tickSeconds}s`,
    usage: { cpu: formatNanocores(cpu), memory: formatKi(mem) },
  };
}

export function listOf(
  kind: string,
  apiVersion: string,
  items: unknown[],
  resourceVersion: string,
  cont?: string,
  remaining?: number,
): Obj {
  return {
    kind,
    apiVersion,
    metadata: {
      resourceVersion,
      ...(cont ? { continue: cont } : {}),
      ...(remaining !== undefined && cont ? { remainingItemCount: remaining } : {}),
    },
    items,
  };
}
