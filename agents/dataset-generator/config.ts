// What the dataset-generator agent is given: its configuration, the scorer it drives, and the tuning
// constants of its periodic outputs.
import type { MetricRow } from '../../lib/metrics-csv.ts';
import type { ModelInfo } from '../../lib/schemas.ts';
import type { PodScore } from '../../models/pod-scorer.ts';
import type { StateArray } from './state-file.ts';

/** What the agent needs from the pod scorer: its results, and the state it checkpoints. */
export type ScoredRow = PodScore;
export interface RowScorer {
  /** `key`: the row's "namespace/pod" when the caller has it (the agent does: one string a row, not two). */
  score(row: MetricRow, key?: string): ScoredRow | null;
  /** The verdicts' contributing metrics are needed from this probability on (Observation.explainFrom). */
  explainFrom: number;
  forget(namespace: string, pod: string): void;
  /** Operator feedback: the pod's model learns it again from its next row (PodScorer.rebaseline). */
  rebaseline(namespace: string, pod: string): boolean;
  /** Version-1 checkpoints (JSON state): still restored, never written. */
  restore(state: unknown): void;
  /** Version-2 checkpoints: shared state, then each pod's typed arrays (see PodScorer). */
  snapshotShared(): unknown;
  restoreShared(state: unknown): void;
  podState(key: string): readonly StateArray[] | null;
  restorePod(key: string, arrays: readonly StateArray[]): void;
}

export interface AgentConfig {
  inputFile: string;
  insightsFile: string;
  scoresFile?: string | undefined;
  checkpointFile?: string | undefined;
  /** Seconds between insights/checkpoint writes. */
  watchInterval: number;
  /**
   * Seconds between checkpoints while following (default: watchInterval). A checkpoint copies every pod's
   * state (its cost to the scoring thread at 150,000 pods: docs/BENCHMARKS.md), so a large cluster may take one
   * less often; a restart then scores again the rows since the last one (never loses or repeats a score line).
   */
  checkpointInterval?: number | undefined;
  threshold: number;
  fromStart: boolean;
  /** Seconds (of row time) without a row after which a pod is forgotten. */
  forgetAfter: number;
  detectorName: string;
  model: ModelInfo;
  /**
   * Operator feedback (lib/feedback.ts) to apply: "not an anomaly" records re-baseline their pod or workload.
   * Undefined: feedback.jsonl beside the insights file.
   */
  feedbackFile?: string | undefined;
  /** Score only the pods of this hash shard (several agents share one input); default all. */
  shard?: { index: number; count: number } | undefined;
  /**
   * Up to this many pods, pod_insights.json has a full entry for every pod; beyond it, full entries only
   * for pods at or above half the threshold (every anomalous pod) and a compact `other_pods` list for the
   * rest. Default INSIGHTS_DETAIL_MAX.
   */
  insightsDetailMax?: number | undefined;
}

export { INSIGHTS_DETAIL_MAX } from './options.ts';

/** Bytes of a state file handed to writes and not yet written, beyond which the slices wait. */
export const STATE_IN_FLIGHT_MAX = 16 << 20;
/**
 * Slices of the periodic outputs between read batches: pods copied into a checkpoint, and pods added to the
 * insights, between two checks of the time budget; the budget (tests lower them).
 */
export const checkpointSlicing = { pods: 256, insightsPods: 1024, budgetMs: 8 };
