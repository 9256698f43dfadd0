// A checkpoint being written without stalling scoring for long: taken at a position between two read
// batches (position, counters, scores length, shared state), then its per-pod state is copied into a binary
// state file in slices between batches; a pod about to change before its slice is copied first (copy on
// write), so the file holds every pod as it was at the position. Writes, fsyncs and the rename run in the
// libuv thread pool, in the order state file (fsync) → scores file (fsync) → checkpoint (atomic), so the
// checkpoint never points past rows whose scores are not on disk, nor names a state file that is not on disk.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../lib/log.ts';
import { saveCheckpointAsync, type BinaryStateRef, type Checkpoint } from '../../lib/checkpoint.ts';
import { checkpointSlicing, STATE_IN_FLIGHT_MAX, type RowScorer } from './config.ts';
import { noteStall, type AgentPerf } from './perf.ts';
import type { PodEntry } from './pod-entry.ts';
import type { ScoresFile } from './scores-file.ts';
import { removeOldSpillsAsync } from './state-spill.ts';
import { StateFileWriter } from './state-file.ts';

/** The shared record of a version-2 state file. */
export interface SharedState {
  /** feedbackApplied: records of feedback.jsonl applied so far (absent in older checkpoints: 0). */
  agent: { newestTime: number; learning: boolean; feedbackApplied?: number };
  scorer: unknown;
}

export interface CheckpointStart {
  checkpointFile: string;
  /** The state file's name, beside the checkpoint. */
  name: string;
  /** Marks the pods still to copy: PodEntry.cp === id (unique per agent). */
  id: number;
  meta: Omit<Checkpoint, 'state'>;
  shared: SharedState;
  pods: Map<string, PodEntry>;
  scorer: Pick<RowScorer, 'podState'>;
  scores: ScoresFile | null;
  log: Logger;
  perf: AgentPerf;
  /** When taking it started (performance.now()). */
  started: number;
  /** Called once the job is over, written or not. */
  settled: () => void;
}

export class CheckpointJob {
  private readonly cfg: CheckpointStart;
  private readonly writer: StateFileWriter;
  private entries: PodEntry[];
  private cursor = 0;
  /** Milliseconds spent on the scoring thread (capture and slices). */
  threadMs = 0;
  /** Set once every pod is copied: the writes in the thread pool. */
  finishing: Promise<void> | null = null;

  /** Writes the shared record and marks every pod to copy. */
  constructor(cfg: CheckpointStart) {
    this.cfg = cfg;
    mkdirSync(dirname(cfg.checkpointFile), { recursive: true });
    this.writer = new StateFileWriter(join(dirname(cfg.checkpointFile), cfg.name));
    this.writer.addShared(cfg.shared);
    const id = cfg.id;
    const entries: PodEntry[] = new Array<PodEntry>(cfg.pods.size);
    let i = 0;
    for (const e of cfg.pods.values()) {
      e.cp = id;
      entries[i++] = e;
    }
    this.entries = entries;
    noteStall(cfg.perf, cfg.log, cfg.started, 'taking a checkpoint', this);
  }

  /** The disk is behind: slices wait. */
  get diskBehind(): boolean {
    return this.writer.inFlight > STATE_IN_FLIGHT_MAX;
  }

  /** Copies a pod before its state changes (copy on write), unless copied already. */
  beforeChange(e: PodEntry): void {
    if (e.cp === this.cfg.id) this.copyPod(e);
  }

  private copyPod(e: PodEntry): void {
    if (e.cp !== this.cfg.id) return; // copied already (before a change)
    const arrays = this.cfg.scorer.podState(e.key) ?? [];
    this.writer.addPod(e.key, e.toRecord(), e.forecast ? [...arrays, e.forecast] : arrays);
    e.cp = 0;
  }

  /**
   * Copies the next pods, for at most `budgetMs` on this thread; once every pod is copied, finishes in the
   * thread pool: state file (fsync) → scores (fsync) → checkpoint.
   */
  slice(budgetMs = checkpointSlicing.budgetMs): void {
    if (this.finishing) return;
    const t0 = performance.now();
    const n = this.entries.length;
    while (this.cursor < n) {
      if (this.writer.inFlight > STATE_IN_FLIGHT_MAX) break; // the disk is behind: let it catch up
      const stop = Math.min(n, this.cursor + Math.max(1, checkpointSlicing.pods));
      for (; this.cursor < stop; this.cursor++) this.copyPod(this.entries[this.cursor]!);
      if (performance.now() - t0 >= budgetMs) break;
    }
    if (this.cursor >= n) this.finishing = this.finish();
    noteStall(this.cfg.perf, this.cfg.log, t0, 'copying a checkpoint', this);
  }

  /** Copies what is left and waits until the checkpoint is on disk. */
  async complete(): Promise<void> {
    if (!this.finishing) {
      let t0 = performance.now();
      while (this.cursor < this.entries.length) {
        // Bounded memory: never more than STATE_IN_FLIGHT_MAX bytes of the file waiting for the disk.
        if (this.writer.inFlight > STATE_IN_FLIGHT_MAX) {
          this.threadMs += performance.now() - t0;
          await this.writer.drain();
          t0 = performance.now();
        }
        this.copyPod(this.entries[this.cursor++]!);
      }
      this.threadMs += performance.now() - t0;
      this.finishing = this.finish();
    }
    await this.finishing;
  }

  /** Why the checkpoint could not be written, once finished; null when it was. */
  error: Error | null = null;

  /** Stopped while copying: the previous checkpoint stays; drops the partial state file. */
  abort(): Promise<void> {
    return this.writer.abort();
  }

  private async finish(): Promise<void> {
    const { checkpointFile: cpPath, name, log } = this.cfg;
    this.entries = [];
    try {
      const bytes = await this.writer.finish();
      await this.cfg.scores?.syncAsync();
      const state: BinaryStateRef = { format: 'podsentinel-state/1', file: name, bytes, pods: this.writer.pods };
      await saveCheckpointAsync(cpPath, { ...this.cfg.meta, state }); // throws only when not renamed into place
      // The checkpoint now names this state file: a failure from here on must not remove it.
      await removeOldSpillsAsync(cpPath, name).catch((err: unknown) =>
        log.warn(`cannot remove old checkpoint state files: ${(err as Error).message}`),
      );
      const perf = this.cfg.perf;
      perf.checkpoints++;
      perf.checkpoint_write_last_ms = performance.now() - this.cfg.started;
      perf.checkpoint_write_ms += perf.checkpoint_write_last_ms;
      perf.checkpoint_thread_last_ms = this.threadMs;
      perf.checkpoint_thread_ms += this.threadMs;
    } catch (err) {
      // e.g. a full disk: keep scoring; the checkpoint did not advance, so nothing is lost.
      this.error = err as Error;
      log.error(`cannot write the checkpoint: ${(err as Error).message}; retrying next interval`);
      await this.writer.abort();
    } finally {
      this.cfg.settled();
    }
  }
}
