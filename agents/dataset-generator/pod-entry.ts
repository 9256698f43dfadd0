// What the agent keeps per pod between rows: the latest verdict and row fields that pod_insights.json and the
// alerts need, in one object updated in place (at 150,000 pods, one PodInsight object tree per pod and per
// row was most of the V8 heap and of its garbage-collection pauses). Strings that repeat across pods
// (namespace, node, status, workload, the tick's timestamp) are shared through an Interner.
import type { AnomalyType, ContributingMetric, Forecast, PodInsight } from '../../lib/schemas.ts';

/**
 * A copy of `s` that does not keep alive the string it was cut from. Fields parsed from the CSV are slices
 * of a decoded chunk of the CSV: a kept pod name or timestamp would keep the whole chunk.
 */
export function detached(s: string): string {
  return `${s} `.slice(0, -1);
}

/** One instance per distinct string value, for strings that repeat across pods and rows. */
export class Interner {
  private readonly map = new Map<string, string>();
  private lastTs = '';

  get(s: string): string {
    const v = this.map.get(s);
    if (v !== undefined) return v;
    if (this.map.size >= 1 << 20) this.map.clear(); // pod churn over months: stay bounded
    const own = detached(s);
    this.map.set(own, own);
    return own;
  }

  /** Timestamps: rows of one tick share theirs, and consecutive rows are usually of one tick. */
  timestamp(s: string): string {
    if (s === this.lastTs) return this.lastTs;
    this.lastTs = detached(s);
    return this.lastTs;
  }
}

export class PodEntry {
  /** "namespace/pod", the key of the agent's and the scorer's maps. */
  readonly key: string;
  /** Id of the checkpoint that still has to copy this pod (0: none; see DatasetAgent.startCheckpoint). */
  cp = 0;
  namespace: string;
  pod: string;
  /** The latest row's timestamp (ISO 8601) and its epoch ms. */
  timestamp: string;
  lastTime: number;
  /** anomaly_probability, rounded to 4 decimals. */
  probability = 0;
  anomalous = false;
  type: AnomalyType = 'none';
  /** Epoch ms when the current anomalous stretch began; NaN for none. */
  since = NaN;
  status: string | undefined;
  node: string | undefined;
  workload: string | undefined;
  /** Kept only while the pod is detailed in pod_insights.json (see DatasetAgent). */
  contributing: ContributingMetric[] | null = null;
  /** Exhaustion-forecast state (models/forecast.ts), once a row had a metric with a limit; checkpointed as an array. */
  forecast: Float64Array | null = null;

  constructor(key: string, namespace: string, pod: string, timestamp: string, lastTime: number) {
    this.key = key;
    this.namespace = namespace;
    this.pod = pod;
    this.timestamp = timestamp;
    this.lastTime = lastTime;
  }

  /** `forecasts`: the pod's exhaustion forecasts (models/forecast.ts forecastsOf), listed when any. */
  toInsight(forecasts?: Forecast[]): PodInsight {
    const i: PodInsight = {
      namespace: this.namespace,
      pod: this.pod,
      timestamp: this.timestamp,
      anomaly_probability: this.probability,
      predicted_anomaly: this.anomalous,
      anomaly_type: this.type,
      contributing_metrics: this.contributing ?? [],
      since: Number.isFinite(this.since) ? new Date(this.since).toISOString() : null,
    };
    if (this.status !== undefined) i.status = this.status;
    if (this.node !== undefined) i.node = this.node;
    if (this.workload !== undefined) i.workload = this.workload;
    if (forecasts && forecasts.length > 0) i.forecasts = forecasts;
    return i;
  }

  /**
   * The checkpoint record (JSON text; finite numbers only, NaN since stored as null). Its 13th field says
   * whether the forecast state follows the scorer's arrays as the last one (CheckpointJob, restoreV2).
   */
  toRecord(): string {
    return JSON.stringify([
      this.lastTime,
      this.namespace,
      this.pod,
      this.timestamp,
      this.probability,
      this.anomalous,
      this.type,
      Number.isFinite(this.since) ? this.since : null,
      this.status ?? null,
      this.node ?? null,
      this.workload ?? null,
      this.contributing,
      this.forecast !== null,
    ]);
  }

  static fromRecord(key: string, json: string, intern: Interner): PodEntry {
    const a = JSON.parse(json) as unknown[];
    if (
      !Array.isArray(a) ||
      (a.length !== 12 && a.length !== 13) ||
      typeof a[0] !== 'number' ||
      typeof a[1] !== 'string' ||
      typeof a[2] !== 'string' ||
      typeof a[3] !== 'string'
    ) {
      throw new Error('malformed pod record');
    }
    const e = new PodEntry(key, intern.get(a[1]), a[2], intern.timestamp(a[3]), a[0]);
    e.probability = Number(a[4]);
    e.anomalous = a[5] === true;
    e.type = a[6] as AnomalyType;
    e.since = typeof a[7] === 'number' ? a[7] : NaN;
    e.status = typeof a[8] === 'string' ? intern.get(a[8]) : undefined;
    e.node = typeof a[9] === 'string' ? intern.get(a[9]) : undefined;
    e.workload = typeof a[10] === 'string' ? intern.get(a[10]) : undefined;
    e.contributing = Array.isArray(a[11]) ? (a[11] as ContributingMetric[]) : null;
    return e;
  }

  /** Whether a record (fromRecord's JSON) says the last state array is the pod's forecast state. */
  static recordHasForecast(json: string): boolean {
    return json.endsWith(',true]');
  }

  /** From a version-1 checkpoint's entry. */
  static fromInsight(key: string, i: PodInsight, lastTime: number, intern: Interner): PodEntry {
    const e = new PodEntry(key, intern.get(i.namespace), i.pod, i.timestamp, lastTime);
    e.probability = i.anomaly_probability;
    e.anomalous = i.predicted_anomaly;
    e.type = i.anomaly_type;
    e.since = i.since !== null ? Date.parse(i.since) : NaN;
    e.status = i.status !== undefined ? intern.get(i.status) : undefined;
    e.node = i.node !== undefined ? intern.get(i.node) : undefined;
    e.workload = i.workload !== undefined ? intern.get(i.workload) : undefined;
    e.contributing = i.contributing_metrics;
    return e;
  }
}
