// Prometheus text exposition (format 0.0.4) of the simulated cluster: cAdvisor series (as the kubelet's
// /metrics/cadvisor serves them, plus a `node` label as the usual scrape relabelling adds) and
// kube-state-metrics series. No sample timestamps on /metrics: Prometheus stamps them at scrape time.
// The node-proxy page carries them, as a kubelet's does, so a reader can time counters exactly even
// when a tick falls between two of its reads.
import type { SimCluster, SimPod } from './cluster.ts';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  let out = '';
  for (const k in l) out += `${out ? ',' : ''}${k}="${esc(l[k]!)}"`;
  return `{${out}}`;
}

function num(v: number): string {
  return Number.isInteger(v)
    ? String(v)
    : v
        .toPrecision(10)
        .replace(/\.?0+$/, '')
        .replace(/\.?0+e/, 'e');
}

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  lines: string[];
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

function family(name: string, type: Family['type'], help: string): Family {
  return { name, type, help, lines: [] };
}

/**
 * Writes the families into one Buffer. Joining hundreds of thousands of template strings makes V8
 * flatten huge ropes (seconds at 10,000 pods); copying each small line into a growing Buffer does not.
 */
function emitBuffer(fams: Family[]): Buffer {
  let buf = Buffer.allocUnsafe(1 << 20);
  let off = 0;
  const put = (text: string) => {
    const need = off + text.length * 3;
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
      buf.copy(bigger, 0, 0, off);
      buf = bigger;
    }
    off += buf.write(text, off);
  };
  for (const f of fams) {
    put(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`);
    for (const line of f.lines) {
      put(line);
      put('\n');
    }
  }
  return buf.subarray(0, off);
}

interface PodLabels {
  key: string;
  cad: string;
  cadNode: string;
  net: string;
  netNode: string;
  pod: string;
  ctr: string;
}

// Label strings are built once per container (pod, container serial, node) and reused every scrape.
const labelCache = new WeakMap<SimPod, PodLabels>();

function podLabels(c: SimCluster, p: SimPod): PodLabels {
  const key = `${p.containerSerial}/${p.node ?? ''}`;
  const hit = labelCache.get(p);
  if (hit && hit.key === key) return hit;
  const cid = c.containerId(p).slice(13, 29);
  const ns = esc(p.namespace);
  const pod = esc(p.name);
  const node = esc(p.node ?? '');
  const cad = `container="${esc(p.container.name)}",id="/kubepods/burstable/pod${p.uid}/${cid}",image="${esc(p.container.image)}",name="${cid}",namespace="${ns}",pod="${pod}"`;
  const net = `container="POD",id="/kubepods/burstable/pod${p.uid}",image="registry.k8s.io/pause:3.10",interface="eth0",name="k8s_POD_${pod}",namespace="${ns}",pod="${pod}"`;
  const out: PodLabels = {
    key,
    cad,
    cadNode: `${cad},node="${node}"`,
    net,
    netNode: `${net},node="${node}"`,
    pod: `namespace="${ns}",pod="${pod}",uid="${p.uid}"`,
    ctr: `container="${esc(p.container.name)}",namespace="${ns}",pod="${pod}",uid="${p.uid}"`,
  };
  labelCache.set(p, out);
  return out;
}

/** Each node's cAdvisor page of the cluster's current version: its pods grouped once, each page rendered once. */
interface NodePages {
  version: number;
  podsByNode: Map<string, SimPod[]>;
  pages: Map<string, Buffer>;
}
const nodePages = new WeakMap<SimCluster, NodePages>();

/**
 * The node's /metrics/cadvisor page, as its kubelet serves it (no node label), kept until the cluster
 * changes. Real kubelets render their pages on their own machines, side by side; rendering each page on
 * request, each from a pass over every pod, made the simulator the slowest part of a 50,000-pod tick.
 */
export function cadvisorPage(c: SimCluster, node: string): Buffer {
  let np = nodePages.get(c);
  if (!np || np.version !== c.version) {
    const podsByNode = new Map<string, SimPod[]>();
    for (const p of c.sortedPodList()) {
      if (!p.node) continue;
      let list = podsByNode.get(p.node);
      if (!list) podsByNode.set(p.node, (list = []));
      list.push(p);
    }
    np = { version: c.version, podsByNode, pages: new Map() };
    nodePages.set(c, np);
  }
  let page = np.pages.get(node);
  if (!page) {
    page = cadvisorBuffer(c, np.podsByNode.get(node) ?? [], false);
    np.pages.set(node, page);
  }
  return page;
}

/** cAdvisor container series for the given pods; `withNode` adds the node label. */
function cadvisorBuffer(c: SimCluster, pods: Iterable<SimPod>, withNode: boolean): Buffer {
  const cpu = family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.');
  const ws = family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.');
  const limit = family('container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container.');
  const rx = family('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received');
  const tx = family('container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted');
  const rxd = family('container_network_receive_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while receiving');
  const txd = family(
    'container_network_transmit_packets_dropped_total',
    'counter',
    'Cumulative count of packets dropped while transmitting',
  );
  const fr = family('container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read');
  const fw = family('container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written');
  const fu = family('container_fs_usage_bytes', 'gauge', 'Number of bytes that are consumed by the container on this filesystem.');
  for (const p of pods) {
    if (!p.sample.running || !p.node) continue;
    const pl = podLabels(c, p);
    const l = withNode ? pl.cadNode : pl.cad;
    const nl = withNode ? pl.netNode : pl.net;
    const k = p.counters;
    cpu.lines.push(`container_cpu_usage_seconds_total{${l},cpu="total"} ${num(k.cpuSeconds)}`);
    ws.lines.push(`container_memory_working_set_bytes{${l}} ${p.sample.memoryBytes}`);
    limit.lines.push(`container_spec_memory_limit_bytes{${l}} ${p.container.memLimitBytes}`);
    fr.lines.push(`container_fs_reads_bytes_total{${l},device="/dev/vda"} ${Math.round(k.fsReadBytes)}`);
    fw.lines.push(`container_fs_writes_bytes_total{${l},device="/dev/vda"} ${Math.round(k.fsWriteBytes)}`);
    fu.lines.push(`container_fs_usage_bytes{${l},device="/dev/vda"} ${Math.round(k.fsUsageBytes)}`);
    // Network counters belong to the pod sandbox (its network namespace), as cAdvisor reports them.
    rx.lines.push(`container_network_receive_bytes_total{${nl}} ${Math.round(k.netRxBytes)}`);
    tx.lines.push(`container_network_transmit_bytes_total{${nl}} ${Math.round(k.netTxBytes)}`);
    rxd.lines.push(`container_network_receive_packets_dropped_total{${nl}} ${Math.round(k.netRxDropped)}`);
    txd.lines.push(`container_network_transmit_packets_dropped_total{${nl}} ${Math.round(k.netTxDropped)}`);
  }
  const families = [cpu, ws, limit, rx, tx, rxd, txd, fr, fw, fu];
  if (!withNode) {
    const ts = ` ${c.now().getTime()}`;
    for (const f of families) f.lines = f.lines.map((line) => line + ts);
  }
  return emitBuffer(families);
}

// A pod's kube-state-metrics lines only change with its state (resource version, readiness): kept
// between scrapes, so a tick rebuilds only the pods that changed.
const ksmCache = new WeakMap<SimPod, { key: string; lines: string[][] }>();

/** The pod's lines per family, in the order of kubeStateBuffer's podFamilies. */
function ksmLines(c: SimCluster, p: SimPod): string[][] {
  const isReady = c.isReady(p);
  const key = `${p.resourceVersion}|${isReady}|${p.stage}|${p.restarts}|${p.node ?? ''}|${p.containerSerial}`;
  const hit = ksmCache.get(p);
  if (hit && hit.key === key) return hit.lines;
  const L = podLabels(c, p);
  const node = esc(p.node ?? '');
  const out: string[][] = Array.from({ length: 14 }, () => []);
  const [ownerKind, ownerName] = p.workload.kind === 'Deployment' ? ['ReplicaSet', p.rsName] : [p.workload.kind, p.workload.name];
  out[0]!.push(
    `kube_pod_info{${L.pod},host_ip="",pod_ip="${p.podIP ?? ''}",node="${node}",created_by_kind="${ownerKind}",created_by_name="${ownerName}",priority_class="",host_network="false"} 1`,
  );
  out[1]!.push(`kube_pod_owner{${L.pod},owner_kind="${ownerKind}",owner_name="${ownerName}",owner_is_controller="true"} 1`);
  const ph = p.stage === 'unscheduled' || p.stage === 'creating' ? 'Pending' : 'Running';
  for (const x of PHASES) out[2]!.push(`kube_pod_status_phase{${L.pod},phase="${x}"} ${x === ph ? 1 : 0}`);
  out[3]!.push(
    `kube_pod_status_ready{${L.pod},condition="true"} ${isReady ? 1 : 0}`,
    `kube_pod_status_ready{${L.pod},condition="false"} ${isReady ? 0 : 1}`,
  );
  if (p.node) {
    const cl = L.ctr;
    out[4]!.push(`kube_pod_container_status_ready{${cl}} ${isReady ? 1 : 0}`);
    out[5]!.push(`kube_pod_container_status_running{${cl}} ${p.stage === 'running' ? 1 : 0}`);
    const waiting = p.stage === 'creating' ? 'ContainerCreating' : p.stage === 'backoff' ? 'CrashLoopBackOff' : undefined;
    out[6]!.push(`kube_pod_container_status_waiting{${cl}} ${waiting ? 1 : 0}`);
    if (waiting) out[7]!.push(`kube_pod_container_status_waiting_reason{${cl},reason="${waiting}"} 1`);
    if (p.stage === 'oomkilled') out[8]!.push(`kube_pod_container_status_terminated_reason{${cl},reason="OOMKilled"} 1`);
    if (p.lastTerm) {
      out[9]!.push(`kube_pod_container_status_last_terminated_reason{${cl},reason="${p.lastTerm.reason}"} 1`);
      out[10]!.push(`kube_pod_container_status_last_terminated_exitcode{${cl}} ${p.lastTerm.exitCode}`);
    }
    out[11]!.push(`kube_pod_container_status_restarts_total{${cl}} ${p.restarts}`);
    out[12]!.push(`kube_pod_container_resource_limits{${cl},node="${node}",resource="cpu",unit="core"} ${num(p.container.cpuLimitCores)}`);
    if (p.container.memLimitBytes)
      out[12]!.push(`kube_pod_container_resource_limits{${cl},node="${node}",resource="memory",unit="byte"} ${p.container.memLimitBytes}`);
    out[13]!.push(
      `kube_pod_container_resource_requests{${cl},node="${node}",resource="cpu",unit="core"} ${num(p.container.cpuRequestCores)}`,
      `kube_pod_container_resource_requests{${cl},node="${node}",resource="memory",unit="byte"} ${p.container.memRequestBytes}`,
    );
  }
  ksmCache.set(p, { key, lines: out });
  return out;
}

/** kube-state-metrics series for every pod, deployment and node. */
export function kubeStateText(c: SimCluster): string {
  return kubeStateBuffer(c).toString('utf8');
}

function kubeStateBuffer(c: SimCluster): Buffer {
  const info = family('kube_pod_info', 'gauge', 'Information about pod.');
  const owner = family('kube_pod_owner', 'gauge', "Information about the Pod's owner.");
  const phase = family('kube_pod_status_phase', 'gauge', 'The pods current phase.');
  const ready = family('kube_pod_status_ready', 'gauge', 'Describes whether the pod is ready to serve requests.');
  const cReady = family('kube_pod_container_status_ready', 'gauge', 'Describes whether the containers readiness check succeeded.');
  const cRunning = family('kube_pod_container_status_running', 'gauge', 'Describes whether the container is currently in running state.');
  const cWaiting = family('kube_pod_container_status_waiting', 'gauge', 'Describes whether the container is currently in waiting state.');
  const waitingReason = family(
    'kube_pod_container_status_waiting_reason',
    'gauge',
    'Describes the reason the container is currently in waiting state.',
  );
  const terminatedReason = family(
    'kube_pod_container_status_terminated_reason',
    'gauge',
    'Describes the reason the container is currently in terminated state.',
  );
  const lastTerm = family(
    'kube_pod_container_status_last_terminated_reason',
    'gauge',
    'Describes the last reason the container was in terminated state.',
  );
  const lastExit = family(
    'kube_pod_container_status_last_terminated_exitcode',
    'gauge',
    'Describes the exit code for the last container in terminated state.',
  );
  const restarts = family('kube_pod_container_status_restarts_total', 'counter', 'The number of container restarts per container.');
  const limits = family('kube_pod_container_resource_limits', 'gauge', 'The number of requested limit resource by a container.');
  const requests = family('kube_pod_container_resource_requests', 'gauge', 'The number of requested request resource by a container.');
  const podFamilies = [
    info,
    owner,
    phase,
    ready,
    cReady,
    cRunning,
    cWaiting,
    waitingReason,
    terminatedReason,
    lastTerm,
    lastExit,
    restarts,
    limits,
    requests,
  ];
  for (const p of c.sortedPodList()) {
    const lines = ksmLines(c, p);
    for (let i = 0; i < podFamilies.length; i++) for (const line of lines[i]!) podFamilies[i]!.lines.push(line);
  }
  const depSpec = family('kube_deployment_spec_replicas', 'gauge', 'Number of desired pods for a deployment.');
  const depAvail = family('kube_deployment_status_replicas_available', 'gauge', 'The number of available replicas per deployment.');
  for (const d of c.deploymentList()) {
    const dl = labels({ namespace: d.namespace, deployment: d.name });
    depSpec.lines.push(`kube_deployment_spec_replicas${dl} ${Number(d.obj.spec.replicas)}`);
    depAvail.lines.push(`kube_deployment_status_replicas_available${dl} ${d.readyCount}`);
  }
  const unsched = family('kube_node_spec_unschedulable', 'gauge', 'Whether a node can schedule new pods.');
  for (const n of c.nodeList())
    unsched.lines.push(`kube_node_spec_unschedulable${labels({ node: n.name })} ${n.obj.spec.unschedulable === true ? 1 : 0}`);
  return emitBuffer([...podFamilies, depSpec, depAvail, unsched]);
}

/** The whole /metrics page, cached per cluster version (serving stays cheap between ticks). */
export class MetricsPage {
  private cachedVersion = -1;
  private cached: Buffer = Buffer.alloc(0);
  private readonly cluster: SimCluster;

  constructor(cluster: SimCluster) {
    this.cluster = cluster;
  }

  body(): Buffer {
    if (this.cachedVersion !== this.cluster.version) {
      this.cached = Buffer.concat([cadvisorBuffer(this.cluster, this.cluster.sortedPodList(), true), kubeStateBuffer(this.cluster)]);
      this.cachedVersion = this.cluster.version;
    }
    return this.cached;
  }

  text(): string {
    return this.body().toString('utf8');
  }
}
