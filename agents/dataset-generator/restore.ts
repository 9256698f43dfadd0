// Resuming from a checkpoint: its position and counters, and the per-pod state it holds restored into the
// scorer and a new pod map.
import { basename, dirname, join, resolve } from 'node:path';
import { BinaryStateRef, loadCheckpoint } from '../../lib/checkpoint.ts';
import type { TailPosition } from '../../lib/csv-tailer.ts';
import type { Logger } from '../../lib/log.ts';
import type { PodInsight } from '../../lib/schemas.ts';
import type { SharedState } from './checkpoint-job.ts';
import type { AgentConfig, RowScorer } from './config.ts';
import { PodEntry, type Interner } from './pod-entry.ts';
import { readStateFile } from './state-file.ts';
import { isForecastState } from '../../models/forecast.ts';
import { unspillState } from './state-spill.ts';

/** Version-1 checkpoint state (JSON), still restored. */
interface AgentState {
  scorer: unknown;
  pods: Array<[string, { insight: PodInsight; lastTime: number }]>;
  newestTime: number;
  /** Still reading the history present at the first start (no alerts, no score lines yet). */
  learning?: boolean;
}

export interface RestoredState {
  pods: Map<string, PodEntry>;
  newestTime?: number | undefined;
  learning?: boolean | undefined;
  feedbackApplied?: number | undefined;
}

/** Version-1 state: JSON inline or in its ndjson sidecar (state-spill.ts). */
export function restoreV1(checkpointFile: string, stored: unknown, scorer: RowScorer, intern: Interner): RestoredState {
  const st = unspillState(checkpointFile, stored ?? {}) as Partial<AgentState>;
  scorer.restore(st.scorer);
  const pods = new Map((st.pods ?? []).map(([k, p]) => [k, PodEntry.fromInsight(k, p.insight, p.lastTime, intern)]));
  return { pods, newestTime: st.newestTime, learning: st.learning };
}

/** Version-2 state: the binary state file the checkpoint names (its length and pod count checked). */
export function restoreV2(checkpointFile: string, stored: unknown, scorer: RowScorer, intern: Interner): RestoredState {
  const ref = BinaryStateRef.safeParse(stored);
  if (!ref.success) throw new Error('the checkpoint does not name a state file');
  const file = join(dirname(checkpointFile), basename(ref.data.file));
  let shared: SharedState | null = null;
  const pods = new Map<string, PodEntry>();
  const { pods: n } = readStateFile(
    file,
    {
      shared: (v) => {
        shared = v as SharedState;
        scorer.restoreShared(shared.scorer);
      },
      pod: (key, json, arrays) => {
        if (!shared) throw new Error(`${file}: pod record before the shared record`);
        if (pods.has(key)) throw new Error(`${file}: two records for ${key}`);
        const e = PodEntry.fromRecord(key, json, intern);
        pods.set(key, e);
        // the forecast state rides last (PodEntry.toRecord); one of another layout is dropped and learnt again
        if (PodEntry.recordHasForecast(json)) {
          const fc = arrays.pop();
          e.forecast = fc instanceof Float64Array && isForecastState(fc) ? fc : null;
        }
        if (arrays.length > 0) scorer.restorePod(key, arrays);
      },
    },
    ref.data.bytes,
  );
  if (n !== ref.data.pods) throw new Error(`${file} holds ${n} pods, the checkpoint says ${ref.data.pods}`);
  const sh = shared as SharedState | null;
  return sh ? { pods, newestTime: sh.agent.newestTime, learning: sh.agent.learning, feedbackApplied: sh.agent.feedbackApplied } : { pods };
}

export interface Resumed {
  scorer: RowScorer;
  pods: Map<string, PodEntry>;
  newestTime: number;
  learning: boolean;
  /** Records of the feedback file applied up to the checkpoint's position. */
  feedbackApplied: number;
  position: TailPosition;
  scoresBytes: number | null;
  counters: { rows_read: number; rows_rejected: number };
}

/**
 * The state of cfg.checkpointFile, or null when there is none or it belongs to another input or detector.
 * State that cannot be restored (e.g. written by another model version) is replaced by a `freshScorer` and
 * no pods, keeping the checkpoint's position; without `freshScorer`, the error is thrown.
 */
export async function resumeFromCheckpoint(
  cfg: AgentConfig,
  scorer: RowScorer,
  freshScorer: (() => Promise<RowScorer>) | undefined,
  intern: Interner,
  log: Logger,
): Promise<Resumed | null> {
  const loaded = cfg.checkpointFile ? loadCheckpoint(cfg.checkpointFile) : null;
  if (loaded && !loaded.ok) log.warn(`ignoring the checkpoint: ${loaded.reason}; starting from the beginning of the input`);
  if (!loaded?.ok) return null;
  const cp = loaded.checkpoint;
  if (cp.input_file !== resolve(cfg.inputFile) || cp.detector !== cfg.detectorName) {
    log.warn(`ignoring the checkpoint ${cfg.checkpointFile}: it belongs to ${cp.input_file} with detector ${cp.detector}`);
    return null;
  }
  let st: RestoredState;
  try {
    st = (cp.version === 1 ? restoreV1 : restoreV2)(cfg.checkpointFile!, cp.state, scorer, intern);
    if (cp.version === 1) log.info('migrating a version-1 checkpoint (JSON state): the next checkpoint is written in the binary format');
  } catch (err) {
    if (!freshScorer) throw err;
    log.warn(
      `the checkpoint's per-pod state cannot be restored (${(err as Error).message}); continuing from its position with fresh state`,
    );
    scorer = await freshScorer();
    st = { pods: new Map() };
  }
  log.info(`resuming from the checkpoint: line ${cp.position.lineNo}, byte ${cp.position.offset} of ${cfg.inputFile}`);
  return {
    scorer,
    pods: st.pods,
    newestTime: st.newestTime ?? -Infinity,
    learning: st.learning ?? false,
    feedbackApplied: st.feedbackApplied ?? 0,
    position: cp.position,
    scoresBytes: cp.scores_bytes,
    counters: cp.counters,
  };
}
