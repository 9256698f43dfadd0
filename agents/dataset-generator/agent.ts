// The dataset-generator agent's engine: tail the CSV, score each row through the pod scorer, print
// alerts, append the scores file, and every interval write pod_insights.json, the checkpoint and the
// heartbeat. None of the periodic writes stalls scoring for long (the p99 append-to-score latency):
// - the checkpoint is taken at a position between two read batches (position, counters, scores length,
//   shared state), then its per-pod state is copied into a binary state file in slices between batches;
//   a pod about to change before its slice is copied first (copy on write), so the file holds every pod
//   as it was at the position. Writes, fsyncs and the rename run in the libuv thread pool, in the order
//   state file (fsync) → scores file (fsync) → checkpoint (atomic), so the checkpoint never points past
//   rows whose scores are not on disk, nor names a state file that is not on disk.
// - pod_insights.json is built on the thread (compact beyond --insights-detail-max pods) and written in
//   the thread pool.
// Counters: rows_read = rows that parsed; rows_rejected = malformed lines, plus parsed rows dropped: a
// duplicate or a timestamp going backwards for its pod (the scorer), or a late row (more than forgetAfter
// before the newest row, and not part of a clock jump). Each rejection is logged, rate-limited per reason.
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { Logger } from '../../lib/log.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { CsvTailer, type TailBatch, type TailPosition } from '../../lib/csv-tailer.ts';
import { RejectLog } from '../../lib/reject-log.ts';
import { BinaryStateRef, CHECKPOINT_VERSION, loadCheckpoint, saveCheckpointAsync, type Checkpoint } from '../../lib/checkpoint.ts';
import { writeFileAtomicAsync } from '../../lib/atomic-file.ts';
import { heartbeat, writeHeartbeatAsync } from '../../lib/heartbeat.ts';
import { INSIGHTS_DETAIL_MAX } from './options.ts';
import { checkpointStateFileName, heartbeatFileName, heartbeatPath } from '../../lib/pipeline-files.ts';
import { PodInsights, type ModelInfo, type PodInsight } from '../../lib/schemas.ts';
import type { PodScore } from '../../models/pod-scorer.ts';
import { ScoresFile } from './scores-file.ts';
import { removeOldSpillsAsync, unspillState } from './state-spill.ts';
import { readStateFile, StateFileWriter, type StateArray } from './state-file.ts';
import { detached, Interner, PodEntry } from './pod-entry.ts';

/** What the agent needs from the pod scorer: its results, and the state it checkpoints. */
export type ScoredRow = PodScore;
export interface RowScorer {
  score(row: MetricRow): ScoredRow | null;
  forget(namespace: string, pod: string): void;
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
  /** Score only the pods of this hash shard (several agents share one input); default all. */
  shard?: { index: number; count: number } | undefined;
  /**
   * Up to this many pods, pod_insights.json has a full entry for every pod; beyond it, full entries only
   * for pods at or above half the threshold (every anomalous pod) and a compact `other_pods` list for the
   * rest. Default INSIGHTS_DETAIL_MAX.
   */
  insightsDetailMax?: number | undefined;
}

export { INSIGHTS_DETAIL_MAX };
/** Bytes of a state file handed to writes and not yet written, beyond which the slices wait. */
const STATE_IN_FLIGHT_MAX = 16 << 20;
/**
 * Slices of the periodic outputs between read batches: pods copied into a checkpoint, and pods added to the
 * insights, between two checks of the time budget; the budget (tests lower them).
 */
export const checkpointSlicing = { pods: 256, insightsPods: 1024, budgetMs: 8 };

/** FNV-1a of "namespace/pod": the shard a pod belongs to, stable across processes and restarts. */
export function shardOf(namespace: string, pod: string, count: number): number {
  let h = 0x811c9dc5;
  const key = `${namespace}/${pod}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}


/** Version-1 checkpoint state (JSON), still restored. */
interface AgentState {
  scorer: unknown;
  pods: Array<[string, { insight: PodInsight; lastTime: number }]>;
  newestTime: number;
  /** Still reading the history present at the first start (no alerts, no score lines yet). */
  learning?: boolean;
}

/** The shared record of a version-2 state file. */
interface SharedState {
  agent: { newestTime: number; learning: boolean };
  scorer: unknown;
}

/** pod_insights.json being built in slices (beyond insightsDetailMax pods). */
interface InsightsJob {
  header: Omit<PodInsights, 'pods' | 'other_pods'>;
  compact: boolean;
  entries: PodEntry[];
  cursor: number;
  full: PodInsight[];
  /** other_pods entries as JSON text, comma-separated runs of entries. */
  brief: string[];
  anomalies: number;
  started: number;
  threadMs: number;
}

/** A checkpoint being written: taken at one position, its pods copied in slices. */
interface CheckpointJob {
  meta: Omit<Checkpoint, 'state'>;
  writer: StateFileWriter;
  name: string;
  /** Marks the pods still to copy: PodEntry.cp === id. */
  id: number;
  entries: PodEntry[];
  cursor: number;
  started: number;
  /** Milliseconds spent on the scoring thread (capture and slices). */
  threadMs: number;
  finishing: Promise<void> | null;
}

export const HEARTBEAT_NAME = heartbeatFileName('dataset-generator-agent');

/**
 * Where the agent's time goes (milliseconds, cumulative), reported in the heartbeat for `npm run bench:perf`.
 * parse_ms: reading, decoding and parsing the CSV (the tailer); score_ms: features, detector and the
 * agent's per-row bookkeeping, alerts and score lines; insights/checkpoint: the periodic writes.
 */
export interface AgentPerf {
  parse_ms: number;
  score_ms: number;
  rows_scored: number;
  insights_writes: number;
  insights_write_ms: number;
  insights_write_last_ms: number;
  insights_write_max_ms: number;
  /** Building and serialising the last pod_insights.json on the scoring thread (the write itself is not). */
  insights_build_last_ms: number;
  checkpoint_write_ms: number;
  checkpoint_write_last_ms: number;
  /** Of those, time on the scoring thread (taking the checkpoint and copying its pods). */
  checkpoint_thread_ms: number;
  checkpoint_thread_last_ms: number;
  checkpoints: number;
  /** Intervals whose checkpoint was not started because the previous one was still being written. */
  checkpoints_skipped: number;
  /** Largest single stall of the scoring thread by a periodic write (insights build, checkpoint start or slice). */
  output_stall_max_ms: number;
  /** Garbage-collection pauses of the scoring thread (V8 'gc' performance entries). */
  gc_pause_max_ms: number;
  gc_pause_ms: number;
}

export class DatasetAgent {
  readonly cfg: AgentConfig;
  rowsRead = 0;
  rowsRejected = 0;
  readonly perf: AgentPerf = {
    parse_ms: 0,
    score_ms: 0,
    rows_scored: 0,
    insights_writes: 0,
    insights_write_ms: 0,
    insights_write_last_ms: 0,
    insights_write_max_ms: 0,
    insights_build_last_ms: 0,
    checkpoint_write_ms: 0,
    checkpoint_write_last_ms: 0,
    checkpoint_thread_ms: 0,
    checkpoint_thread_last_ms: 0,
    checkpoints: 0,
    checkpoints_skipped: 0,
    output_stall_max_ms: 0,
    gc_pause_max_ms: 0,
    gc_pause_ms: 0,
  };
  private gcObserver: PerformanceObserver | null = null;
  private readonly log: Logger;
  /** Parsed rows the agent rejects (duplicate, out of order, late), logged rate-limited. */
  private readonly rejects: RejectLog;
  private scorer: RowScorer;
  private readonly freshScorer: (() => Promise<RowScorer>) | undefined;
  private readonly print: (line: string) => void;
  private tailer!: CsvTailer;
  private scores: ScoresFile | null = null;
  private pods = new Map<string, PodEntry>();
  private newestTime = -Infinity;
  /** Consecutive rows far behind newestTime, held until they prove a clock jump or are late (see holdBehind). */
  private held: MetricRow[] = [];
  private heldMax = -Infinity;
  /** True while the rows present at start-up are read to warm the state (no alerts, no score lines). */
  private learning = false;
  private job: CheckpointJob | null = null;
  private jobSeq = 0;
  private lastCheckpointAt = 0;
  private readonly intern = new Interner();
  /** pod_insights.json details every pod up to this many, else only pods at or above detailFrom. */
  private readonly detailMax: number;
  private readonly detailFrom: number;
  private insightsWrite: Promise<void> | null = null;
  private insights: InsightsJob | null = null;
  private stateSeq = 0;
  /** Writing the last outputs (--once, a stop): the heartbeat says 'stopped'. */
  private finishing = false;

  /**
   * `freshScorer` builds a new scorer when the checkpoint's state cannot be restored (e.g. written by
   * another model version): the agent then keeps the checkpoint's position with fresh per-pod state.
   */
  constructor(cfg: AgentConfig, scorer: RowScorer, log: Logger, print: (line: string) => void, freshScorer?: () => Promise<RowScorer>) {
    this.cfg = cfg;
    this.detailMax = cfg.insightsDetailMax ?? INSIGHTS_DETAIL_MAX;
    this.detailFrom = cfg.threshold / 2;
    this.scorer = scorer;
    this.freshScorer = freshScorer;
    this.log = log;
    this.rejects = new RejectLog(log, 'rows rejected');
    this.print = print;
  }

  /** Resumes from the checkpoint (unless --from-start) and opens the input and the scores file. */
  async open(): Promise<void> {
    const cfg = this.cfg;
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.perf.gc_pause_ms += e.duration;
        if (e.duration > this.perf.gc_pause_max_ms) this.perf.gc_pause_max_ms = e.duration;
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    let position: TailPosition | undefined;
    let scoresBytes: number | null = null;
    let learning = !cfg.fromStart;
    const loaded = cfg.checkpointFile && !cfg.fromStart ? loadCheckpoint(cfg.checkpointFile) : null;
    if (loaded && !loaded.ok) this.log.warn(`ignoring the checkpoint: ${loaded.reason}; starting from the beginning of the input`);
    if (loaded?.ok) {
      const cp = loaded.checkpoint;
      if (cp.input_file !== resolve(cfg.inputFile) || cp.detector !== cfg.detectorName) {
        this.log.warn(`ignoring the checkpoint ${cfg.checkpointFile}: it belongs to ${cp.input_file} with detector ${cp.detector}`);
      } else {
        let st: { newestTime?: number; learning?: boolean };
        try {
          st = cp.version === 1 ? this.restoreV1(cp.state) : this.restoreV2(cp.state);
          if (cp.version === 1) this.log.info('migrating a version-1 checkpoint (JSON state): the next checkpoint is written in the binary format');
        } catch (err) {
          if (!this.freshScorer) throw err;
          this.log.warn(`the checkpoint's per-pod state cannot be restored (${(err as Error).message}); continuing from its position with fresh state`);
          this.scorer = await this.freshScorer();
          this.pods = new Map();
          st = {};
        }
        this.newestTime = st.newestTime ?? -Infinity;
        position = cp.position;
        scoresBytes = cp.scores_bytes;
        this.rowsRead = cp.counters.rows_read;
        this.rowsRejected = cp.counters.rows_rejected;
        learning = st.learning ?? false;
        this.log.info(`resuming from the checkpoint: line ${cp.position.lineNo}, byte ${cp.position.offset} of ${cfg.inputFile}`);
      }
    }
    this.learning = learning;
    this.tailer = new CsvTailer({ path: cfg.inputFile, logger: this.log, position, chunkBytes: 1024 * 1024 });
    if (cfg.scoresFile) {
      const { file, note } = ScoresFile.open(cfg.scoresFile, position ? scoresBytes : null);
      this.scores = file;
      if (note) this.log.info(note);
    }
  }

  /** Version-1 state: JSON inline or in its ndjson sidecar (state-spill.ts). */
  private restoreV1(stored: unknown): { newestTime?: number; learning?: boolean } {
    const st = unspillState(this.cfg.checkpointFile!, stored ?? {}) as Partial<AgentState>;
    this.scorer.restore(st.scorer);
    this.pods = new Map((st.pods ?? []).map(([k, p]) => [k, PodEntry.fromInsight(k, p.insight, p.lastTime, this.intern)]));
    return st;
  }

  /** Version-2 state: the binary state file the checkpoint names (its length and pod count checked). */
  private restoreV2(stored: unknown): { newestTime?: number; learning?: boolean } {
    const ref = BinaryStateRef.safeParse(stored);
    if (!ref.success) throw new Error('the checkpoint does not name a state file');
    const file = join(dirname(this.cfg.checkpointFile!), basename(ref.data.file));
    let shared: SharedState | null = null;
    const pods = new Map<string, PodEntry>();
    const { pods: n } = readStateFile(
      file,
      {
        shared: (v) => {
          shared = v as SharedState;
          this.scorer.restoreShared(shared.scorer);
        },
        pod: (key, json, arrays) => {
          if (!shared) throw new Error(`${file}: pod record before the shared record`);
          if (pods.has(key)) throw new Error(`${file}: two records for ${key}`);
          pods.set(key, PodEntry.fromRecord(key, json, this.intern));
          if (arrays.length > 0) this.scorer.restorePod(key, arrays);
        },
      },
      ref.data.bytes,
    );
    if (n !== ref.data.pods) throw new Error(`${file} holds ${n} pods, the checkpoint says ${ref.data.pods}`);
    this.pods = pods;
    const sh = shared as SharedState | null;
    return sh ? { newestTime: sh.agent.newestTime, learning: sh.agent.learning } : {};
  }

  /**
   * Reads and scores the complete rows available now, for at most `budgetMs` (so a long backlog does
   * not hold up the insights and heartbeat); `drained` tells whether it reached the end of the input.
   * `final`: nothing more will be appended (--once), so an unterminated last line is read too.
   */
  processAvailable(budgetMs = Infinity, final = false): { rows: number; drained: boolean } {
    const end = Date.now() + budgetMs;
    let rows = 0;
    let drained = false;
    const perf = this.perf;
    for (;;) {
      const t0 = performance.now();
      const batch = this.tailer.read(1024 * 1024);
      const t1 = performance.now();
      perf.parse_ms += t1 - t0;
      // Nothing consumed: at the end. (A read that only skipped part of an over-long line has no rows but
      // made progress.)
      if (batch.rows.length === 0 && batch.rejected === 0 && batch.bytes === 0) {
        // Nothing more will come (--once): a last line without its newline is read as complete.
        if (final) rows += this.consume(this.tailer.readUnterminated(), t1);
        drained = true;
        break;
      }
      rows += this.consume(batch, t1);
      this.checkpointSlice();
      this.insightsSlice();
      if (Date.now() >= end) break;
    }
    if (drained && this.learning) {
      this.learning = false;
      this.log.info(`learned from ${this.rowsRead} existing rows (${this.pods.size} pods); alerting on new rows from now on`);
    }
    return { rows, drained };
  }

  /** Counts and scores a batch of rows read at `t1`; returns its row count. */
  private consume(batch: TailBatch, t1: number): number {
    const perf = this.perf;
    this.rowsRejected += batch.rejected;
    this.rowsRead += batch.rows.length;
    for (const row of batch.rows) this.handle(row);
    // Score lines reach the file after every batch (fsync waits for the checkpoint), so a reader of
    // the scores file sees a row within one batch of its append, not one watch interval.
    this.scores?.writeBuffered();
    perf.score_ms += performance.now() - t1;
    perf.rows_scored += batch.rows.length;
    return batch.rows.length;
  }

  /**
   * A row more than `forgetAfter` before the newest row seen is held, not scored: either the input's clock
   * jumped back (a replayed or regenerated file, a simulated cluster restarted with the same pod names) or
   * it is a late row. A run of such rows as long as there are pods (at least 20) is a clock jump: the data
   * clock follows them and they are scored, so pods are not forgotten over and over. A row in time breaks
   * the run: the held rows were late, and are rejected, so a late row never moves a pod back in time nor
   * has live pods forgotten. True when the row was held.
   */
  private holdBehind(row: MetricRow): boolean {
    if (!(row.time < this.newestTime - this.cfg.forgetAfter * 1000)) {
      if (this.held.length > 0) this.rejectHeld();
      return false;
    }
    this.held.push(row);
    if (row.time > this.heldMax) this.heldMax = row.time;
    if (this.held.length >= Math.max(20, this.pods.size)) {
      this.log.warn(`the input's timestamps jumped back from ${new Date(this.newestTime).toISOString()} to ${new Date(this.heldMax).toISOString()}; following them`);
      this.newestTime = this.heldMax;
      const rows = this.held;
      this.held = [];
      this.heldMax = -Infinity;
      for (const r of rows) this.score(r);
    }
    return true;
  }

  /** The held rows did not prove a clock jump: they are late rows. */
  private rejectHeld(): void {
    const newest = new Date(this.newestTime).toISOString();
    for (const r of this.held) this.reject(r, 'late', `more than ${this.cfg.forgetAfter} s before the newest row, ${newest}`);
    this.held = [];
    this.heldMax = -Infinity;
  }

  private handle(row: MetricRow): void {
    const shard = this.cfg.shard;
    if (shard && shard.count > 1 && shardOf(row.namespace, row.pod, shard.count) !== shard.index) return;
    if (!this.holdBehind(row)) this.score(row);
  }

  private score(row: MetricRow): void {
    const key = `${row.namespace}/${row.pod}`;
    let e = this.pods.get(key);
    if (e && this.job) this.beforeChange(e);
    if (e && row.time < e.lastTime - this.cfg.forgetAfter * 1000) {
      // Far behind its last row but not behind the clock (holdBehind): the clock jumped back and this is
      // another incarnation of the pod name. Start it afresh instead of rejecting its rows as "backwards".
      this.log.debug(`${key}: timestamp ${row.timestamp} is far before its last row (${e.timestamp}); treating it as a new pod`);
      this.scorer.forget(row.namespace, row.pod);
      this.pods.delete(key);
      e = undefined;
    }
    const s = this.scorer.score(row);
    if (!s) {
      // a duplicate, or a timestamp going backwards (counted by the scorer too)
      const reason = !e ? 'rejected by the scorer' : row.time === e.lastTime ? 'duplicate' : 'out of order';
      this.reject(row, reason, e ? `its last row is at ${e.timestamp}` : '');
      return;
    }
    const v = s.verdict;
    const intern = this.intern;
    const was = e?.anomalous ?? false;
    if (!e) {
      e = new PodEntry(key, intern.get(s.namespace), detached(s.pod), s.timestamp, s.time);
      this.pods.set(key, e);
    }
    const probability = Math.min(1, Math.max(0, Number.isFinite(v.probability) ? v.probability : 0));
    e.timestamp = intern.timestamp(s.timestamp);
    e.lastTime = s.time;
    e.probability = Math.round(probability * 1e4) / 1e4;
    e.anomalous = v.anomalous;
    e.type = v.anomalous ? v.type : 'none';
    e.since = v.since !== null && Number.isFinite(v.since) ? v.since : NaN;
    if (e.status !== s.status) e.status = intern.get(s.status);
    if (e.node !== s.node) e.node = intern.get(s.node);
    if (e.workload !== s.workload) e.workload = s.workload === undefined ? undefined : intern.get(s.workload);
    // Contributing metrics only for pods pod_insights.json details (see buildInsights).
    e.contributing =
      this.pods.size <= this.detailMax || e.anomalous || e.probability >= this.detailFrom
        ? v.contributing.filter((c) => Number.isFinite(c.value) && Number.isFinite(c.expected) && Number.isFinite(c.deviation))
        : null;
    if (s.time > this.newestTime) this.newestTime = s.time;
    if (this.learning) return;
    this.scores?.add({ timestamp: s.timestamp, namespace: s.namespace, pod: s.pod, probability, anomalous: v.anomalous, type: e.type });
    if (v.anomalous && !was) this.print(alertLine(e, this.cfg.threshold));
    else if (!v.anomalous && was) this.print(`${s.timestamp} cleared  ${key} (p=${e.probability.toFixed(2)})`);
  }

  private reject(row: MetricRow, reason: string, detail: string): void {
    this.rowsRejected++;
    this.rejects.reject(reason, `rejected row ${row.namespace}/${row.pod} at ${row.timestamp}: ${reason}${detail ? ` (${detail})` : ''}`, {
      namespace: row.namespace,
      pod: row.pod,
      timestamp: row.timestamp,
      reason,
    });
  }

  /** Forgets pods without a row for `forgetAfter` seconds of row time (or left ahead of a clock jump). */
  private forgetStale(): void {
    const gap = this.cfg.forgetAfter * 1000;
    for (const [key, e] of this.pods) {
      if (e.lastTime < this.newestTime - gap || e.lastTime > this.newestTime + gap) {
        this.beforeChange(e);
        this.scorer.forget(e.namespace, e.pod);
        this.pods.delete(key);
        this.log.debug(`forgot ${key}: no row since ${e.timestamp}`);
      }
    }
  }

  // ---- Checkpoints ----

  /**
   * Takes a checkpoint at the current position (between two read batches): the position, counters, scores
   * length and shared state now; the pods' state in slices after (checkpointSlice). False when one is still
   * being written.
   */
  startCheckpoint(): boolean {
    const cpPath = this.cfg.checkpointFile;
    if (!cpPath) return false;
    // Not while rows are held: the position is past them, and a restart would lose them.
    if (this.job || this.held.length > 0) {
      this.perf.checkpoints_skipped++;
      return false;
    }
    const t0 = performance.now();
    this.scores?.writeBuffered();
    const name = checkpointStateFileName(cpPath, process.pid, this.stateSeq++, 'bin');
    mkdirSync(dirname(cpPath), { recursive: true });
    const writer = new StateFileWriter(join(dirname(cpPath), name));
    const shared: SharedState = { agent: { newestTime: Number.isFinite(this.newestTime) ? this.newestTime : 0, learning: this.learning }, scorer: this.scorer.snapshotShared() };
    writer.addShared(shared);
    const id = ++this.jobSeq;
    const entries: PodEntry[] = new Array<PodEntry>(this.pods.size);
    let i = 0;
    for (const e of this.pods.values()) {
      e.cp = id;
      entries[i++] = e;
    }
    this.job = {
      meta: {
        version: CHECKPOINT_VERSION,
        saved_at: new Date().toISOString(),
        input_file: resolve(this.cfg.inputFile),
        detector: this.cfg.detectorName,
        position: this.tailer.position(),
        scores_bytes: this.scores ? this.scores.length : null,
        counters: { rows_read: this.rowsRead, rows_rejected: this.rowsRejected },
      },
      writer,
      name,
      entries,
      id,
      cursor: 0,
      started: t0,
      threadMs: 0,
      finishing: null,
    };
    this.stalled(t0, 'taking a checkpoint', this.job);
    return true;
  }

  /** Copies a pod into the checkpoint being written before its state changes (copy on write). */
  private beforeChange(e: PodEntry): void {
    const job = this.job;
    if (job && e.cp === job.id) this.copyPod(job, e);
  }

  private copyPod(job: CheckpointJob, e: PodEntry): void {
    if (e.cp !== job.id) return; // copied already (before a change)
    job.writer.addPod(e.key, e.toRecord(), this.scorer.podState(e.key) ?? []);
    e.cp = 0;
  }

  /**
   * Copies the next pods of the checkpoint being written, for at most `budgetMs` on this thread; once every
   * pod is copied, finishes it in the thread pool: state file (fsync) → scores (fsync) → checkpoint.
   */
  private checkpointSlice(budgetMs = checkpointSlicing.budgetMs): void {
    const job = this.job;
    if (!job || job.finishing) return;
    const t0 = performance.now();
    const n = job.entries.length;
    while (job.cursor < n) {
      if (job.writer.inFlight > STATE_IN_FLIGHT_MAX) break; // the disk is behind: let it catch up
      const stop = Math.min(n, job.cursor + Math.max(1, checkpointSlicing.pods));
      for (; job.cursor < stop; job.cursor++) this.copyPod(job, job.entries[job.cursor]!);
      if (performance.now() - t0 >= budgetMs) break;
    }
    if (job.cursor >= n) job.finishing = this.finishCheckpoint(job);
    this.stalled(t0, 'copying a checkpoint', job);
  }

  private async finishCheckpoint(job: CheckpointJob): Promise<void> {
    const cpPath = this.cfg.checkpointFile!;
    job.entries = [];
    try {
      const bytes = await job.writer.finish();
      await this.scores?.syncAsync();
      const state: BinaryStateRef = { format: 'podsentinel-state/1', file: job.name, bytes, pods: job.writer.pods };
      await saveCheckpointAsync(cpPath, { ...job.meta, state }); // throws only when not renamed into place
      // The checkpoint now names this state file: a failure from here on must not remove it.
      await removeOldSpillsAsync(cpPath, job.name).catch((err: unknown) => this.log.warn(`cannot remove old checkpoint state files: ${(err as Error).message}`));
      const perf = this.perf;
      perf.checkpoints++;
      perf.checkpoint_write_last_ms = performance.now() - job.started;
      perf.checkpoint_write_ms += perf.checkpoint_write_last_ms;
      perf.checkpoint_thread_last_ms = job.threadMs;
      perf.checkpoint_thread_ms += job.threadMs;
    } catch (err) {
      // e.g. a full disk: keep scoring; the checkpoint did not advance, so nothing is lost.
      this.log.error(`cannot write the checkpoint: ${(err as Error).message}; retrying next interval`);
      await job.writer.abort();
    } finally {
      this.job = null;
    }
  }

  /** Copies what is left of the checkpoint being written and waits until it is on disk. */
  async completeCheckpoint(): Promise<void> {
    const job = this.job;
    if (!job) return;
    if (!job.finishing) {
      let t0 = performance.now();
      while (job.cursor < job.entries.length) {
        // Bounded memory: never more than STATE_IN_FLIGHT_MAX bytes of the file waiting for the disk.
        if (job.writer.inFlight > STATE_IN_FLIGHT_MAX) {
          job.threadMs += performance.now() - t0;
          await job.writer.drain();
          t0 = performance.now();
        }
        this.copyPod(job, job.entries[job.cursor++]!);
      }
      job.threadMs += performance.now() - t0;
      job.finishing = this.finishCheckpoint(job);
    }
    await job.finishing;
  }

  private stalled(t0: number, what: string, job?: { threadMs: number }): void {
    const ms = performance.now() - t0;
    if (job) job.threadMs += ms;
    if (ms > this.perf.output_stall_max_ms) {
      this.perf.output_stall_max_ms = ms;
      if (ms > 50) this.log.debug(`scoring stalled ${Math.round(ms)} ms ${what}`);
    }
  }

  // ---- pod_insights.json and the heartbeat ----

  /**
   * Starts pod_insights.json: every pod in full up to insightsDetailMax pods (built now); beyond, full
   * entries for pods at or above half the threshold (every anomalous one among them) and
   * [namespace, pod, timestamp, probability] for the rest, in the order the agent first saw them, built in
   * slices between read batches (insightsSlice). Skipped while the previous one is being built or written.
   */
  private startInsights(): boolean {
    if (this.insightsWrite || this.insights) return false;
    const t0 = performance.now();
    const entries = [...this.pods.values()];
    this.insights = {
      header: {
        generated_at: new Date().toISOString(),
        model: this.cfg.model,
        threshold: this.cfg.threshold,
        rows_read: this.rowsRead,
        rows_rejected: this.rowsRejected,
      },
      compact: entries.length > this.detailMax,
      entries,
      cursor: 0,
      full: [],
      brief: [],
      anomalies: 0,
      started: t0,
      threadMs: 0,
    };
    this.stalled(t0, 'starting the insights', this.insights);
    if (!this.insights.compact) this.insightsSlice(Infinity); // small: at once
    return true;
  }

  /** Adds the next pods to the insights being built, for at most `budgetMs` (Infinity: all, at a stop). */
  private insightsSlice(budgetMs = checkpointSlicing.budgetMs): void {
    const job = this.insights;
    if (!job) return;
    const t0 = performance.now();
    const { entries, full, brief } = job;
    const n = entries.length;
    while (job.cursor < n) {
      const stop = Math.min(n, job.cursor + Math.max(1, checkpointSlicing.insightsPods));
      let text = '';
      for (; job.cursor < stop; job.cursor++) {
        const e = entries[job.cursor]!;
        if (e.anomalous) job.anomalies++;
        if (!job.compact || e.anomalous || e.probability >= this.detailFrom) full.push(e.toInsight());
        else text += `${text ? ',' : ''}[${jsonString(e.namespace)},${jsonString(e.pod)},${jsonString(e.timestamp)},${e.probability}]`;
      }
      if (text) brief.push(text); // one string per step: the final join is over a few hundred
      if (performance.now() - t0 >= budgetMs) break;
    }
    if (job.cursor >= n) this.finishInsights(job);
    if (budgetMs !== Infinity || !job.compact) this.stalled(t0, 'building the insights', job);
    else job.threadMs += performance.now() - t0; // at a stop: not a stall of scoring
  }

  private finishInsights(job: InsightsJob): void {
    this.insights = null;
    // Full entries sorted by pod; the brief ones in the agent's order (a sort of 150,000 is not worth it).
    job.full.sort((a, b) => cmpPod(a.namespace, a.pod, b.namespace, b.pod));
    const doc: PodInsights = { ...job.header, pods: job.full };
    PodInsights.parse(doc); // the header and every full entry; the brief ones are built from typed fields
    let text: string;
    if (job.compact) {
      const head = JSON.stringify(doc);
      text = `${head.slice(0, -1)},"other_pods":[${job.brief.join(',')}]}\n`;
    } else text = JSON.stringify(doc, null, 2) + '\n';
    const counts = { pods: job.entries.length, anomalies: job.anomalies };
    const built = job.threadMs;
    this.insightsWrite = writeFileAtomicAsync(this.cfg.insightsFile, text)
      .then(() => {
        const perf = this.perf;
        perf.insights_write_last_ms = performance.now() - job.started;
        perf.insights_write_ms += perf.insights_write_last_ms;
        perf.insights_write_max_ms = Math.max(perf.insights_write_max_ms, perf.insights_write_last_ms);
        perf.insights_writes++;
        perf.insights_build_last_ms = built;
        return this.writeHeartbeat(counts);
      })
      .catch((err: unknown) => this.log.error(`cannot write ${this.cfg.insightsFile}: ${(err as Error).message}; retrying next interval`))
      .finally(() => {
        this.insightsWrite = null;
      });
  }

  /** The heartbeat, after the insights it describes (in the thread pool: a sync fsync can wait on other writes). */
  private async writeHeartbeat(counts: { pods: number; anomalies: number }): Promise<void> {
    const hb = heartbeat(
      'dataset-generator-agent',
      {
        rows_read: this.rowsRead,
        rows_rejected: this.rowsRejected,
        lag_bytes: this.tailer.lagBytes(),
        pods: counts.pods,
        anomalies: counts.anomalies,
        perf: { ...this.perf, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) },
      },
      this.finishing ? 'stopped' : 'running',
    );
    try {
      await writeHeartbeatAsync(heartbeatPath(this.cfg.insightsFile, 'dataset-generator-agent'), hb);
    } catch (err) {
      this.log.error(`cannot write the heartbeat: ${(err as Error).message}`);
    }
  }

  /** The periodic outputs: forget stale pods, take a checkpoint, write insights and the heartbeat; never waits. */
  private periodicOutputs(): void {
    try {
      this.rejects.flush();
      this.tailer.flushLogs();
      this.forgetStale();
      const now = Date.now();
      if (this.cfg.checkpointFile) {
        if (now - this.lastCheckpointAt >= (this.cfg.checkpointInterval ?? this.cfg.watchInterval) * 1000 && this.startCheckpoint()) this.lastCheckpointAt = now;
        this.checkpointSlice();
      } else {
        this.scores?.syncAsync().catch((err: unknown) => this.log.error(`cannot sync ${this.scores?.path}: ${(err as Error).message}`));
      }
      this.startInsights();
      this.insightsSlice();
    } catch (err) {
      // e.g. a full disk or a missing directory: keep scoring; the checkpoint did not advance, so nothing is lost.
      this.log.error(`cannot write the outputs: ${(err as Error).message}; retrying next interval`);
    }
  }

  /** Every output at the current position, waiting until each is on disk (--once, and at a stop). */
  async writeOutputs(): Promise<void> {
    this.finishing = true;
    if (this.held.length > 0) this.rejectHeld(); // the input ends before they proved a clock jump
    this.rejects.flush(true);
    this.tailer.flushLogs(true);
    this.forgetStale();
    await this.completeCheckpoint(); // one taken earlier: finish it, then one at the end
    await this.insightsWrite;
    if (this.startCheckpoint()) await this.completeCheckpoint();
    else this.scores?.flush();
    this.insights = null; // one started earlier: this one is newer
    this.startInsights();
    this.insightsSlice(Infinity);
    await this.insightsWrite;
  }

  /** --once: everything in the file now, then the outputs. */
  async runOnce(): Promise<void> {
    this.processAvailable(Infinity, true);
    if (this.rowsRead === 0 && this.rowsRejected === 0) this.log.warn(`${this.cfg.inputFile} holds no rows`);
    await this.writeOutputs();
  }

  /** Follows the input until `signal` aborts; then reads what is left, writes the outputs and returns. */
  async follow(signal: AbortSignal): Promise<void> {
    let wake: (() => void) | null = null;
    const poke = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    signal.addEventListener('abort', poke, { once: true });
    this.tailer.watch(poke, 1000);
    let lastWrite = 0;
    try {
      while (!signal.aborted) {
        const { drained } = this.processAvailable(Math.min(1000, this.cfg.watchInterval * 1000));
        const now = Date.now();
        if (now - lastWrite >= this.cfg.watchInterval * 1000) {
          this.periodicOutputs();
          lastWrite = now;
        }
        if (!drained) {
          // A backlog: keep reading, but let signals, timers and I/O run between budgets (a stop must not
          // wait for the whole backlog).
          await new Promise<void>((res) => setImmediate(res));
          continue;
        }
        if ((this.job && !this.job.finishing) || this.insights) {
          // Idle: copy the checkpoint's pods and build the insights, yielding to I/O between slices (and
          // waiting a little while the disk is behind, instead of spinning).
          this.checkpointSlice();
          this.insightsSlice();
          if (this.job && this.job.writer.inFlight > STATE_IN_FLIGHT_MAX) await new Promise<void>((res) => setTimeout(res, 2));
          else await new Promise<void>((res) => setImmediate(res));
          continue;
        }
        const waitMs = Math.max(10, lastWrite + this.cfg.watchInterval * 1000 - Date.now());
        await new Promise<void>((res) => {
          const timer = setTimeout(res, waitMs);
          wake = () => {
            clearTimeout(timer);
            res();
          };
          if (signal.aborted) wake();
        });
      }
      this.processAvailable();
      await this.writeOutputs();
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    const job = this.job;
    if (job && !job.finishing) {
      // stopped by an error while copying: the previous checkpoint stays; drop the partial state file
      this.job = null;
      await job.writer.abort();
    }
    await job?.finishing?.catch(() => {});
    await this.insightsWrite;
    this.gcObserver?.disconnect();
    this.gcObserver = null;
    this.scores?.close();
    this.scores = null;
    await this.tailer?.close();
  }

  status(): { rows_read: number; rows_rejected: number; pods: number; anomalies: number; lag_bytes: number } {
    let anomalies = 0;
    for (const e of this.pods.values()) if (e.anomalous) anomalies++;
    return { rows_read: this.rowsRead, rows_rejected: this.rowsRejected, pods: this.pods.size, anomalies, lag_bytes: this.tailer.lagBytes() };
  }
}

const PLAIN = /^[\w.:+-]*$/;
/** JSON text of a string; names and timestamps seldom need escaping, and testing is cheaper than stringify. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

function cmpPod(ns1: string, pod1: string, ns2: string, pod2: string): number {
  return ns1 < ns2 ? -1 : ns1 > ns2 ? 1 : pod1 < pod2 ? -1 : pod1 > pod2 ? 1 : 0;
}

function alertLine(i: PodEntry, threshold: number): string {
  const top = (i.contributing ?? [])
    .slice(0, 2)
    .map((c) => `${c.metric}=${fmt(c.value)} (expected ${fmt(c.expected)})`)
    .join(', ');
  return `${i.timestamp} ANOMALY  ${i.namespace}/${i.pod} ${i.type} p=${i.probability.toFixed(2)} >= ${threshold}${top ? ` :: ${top}` : ''}`;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 ? x.toExponential(2) : String(Math.round(x * 100) / 100);
}
