// Per-pod features: MetricRow → the detector's feature vector and hard signals, plus the workload a
// pod belongs to (its siblings share normalisation priors). Rates from cumulative columns (restarts,
// FS totals) need the pod's previous row, kept in PodFeatureState.
import type { MetricRow } from '../lib/metrics-csv.ts';
import type { AnomalyType } from '../lib/schemas.ts';
import type { HardSignal } from './detector-api.ts';

export const POD_FEATURES: readonly string[] = [
  'cpu_pct',
  'mem_pct',
  'mem_slope',
  'restarts_delta',
  'ready_ratio',
  'net_rx',
  'net_tx',
  'net_drops',
  'fs_read_rate',
  'fs_write_rate',
];

/**
 * How the detector treats a feature. `sequence`: normalised per series and run through the shared
 * LSTM plus the level test; `info`: carried for explanations only (its signal is covered elsewhere:
 * mem_slope by the leak trend on mem_pct, restarts/readiness by hard signals).
 * Floors keep the robust scale from collapsing on flat series (abs in the feature's unit, rel of level).
 */
export interface FeatureSpec {
  kind: 'sequence' | 'info';
  absFloor: number;
  relFloor: number;
  /** Anomaly type when this feature leads. */
  type: AnomalyType;
  /** Weight of downward level deviations (a pod's load falling, e.g. after a scale-out, matters less). */
  downWeight: number;
}

const GENERIC: FeatureSpec = { kind: 'sequence', absFloor: 1e-9, relFloor: 0.002, type: 'unknown', downWeight: 1 };

export const FEATURE_SPECS: Record<string, FeatureSpec> = {
  cpu_pct: { kind: 'sequence', absFloor: 1, relFloor: 0.03, type: 'resource_exhaustion', downWeight: 0.5 },
  mem_pct: { kind: 'sequence', absFloor: 0.5, relFloor: 0.01, type: 'resource_exhaustion', downWeight: 0.5 },
  mem_slope: { kind: 'info', absFloor: 0.05, relFloor: 0, type: 'oom_risk', downWeight: 1 },
  restarts_delta: { kind: 'info', absFloor: 1, relFloor: 0, type: 'crash_loop', downWeight: 1 },
  ready_ratio: { kind: 'info', absFloor: 0.1, relFloor: 0, type: 'unknown', downWeight: 1 },
  net_rx: { kind: 'sequence', absFloor: 200, relFloor: 0.03, type: 'network_issue', downWeight: 0.5 },
  net_tx: { kind: 'sequence', absFloor: 200, relFloor: 0.03, type: 'network_issue', downWeight: 0.5 },
  net_drops: { kind: 'sequence', absFloor: 2, relFloor: 0.05, type: 'network_issue', downWeight: 0.5 },
  fs_read_rate: { kind: 'sequence', absFloor: 0.05, relFloor: 0.03, type: 'io_pressure', downWeight: 0.5 },
  fs_write_rate: { kind: 'sequence', absFloor: 0.05, relFloor: 0.03, type: 'io_pressure', downWeight: 0.5 },
  value: GENERIC,
};

export function featureSpec(name: string): FeatureSpec {
  return FEATURE_SPECS[name] ?? GENERIC;
}

export { workloadOf } from '../lib/workload-name.ts';

/** What a pod's previous row leaves behind for rates (serialisable). */
export interface PodFeatureState {
  time: number;
  restarts: number;
  fsReads: number;
  fsWrites: number;
  mem: number;
}

export function initialFeatureState(): PodFeatureState {
  return { time: NaN, restarts: NaN, fsReads: NaN, fsWrites: NaN, mem: NaN };
}

function rate(now: number, before: number, seconds: number): number {
  if (!Number.isFinite(now) || !Number.isFinite(before) || !(seconds > 0)) return NaN;
  const d = now - before;
  return d < 0 ? NaN : d / seconds; // counter reset (container restart): unknown this tick
}

const NONE: HardSignal[] = [];

/** Hard signals Kubernetes itself reports in this row (an empty result is shared: do not push to it). */
export function hardSignals(row: MetricRow): HardSignal[] {
  const status = row.status;
  const reason = row.eventReason;
  // The common row (running, no event) skips the pattern tests: only readiness can speak.
  if (status === 'Running' && reason === '' && row.eventMessage === '')
    return row.readyContainers < row.totalContainers ? ['not_ready'] : NONE;
  const out: HardSignal[] = [];
  if (/CrashLoopBackOff/i.test(status) || (/BackOff/i.test(reason) && /restart/i.test(row.eventMessage))) out.push('crash_loop');
  if (/OOMKill/i.test(status) || /OOMKill/i.test(reason) || /OOMKill/i.test(row.eventMessage)) out.push('oom_killed');
  if (/ImagePull|ErrImage|InvalidImageName/i.test(status)) out.push('image_pull');
  if (/^(Error|Failed|CreateContainerError|CreateContainerConfigError|RunContainerError)$/i.test(status)) out.push('error');
  if (
    /^Running$/i.test(status) &&
    Number.isFinite(row.readyContainers) &&
    Number.isFinite(row.totalContainers) &&
    row.readyContainers < row.totalContainers
  ) {
    out.push('not_ready');
  }
  return out;
}

/** Fills `out` (length POD_FEATURES.length) from a row and the pod's previous one; updates `state`. */
export function podFeatures(row: MetricRow, state: PodFeatureState, out: Float64Array): void {
  const dt = (row.time - state.time) / 1000;
  const memPct = row.memoryPercent;
  out[0] = row.cpuPercent;
  out[1] = memPct;
  // percentage points per minute, so the figure does not depend on the collection interval
  out[2] = Number.isFinite(memPct) && Number.isFinite(state.mem) && dt > 0 ? ((memPct - state.mem) / dt) * 60 : NaN;
  out[3] = Number.isFinite(row.restarts) && Number.isFinite(state.restarts) ? Math.max(0, row.restarts - state.restarts) : NaN;
  out[4] = row.totalContainers > 0 ? row.readyContainers / row.totalContainers : NaN;
  out[5] = row.netRxBytes;
  out[6] = row.netTxBytes;
  out[7] =
    Number.isFinite(row.netRxDropped) || Number.isFinite(row.netTxDropped)
      ? (Number.isFinite(row.netRxDropped) ? row.netRxDropped : 0) + (Number.isFinite(row.netTxDropped) ? row.netTxDropped : 0)
      : NaN;
  out[8] = rate(row.fsReadsMb, state.fsReads, dt);
  out[9] = rate(row.fsWritesMb, state.fsWrites, dt);
  state.time = row.time;
  if (Number.isFinite(row.restarts)) state.restarts = row.restarts;
  if (Number.isFinite(row.fsReadsMb)) state.fsReads = row.fsReadsMb;
  if (Number.isFinite(row.fsWritesMb)) state.fsWrites = row.fsWritesMb;
  if (Number.isFinite(memPct)) state.mem = memPct;
}
