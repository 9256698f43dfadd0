// The Prometheus collector: the same rows as the Kubernetes collector, from PromQL over cAdvisor and
// kube-state-metrics series, through Prometheus' HTTP API (or any peer that serves it: Thanos, Mimir,
// VictoriaMetrics). A fixed number of instant queries per tick, whatever the pod count, all evaluated
// at the same instant so the columns of a row agree. Each query is documented in docs/COLLECTORS.md.
import { createLogger, type Logger } from '../lib/log.ts';
import { newMetricRow, type MetricRow } from '../lib/metrics-csv.ts';
import { SourceUnreachableError, WarnOnce, type Collector, type ProbeReport } from './collector.ts';
import type { LatestEvent } from './k8s-collector.ts';
import { observeRequest } from '../lib/metrics.ts';

export interface ExtraMetric {
  /** CSV column name. */
  column: string;
  /** PromQL returning (at most) one series per pod, with `namespace` and `pod` labels. */
  query: string;
}

export interface PrometheusCollectorOptions {
  url: string;
  /** Namespace to collect; undefined collects all namespaces. */
  namespace?: string | undefined;
  extraMetrics?: readonly ExtraMetric[];
  /** Range of rate() windows, a PromQL duration ("1m"); it should span at least two scrapes. */
  window?: string;
  logger?: Logger;
  timeoutMs?: number;
  /** Optional source of warning events (Prometheus has none), e.g. a K8sCollector. */
  events?: { readWarningEvents(): Promise<Map<string, LatestEvent> | undefined>; close?(): void };
}

/** Parses `--extra-metric 'Column Name=PROMQL'`; the first "=" separates the name from the query. */
export function parseExtraMetric(spec: string): ExtraMetric {
  const eq = spec.indexOf('=');
  const column = eq > 0 ? spec.slice(0, eq).trim() : '';
  const query = eq > 0 ? spec.slice(eq + 1).trim() : '';
  if (!column || !query) throw new Error(`--extra-metric must look like 'Column Name=PROMQL', got '${spec}'`);
  if (/[",\r\n]/.test(column)) throw new Error(`--extra-metric column name must not contain quotes, commas or newlines: '${column}'`);
  return { column, query };
}

type VectorSample = { metric: Record<string, string>; value: [number, string] };
type QueryName =
  | 'cpu'
  | 'memory'
  | 'memoryLimit'
  | 'unlimited'
  | 'allocatable'
  | 'rx'
  | 'tx'
  | 'rxDrop'
  | 'txDrop'
  | 'fsRead'
  | 'fsWrite'
  | 'restarts'
  | 'ready'
  | 'total'
  | 'info'
  | 'phase'
  | 'waiting'
  | 'terminated'
  | 'deleting';

/** The PromQL of every standard column; `sel` is the namespace matcher, `w` the rate window. */
export function standardQueries(sel: string, w: string): Record<QueryName, string> {
  const c = `container!="", container!="POD", ${sel}`;
  const by = 'sum by (namespace, pod)';
  // Containers share the pod's network namespace: one series per interface, whichever cgroup reports it.
  const net = (m: string) => `${by} (max by (namespace, pod, interface) (rate(${m}{${sel}}[${w}])))`;
  // Per-container totals when cAdvisor serves them, else the pod-level cgroup's.
  const fs = (m: string) => `(${by} (${m}{container!="", ${sel}}) or ${by} (${m}{container="", ${sel}})) / 1048576`;
  return {
    cpu: `${by} (rate(container_cpu_usage_seconds_total{${c}}[${w}])) * 100`,
    memory: `${by} (container_memory_working_set_bytes{${c}})`,
    memoryLimit: `${by} (container_spec_memory_limit_bytes{${c}})`,
    unlimited: `count by (namespace, pod) (container_spec_memory_limit_bytes{${c}} == 0)`,
    allocatable: `max by (namespace, pod) (kube_pod_info{${sel}} * on (node) group_left () max by (node) (kube_node_status_allocatable{resource="memory"}))`,
    rx: net('container_network_receive_bytes_total'),
    tx: net('container_network_transmit_bytes_total'),
    rxDrop: net('container_network_receive_packets_dropped_total'),
    txDrop: net('container_network_transmit_packets_dropped_total'),
    fsRead: fs('container_fs_reads_bytes_total'),
    fsWrite: fs('container_fs_writes_bytes_total'),
    restarts: `${by} (kube_pod_container_status_restarts_total{${sel}})`,
    ready: `${by} (kube_pod_container_status_ready{${sel}})`,
    total: `count by (namespace, pod) (kube_pod_container_status_ready{${sel}})`,
    info: `max by (namespace, pod, node) (kube_pod_info{${sel}})`,
    phase: `max by (namespace, pod, phase) (kube_pod_status_phase{${sel}} == 1)`,
    waiting: `max by (namespace, pod, reason) (kube_pod_container_status_waiting_reason{${sel}} == 1)`,
    terminated: `max by (namespace, pod, reason) (kube_pod_container_status_terminated_reason{${sel}} == 1)`,
    deleting: `max by (namespace, pod) (kube_pod_deletion_timestamp{${sel}})`,
  };
}

class QueryError extends Error {}

export class PrometheusCollector implements Collector {
  readonly description: string;
  readonly extraColumns: readonly string[];
  private readonly base: URL;
  private readonly namespace: string | undefined;
  private readonly extra: readonly ExtraMetric[];
  private readonly queries: Record<QueryName, string>;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly warnings: WarnOnce;
  private readonly events: PrometheusCollectorOptions['events'];

  constructor(opts: PrometheusCollectorOptions) {
    let base: URL;
    try {
      base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    } catch {
      throw new Error(`--prometheus-url is not a URL: '${opts.url}'`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`--prometheus-url must be http(s): '${opts.url}'`);
    this.base = base;
    this.namespace = opts.namespace || undefined;
    this.extra = opts.extraMetrics ?? [];
    this.extraColumns = this.extra.map((e) => e.column);
    const sel = this.namespace ? `namespace=${JSON.stringify(this.namespace)}` : 'namespace!=""';
    this.queries = standardQueries(sel, opts.window ?? '1m');
    this.log = opts.logger ?? createLogger('prometheus-collector', { console: 'none' });
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.warnings = new WarnOnce(this.log);
    this.events = opts.events;
    this.description = `Prometheus at ${base.origin}${base.pathname} (${this.namespace ? `namespace ${this.namespace}` : 'all namespaces'})`;
  }

  close(): void {
    this.events?.close?.();
  }

  /** One instant query; throws SourceUnreachableError (no answer) or QueryError (an answer, but an error). */
  async query(promql: string, timeSec: number): Promise<VectorSample[]> {
    return observeRequest('prometheus', this.queryOnce(promql, timeSec));
  }

  private async queryOnce(promql: string, timeSec: number): Promise<VectorSample[]> {
    let res: Response;
    try {
      res = await fetch(new URL('api/v1/query', this.base), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ query: promql, time: String(timeSec) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      throw new SourceUnreachableError(`cannot reach Prometheus at ${this.base.origin}${this.base.pathname}: ${why}`);
    }
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new QueryError(`Prometheus answered HTTP ${res.status} with a body that is not JSON (is --prometheus-url right?)`);
    }
    if (body.status !== 'success') throw new QueryError(`HTTP ${res.status}: ${body.error ?? 'query failed'}`);
    if (body.data?.resultType !== 'vector') throw new QueryError(`expected an instant vector, got ${body.data?.resultType ?? 'nothing'}`);
    return body.data.result as VectorSample[];
  }

  /**
   * The --extra-metric columns per pod ("namespace/pod" → column → value) at `timeSec`. A failing query
   * leaves its column empty (logged once); an unreachable Prometheus throws SourceUnreachableError.
   */
  async extraValues(timeSec: number): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    const results = await Promise.all(
      this.extra.map((x) =>
        this.query(x.query, timeSec).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
      ),
    );
    this.extra.forEach((x, i) => {
      const r = results[i]!;
      if (!r.ok) {
        if (r.e instanceof SourceUnreachableError) throw r.e;
        this.warnings.warn(`extra:${x.column}`, `--extra-metric "${x.column}" failed; the column stays empty: ${(r.e as Error).message}`);
        return;
      }
      this.warnings.clear(`extra:${x.column}`, `--extra-metric "${x.column}" answers again`);
      if (r.v.length > 0 && r.v.every((s) => !s.metric.pod)) {
        this.warnings.warn(
          `extra-labels:${x.column}`,
          `--extra-metric "${x.column}" returns no series with a "pod" label; aggregate it with sum by (namespace, pod)`,
        );
      }
      const values = perPod(
        r.v.filter((s) => !this.namespace || s.metric.namespace === this.namespace),
        (s) => Number(s.value[1]),
        true,
      );
      for (const [key, v] of values) {
        let entry = out.get(key);
        if (!entry) out.set(key, (entry = {}));
        entry[x.column] = v;
      }
    });
    return out;
  }

  async collectOnce(): Promise<MetricRow[]> {
    const timeMs = Date.now();
    const timeSec = timeMs / 1000;
    const names = Object.keys(this.queries) as QueryName[];
    const settle = (p: Promise<VectorSample[]>) =>
      p.then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, e }),
      );
    const [standard, extras, events] = await Promise.all([
      Promise.all(names.map((n) => settle(this.query(this.queries[n], timeSec)))),
      this.extraValues(timeSec),
      this.events ? this.events.readWarningEvents().catch(() => undefined) : Promise.resolve(undefined),
    ]);
    const results = {} as Record<QueryName, VectorSample[]>;
    const failures: string[] = [];
    standard.forEach((r, i) => {
      const name = names[i]!;
      if (r.ok) results[name] = r.v;
      else {
        if (r.e instanceof SourceUnreachableError) throw r.e;
        failures.push(`${name}: ${(r.e as Error).message}`);
        results[name] = [];
      }
    });
    if (failures.length === names.length) throw new SourceUnreachableError(`every Prometheus query failed: ${failures[0]}`);
    if (failures.length > 0)
      this.warnings.warn('queries', `some Prometheus queries failed; their columns stay empty: ${failures.join('; ')}`);
    else this.warnings.clear('queries', 'all Prometheus queries answer again');

    const value = (name: QueryName) => perPod(results[name], (s) => Number(s.value[1]));
    const label = (name: QueryName, l: string) => perPod(results[name], (s) => s.metric[l] ?? '');
    const cpu = value('cpu');
    const memory = value('memory');
    const memoryLimit = value('memoryLimit');
    const unlimited = value('unlimited');
    const allocatable = value('allocatable');
    const net = { rx: value('rx'), tx: value('tx'), rxDrop: value('rxDrop'), txDrop: value('txDrop') };
    const fsRead = value('fsRead');
    const fsWrite = value('fsWrite');
    const restarts = value('restarts');
    const ready = value('ready');
    const total = value('total');
    const node = label('info', 'node');
    const phase = label('phase', 'phase');
    const waiting = label('waiting', 'reason');
    const terminated = label('terminated', 'reason');
    const deleting = value('deleting');

    // The pods: those kube-state-metrics knows, else those with usage series (no kube-state-metrics).
    let keys = new Set([...node.keys(), ...phase.keys()]);
    if (keys.size === 0) keys = new Set([...cpu.keys(), ...memory.keys()]);
    const timestamp = new Date(timeMs).toISOString();
    const rows: MetricRow[] = [];
    for (const key of [...keys].sort()) {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const pod = key.slice(slash + 1);
      const memBytes = memory.get(key) ?? NaN;
      const limit = unlimited.has(key) || !(memoryLimit.get(key)! > 0) ? allocatable.get(key) : memoryLimit.get(key);
      const event = events?.get(key);
      const extra = extras.get(key) ?? {};
      rows.push(
        newMetricRow({
          timestamp,
          namespace,
          pod,
          node: node.get(key) ?? '',
          status: deleting.has(key) ? 'Terminating' : waiting.get(key) || terminated.get(key) || phase.get(key) || '',
          readyContainers: ready.get(key) ?? NaN,
          totalContainers: total.get(key) ?? NaN,
          restarts: restarts.get(key) ?? NaN,
          cpuPercent: cpu.get(key) ?? NaN,
          memoryMb: memBytes / (1024 * 1024),
          memoryPercent: limit && limit > 0 ? (memBytes / limit) * 100 : NaN,
          netRxBytes: net.rx.get(key) ?? NaN,
          netTxBytes: net.tx.get(key) ?? NaN,
          netRxDropped: net.rxDrop.get(key) ?? NaN,
          netTxDropped: net.txDrop.get(key) ?? NaN,
          fsReadsMb: fsRead.get(key) ?? NaN,
          fsWritesMb: fsWrite.get(key) ?? NaN,
          ...(event
            ? {
                eventReason: event.reason,
                eventMessage: event.message,
                eventAgeMinutes: Math.max(0, (timeMs - event.time) / 60_000),
                eventCount: event.count,
              }
            : {}),
          extra,
        }),
      );
    }
    return rows;
  }

  async probe(): Promise<ProbeReport> {
    const lines = [`source: ${this.description}`];
    try {
      const up = await this.query('up', Date.now() / 1000);
      const upCount = up.filter((s) => s.value[1] === '1').length;
      lines.push(`targets: ${upCount} up, ${up.length - upCount} down`);
    } catch (err) {
      lines.push(`query API: FAILED: ${(err as Error).message}`);
      return { ok: false, lines };
    }
    let rows: MetricRow[];
    try {
      rows = await this.collectOnce();
    } catch (err) {
      lines.push(`collection: FAILED: ${(err as Error).message}`);
      return { ok: false, lines };
    }
    const has = (f: (r: MetricRow) => number) => rows.filter((r) => Number.isFinite(f(r))).length;
    lines.push(`pods: ${rows.length} in ${new Set(rows.map((r) => r.namespace)).size} namespace(s)`);
    lines.push(
      `cAdvisor series: CPU ${has((r) => r.cpuPercent)}, memory ${has((r) => r.memoryMb)}, network ${has((r) => r.netRxBytes)}, filesystem ${has((r) => r.fsReadsMb)} of ${rows.length} pods`,
    );
    lines.push(
      `kube-state-metrics series: status ${rows.filter((r) => r.status !== '').length}, restarts ${has((r) => r.restarts)} of ${rows.length} pods`,
    );
    for (const x of this.extra) lines.push(`extra metric "${x.column}": ${rows.filter((r) => x.column in r.extra).length} pods`);
    for (const w of this.warnings.messages()) lines.push(`warning: ${w}`);
    if (rows.length === 0) lines.push('warning: no pods found: does this Prometheus scrape cAdvisor and kube-state-metrics?');
    return { ok: true, lines };
  }
}

/** Indexes a vector by "namespace/pod"; duplicates are summed when `sum`, else the first wins. */
function perPod<T>(samples: readonly VectorSample[], pick: (s: VectorSample) => T, sum = false): Map<string, T> {
  const out = new Map<string, T>();
  for (const s of samples) {
    const { namespace, pod } = s.metric;
    if (!namespace || !pod) continue;
    const key = `${namespace}/${pod}`;
    const v = pick(s);
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    const prev = out.get(key);
    if (prev === undefined) out.set(key, v);
    else if (sum && typeof prev === 'number' && typeof v === 'number') out.set(key, (prev + v) as T);
  }
  return out;
}

/**
 * A collector whose rows get the --extra-metric columns from Prometheus: the Kubernetes collector with
 * --prometheus-url. Prometheus being unreachable leaves the extra columns empty (logged once) rather
 * than failing the tick: the Kubernetes API stays the source of the rows.
 */
export class WithExtraMetrics implements Collector {
  readonly description: string;
  readonly extraColumns: readonly string[];
  private readonly base: Collector;
  private readonly prom: PrometheusCollector;
  private readonly warnings: WarnOnce;

  constructor(base: Collector, prom: PrometheusCollector, log: Logger) {
    this.base = base;
    this.prom = prom;
    // the base's own extra columns (the Kubernetes collector's limits) stay; a query of the same name wins
    this.extraColumns = [...base.extraColumns.filter((c) => !prom.extraColumns.includes(c)), ...prom.extraColumns];
    this.description = `${base.description}, extra columns from ${prom.description}`;
    this.warnings = new WarnOnce(log);
  }

  async collectOnce(): Promise<MetricRow[]> {
    const [rows, extras] = await Promise.all([
      this.base.collectOnce(),
      this.prom.extraValues(Date.now() / 1000).then(
        (v) => {
          this.warnings.clear('prometheus', 'Prometheus answers the extra-metric queries again');
          return v;
        },
        (err: unknown) => {
          this.warnings.warn('prometheus', `extra-metric columns stay empty: ${(err as Error).message}`);
          return new Map<string, Record<string, number>>();
        },
      ),
    ]);
    for (const row of rows) row.extra = { ...row.extra, ...extras.get(`${row.namespace}/${row.pod}`) };
    return rows;
  }

  async probe(): Promise<ProbeReport> {
    const report = await this.base.probe();
    try {
      const extras = await this.prom.extraValues(Date.now() / 1000);
      for (const column of this.extraColumns) {
        const n = [...extras.values()].filter((e) => column in e).length;
        report.lines.push(`extra metric "${column}": ${n} pods`);
      }
    } catch (err) {
      report.lines.push(`extra metrics: FAILED: ${(err as Error).message}`);
    }
    return report;
  }

  close(): void {
    this.base.close?.();
    this.prom.close();
  }
}
