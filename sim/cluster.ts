// The simulated cluster's state and behaviour: nodes, deployments with their replica sets, pods with
// container state machines, PDBs, events, injected faults, and the per-tick usage of every pod. Time
// moves only through tick(); the HTTP layer (server.ts) reads and writes through the methods here.
import { ApiError, invalid, notFound } from './errors.ts';
import { applyPatch, clone, type Json } from './patch.ts';
import { Rng, hashSeed } from './prng.ts';
import { formatCpu, formatMemory, GiB, MiB, parseQuantity } from './quantity.ts';
import type { ChurnSpec, FaultKind, FaultSpec, Scenario, Workload } from './scenario.ts';
import { podUsage } from './usage.ts';
import type { ContainerSpec, Sample, Counters, Termination, SimPod, SimDeployment, SimNode, SimPdb, SimEvent, SimTime, FaultTruth, PodTruth, PodView, SimFault } from './model.ts';
export type { ContainerSpec, Sample, Counters, PodStage, Termination, LogTick, SimPod, SimReplicaSet, SimDeployment, SimNode, SimPdb, SimEvent, SimTime, FaultTruth, PodTruth, PodView } from './model.ts';


type Obj = { [k: string]: Json };

export interface ClusterOptions {
  scenario: Scenario;
  seed: number;
  tickSeconds: number;
  startTime: Date;
}

const LOG_HISTORY = 40;
const MAX_BACKOFF_SECONDS = 300;
const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * JSON with object keys sorted and empty/null values dropped, so that the same pod template compares
 * equal however a client ordered or padded it (kubectl rollout undo sends creationTimestamp: null...).
 */
function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = norm((v as Record<string, unknown>)[k]);
        if (x === null || x === undefined || (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0)) continue;
        out[k] = x;
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value)) ?? '';
}

function hashString(value: unknown, len = 10): string {
  let h = hashSeed(canonical(value));
  let out = '';
  for (let i = 0; i < len; i++) {
    out += HASH_ALPHABET[h % HASH_ALPHABET.length];
    h = Math.floor(h / HASH_ALPHABET.length) || hashSeed(out, i);
  }
  return out;
}

function zeroSample(): Sample {
  return {
    running: false,
    cpuCores: 0,
    memoryBytes: 0,
    netRxBytesPerSec: 0,
    netTxBytesPerSec: 0,
    netRxDroppedPerSec: 0,
    netTxDroppedPerSec: 0,
    fsReadBytesPerSec: 0,
    fsWriteBytesPerSec: 0,
  };
}

function zeroCounters(): Counters {
  return { cpuSeconds: 0, fsReadBytes: 0, fsWriteBytes: 0, netRxBytes: 0, netTxBytes: 0, netRxDropped: 0, netTxDropped: 0 };
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An intOrString PDB value against a pod count (percentages round up, as the disruption controller does). */
function resolveIntOrPercent(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  return Math.ceil((Number(m[1]) / 100) * total);
}

export class SimCluster {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly tickSeconds: number;
  readonly startTime: Date;
  tickCount = 0;
  /** Bumped on every change; caches (Prometheus text, sorted lists) key on it. */
  version = 0;
  private rv = 1000;
  private readonly rng: Rng;
  private readonly nodesByName = new Map<string, SimNode>();
  private readonly deploymentsByKey = new Map<string, SimDeployment>();
  private readonly podsByKey = new Map<string, SimPod>();
  private readonly pdbList: SimPdb[] = [];
  private readonly eventsByKey = new Map<string, SimEvent>();
  private readonly faultList: SimFault[] = [];
  private readonly namespaceSet = new Set<string>(['default', 'kube-system']);
  private sortedPods: SimPod[] | undefined;
  private podIpSeq = 10;
  private readonly listeners: ((tick: number) => void)[] = [];

  constructor(opts: ClusterOptions) {
    this.scenario = opts.scenario;
    this.seed = opts.seed;
    this.tickSeconds = opts.tickSeconds;
    this.startTime = opts.startTime;
    this.rng = new Rng(hashSeed('cluster', opts.seed, opts.scenario.name));
    this.buildInitial();
  }

  // ---------------------------------------------------------------- time

  now(): Date {
    return this.timeAt(this.tickCount);
  }

  timeAt(tick: number): Date {
    return new Date(this.startTime.getTime() + tick * this.tickSeconds * 1000);
  }

  private simTime(tick = this.tickCount): SimTime {
    return { tick, time: this.timeAt(tick).toISOString() };
  }

  /** Called after every tick (the truth file writer uses it). */
  onTick(fn: (tick: number) => void): void {
    this.listeners.push(fn);
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.step();
    for (const fn of this.listeners) fn(this.tickCount);
  }

  private nextRv(): number {
    return ++this.rv;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private touch(pod: SimPod): void {
    pod.resourceVersion = this.nextRv();
    this.version++;
  }

  // ---------------------------------------------------------------- setup

  private buildInitial(): void {
    const s = this.scenario;
    const nodeCreated = this.clusterCreatedAt;
    s.nodes.forEach((n, index) => {
      const zone = n.zone ?? `zone-${String.fromCharCode(97 + (index % 3))}`;
      this.nodesByName.set(n.name, {
        name: n.name,
        uid: randomUUIDFrom(this.rng),
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
        resourceVersion: this.nextRv(),
      });
    });
    for (const w of s.workloads) {
      this.namespaceSet.add(w.namespace);
      const dep = this.makeDeployment(w);
      this.deploymentsByKey.set(dep.key, dep);
      if (w.pdb) {
        this.pdbList.push({
          name: w.name,
          namespace: w.namespace,
          uid: randomUUIDFrom(this.rng),
          dep,
          minAvailable: w.pdb.minAvailable,
          maxUnavailable: w.pdb.maxUnavailable,
          createdAt: dep.createdAt,
        });
      }
      if (dep.kind === 'DaemonSet') for (const n of this.nodesByName.values()) this.createPod(dep, true, undefined, n);
      else for (let i = 0; i < w.replicas; i++) this.createPod(dep, true);
    }
    for (const dep of this.deploymentsByKey.values()) this.updateReadyCount(dep);
    for (const pod of this.podsByKey.values()) this.samplePod(pod, false);
    this.activateScheduled(0);
  }

  private makeDeployment(w: Workload): SimDeployment {
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
    const createdAt = new Date(this.startTime.getTime() - (2 + this.rng.int(20)) * 86400_000);
    const dep: SimDeployment = {
      kind: w.kind,
      key: `${w.namespace}/${w.name}`,
      namespace: w.namespace,
      name: w.name,
      uid: randomUUIDFrom(this.rng),
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
      initialReplicas: Math.max(1, w.kind === 'DaemonSet' ? this.nodesByName.size : w.replicas),
      cyclePhase: this.rng.next() * Math.PI * 0.5,
      createdAt,
      resourceVersion: this.nextRv(),
      readyCount: 0,
    };
    this.newRevision(dep, createdAt);
    return dep;
  }

  /** A new ReplicaSet for the deployment's current template (or the old one when the template returns to it). */
  private newRevision(dep: SimDeployment, at: Date): void {
    const template = dep.obj.spec.template as Obj;
    const hash = hashString(template);
    dep.templateHash = hash;
    dep.revision += 1;
    const existing = dep.replicaSets.find((rs) => rs.hash === hash);
    if (existing) {
      existing.revision = dep.revision;
      existing.resourceVersion = this.nextRv();
    } else {
      dep.replicaSets.push({
        name: `${dep.name}-${hash}`,
        uid: randomUUIDFrom(this.rng),
        hash,
        revision: dep.revision,
        template: clone(template),
        createdAt: at,
        resourceVersion: this.nextRv(),
      });
      if (dep.replicaSets.length > 4) dep.replicaSets.splice(0, dep.replicaSets.length - 4);
    }
    if (dep.kind === 'Deployment') dep.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(dep.revision);
  }

  private containerFromTemplate(dep: SimDeployment): ContainerSpec {
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

  /**
   * A new pod of the controller's current template; a StatefulSet pod takes the given (or lowest free)
   * ordinal, a DaemonSet pod goes on the given node (whatever the scheduler would say).
   */
  private createPod(dep: SimDeployment, initial: boolean, ordinal?: number, daemonNode?: SimNode): SimPod {
    const rs = dep.replicaSets.find((r) => r.hash === dep.templateHash)!;
    const sts = dep.kind === 'StatefulSet';
    const ds = dep.kind === 'DaemonSet';
    let name: string;
    if (sts) {
      if (ordinal === undefined) for (ordinal = 0; dep.pods.some((p) => p.ordinal === ordinal); ordinal++);
      name = `${dep.name}-${ordinal}`;
    } else {
      do name = `${ds ? dep.name : rs.name}-${this.rng.suffix(5)}`;
      while (this.podsByKey.has(`${dep.namespace}/${name}`));
    }
    // StatefulSet and DaemonSet pods carry their revision (and identity) labels instead of pod-template-hash.
    const ownLabels: Record<string, string> = sts
      ? { 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': rs.name, 'statefulset.kubernetes.io/pod-name': name }
      : ds
        ? { 'controller-revision-hash': rs.hash, 'pod-template-generation': String(dep.generation) }
        : { 'pod-template-hash': rs.hash };
    const tick = this.tickCount;
    const createdAt = initial ? new Date(this.startTime.getTime() - (3600 + this.rng.int(4 * 86400)) * 1000) : this.now();
    const templateMeta = (rs.template.metadata ?? {}) as Obj;
    const pod: SimPod = {
      uid: randomUUIDFrom(this.rng),
      name,
      namespace: dep.namespace,
      dep,
      rsName: sts || ds ? '' : rs.name,
      ordinal: sts ? ordinal : undefined,
      templateHash: rs.hash,
      labels: { ...((templateMeta.labels ?? {}) as Record<string, string>), ...ownLabels },
      annotations: { ...((templateMeta.annotations ?? {}) as Record<string, string>) },
      container: this.containerFromTemplate(dep),
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
      rng: new Rng(hashSeed('pod', this.seed, dep.key, name)),
      hist: [],
      prevHist: [],
      prevEnd: undefined,
      prevFault: undefined,
      resourceVersion: this.nextRv(),
    };
    this.podsByKey.set(`${pod.namespace}/${pod.name}`, pod);
    dep.pods.push(pod);
    this.sortedPods = undefined;
    this.version++;
    if (daemonNode) this.place(pod, daemonNode);
    else this.schedule(pod);
    if (pod.node) {
      if (initial) {
        // Pods that exist when the simulation starts have been running for a while.
        pod.stage = 'running';
        pod.containerStartedAt = createdAt;
        pod.containerStartedTick = -1000;
        pod.readyAtTick = -1000;
        pod.containerSerial = 1;
        pod.counters.cpuSeconds = ((tick - -1000) * this.tickSeconds * dep.workload.cpu.baseCores) / 4;
      } else {
        pod.stage = 'creating';
        if (sts) {
          this.event(
            { kind: 'StatefulSet', name: dep.name, namespace: dep.namespace, uid: dep.uid, apiVersion: 'apps/v1' },
            'SuccessfulCreate',
            `create Pod ${name} in StatefulSet ${dep.name} successful`,
            'Normal',
            'statefulset-controller',
          );
        } else if (ds) {
          this.event(
            { kind: 'DaemonSet', name: dep.name, namespace: dep.namespace, uid: dep.uid, apiVersion: 'apps/v1' },
            'SuccessfulCreate',
            `Created pod: ${name}`,
            'Normal',
            'daemonset-controller',
          );
        }
        this.event(this.podRef(pod), 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${pod.node}`, 'Normal', 'default-scheduler');
      }
    }
    return pod;
  }

  private schedule(pod: SimPod): void {
    let best: SimNode | undefined;
    for (const n of this.nodesByName.values()) {
      if (n.obj.spec.unschedulable === true) continue;
      if (!best || n.podCount < best.podCount) best = n;
    }
    if (!best) {
      const total = this.nodesByName.size;
      this.event(
        this.podRef(pod),
        'FailedScheduling',
        `0/${total} nodes are available: ${total} node(s) were unschedulable. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`,
        'Warning',
        'default-scheduler',
      );
      return;
    }
    this.place(pod, best);
  }

  private place(pod: SimPod, node: SimNode): void {
    node.podCount++;
    pod.node = node.name;
    pod.podIP = `10.244.${node.index % 256}.${(this.podIpSeq++ % 250) + 2}`;
    pod.stageTick = this.tickCount;
    this.touch(pod);
  }

  // ---------------------------------------------------------------- scheduled scenario actions

  private activateScheduled(t: number): void {
    for (const c of this.scenario.churn) {
      if (t === c.tick || (c.every !== undefined && t > c.tick && (t - c.tick) % c.every === 0)) this.runChurn(c);
    }
    for (const f of this.scenario.faults) {
      if (f.startTick === t) this.startFault(f);
    }
    for (const f of this.faultList) {
      if (f.active && f.spec.endTick !== undefined && t >= f.spec.endTick) this.endFault(f, 'ended by scenario');
    }
  }

  private runChurn(c: ChurnSpec): void {
    const dep = this.deploymentsByKey.get(`${c.namespace}/${c.deployment}`);
    if (!dep) return;
    if (c.action === 'rollout') {
      const before = clone(dep.obj.spec.template);
      const tmpl = dep.obj.spec.template as Obj;
      const meta = (tmpl.metadata ?? (tmpl.metadata = {})) as Obj;
      const ann = (meta.annotations ?? (meta.annotations = {})) as Obj;
      ann['kubectl.kubernetes.io/restartedAt'] = this.now().toISOString();
      dep.generation++;
      this.deploymentChanged(dep, { replicas: dep.obj.spec.replicas as number, template: before });
    } else if (c.replicas !== undefined) {
      this.setReplicas(dep, c.replicas);
    }
  }

  private startFault(spec: FaultSpec): void {
    const dep = this.deploymentsByKey.get(`${spec.namespace}/${spec.deployment}`)!;
    // Replica index counts from the oldest pod (ties by name), as the scenario documents.
    const live = [...dep.pods].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : 1));
    const target = live.length ? live[spec.replica % live.length] : undefined;
    const c = target?.container ?? this.containerFromTemplate(dep);
    const w = dep.workload;
    const limit = c.memLimitBytes || w.memory.limitMiB * MiB;
    const base = w.memory.baseMiB * MiB + w.memory.gcSawtoothMiB * MiB;
    const leakPerTick = spec.leakMiBPerTick !== undefined ? spec.leakMiBPerTick * MiB : Math.max(MiB / 4, (limit - base) / spec.oomAfterTicks);
    const fault: SimFault = {
      id: `f${this.faultList.length + 1}-${spec.kind}`,
      spec,
      dep,
      podUid: spec.scope === 'pod' ? target?.uid : undefined,
      podName: target?.name ?? '',
      pods: new Set(target ? [target.name] : []),
      active: spec.scope === 'deployment' || target !== undefined,
      startedTick: this.tickCount,
      startedAt: this.now(),
      ended: undefined,
      firstOom: undefined,
      oomKills: 0,
      crashes: 0,
      clearedBy: spec.scope === 'pod' ? 'restart' : (spec.clearedBy ?? (spec.kind === 'cpu_exhaustion' ? 'never' : 'image-change')),
      leakPerTick,
      plateauBytes: spec.plateauMiB !== undefined ? spec.plateauMiB * MiB : limit * 1.6,
    };
    if (!fault.active) fault.ended = { ...this.simTime(), reason: 'no pod to inject into' };
    this.faultList.push(fault);
    this.version++;
  }

  private endFault(f: SimFault, reason: string): void {
    if (!f.active) return;
    f.active = false;
    f.ended = { ...this.simTime(), reason };
    this.version++;
  }

  private faultOf(pod: SimPod): SimFault | undefined {
    for (const f of this.faultList) {
      if (!f.active) continue;
      if (f.podUid === pod.uid || (f.spec.scope === 'deployment' && f.dep === pod.dep)) {
        if (!f.pods.has(pod.name)) f.pods.add(pod.name);
        return f;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- the tick

  private step(): void {
    this.tickCount++;
    const t = this.tickCount;
    this.activateScheduled(t);
    for (const pod of this.podsByKey.values()) this.stepPod(pod);
    for (const dep of this.deploymentsByKey.values()) this.reconcile(dep);
    for (const dep of this.deploymentsByKey.values()) this.updateReadyCount(dep);
    for (const pod of this.podsByKey.values()) this.samplePod(pod, true);
    if (t % 10 === 0) this.trimEvents();
    this.version++;
  }

  private stepPod(pod: SimPod): void {
    const t = this.tickCount;
    switch (pod.stage) {
      case 'unscheduled':
        this.schedule(pod);
        if (pod.node) {
          pod.stage = 'creating';
          this.event(this.podRef(pod), 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${pod.node}`, 'Normal', 'default-scheduler');
        }
        return;
      case 'creating':
        if (t - pod.stageTick >= 1) {
          const ref = this.podRef(pod, true);
          this.event(ref, 'Pulled', `Container image "${pod.container.image}" already present on machine`, 'Normal', 'kubelet', pod.node);
          this.event(ref, 'Created', `Created container ${pod.container.name}`, 'Normal', 'kubelet', pod.node);
          this.event(ref, 'Started', `Started container ${pod.container.name}`, 'Normal', 'kubelet', pod.node);
          this.startContainer(pod, 1 + pod.rng.int(2));
        }
        return;
      case 'oomkilled':
        // The kubelet restarts at once after the first failure; repeated failures (within ten minutes
        // of each other) wait in CrashLoopBackOff, as for any crash.
        if (pod.crashCount >= 2) this.enterBackoff(pod);
        else {
          pod.restarts++;
          this.startContainer(pod, 1);
        }
        return;
      case 'backoff':
        if (t >= pod.backoffUntilTick) {
          pod.restarts++;
          this.startContainer(pod, 1);
        } else {
          this.backOffEvent(pod);
        }
        return;
      case 'running': {
        const f = this.faultOf(pod);
        if (f?.spec.kind === 'crash_loop') {
          if (t - pod.containerStartedTick >= 1) this.crash(pod, f);
        }
        return;
      }
    }
  }

  private startContainer(pod: SimPod, notReadyTicks: number): void {
    const t = this.tickCount;
    pod.stage = 'running';
    pod.stageTick = t;
    pod.containerStartedTick = t;
    pod.containerStartedAt = this.now();
    pod.containerSerial++;
    pod.readyAtTick = t + notReadyTicks;
    // cAdvisor counters belong to the container: a new container starts from zero. Network counters
    // belong to the pod's network namespace and carry on.
    pod.counters.cpuSeconds = 0;
    pod.counters.fsReadBytes = 0;
    pod.counters.fsWriteBytes = 0;
    pod.leakBytes = 0;
    this.touch(pod);
  }

  private endContainer(pod: SimPod, reason: Termination['reason'], exitCode: number, end: 'oom' | 'crash', fault: SimFault | undefined): void {
    pod.lastTerm = {
      reason,
      exitCode,
      startedAt: pod.containerStartedAt ?? this.now(),
      finishedAt: this.now(),
      containerId: this.containerId(pod),
    };
    pod.prevHist = pod.hist;
    pod.hist = [];
    pod.prevEnd = end;
    pod.prevFault = fault?.spec.kind;
    pod.sample = zeroSample();
    this.touch(pod);
  }

  /** Counts a container failure; a container that ran ten minutes or more resets the back-off. */
  private countFailure(pod: SimPod): void {
    if ((this.tickCount - pod.containerStartedTick) * this.tickSeconds >= 600) pod.crashCount = 0;
    pod.crashCount++;
  }

  private crash(pod: SimPod, f: SimFault): void {
    this.endContainer(pod, 'Error', 1, 'crash', f);
    f.crashes++;
    this.countFailure(pod);
    this.enterBackoff(pod);
  }

  private enterBackoff(pod: SimPod): void {
    const backoff = Math.min(MAX_BACKOFF_SECONDS, 10 * 2 ** (pod.crashCount - 1));
    pod.stage = 'backoff';
    pod.stageTick = this.tickCount;
    pod.backoffUntilTick = this.tickCount + Math.max(1, Math.ceil(backoff / this.tickSeconds));
    this.touch(pod);
    this.backOffEvent(pod);
  }

  private oomKill(pod: SimPod, f: SimFault | undefined): void {
    this.countFailure(pod);
    this.endContainer(pod, 'OOMKilled', 137, 'oom', f);
    pod.stage = 'oomkilled';
    pod.stageTick = this.tickCount;
    if (f) {
      f.oomKills++;
      if (!f.firstOom) f.firstOom = { ...this.simTime(), pod: pod.name };
    }
    const pid = 1000 + pod.rng.int(30000);
    this.event(
      this.podRef(pod, true),
      'OOMKilling',
      `Memory cgroup out of memory: Killed process ${pid} (${pod.container.name}) total-vm:${Math.round(pod.container.memLimitBytes / 1024 + 400000)}kB, anon-rss:${Math.round(pod.container.memLimitBytes / 1024)}kB, file-rss:0kB, shmem-rss:0kB`,
      'Warning',
      'kernel-monitor',
      pod.node,
    );
  }

  /** Usage of one pod for the current tick (sim/usage.ts); integrates the counters, notices an OOM kill. */
  private samplePod(pod: SimPod, integrate: boolean): void {
    if (pod.stage !== 'running') {
      pod.sample = zeroSample();
      return;
    }
    const t = this.tickCount;
    const c = pod.container;
    const f = this.faultOf(pod);
    const u = podUsage({
      tick: t,
      dayPeriodTicks: this.scenario.dayPeriodTicks,
      workload: pod.dep.workload,
      cpuLimitCores: c.cpuLimitCores,
      rng: pod.rng,
      containerStartedTick: pod.containerStartedTick,
      cyclePhase: pod.dep.cyclePhase,
      initialReplicas: pod.dep.initialReplicas,
      readyReplicas: pod.dep.readyCount,
      fault: f,
      leakBytes: pod.leakBytes,
      advance: integrate,
    });
    pod.leakBytes = u.leakBytes;
    if (u.probeFailed) {
      this.event(
        this.podRef(pod, true),
        'Unhealthy',
        `Readiness probe failed: Get "http://${pod.podIP}:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        'Warning',
        'kubelet',
        pod.node,
      );
    }
    if (c.memLimitBytes > 0 && u.memoryBytes >= c.memLimitBytes) {
      this.oomKill(pod, f);
      return;
    }
    pod.sample = {
      running: true,
      cpuCores: u.cpuCores,
      memoryBytes: u.memoryBytes,
      netRxBytesPerSec: u.netRxBytesPerSec,
      netTxBytesPerSec: u.netTxBytesPerSec,
      netRxDroppedPerSec: u.netRxDroppedPerSec,
      netTxDroppedPerSec: u.netTxDroppedPerSec,
      fsReadBytesPerSec: u.fsReadBytesPerSec,
      fsWriteBytesPerSec: u.fsWriteBytesPerSec,
    };
    const s = pod.sample;
    const k = pod.counters;
    if (integrate) {
      const dt = this.tickSeconds;
      k.cpuSeconds += s.cpuCores * dt;
      k.fsReadBytes += s.fsReadBytesPerSec * dt;
      k.fsWriteBytes += s.fsWriteBytesPerSec * dt;
      k.netRxBytes += s.netRxBytesPerSec * dt;
      k.netTxBytes += s.netTxBytesPerSec * dt;
      k.netRxDropped += s.netRxDroppedPerSec * dt;
      k.netTxDropped += s.netTxDroppedPerSec * dt;
      pod.hist.push({
        tick: t,
        cpuRatio: s.cpuCores / c.cpuLimitCores,
        memRatio: c.memLimitBytes ? s.memoryBytes / c.memLimitBytes : 0,
        fault: f?.spec.kind,
        burst: u.burst,
      });
      if (pod.hist.length > LOG_HISTORY) pod.hist.shift();
    } else {
      // The very first sample: counters as if the container had been running at this rate.
      const life = Math.max(0, (t - pod.containerStartedTick) * this.tickSeconds);
      k.cpuSeconds = s.cpuCores * life;
      k.fsReadBytes = s.fsReadBytesPerSec * life;
      k.fsWriteBytes = s.fsWriteBytesPerSec * life;
      k.netRxBytes = s.netRxBytesPerSec * life;
      k.netTxBytes = s.netTxBytesPerSec * life;
      k.netRxDropped = s.netRxDroppedPerSec * life;
      k.netTxDropped = s.netTxDroppedPerSec * life;
    }
  }

  // ---------------------------------------------------------------- controllers

  isReady(pod: SimPod): boolean {
    return pod.stage === 'running' && this.tickCount >= pod.readyAtTick && !(this.faultOf(pod)?.spec.kind === 'crash_loop');
  }

  private updateReadyCount(dep: SimDeployment): void {
    let n = 0;
    for (const p of dep.pods) if (this.isReady(p)) n++;
    dep.readyCount = n;
  }

  /** The Deployment + ReplicaSet controllers: rolling update (25% surge / 25% unavailable), scale up and down. */
  private reconcile(dep: SimDeployment): void {
    if (dep.kind === 'StatefulSet') {
      this.reconcileStatefulSet(dep);
      return;
    }
    if (dep.kind === 'DaemonSet') {
      this.reconcileDaemonSet(dep);
      return;
    }
    const want = Math.max(0, Number(dep.obj.spec.replicas ?? 1));
    const cur = dep.pods.filter((p) => p.templateHash === dep.templateHash);
    const old = dep.pods.filter((p) => p.templateHash !== dep.templateHash);
    if (old.length === 0) {
      for (let i = cur.length; i < want; i++) this.createPod(dep, false);
      if (cur.length > want) {
        const victims = this.deletionOrder(cur).slice(0, cur.length - want);
        for (const p of victims) this.removePod(p, 'scaled down');
      }
      return;
    }
    const maxSurge = Math.max(1, Math.ceil(want * 0.25));
    const maxUnavailable = Math.floor(want * 0.25);
    const toCreate = Math.min(want + maxSurge - dep.pods.length, want - cur.length);
    for (let i = 0; i < toCreate; i++) this.createPod(dep, false);
    let ready = dep.pods.filter((p) => this.isReady(p)).length;
    for (const p of this.deletionOrder(old)) {
      if (!this.isReady(p)) this.removePod(p, 'rolling update');
      else if (ready - 1 >= want - maxUnavailable) {
        this.removePod(p, 'rolling update');
        ready--;
      }
    }
    const curNow = dep.pods.filter((p) => p.templateHash === dep.templateHash);
    if (curNow.length > want) for (const p of this.deletionOrder(curNow).slice(0, curNow.length - want)) this.removePod(p, 'scaled down');
  }

  /**
   * The StatefulSet controller, simplified: ordinals 0..replicas-1 exist (a deleted pod comes back under
   * the same name), higher ordinals go, and pods of an old revision are replaced at once (the real
   * controller replaces them one at a time from the highest ordinal, waiting for each to be ready).
   */
  private reconcileStatefulSet(dep: SimDeployment): void {
    const want = Math.max(0, Number(dep.obj.spec.replicas ?? 1));
    const byHighest = [...dep.pods].sort((a, b) => (b.ordinal ?? 0) - (a.ordinal ?? 0));
    for (const p of byHighest) {
      if ((p.ordinal ?? 0) >= want) this.removePod(p, 'scaled down');
      else if (p.templateHash !== dep.templateHash) this.removePod(p, 'rolling update');
    }
    for (let i = 0; i < want; i++) if (!dep.pods.some((p) => p.ordinal === i)) this.createPod(dep, false, i);
  }

  /**
   * The DaemonSet controller, simplified: one pod of the current revision on every node (cordoned ones
   * too: DaemonSet pods tolerate unschedulable); pods of an old revision are replaced at once.
   */
  private reconcileDaemonSet(dep: SimDeployment): void {
    const seen = new Set<string>();
    for (const p of [...dep.pods]) {
      if (p.templateHash !== dep.templateHash || !p.node || seen.has(p.node)) this.removePod(p, p.templateHash !== dep.templateHash ? 'rolling update' : 'misscheduled');
      else seen.add(p.node);
    }
    for (const n of this.nodesByName.values()) if (!seen.has(n.name)) this.createPod(dep, false, undefined, n);
  }

  /** The ReplicaSet controller's preference: unscheduled, then not running, then not ready, then newest. */
  private deletionOrder(pods: SimPod[]): SimPod[] {
    const rank = (p: SimPod) => (p.stage === 'unscheduled' ? 0 : p.stage !== 'running' ? 1 : this.isReady(p) ? 3 : 2);
    return [...pods].sort((a, b) => rank(a) - rank(b) || b.createdAt.getTime() - a.createdAt.getTime());
  }

  private removePod(pod: SimPod, why: string): void {
    const key = `${pod.namespace}/${pod.name}`;
    if (!this.podsByKey.delete(key)) return;
    pod.dep.pods = pod.dep.pods.filter((p) => p !== pod);
    if (pod.node) {
      const n = this.nodesByName.get(pod.node);
      if (n) n.podCount--;
    }
    for (const f of this.faultList) if (f.active && f.podUid === pod.uid) this.endFault(f, `pod ${pod.name} ${why}`);
    if (pod.stage !== 'unscheduled') this.event(this.podRef(pod, true), 'Killing', `Stopping container ${pod.container.name}`, 'Normal', 'kubelet', pod.node);
    this.sortedPods = undefined;
    this.version++;
  }

  // ---------------------------------------------------------------- events

  private podRef(pod: SimPod, container = false): SimEvent['involved'] {
    return {
      kind: 'Pod',
      name: pod.name,
      namespace: pod.namespace,
      uid: pod.uid,
      apiVersion: 'v1',
      ...(container ? { fieldPath: `spec.containers{${pod.container.name}}` } : {}),
    };
  }

  /** The kubelet's warning while a crashed container waits out its back-off. */
  private backOffEvent(pod: SimPod): void {
    this.event(
      this.podRef(pod, true),
      'BackOff',
      `Back-off restarting failed container ${pod.container.name} in pod ${pod.name}_${pod.namespace}(${pod.uid})`,
      'Warning',
      'kubelet',
      pod.node,
    );
  }

  private event(
    involved: SimEvent['involved'],
    reason: string,
    message: string,
    type: 'Normal' | 'Warning',
    component: string,
    host?: string,
  ): void {
    const key = `${involved.uid}/${reason}`;
    const now = this.now();
    const existing = this.eventsByKey.get(key);
    if (existing) {
      existing.count++;
      existing.last = now;
      existing.message = message;
      existing.resourceVersion = this.nextRv();
      // Re-insert so the map stays ordered by last occurrence (trimming drops the oldest first).
      this.eventsByKey.delete(key);
      this.eventsByKey.set(key, existing);
    } else {
      this.eventsByKey.set(key, {
        uid: randomUUIDFrom(this.rng),
        name: `${involved.name}.${(hashSeed(key, now.getTime()) * 4096 + this.rng.int(4096)).toString(16).padStart(16, '0').slice(0, 16)}`,
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
        resourceVersion: this.nextRv(),
      });
    }
    this.version++;
  }

  /** Events live one simulated hour (as the API server's default TTL), and at most a bounded number. */
  private trimEvents(): void {
    const cutoff = this.now().getTime() - 3600_000;
    const cap = Math.max(2000, this.podsByKey.size * 3);
    for (const [k, e] of this.eventsByKey) {
      if (e.last.getTime() >= cutoff && this.eventsByKey.size <= cap) break;
      this.eventsByKey.delete(k);
    }
  }

  // ---------------------------------------------------------------- reads

  /** Pods sorted by namespace then name (the API server's order); cached until something changes. */
  sortedPodList(): SimPod[] {
    if (!this.sortedPods) {
      this.sortedPods = [...this.podsByKey.values()].sort((a, b) =>
        a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1,
      );
    }
    return this.sortedPods;
  }

  getPod(namespace: string, name: string): SimPod | undefined {
    return this.podsByKey.get(`${namespace}/${name}`);
  }

  nodeList(): SimNode[] {
    return [...this.nodesByName.values()];
  }

  getNode(name: string): SimNode | undefined {
    return this.nodesByName.get(name);
  }

  deploymentList(): SimDeployment[] {
    return this.controllerList('Deployment');
  }

  statefulSetList(): SimDeployment[] {
    return this.controllerList('StatefulSet');
  }

  daemonSetList(): SimDeployment[] {
    return this.controllerList('DaemonSet');
  }

  private controllerList(kind: SimDeployment['kind']): SimDeployment[] {
    return [...this.deploymentsByKey.values()].filter((d) => d.kind === kind).sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1));
  }

  getDeployment(namespace: string, name: string): SimDeployment | undefined {
    const d = this.deploymentsByKey.get(`${namespace}/${name}`);
    return d?.kind === 'Deployment' ? d : undefined;
  }

  getStatefulSet(namespace: string, name: string): SimDeployment | undefined {
    const d = this.deploymentsByKey.get(`${namespace}/${name}`);
    return d?.kind === 'StatefulSet' ? d : undefined;
  }

  getDaemonSet(namespace: string, name: string): SimDeployment | undefined {
    const d = this.deploymentsByKey.get(`${namespace}/${name}`);
    return d?.kind === 'DaemonSet' ? d : undefined;
  }

  /** PodDisruptionBudgets in namespace/name order. */
  pdbObjects(): SimPdb[] {
    return [...this.pdbList].sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1));
  }

  /** When the cluster (its nodes and namespaces) was created: 30 days before tick 0. */
  get clusterCreatedAt(): Date {
    return new Date(this.startTime.getTime() - 30 * 86400_000);
  }

  eventList(): SimEvent[] {
    return [...this.eventsByKey.values()];
  }

  namespaces(): string[] {
    return [...this.namespaceSet].sort();
  }

  containerId(pod: SimPod): string {
    return `containerd://${hashSeed(pod.uid, pod.containerSerial).toString(16).padStart(8, '0')}${hashSeed(pod.name, pod.containerSerial).toString(16).padStart(8, '0')}${'0'.repeat(48)}`;
  }

  /** Phase, or the waiting/terminated reason (the CSV's Pod Status). */
  podStatus(pod: SimPod): string {
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

  podFault(pod: SimPod): FaultKind | undefined {
    return this.faultOf(pod)?.spec.kind;
  }

  // ---------------------------------------------------------------- the inspection API (SimCluster of sim/index.ts)

  /** Live pods with their state. */
  pods(): PodView[] {
    return this.sortedPodList().map((p) => {
      const status = this.podStatus(p);
      return {
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        node: p.node,
        phase: p.stage === 'unscheduled' || p.stage === 'creating' ? 'Pending' : 'Running',
        status,
        reason: status === 'Running' || status === 'Pending' ? undefined : status,
        ready: this.isReady(p),
        restarts: p.restarts,
        deployment: p.dep.name,
        kind: p.dep.kind,
        replicaSet: p.rsName,
        createdAt: p.createdAt.toISOString(),
        memoryLimitBytes: p.container.memLimitBytes,
        cpuLimitCores: p.container.cpuLimitCores,
        fault: this.podFault(p),
      };
    });
  }

  /** The values last served for a pod (undefined when there is no such pod). */
  truth(namespace: string, name: string): PodTruth | undefined {
    const p = this.getPod(namespace, name);
    if (!p) return undefined;
    const s = p.sample;
    const fault = this.podFault(p);
    return {
      namespace,
      pod: name,
      node: p.node,
      deployment: p.dep.name,
      tick: this.tickCount,
      time: this.now().toISOString(),
      metricsServed: s.running,
      cpuCores: s.cpuCores,
      cpuLimitCores: p.container.cpuLimitCores,
      memoryBytes: s.memoryBytes,
      memoryLimitBytes: p.container.memLimitBytes,
      netRxBytesPerSec: s.netRxBytesPerSec,
      netTxBytesPerSec: s.netTxBytesPerSec,
      netRxDroppedPerSec: s.netRxDroppedPerSec,
      netTxDroppedPerSec: s.netTxDroppedPerSec,
      fsReadBytesPerSec: s.fsReadBytesPerSec,
      fsWriteBytesPerSec: s.fsWriteBytesPerSec,
      cpuSecondsTotal: p.counters.cpuSeconds,
      fsReadBytesTotal: p.counters.fsReadBytes,
      fsWriteBytesTotal: p.counters.fsWriteBytes,
      netRxBytesTotal: p.counters.netRxBytes,
      netTxBytesTotal: p.counters.netTxBytes,
      restarts: p.restarts,
      ready: this.isReady(p),
      status: this.podStatus(p),
      ...(fault ? { fault } : {}),
    };
  }

  /** Ground truth of every fault injected so far. */
  faults(): FaultTruth[] {
    return this.faultList.map((f) => ({
      id: f.id,
      kind: f.spec.kind,
      scope: f.spec.scope,
      namespace: f.dep.namespace,
      deployment: f.dep.name,
      pod: f.podName || ([...f.pods][0] ?? ''),
      pods: [...f.pods],
      active: f.active,
      startedAt: { tick: f.startedTick, time: f.startedAt.toISOString() },
      ...(f.ended ? { endedAt: f.ended } : {}),
      ...(f.firstOom ? { firstOomKilledAt: f.firstOom } : {}),
      oomKills: f.oomKills,
      crashes: f.crashes,
    }));
  }

  nodes(): { name: string; unschedulable: boolean; pods: number }[] {
    return this.nodeList().map((n) => ({ name: n.name, unschedulable: n.obj.spec.unschedulable === true, pods: n.podCount }));
  }

  /** What deployments() and statefulSets() report of a workload. */
  private workloadSummary(d: SimDeployment): { namespace: string; name: string; replicas: number; readyReplicas: number; revision: number; image: string; memoryLimitBytes: number; cpuLimitCores: number } {
    const c = this.containerFromTemplate(d);
    return {
      namespace: d.namespace,
      name: d.name,
      replicas: Number(d.obj.spec.replicas),
      readyReplicas: d.readyCount,
      revision: d.revision,
      image: c.image,
      memoryLimitBytes: c.memLimitBytes,
      cpuLimitCores: c.cpuLimitCores,
    };
  }

  deployments(): { namespace: string; name: string; replicas: number; readyReplicas: number; revision: number; image: string; memoryLimitBytes: number; cpuLimitCores: number }[] {
    return this.deploymentList().map((d) => this.workloadSummary(d));
  }

  statefulSets(): { namespace: string; name: string; replicas: number; readyReplicas: number; revision: number; updateRevision: string; image: string; memoryLimitBytes: number; cpuLimitCores: number }[] {
    return this.statefulSetList().map((d) => ({ ...this.workloadSummary(d), updateRevision: `${d.name}-${d.templateHash}` }));
  }

  daemonSets(): { namespace: string; name: string; desired: number; ready: number; revision: number; image: string; memoryLimitBytes: number; cpuLimitCores: number }[] {
    return this.daemonSetList().map((d) => {
      const c = this.containerFromTemplate(d);
      return {
        namespace: d.namespace,
        name: d.name,
        desired: this.nodesByName.size,
        ready: d.readyCount,
        revision: d.revision,
        image: c.image,
        memoryLimitBytes: c.memLimitBytes,
        cpuLimitCores: c.cpuLimitCores,
      };
    });
  }

  pdbs(): { namespace: string; name: string; minAvailable?: number | string; maxUnavailable?: number | string; currentHealthy: number; desiredHealthy: number; disruptionsAllowed: number }[] {
    return this.pdbList.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      ...(p.minAvailable !== undefined ? { minAvailable: p.minAvailable } : {}),
      ...(p.maxUnavailable !== undefined ? { maxUnavailable: p.maxUnavailable } : {}),
      ...this.pdbStatus(p),
    }));
  }

  events(): { namespace: string; name: string; reason: string; type: string; message: string; count: number; object: string }[] {
    return this.eventList().map((e) => ({
      namespace: e.namespace,
      name: e.name,
      reason: e.reason,
      type: e.type,
      message: e.message,
      count: e.count,
      object: `${e.involved.kind}/${e.involved.name}`,
    }));
  }

  pdbStatus(p: SimPdb): { expectedPods: number; currentHealthy: number; desiredHealthy: number; disruptionsAllowed: number } {
    const pods = p.dep.pods;
    const expected = pods.length;
    const healthy = pods.filter((x) => this.isReady(x)).length;
    const desired =
      p.minAvailable !== undefined
        ? resolveIntOrPercent(p.minAvailable, expected)
        : Math.max(0, expected - resolveIntOrPercent(p.maxUnavailable ?? 0, expected));
    return { expectedPods: expected, currentHealthy: healthy, desiredHealthy: desired, disruptionsAllowed: Math.max(0, healthy - desired) };
  }

  // ---------------------------------------------------------------- writes (dryRun: check and return, change nothing)

  deletePod(namespace: string, name: string, dryRun: boolean): SimPod {
    const pod = this.getPod(namespace, name);
    if (!pod) throw notFound('pods', name);
    if (!dryRun) {
      this.removePod(pod, 'deleted');
      this.reconcile(pod.dep);
      this.updateReadyCount(pod.dep);
    }
    return pod;
  }

  /** policy/v1 Eviction: refused with 429 when a PodDisruptionBudget would be violated. */
  evictPod(namespace: string, name: string, dryRun: boolean): SimPod {
    const pod = this.getPod(namespace, name);
    if (!pod) throw notFound('pods', name);
    if (this.isReady(pod)) {
      for (const pdb of this.pdbList) {
        if (pdb.dep !== pod.dep) continue;
        const st = this.pdbStatus(pdb);
        if (st.disruptionsAllowed < 1) {
          throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
            causes: [
              {
                reason: 'DisruptionBudget',
                message: `The disruption budget ${pdb.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`,
              },
            ],
          });
        }
      }
    }
    return this.deletePod(namespace, name, dryRun);
  }

  /** Patches a node's labels/annotations/spec (cordon = spec.unschedulable). Returns the (would-be) node. */
  patchNode(name: string, contentType: string | undefined, body: unknown, dryRun: boolean): SimNode {
    const node = this.getNode(name);
    if (!node) throw notFound('nodes', name);
    const patched = applyPatch(contentType, { metadata: node.obj.metadata, spec: node.obj.spec } as unknown as Json, body) as Obj;
    const meta = isObj(patched.metadata) ? patched.metadata : {};
    const spec = isObj(patched.spec) ? patched.spec : {};
    if (spec.unschedulable !== undefined && typeof spec.unschedulable !== 'boolean') throw invalid('Node', name, 'spec.unschedulable', 'must be a boolean');
    const next: SimNode = {
      ...node,
      obj: {
        metadata: { labels: (meta.labels ?? {}) as Record<string, string>, annotations: (meta.annotations ?? {}) as Record<string, string> },
        spec,
      },
    };
    if (dryRun) return next;
    const wasUnschedulable = node.obj.spec.unschedulable === true;
    node.obj = next.obj;
    node.resourceVersion = this.nextRv();
    const nowUnschedulable = node.obj.spec.unschedulable === true;
    if (wasUnschedulable !== nowUnschedulable) {
      this.event(
        { kind: 'Node', name, namespace: '', uid: node.uid, apiVersion: 'v1' },
        nowUnschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable',
        `Node ${name} status is now: ${nowUnschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable'}`,
        'Normal',
        'kubelet',
        name,
      );
    }
    this.version++;
    return node;
  }

  /** Patches (or, with replace, puts) a deployment; returns the (would-be) deployment. */
  patchDeployment(namespace: string, name: string, contentType: string | undefined, body: unknown, dryRun: boolean, replace = false): SimDeployment {
    const dep = this.getDeployment(namespace, name);
    if (!dep) throw notFound('deployments', name, 'apps');
    return this.patchController(dep, contentType, body, dryRun, replace);
  }

  /** Patches (or, with replace, puts) a DaemonSet; returns the (would-be) DaemonSet. */
  patchDaemonSet(namespace: string, name: string, contentType: string | undefined, body: unknown, dryRun: boolean, replace = false): SimDeployment {
    const ds = this.getDaemonSet(namespace, name);
    if (!ds) throw notFound('daemonsets', name, 'apps');
    return this.patchController(ds, contentType, body, dryRun, replace);
  }

  /** Patches (or, with replace, puts) a StatefulSet; returns the (would-be) StatefulSet. */
  patchStatefulSet(namespace: string, name: string, contentType: string | undefined, body: unknown, dryRun: boolean, replace = false): SimDeployment {
    const sts = this.getStatefulSet(namespace, name);
    if (!sts) throw notFound('statefulsets', name, 'apps');
    return this.patchController(sts, contentType, body, dryRun, replace);
  }

  private patchController(dep: SimDeployment, contentType: string | undefined, body: unknown, dryRun: boolean, replace: boolean): SimDeployment {
    const name = dep.name;
    const isDeployment = dep.kind === 'Deployment';
    let patched: Obj;
    if (replace) {
      if (!isObj(body)) throw new ApiError(400, 'BadRequest', `the body must be a ${dep.kind} object`);
      patched = body;
    } else {
      patched = applyPatch(contentType, { metadata: dep.obj.metadata, spec: dep.obj.spec } as unknown as Json, body) as Obj;
    }
    const meta = isObj(patched.metadata) ? patched.metadata : {};
    const spec = isObj(patched.spec) ? patched.spec : {};
    this.validateDeploymentSpec(`${dep.kind}.apps`, name, spec);
    // A template copied back from a ReplicaSet (a rollback) carries its pod-template-hash label: drop it.
    const tmplLabels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
    if (isObj(tmplLabels)) delete tmplLabels['pod-template-hash'];
    const nextObj: SimDeployment['obj'] = {
      metadata: {
        labels: (meta.labels ?? dep.obj.metadata.labels) as Record<string, string>,
        annotations: { ...((meta.annotations ?? {}) as Record<string, string>) },
      },
      spec: { ...dep.obj.spec, ...spec, selector: dep.obj.spec.selector as Json },
    };
    const templateChanged = canonical(nextObj.spec.template) !== canonical(dep.obj.spec.template);
    const specChanged = templateChanged || nextObj.spec.replicas !== dep.obj.spec.replicas;
    if (dryRun) {
      const preview: SimDeployment = { ...dep, obj: nextObj, generation: dep.generation + (specChanged ? 1 : 0) };
      if (!isDeployment) return preview;
      if (templateChanged) preview.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(dep.revision + 1);
      else preview.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(dep.revision);
      return preview;
    }
    const oldTemplate = dep.obj.spec.template;
    const revisionAnnotation = dep.obj.metadata.annotations['deployment.kubernetes.io/revision'];
    dep.obj = nextObj;
    if (revisionAnnotation && isDeployment) dep.obj.metadata.annotations['deployment.kubernetes.io/revision'] = revisionAnnotation;
    if (specChanged) dep.generation++;
    dep.resourceVersion = this.nextRv();
    this.deploymentChanged(dep, { replicas: nextObj.spec.replicas as number, template: oldTemplate });
    return dep;
  }

  private validateDeploymentSpec(kind: string, name: string, spec: Obj): void {
    const replicas = spec.replicas;
    if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
      throw invalid(kind, name, 'spec.replicas', 'must be a non-negative integer');
    }
    const tmpl = spec.template;
    if (tmpl === undefined) return;
    const pspec = isObj(tmpl) && isObj(tmpl.spec) ? tmpl.spec : undefined;
    const containers = pspec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) throw invalid(kind, name, 'spec.template.spec.containers', 'Required value');
    containers.forEach((c, i) => {
      const field = `spec.template.spec.containers[${i}]`;
      if (!isObj(c) || typeof c.name !== 'string' || !c.name) throw invalid(kind, name, `${field}.name`, 'Required value');
      if (typeof c.image !== 'string' || !c.image) throw invalid(kind, name, `${field}.image`, 'Required value');
      const res = c.resources;
      if (res === undefined) return;
      if (!isObj(res)) throw invalid(kind, name, `${field}.resources`, 'must be an object');
      const values: Record<string, Record<string, number>> = {};
      for (const kind of ['limits', 'requests'] as const) {
        const m = res[kind];
        if (m === undefined || m === null) continue;
        if (!isObj(m)) throw invalid(kind, name, `${field}.resources.${kind}`, 'must be an object');
        values[kind] = {};
        for (const [r, v] of Object.entries(m)) {
          try {
            values[kind][r] = parseQuantity(v as string | number);
          } catch {
            throw invalid(kind, name, `${field}.resources.${kind}[${r}]`, `Invalid value: "${String(v)}": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
          }
        }
      }
      for (const r of ['cpu', 'memory']) {
        const req = values.requests?.[r];
        const lim = values.limits?.[r];
        if (req !== undefined && lim !== undefined && req > lim) {
          throw invalid(kind, name, `${field}.resources.requests`, `Invalid value: "${r}": must be less than or equal to ${r} limit`);
        }
      }
    });
  }

  /** React to a new spec: a new template starts a rollout; a new replica count scales. */
  private deploymentChanged(dep: SimDeployment, before: { replicas: number; template: Json | undefined }): void {
    const templateChanged = canonical(before.template) !== canonical(dep.obj.spec.template);
    if (templateChanged) {
      const imageOf = (t: Json | undefined) => JSON.stringify(((isObj(t) && isObj(t.spec) ? t.spec.containers : []) as Obj[] | undefined)?.map((c) => c.image));
      const imageChanged = imageOf(before.template) !== imageOf(dep.obj.spec.template);
      for (const f of this.faultList) {
        if (!f.active || f.dep !== dep || f.spec.scope !== 'deployment') continue;
        if (f.clearedBy === 'template-change' || (f.clearedBy === 'image-change' && imageChanged)) this.endFault(f, imageChanged ? 'image changed' : 'pod template changed');
      }
      this.newRevision(dep, this.now());
      const rs = dep.replicaSets.find((r) => r.hash === dep.templateHash)!;
      if (dep.kind === 'Deployment') this.event(
        { kind: 'Deployment', name: dep.name, namespace: dep.namespace, uid: dep.uid, apiVersion: 'apps/v1' },
        'ScalingReplicaSet',
        `Scaled up replica set ${rs.name} to 1`,
        'Normal',
        'deployment-controller',
      );
    }
    if (before.replicas !== dep.obj.spec.replicas && !templateChanged && dep.kind === 'Deployment') {
      const rs = dep.replicaSets.find((r) => r.hash === dep.templateHash)!;
      const up = Number(dep.obj.spec.replicas) > before.replicas;
      this.event(
        { kind: 'Deployment', name: dep.name, namespace: dep.namespace, uid: dep.uid, apiVersion: 'apps/v1' },
        'ScalingReplicaSet',
        `Scaled ${up ? 'up' : 'down'} replica set ${rs.name} to ${String(dep.obj.spec.replicas)} from ${before.replicas}`,
        'Normal',
        'deployment-controller',
      );
    }
    this.reconcile(dep);
    this.updateReadyCount(dep);
    this.version++;
  }

  /** The scale subresource. */
  setReplicas(dep: SimDeployment, replicas: number, dryRun = false): SimDeployment {
    if (!Number.isInteger(replicas) || replicas < 0) throw invalid('Scale.autoscaling', dep.name, 'spec.replicas', 'must be a non-negative integer');
    if (dryRun) return { ...dep, obj: { ...dep.obj, spec: { ...dep.obj.spec, replicas } } };
    const before = Number(dep.obj.spec.replicas);
    if (before === replicas) return dep;
    dep.obj.spec.replicas = replicas;
    dep.generation++;
    dep.resourceVersion = this.nextRv();
    this.deploymentChanged(dep, { replicas: before, template: dep.obj.spec.template });
    return dep;
  }
}

function randomUUIDFrom(rng: Rng): string {
  // Deterministic UUID-shaped ids (v4 layout) so that the same seed gives the same objects.
  const hex = (n: number) =>
    Array.from({ length: n }, () => rng.int(16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[rng.int(4)]}${hex(3)}-${hex(12)}`;
}
