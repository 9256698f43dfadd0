// MetricRow → Observation → Verdict, per pod: derives the pod features (rates need the pod's previous
// row), the hard signals and the workload, drops duplicate rows and timestamps going backwards
// (counted), and checkpoints everything it keeps so a restart resumes exactly.
import type { MetricRow } from '../lib/metrics-csv.ts';
import type { Detector, Verdict } from './detector-api.ts';
import { hardSignals, initialFeatureState, POD_FEATURES, podFeatures, workloadOf, type PodFeatureState } from './pod-features.ts';

export interface PodScore {
  namespace: string;
  pod: string;
  timestamp: string;
  time: number;
  status: string;
  node: string;
  workload?: string;
  verdict: Verdict;
}

export interface PodScorerOptions {
  /** Derive the workload from pod names for sibling priors (default true). */
  groupByWorkload?: boolean;
}

type StateArrays = ReadonlyArray<Float64Array | Float32Array>;

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);
const unnum = (v: unknown): number => (typeof v === 'number' ? v : NaN);

export class PodScorer {
  readonly detector: Detector;
  readonly stats = { scored: 0, duplicates: 0, backwards: 0 };
  private readonly pods = new Map<string, PodFeatureState>();
  /** Each pod's workload (null: none), read off its name once: three regular expressions a row cost more than a lookup. */
  private readonly workloads = new Map<string, string | null>();
  private readonly groupByWorkload: boolean;
  private readonly buf = new Float64Array(POD_FEATURES.length);
  /** Observation.explainFrom of the rows scored from now on. */
  explainFrom = 0;

  constructor(detector: Detector, opts: PodScorerOptions = {}) {
    const f = detector.features;
    if (f.length !== POD_FEATURES.length || f.some((name, i) => name !== POD_FEATURES[i])) {
      throw new Error(
        `detector ${detector.name} must be configured with the pod features (${POD_FEATURES.join(', ')}), not ${f.join(', ')}`,
      );
    }
    this.detector = detector;
    this.groupByWorkload = opts.groupByWorkload ?? true;
  }

  /** `key`: the row's "namespace/pod", when the caller has built it already. */
  score(row: MetricRow, key = `${row.namespace}/${row.pod}`): PodScore | null {
    let st = this.pods.get(key);
    if (st) {
      if (row.time === st.time) {
        this.stats.duplicates++;
        return null;
      }
      if (row.time < st.time) {
        this.stats.backwards++;
        return null;
      }
    } else {
      st = initialFeatureState();
      this.pods.set(key, st);
    }
    podFeatures(row, st, this.buf);
    let workload: string | undefined;
    if (this.groupByWorkload) {
      const known = this.workloads.get(key);
      if (known === undefined) {
        workload = workloadOf(row.namespace, row.pod);
        this.workloads.set(key, workload ?? null);
      } else workload = known ?? undefined;
    }
    const hard = hardSignals(row);
    const verdict = this.detector.observe({
      key,
      group: workload,
      time: row.time,
      values: this.buf,
      hard: hard.length > 0 ? hard : undefined,
      explainFrom: this.explainFrom,
    });
    this.stats.scored++;
    const out: PodScore = {
      namespace: row.namespace,
      pod: row.pod,
      timestamp: row.timestamp,
      time: row.time,
      status: row.status,
      node: row.node,
      verdict,
    };
    if (workload) out.workload = workload;
    return out;
  }

  scoreBatch(rows: readonly MetricRow[]): Array<PodScore | null> {
    const out = new Array<PodScore | null>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.score(rows[i]!);
    return out;
  }

  forget(namespace: string, pod: string): void {
    const key = `${namespace}/${pod}`;
    this.pods.delete(key);
    this.workloads.delete(key);
    this.detector.forget(key);
  }

  /**
   * Operator feedback: the detector re-learns the pod from its next row (Detector.rebaseline, else forget);
   * the pod's previous row stays for rates. False when the pod has no state.
   */
  rebaseline(namespace: string, pod: string): boolean {
    const key = `${namespace}/${pod}`;
    if (!this.pods.has(key)) return false;
    if (this.detector.rebaseline) this.detector.rebaseline(key);
    else this.detector.forget(key);
    return true;
  }

  /** Pods with state. */
  get size(): number {
    return this.pods.size;
  }

  snapshot(): unknown {
    const pods: Record<string, Array<number | null>> = {};
    for (const [k, s] of this.pods) pods[k] = [num(s.time), num(s.restarts), num(s.fsReads), num(s.fsWrites), num(s.mem)];
    return { v: 1, stats: { ...this.stats }, pods, detector: this.detector.snapshot() };
  }

  restore(state: unknown): void {
    const s = state as { v?: number; stats?: PodScorer['stats']; pods?: Record<string, unknown[]>; detector?: unknown };
    if (!s || s.v !== 1 || typeof s.pods !== 'object' || s.pods === null) throw new Error('pod scorer snapshot has an unknown format');
    this.detector.restore(s.detector);
    this.pods.clear();
    this.workloads.clear();
    for (const [k, a] of Object.entries(s.pods)) {
      if (!Array.isArray(a) || a.length !== 5) throw new Error(`pod scorer snapshot entry ${k} is malformed`);
      this.pods.set(k, { time: unnum(a[0]), restarts: unnum(a[1]), fsReads: unnum(a[2]), fsWrites: unnum(a[3]), mem: unnum(a[4]) });
    }
    if (s.stats) Object.assign(this.stats, s.stats);
  }

  // ---- Binary checkpoints (agents/dataset-generator/state-file.ts) ----

  /** State that is not per pod; with a detector lacking per-series access, its whole snapshot. */
  snapshotShared(): unknown {
    const d = this.detector;
    const perSeries = !!(d.snapshotShared && d.seriesState && d.restoreShared && d.restoreSeries);
    return { v: 2, stats: { ...this.stats }, perSeries, detector: perSeries ? d.snapshotShared!() : d.snapshot() };
  }

  /** Clears every pod and restores the shared state; the pods follow through restorePod(). */
  restoreShared(state: unknown): void {
    const s = state as { v?: number; stats?: PodScorer['stats']; perSeries?: boolean; detector?: unknown };
    if (!s || s.v !== 2 || typeof s.perSeries !== 'boolean') throw new Error('pod scorer snapshot has an unknown format');
    const d = this.detector;
    if (s.perSeries) {
      if (!d.restoreShared) throw new Error(`detector ${d.name} cannot restore per-series state`);
      d.restoreShared(s.detector);
    } else d.restore(s.detector);
    this.pods.clear();
    this.workloads.clear();
    if (s.stats) Object.assign(this.stats, s.stats);
  }

  /** A pod's state as live arrays: its feature state (copied), then the detector's arrays; null if unknown. */
  podState(key: string): StateArrays | null {
    const st = this.pods.get(key);
    if (!st) return null;
    const feat = Float64Array.of(st.time, st.restarts, st.fsReads, st.fsWrites, st.mem);
    const det = this.detector.seriesState?.(key);
    return det ? [feat, ...det] : [feat];
  }

  restorePod(key: string, arrays: StateArrays): void {
    const [feat, ...det] = arrays;
    if (!(feat instanceof Float64Array) || feat.length !== 5) throw new Error(`pod scorer snapshot entry ${key} is malformed`);
    this.pods.set(key, { time: feat[0]!, restarts: feat[1]!, fsReads: feat[2]!, fsWrites: feat[3]!, mem: feat[4]! });
    if (det.length > 0) {
      if (!this.detector.restoreSeries) throw new Error(`detector ${this.detector.name} cannot restore per-series state`);
      this.detector.restoreSeries(key, det);
    }
  }
}
