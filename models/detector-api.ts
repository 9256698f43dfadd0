// The one interface every detector implements: the LSTM detector the agent runs, its baselines, and
// the same classes configured for a single feature on NAB. Detectors see observations of keyed series
// (a pod, or a NAB file) one at a time, in time order, and never look ahead.
import type { AnomalyType, ContributingMetric } from '../lib/schemas.ts';

/** A condition reported by Kubernetes itself, strong enough to raise the probability directly. */
export type HardSignal = 'crash_loop' | 'oom_killed' | 'not_ready' | 'image_pull' | 'error';

export interface Observation {
  /** Series identity, e.g. "namespace/pod". */
  key: string;
  /** Workload identity for sibling priors, e.g. "namespace/Deployment/web"; undefined when unknown. */
  group?: string | undefined;
  /** Epoch milliseconds. */
  time: number;
  /** Raw feature values in the detector's feature order; NaN = unknown. */
  values: Float64Array;
  /** Hard signals seen in this row (status, restarts, readiness, events). */
  hard?: readonly HardSignal[] | undefined;
  /**
   * The verdict's `contributing` is only needed from this probability on (or while anomalous); below, a
   * detector may leave it empty instead of ranking the channels (the agent details few of 150,000 pods).
   * Default 0: always.
   */
  explainFrom?: number | undefined;
}

export interface Verdict {
  /** Calibrated probability that the series is anomalous now (0..1). */
  probability: number;
  /** probability >= the detector's threshold, after persistence/hysteresis. */
  anomalous: boolean;
  type: AnomalyType;
  contributing: ContributingMetric[];
  /** Epoch ms when the current anomalous stretch began, or null. */
  since: number | null;
  /**
   * Score (0..1) of a new alert starting at this observation: high when the evidence rises above its
   * own recent peak, damped while an already-raised stretch continues. A streaming benchmark that
   * counts every row above its threshold as a detection (NAB) scores this; undefined = probability.
   */
  onset?: number;
}

export interface Detector {
  readonly name: string;
  /** Feature names, in the order of Observation.values. */
  readonly features: readonly string[];
  observe(obs: Observation): Verdict;
  /** Scores many observations (possibly of many series) at once; same results as observe() in order. */
  observeBatch?(batch: readonly Observation[]): Verdict[];
  /** Drops a series' state (pod deleted). */
  forget(key: string): void;
  /**
   * Operator feedback ("not an anomaly"): the series' current behaviour is normal. The detector learns the
   * series again from its next observation, as a running pod it has just met, so the pattern that alerted
   * becomes its baseline after a short warm-up. Without it the caller forgets the series (the same, with a
   * new pod's longer start-up ramp).
   */
  rebaseline?(key: string): void;
  /** Serialisable state of every series, for checkpoints; restore() resumes exactly. */
  snapshot(): unknown;
  restore(state: unknown): void;
  /**
   * Optional per-series access for binary checkpoints (the agent writes them in slices, off the scoring
   * thread): the state shared by all series (small, JSON-serialisable), and each series' state as its live
   * typed arrays (copied by the caller before the next observe()). restoreShared() clears every series;
   * restoreSeries() may keep the arrays it is given.
   */
  snapshotShared?(): unknown;
  restoreShared?(state: unknown): void;
  seriesState?(key: string): ReadonlyArray<Float64Array | Float32Array> | null;
  restoreSeries?(key: string, arrays: ReadonlyArray<Float64Array | Float32Array>): void;
}

/** What a detector factory is given: the registry's --detector options (models/registry.ts). */
export interface DetectorOptions {
  /** Feature names, in Observation.values order (the pod features, or ['value'] for one series). */
  features: readonly string[];
  /** Alert threshold on the calibrated probability (0..1). */
  threshold: number;
  /** Model artifact directory (LSTM); default models/artifacts/default. */
  modelDir?: string | undefined;
}

/** Builds a detector; each family (lstm/, baselines/) exports its factories by name. */
export type DetectorFactory = (opts: DetectorOptions) => Detector | Promise<Detector>;
