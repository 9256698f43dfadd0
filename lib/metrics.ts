// The pipeline's Prometheus metrics, declared once so every process agrees on names, help and labels.
// Each process has one prom-client Registry whose default label `component` names the process; a metric
// is registered the first time the process uses it, so a process exposes only its own series (and
// run-monitoring can merge its children's without empty duplicates). Values that already live in a
// process's state (rows read, pods, anomalies) are read at scrape time by collect hooks, which keeps
// hot paths (the dataset agent's per-row loop) free of metric calls.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export const METRIC_PREFIX = 'podsentinel_';

/** Seconds: collector ticks, source requests, LLM calls (which can take tens of seconds). */
const SHORT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LLM_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

/** At most this many pods carry a `pod` label (the most anomalous ones); the rest are only counted. */
export const MAX_POD_SERIES = 50;

/** Outcomes and kinds that label series; anything else is folded into 'other' so labels stay bounded. */
export const LLM_OUTCOMES = [
  'ok',
  'timeout',
  'rate_limited',
  'server_error',
  'http_error',
  'connection',
  'budget',
  'empty',
  'aborted',
] as const;
export const SOURCE_ENDPOINTS = ['kube_api', 'metrics_api', 'cadvisor', 'prometheus'] as const;
export const NOTIFY_TARGET_KINDS = ['webhook', 'slack', 'alertmanager', 'email', 'other'] as const;

let registry: Registry | null = null;
const made = new Map<string, unknown>();
const hooks = new Set<() => void>();

/** This process's registry (created on first use; initMetrics names the component). */
export function metricsRegistry(): Registry {
  registry ??= new Registry();
  return registry;
}

/**
 * Names this process (`component` label on every series) and adds the Node.js process metrics (CPU,
 * memory, event loop lag, GC), under their usual names. Idempotent.
 */
export function initMetrics(component: string): Registry {
  const reg = metricsRegistry();
  if (!made.has('__init')) {
    reg.setDefaultLabels({ component });
    collectDefaultMetrics({ register: reg });
    made.set('__init', component);
  }
  return reg;
}

/** Runs `hook` before every scrape of this process (to copy state into gauges and counters); returns its removal. */
export function onCollect(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

function runHooks(): void {
  for (const h of hooks) {
    try {
      h();
    } catch {
      // a hook must never fail a scrape; its series keeps its previous value
    }
  }
}

/** The exposition text of this process's registry. */
export async function renderMetrics(): Promise<string> {
  runHooks();
  return metricsRegistry().metrics();
}

/** This process's metrics as JSON (what run-monitoring merges from its children). */
export async function metricsSnapshot(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
  runHooks();
  return metricsRegistry().getMetricsAsJSON();
}

function once<T>(name: string, create: () => T): () => T {
  return () => {
    let m = made.get(name) as T | undefined;
    if (!m) {
      m = create();
      made.set(name, m);
    }
    return m;
  };
}

function counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) {
  return once(name, () => new Counter<L>({ name, help, labelNames, registers: [metricsRegistry()] }));
}
function gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) {
  return once(name, () => new Gauge<L>({ name, help, labelNames, registers: [metricsRegistry()] }));
}
function histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []) {
  return once(name, () => new Histogram<L>({ name, help, labelNames, buckets, registers: [metricsRegistry()] }));
}

/** Every podsentinel series, by the process that writes it. Call the getter to use (and register) it. */
export const M = {
  // collector (dataset-generator)
  collectorTicks: counter('podsentinel_collector_ticks_total', 'Collection ticks, by result (ok, error)', ['result']),
  collectorTickDuration: histogram(
    'podsentinel_collector_tick_duration_seconds',
    'Duration of a successful collection tick',
    SHORT_BUCKETS,
  ),
  collectorRowsWritten: counter('podsentinel_collector_rows_written_total', 'Rows appended to pod_metrics.csv'),
  sourceRequestDuration: histogram(
    'podsentinel_source_request_duration_seconds',
    'Requests of the collector to its source: kube_api, metrics_api (metrics.k8s.io), cadvisor (node proxy), prometheus (PromQL)',
    SHORT_BUCKETS,
    ['endpoint', 'result'],
  ),
  podsWatched: gauge('podsentinel_pods_watched', 'Pods in the last collection tick (collector) or tracked by the detector (dataset agent)'),

  // dataset-generator-agent
  rowsRead: counter('podsentinel_rows_read_total', 'CSV rows that parsed'),
  rowsScored: counter('podsentinel_rows_scored_total', 'Rows scored by the detector'),
  rowsRejected: counter('podsentinel_rows_rejected_total', 'Malformed lines and rejected rows (duplicate, out of order, late)'),
  agentLag: gauge(
    'podsentinel_agent_lag_seconds',
    'Time from the CSV append (its modification time) to the end of scoring, for the last batch that caught up; while behind, the time since falling behind',
  ),
  agentLagBytes: gauge('podsentinel_agent_lag_bytes', 'Bytes of pod_metrics.csv not read yet'),
  anomaliesOpen: gauge(
    'podsentinel_anomalies_open',
    'Open anomalies by type: anomalous pods (dataset agent) or open analyses (anomaly agent)',
    ['type'],
  ),
  anomalousPodScore: gauge(
    'podsentinel_anomalous_pod_score',
    `Anomaly probability of currently anomalous pods (the ${MAX_POD_SERIES} highest only)`,
    ['namespace', 'pod'],
  ),

  // anomaly-detection-agent
  episodesOpened: counter('podsentinel_anomaly_episodes_opened_total', 'Anomaly episodes opened (a new anomaly id)'),
  episodesResolved: counter('podsentinel_anomaly_episodes_resolved_total', 'Anomaly episodes that cleared'),
  analyses: counter('podsentinel_analyses_total', 'Analyses written, by source (llm, rules)', ['source']),
  llmRequests: counter('podsentinel_llm_requests_total', 'LLM requests (each attempt), by outcome', ['outcome']),
  llmRequestDuration: histogram('podsentinel_llm_request_duration_seconds', 'Duration of an LLM request attempt', LLM_BUCKETS, ['outcome']),

  // remediation (counted where audit records are appended, and by run-monitoring from the audit log)
  remediations: counter(
    'podsentinel_remediations_total',
    'Remediation steps recorded in the audit log, by stage (decision, execution, verification), action and result',
    ['stage', 'action', 'result'],
  ),

  // notification agent
  notificationsSent: counter('podsentinel_notifications_sent_total', 'Notifications delivered, by target kind', ['target_kind']),
  notificationsFailed: counter('podsentinel_notifications_failed_total', 'Notifications that could not be delivered, by target kind', [
    'target_kind',
  ]),

  // podsentinel-server (route is the route pattern, e.g. /api/pods/:namespace/:pod: bounded)
  httpRequests: counter('podsentinel_http_requests_total', 'HTTP API requests, by method, route pattern and status class', [
    'method',
    'route',
    'status',
  ]),
  httpRequestDuration: histogram('podsentinel_http_request_duration_seconds', 'Duration of an HTTP API request', SHORT_BUCKETS, ['route']),

  // run-monitoring
  childUp: gauge('podsentinel_child_up', 'Supervised child running (1) or not (0)', ['child']),
  childRestarts: counter('podsentinel_child_restarts_total', 'Restarts of a supervised child', ['child']),
  childScrapeErrors: counter('podsentinel_child_scrape_errors_total', 'Children that did not answer a metrics request in time', ['child']),
};

/** `value` when it is one of `allowed`, else 'other' (bounded label values). */
export function bounded<T extends string>(value: string, allowed: readonly T[]): T | 'other' {
  return (allowed as readonly string[]).includes(value) ? (value as T) : 'other';
}

/** Adds to a counter the growth of a running total kept elsewhere (read at scrape time). */
export function counterFrom(get: () => number, c: () => Counter): () => void {
  let last = get();
  c();
  return () => {
    const now = get();
    if (now > last) c().inc(now - last);
    last = now;
  };
}

/** Forgets every registered metric and hook (tests). */
export function resetMetricsForTests(): void {
  registry?.clear();
  registry = null;
  made.clear();
  hooks.clear();
}

/** Times a request of the collector to its source into podsentinel_source_request_duration_seconds. */
export async function observeRequest<T>(endpoint: (typeof SOURCE_ENDPOINTS)[number], request: Promise<T>): Promise<T> {
  const end = M.sourceRequestDuration().startTimer({ endpoint });
  try {
    const v = await request;
    end({ result: 'ok' });
    return v;
  } catch (err) {
    end({ result: 'error' });
    throw err;
  }
}
