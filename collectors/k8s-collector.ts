// The Kubernetes collector: one row per pod per tick from the API server alone, with a bounded number of
// calls per tick whatever the pod count: pods (an informer's store, kept by one watch: no pod request per
// tick; or, with --pod-source list, a paginated list each tick), PodMetrics (one list, namespaced or
// cluster-wide), warning events (one paginated list), nodes (one list), and each node's cAdvisor page
// through the API server's node proxy (one call per node that runs a collected pod).
// It works the same against a real cluster (kubeconfig or in-cluster) and against podsentinel-sim.
import type { CoreV1Event, KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import { sleep } from '../lib/backoff.ts';
import { kubeErrorMessage } from '../lib/kube.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { CPU_LIMIT_COLUMN, EPHEMERAL_LIMIT_COLUMN, EPHEMERAL_USAGE_COLUMN, type MetricRow } from '../lib/metrics-csv.ts';
import { mapPool, SourceUnreachableError, WarnOnce, type Collector, type ProbeReport } from './collector.ts';
import { CADVISOR_LABELS, CadvisorPods } from './cadvisor-pods.ts';
import { eventCount, eventTime, parseQuantity, summarizePod, type PodSummary } from './k8s-pod.ts';
import { apiPath, KubeRawClient } from './kube-raw.ts';
import { PodInformer } from './pod-informer.ts';
import { PodMetricsListReader } from './pod-metrics-list.ts';
import { PodSlots, type PodSlot } from './pod-slots.ts';
import { PromTextScanner } from './prom-text.ts';

export interface K8sCollectorOptions {
  /** Namespace to collect; undefined collects all namespaces. */
  namespace?: string | undefined;
  logger?: Logger;
  /** Page size of the pod and event lists (limit + continue). */
  pageSize?: number;
  /** cAdvisor reads in flight at once. */
  nodeConcurrency?: number;
  /** Pods from an informer (list once, then watch; the default) or a full list every tick. */
  podSource?: PodSource;
  /** The server ends each pod watch after this long; the informer resumes from where it was. */
  watchTimeoutSeconds?: number;
}

export type PodSource = 'watch' | 'list';

/** Keeps a pod's row: its namespace, name and sample time (a sharded replica's ownership rule). */
export type RowFilter = (namespace: string, pod: string, timestamp: string) => boolean;

/**
 * How long a tick waits, after its other reads, for the pod watch to reach the events list's
 * resourceVersion (the sim bookmarks at once; a real API server bookmarks about once a minute, so there
 * the store is as fresh as the watch, milliseconds behind).
 */
const WATCH_CATCH_UP_MS = 100;

const MB = 1024 * 1024;
const CADVISOR = {
  rx: 'container_network_receive_bytes_total',
  tx: 'container_network_transmit_bytes_total',
  rxDrop: 'container_network_receive_packets_dropped_total',
  txDrop: 'container_network_transmit_packets_dropped_total',
  fsRead: 'container_fs_reads_bytes_total',
  fsWrite: 'container_fs_writes_bytes_total',
  fsUsage: 'container_fs_usage_bytes',
} as const;
type CadvisorKey = keyof typeof CADVISOR;
const NETWORK_KEYS: CadvisorKey[] = ['rx', 'tx', 'rxDrop', 'txDrop'];
/** The scanner's metric index → key, name, and whether it is a network counter; and key → index. */
const KEYS = Object.keys(CADVISOR) as CadvisorKey[];
const WANTED = KEYS.map((k) => CADVISOR[k]);
const IS_NETWORK = KEYS.map((k) => NETWORK_KEYS.includes(k));
const M = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<CadvisorKey, number>;

/** A PodMetrics list read into the pods' slots: pods whose slot has `usageRead >= id` were in it. */
interface UsageRead {
  id: number;
  /** The latest sample time in the list (epoch ms; NaN when no item had one). */
  latestMs: number;
}

export class K8sCollector implements Collector {
  readonly description: string;
  readonly extraColumns: readonly string[] = [CPU_LIMIT_COLUMN, EPHEMERAL_USAGE_COLUMN, EPHEMERAL_LIMIT_COLUMN];
  private readonly raw: KubeRawClient;
  private readonly namespace: string | undefined;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly nodeConcurrency: number;
  private readonly warnings: WarnOnce;
  /** cAdvisor samples into per-pod aggregates, with the network counters' rates kept across ticks. */
  private readonly cadvisorPods = new CadvisorPods(IS_NETWORK);
  /** The PodMetrics list's bytes, in memory kept from tick to tick (see readBody). */
  private bodyBuffer = Buffer.alloc(0);
  private bodyBusy = false;
  /** One reader for every tick's PodMetrics list: names and timestamps are decoded once, then interned. */
  private readonly podMetricsReader = new PodMetricsListReader();
  /** One scanner for every page and tick: a pod's label values are decoded once, then interned. */
  private readonly cadvisorScanner = new PromTextScanner(WANTED, CADVISOR_LABELS);
  /** Per pod, kept across ticks: the PodMetrics read's usage, and the time of the last row written. */
  private readonly slots = new PodSlots();
  private usageReads = 0;
  private tick = 0;
  private readonly server: string;
  private readonly kc: KubeConfig;
  readonly podSource: PodSource;
  private readonly watchTimeoutSeconds: number;
  /** The pod store (watch mode), started by the first tick. */
  informer: PodInformer | undefined;

  constructor(kc: KubeConfig, opts: K8sCollectorOptions = {}) {
    this.kc = kc;
    this.raw = new KubeRawClient(kc);
    this.podSource = opts.podSource ?? 'watch';
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    this.namespace = opts.namespace || undefined;
    this.log = opts.logger ?? createLogger('k8s-collector', { console: 'none' });
    this.pageSize = opts.pageSize ?? 500;
    this.nodeConcurrency = opts.nodeConcurrency ?? 16;
    this.warnings = new WarnOnce(this.log);
    this.server = kc.getCurrentCluster()?.server ?? '(no cluster)';
    this.description = `Kubernetes API at ${this.server} (${this.namespace ? `namespace ${this.namespace}` : 'all namespaces'})`;
  }

  close(): void {
    this.informer?.close();
    this.raw.close();
  }

  async collectOnce(): Promise<MetricRow[]> {
    // Metrics, events and nodes do not depend on the pods: fetch them while the pods are listed (or the
    // pod watch catches up).
    const reads = this.startReads();
    return this.build(await this.currentPods(reads), reads);
  }

  /** The rows of the pods `owns` keeps (a shard): cAdvisor pages are read only for their nodes. */
  async collectOwned(owns: RowFilter): Promise<MetricRow[]> {
    const reads = this.startReads();
    return this.build(await this.currentPods(reads), reads, owns);
  }

  /**
   * The tick's pods: the informer's store while its watch is connected (after it caught up with the
   * tick's events list), else a full list (list mode, a server that does not watch pods, a watch that is
   * reconnecting, or the first tick's failed start).
   */
  private async currentPods(reads: Reads): Promise<PodSummary[]> {
    if (this.podSource === 'list' || this.informer?.state === 'unsupported') return this.listPods();
    const informer = (this.informer ??= new PodInformer(this.kc, this.raw, {
      namespace: this.namespace,
      pageSize: this.pageSize,
      logger: this.log,
      watchTimeoutSeconds: this.watchTimeoutSeconds,
    }));
    try {
      await informer.start();
    } catch (err) {
      throw new SourceUnreachableError(`cannot list pods from the Kubernetes API at ${this.server}: ${kubeErrorMessage(err)}`);
    }
    if (informer.state !== 'watching') return this.listPods();
    const done = new AbortController();
    const othersRead = Promise.allSettled([reads.usage, reads.nodes]).then(() => sleep(WATCH_CATCH_UP_MS, done.signal));
    await informer.waitFor(await reads.eventsSeen.then((s) => s.rv), othersRead);
    done.abort();
    return informer.pods();
  }

  /**
   * Lists the pods to collect, page by page (raw JSON), keeping a summary of each pod so a page's objects
   * can be freed before the next arrives. Throws SourceUnreachableError when the API cannot be used.
   */
  async listPods(): Promise<PodSummary[]> {
    const path = this.namespace ? `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods` : '/api/v1/pods';
    const list = () =>
      this.listAll(async (cont) => {
        const page = await this.raw.getJson<{ items?: V1Pod[]; metadata?: { continue?: string } }>(
          apiPath(path, { limit: this.pageSize, continue: cont }),
        );
        return { items: (page.items ?? []).map(summarizePod), cont: page.metadata?.continue };
      });
    try {
      try {
        return await list();
      } catch (err) {
        // 410 Gone: the continue token expired mid-list (a busy cluster compacted); list again once.
        if ((err as { code?: number }).code !== 410) throw err;
        this.log.debug('pod list continue token expired; listing again');
        return await list();
      }
    } catch (err) {
      throw new SourceUnreachableError(`cannot list pods from the Kubernetes API at ${this.server}: ${kubeErrorMessage(err)}`);
    }
  }

  /** Builds the rows for pods already listed: reads metrics, events, nodes and cAdvisor pages. */
  async collectFor(pods: readonly PodSummary[]): Promise<MetricRow[]> {
    return this.build(pods, this.startReads());
  }

  /** Starts the reads that need no pod list. Their warnings wait in `notes` until the pod list succeeded. */
  private startReads() {
    const notes: Array<() => void> = [];
    const seen: { rv?: string } = {};
    const events = this.readWarningEvents(notes, seen);
    return {
      notes,
      usage: this.readPodMetrics(notes),
      events,
      /** The events list's resourceVersion: how far the pod watch must have got for this tick. */
      eventsSeen: events.then(() => seen),
      nodes: this.readNodes(notes),
    };
  }

  private async build(pods: readonly PodSummary[], reads: Reads, owns?: RowFilter): Promise<MetricRow[]> {
    this.cadvisorPods.beginTick();
    const times = reads.usage.then((usage) => sampleTimes(usage, this.slots, new Date()));
    // A shard's cAdvisor pages wait for the sample times that decide which pods it keeps.
    const cadvisorRead = owns ? undefined : this.readCadvisor(nodeNamesOf(pods), times);
    const [usage, events, nodes, { tickTimestamp }] = await Promise.all([reads.usage, reads.events, reads.nodes, times]);
    for (const n of reads.notes) n();
    const slots = this.slots;
    if (owns)
      pods = pods.filter((p) => owns(p.namespace, p.name, usageIn(usage, slots.find(p.namespace, p.name))?.timestamp ?? tickTimestamp));
    const cadvisor = await (cadvisorRead ?? this.readCadvisor(nodeNamesOf(pods), times));
    const rows: MetricRow[] = [];
    const tick = ++this.tick;
    let skipped = 0;
    let repeated = 0;
    let listed = 0;
    let lastTimestamp: string | undefined; // the pods of a tick share a few timestamps: parse each run once
    let rowTime = NaN;
    // An index loop: for-of here made an iterator result per pod (this async function's loop is not optimised as a plain one).
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[i]!;
      const { namespace, name, node, key } = pod;
      if (!name) continue;
      const slot = slots.slot(namespace, name);
      const u = usageIn(usage, slot);
      const nodeCadvisor = node ? cadvisor.get(node) : undefined;
      const c = nodeCadvisor?.get(key);
      const cad = this.cadvisorPods;
      // Gone between the list and the metrics reads: a running container, yet served by neither metrics
      // source although both answered. (A crash-looping pod has no running container and keeps its row.)
      if (!u && usage && nodeCadvisor && c === undefined && pod.running) {
        skipped++;
        continue;
      }
      const timestamp = u?.timestamp ?? tickTimestamp;
      // metrics-server refreshes every 15-60 s on real clusters (once per simulated tick in the sim): a
      // poll that finds the same sample again would only write a duplicate row, which readers reject.
      slot.listed = tick;
      listed++;
      if (slot.written === timestamp) {
        repeated++;
        continue;
      }
      slot.written = timestamp;
      const limit = pod.memoryLimitBytes ?? nodes?.get(node);
      const memoryBytes = u?.memoryBytes ?? NaN;
      const event = events?.get(key);
      const eventMatches = event && (!event.uid || !pod.uid || event.uid === pod.uid);
      if (timestamp !== lastTimestamp) {
        lastTimestamp = timestamp;
        rowTime = Date.parse(timestamp);
      }
      // the forecasts' extra columns: limits from the pod spec, ephemeral storage in use from cAdvisor
      const extra: Record<string, number> = {};
      if (pod.cpuLimitCores !== undefined) extra[CPU_LIMIT_COLUMN] = pod.cpuLimitCores * 100;
      if (pod.ephemeralStorageLimitBytes !== undefined) extra[EPHEMERAL_LIMIT_COLUMN] = pod.ephemeralStorageLimitBytes / MB;
      const fsUsage = cad.fs(c, M.fsUsage);
      if (Number.isFinite(fsUsage)) extra[EPHEMERAL_USAGE_COLUMN] = fsUsage / MB;
      // The row is built whole, every field in MetricRow's order (one object per pod and tick, one shape
      // for all; newMetricRow's defaults-then-fields spread made three).
      const row: MetricRow = {
        timestamp,
        time: rowTime,
        namespace,
        pod: name,
        node,
        status: pod.status,
        readyContainers: pod.ready,
        totalContainers: pod.total,
        restarts: pod.restarts,
        cpuPercent: u ? u.cpuCores * 100 : NaN,
        memoryPercent: limit && limit > 0 ? (memoryBytes / limit) * 100 : NaN,
        memoryMb: memoryBytes / MB,
        netRxBytes: cad.network(c, M.rx),
        netTxBytes: cad.network(c, M.tx),
        fsReadsMb: cad.fs(c, M.fsRead) / MB,
        fsWritesMb: cad.fs(c, M.fsWrite) / MB,
        netRxDropped: cad.network(c, M.rxDrop),
        netTxDropped: cad.network(c, M.txDrop),
        eventReason: eventMatches ? event.reason : '',
        eventMessage: eventMatches ? event.message : '',
        eventAgeMinutes: eventMatches ? Math.max(0, (rowTime - event.time) / 60_000) : NaN,
        eventCount: eventMatches ? event.count : NaN,
        extra,
      };
      rows.push(row);
    }
    if (skipped > 0) this.log.debug('skipped pods that vanished between the pod list and the metrics reads', { skipped });
    if (repeated > 0) this.log.debug('skipped pods whose metrics sample has not changed since the last tick', { repeated });
    slots.sweep(tick, listed);
    this.cadvisorPods.sweep();
    return rows;
  }

  /** Pages through a list call until its continue token runs out. */
  private async listAll<T>(page: (cont: string | undefined) => Promise<{ items: T[]; cont: string | undefined }>): Promise<T[]> {
    const all: T[] = [];
    let cont: string | undefined;
    do {
      const res = await page(cont);
      for (const item of res.items) all.push(item);
      cont = res.cont || undefined;
    } while (cont);
    return all;
  }

  /**
   * CPU cores and working-set bytes per pod from metrics.k8s.io, into the pods' slots; undefined when the
   * API is unavailable.
   */
  private async readPodMetrics(notes?: Notes): Promise<UsageRead | undefined> {
    const group = 'metrics.k8s.io';
    const version = 'v1beta1';
    try {
      const base = `/apis/${group}/${version}`;
      const out: UsageRead = { id: ++this.usageReads, latestMs: NaN };
      // metrics-server stamps pods in batches: each distinct timestamp is normalised once.
      const isoOf = new Map<string, string | undefined>();
      const path = this.namespace ? `${base}/namespaces/${encodeURIComponent(this.namespace)}/pods` : `${base}/pods`;
      await this.readBody(path, (body) => {
        try {
          this.podMetricsReader.read(body, (namespace, name, stamp, cpuCores, memoryBytes) => {
            if (name === undefined) return;
            let timestamp: string | undefined;
            if (stamp) {
              if (isoOf.has(stamp)) timestamp = isoOf.get(stamp);
              else {
                const ms = Date.parse(stamp);
                timestamp = Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
                if (ms > out.latestMs || Number.isNaN(out.latestMs)) out.latestMs = ms;
                isoOf.set(stamp, timestamp);
              }
            }
            const slot = this.slots.slot(namespace ?? this.namespace ?? '', name);
            slot.usageRead = out.id;
            slot.cpuCores = cpuCores;
            slot.memoryBytes = memoryBytes;
            slot.timestamp = timestamp;
          });
        } catch (err) {
          throw new Error(`GET ${path} answered with a body that is not a PodMetrics list (${(err as Error).message})`, { cause: err });
        }
      });
      note(notes, () => this.warnings.clear('metrics', 'metrics.k8s.io is serving pod metrics again'));
      return out;
    } catch (err) {
      note(notes, () =>
        this.warnings.warn(
          'metrics',
          `pod metrics unavailable (is metrics-server installed?); CPU and memory columns stay empty: ${kubeErrorMessage(err)}`,
        ),
      );
      return undefined;
    }
  }

  /**
   * A body read into the collector's own buffer, kept from tick to tick, and handed to `use`: the
   * PodMetrics list (~19 MB at 50,000 pods) in fresh memory each tick cost its page faults and a
   * Buffer.concat every time.
   */
  private async readBody<T>(path: string, use: (body: Buffer) => T): Promise<T> {
    // Two reads at once (a probe beside a tick) must not share the buffer: the second gets its own.
    if (this.bodyBusy) return use(await this.raw.getBytes(path, 'application/json'));
    this.bodyBusy = true;
    try {
      let len = 0;
      await this.raw.getChunks(path, 'application/json', (chunk) => {
        if (len + chunk.length > this.bodyBuffer.length) {
          const grown = Buffer.allocUnsafe(Math.max(2 * this.bodyBuffer.length, len + chunk.length, 64 * 1024));
          this.bodyBuffer.copy(grown, 0, 0, len);
          this.bodyBuffer = grown;
        }
        chunk.copy(this.bodyBuffer, len);
        len += chunk.length;
      });
      return use(this.bodyBuffer.subarray(0, len)); // used before the buffer is free for the next read
    } finally {
      this.bodyBusy = false;
    }
  }

  /**
   * The most recent Warning event per pod ("namespace/pod"), from one paginated list; undefined when events
   * cannot be read. `seen.rv` gets the list's resourceVersion.
   */
  async readWarningEvents(notes?: Notes, seen?: { rv?: string }): Promise<Map<string, LatestEvent> | undefined> {
    try {
      const path = this.namespace ? `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/events` : '/api/v1/events';
      // Raw JSON (its times are strings; eventTime reads both): client-node's typed models cost a tenth of a
      // 50,000-pod tick's garbage for the few fields read here.
      const events = await this.listAll<CoreV1Event>(async (cont) => {
        const page = await this.raw.getJson<RawList<CoreV1Event>>(
          apiPath(path, { fieldSelector: 'type=Warning', limit: this.pageSize, continue: cont }),
        );
        if (seen && !cont) seen.rv = page.metadata?.resourceVersion;
        return { items: page.items ?? [], cont: page.metadata?.continue };
      });
      note(notes, () => this.warnings.clear('events', 'events are readable again'));
      const out = new Map<string, LatestEvent>();
      for (const e of events) {
        if (e.type !== 'Warning' || e.involvedObject?.kind !== 'Pod') continue;
        const ns = e.involvedObject.namespace ?? e.metadata?.namespace ?? '';
        const key = `${ns}/${e.involvedObject.name}`;
        const time = eventTime(e);
        const prev = out.get(key);
        if (prev && !(time > prev.time)) continue;
        out.set(key, {
          reason: e.reason ?? '',
          message: e.message ?? '',
          time,
          count: eventCount(e),
          uid: e.involvedObject.uid,
        });
      }
      return out;
    } catch (err) {
      note(notes, () => this.warnings.warn('events', `cannot read events; event columns stay empty: ${kubeErrorMessage(err)}`));
      return undefined;
    }
  }

  /** Allocatable memory per node (for pods without memory limits); undefined when nodes cannot be listed. */
  private async readNodes(notes?: Notes): Promise<Map<string, number> | undefined> {
    try {
      const nodes = await this.listAll<V1Node>(async (cont) => {
        const page = await this.raw.getJson<RawList<V1Node>>(apiPath('/api/v1/nodes', { limit: this.pageSize, continue: cont }));
        return { items: page.items ?? [], cont: page.metadata?.continue };
      });
      note(notes, () => this.warnings.clear('nodes', 'nodes are readable again'));
      const out = new Map<string, number>();
      for (const n of nodes) {
        const mem = parseQuantity(n.status?.allocatable?.memory);
        if (n.metadata?.name && mem > 0) out.set(n.metadata.name, mem);
      }
      return out;
    } catch (err) {
      note(notes, () =>
        this.warnings.warn(
          'nodes',
          `cannot list nodes; Memory Usage (%) of pods without a memory limit stays empty: ${kubeErrorMessage(err)}`,
        ),
      );
      return undefined;
    }
  }

  /**
   * Network and filesystem counters per pod ("namespace/pod") from each node's cAdvisor page (one proxy
   * call per node), scanned chunk by chunk as each page arrives (no page is held whole).
   */
  private async readCadvisor(nodeNames: readonly string[], times: Promise<SampleTimes>): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    const failures: string[] = [];
    // A sample without a timestamp of its own is timed by its pod's metrics sample: chunks that arrive
    // before the metrics list is read wait for it (the reads still run side by side).
    let known: SampleTimes | undefined;
    void times.then((t) => (known = t));
    await mapPool(nodeNames, this.nodeConcurrency, async (node) => {
      const pods = new Map<string, number>();
      const page = this.cadvisorScanner.stream((m, labels, value, timestampMs) =>
        this.cadvisorPods.add(pods, m, labels, value, timestampMs, known!.sampleTime),
      );
      let held: Buffer[] | undefined = [];
      const release = () => {
        for (const c of held ?? []) page.push(c);
        held = undefined;
      };
      try {
        await this.raw.getChunks(
          `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics/cadvisor`,
          'text/plain;version=0.0.4, */*;q=0.5',
          (chunk) => {
            if (held && known) release();
            if (held) held.push(chunk);
            else page.push(chunk);
          },
        );
      } catch (err) {
        failures.push(`${node}: ${kubeErrorMessage(err)}`);
        return; // a page cut short counts as unread: its pods' columns stay empty this tick
      }
      if (!known) await times;
      release();
      const skipped = page.end();
      if (skipped > 0) this.log.debug('skipped malformed cAdvisor lines', { node, skipped });
      out.set(node, pods);
    });
    if (failures.length > 0) {
      this.warnings.warn(
        'cadvisor',
        `cannot read cAdvisor of ${failures.length} node(s) through the API server proxy (needs nodes/proxy); ` +
          `network and filesystem columns stay empty for their pods: ${failures.slice(0, 3).join('; ')}`,
      );
    } else if (nodeNames.length > 0) {
      this.warnings.clear('cadvisor', 'cAdvisor pages are readable again');
    }
    return out;
  }

  async probe(): Promise<ProbeReport> {
    const lines: string[] = [`source: ${this.description}`];
    let pods: PodSummary[];
    try {
      pods = await this.listPods();
    } catch (err) {
      lines.push(`pods: FAILED: ${(err as Error).message}`);
      return { ok: false, lines };
    }
    const statuses = new Map<string, number>();
    for (const p of pods) statuses.set(p.status, (statuses.get(p.status) ?? 0) + 1);
    const namespaces = new Set(pods.map((p) => p.namespace));
    lines.push(`pods: ${pods.length} in ${namespaces.size} namespace(s); ` + [...statuses].map(([s, n]) => `${s} ${n}`).join(', '));
    const before = this.warningsSnapshot();
    const rows = await this.collectFor(pods);
    const withCpu = rows.filter((r) => Number.isFinite(r.cpuPercent)).length;
    const withNet = rows.filter((r) => Number.isFinite(r.fsReadsMb)).length;
    const withEvent = rows.filter((r) => r.eventReason !== '').length;
    lines.push(`metrics.k8s.io: ${withCpu}/${rows.length} pods with CPU and memory`);
    lines.push(`cAdvisor (node proxy): ${withNet}/${rows.length} pods with network and filesystem counters (rates need a second tick)`);
    lines.push(`warning events: ${withEvent} pod(s) with a recent Warning`);
    for (const w of this.warningsSnapshot()) if (!before.includes(w)) lines.push(`warning: ${w}`);
    return { ok: true, lines };
  }

  private warningsSnapshot(): string[] {
    return this.warnings.messages();
  }
}

/** Warnings deferred until the tick's pod list succeeded (an unreachable API is one error, not four). */
type Notes = Array<() => void>;

type Reads = ReturnType<K8sCollector['startReads']>;

/** A list as the API server sends it (raw JSON). */
interface RawList<T> {
  items?: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

interface SampleTimes {
  /** The time of rows whose pod has no metrics: the tick's latest sample time, so one tick's rows agree. */
  tickTimestamp: string;
  /** A counter sample without its own timestamp is timed by its pod's metrics.k8s.io sample, else the tick's. */
  sampleTime: (namespace: string, pod: string) => number;
}

/**
 * Counter samples are timed by their own timestamp (a kubelet's cAdvisor gives one), else by the pod's
 * metrics.k8s.io sample time, else by now. Rows of pods without metrics take the tick's latest sample
 * time, so one tick's rows agree.
 */
function sampleTimes(usage: UsageRead | undefined, slots: PodSlots, tickTime: Date): SampleTimes {
  const latest = usage?.latestMs ?? NaN;
  const tickTimestamp = Number.isFinite(latest) ? new Date(latest).toISOString() : tickTime.toISOString();
  const now = Number.isFinite(latest) ? latest : tickTime.getTime();
  return {
    tickTimestamp,
    sampleTime: (namespace, pod) => {
      const ts = usageIn(usage, slots.find(namespace, pod))?.timestamp;
      return ts ? Date.parse(ts) : now;
    },
  };
}

/** The pod's slot when `usage` (or a later read) wrote its usage there; undefined when it was not in the list. */
function usageIn(usage: UsageRead | undefined, slot: PodSlot | undefined): PodSlot | undefined {
  return usage && slot && slot.usageRead >= usage.id ? slot : undefined;
}

/** The nodes that run at least one of `pods` (each has one cAdvisor page). */
function nodeNamesOf(pods: readonly PodSummary[]): string[] {
  const nodes = new Set<string>();
  for (let i = 0; i < pods.length; i++) if (pods[i]!.node !== '') nodes.add(pods[i]!.node);
  return [...nodes].sort();
}

function note(notes: Notes | undefined, fn: () => void): void {
  if (notes) notes.push(fn);
  else fn();
}

export interface LatestEvent {
  reason: string;
  message: string;
  time: number;
  count: number;
  uid: string | undefined;
}
