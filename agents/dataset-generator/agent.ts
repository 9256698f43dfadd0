// The dataset-generator agent's engine: tail the CSV, score each row through the pod scorer, print
// alerts, append the scores file, and every interval write pod_insights.json, the checkpoint and the
// heartbeat. None of the periodic writes stalls scoring for long (the p99 append-to-score latency): the
// checkpoint is copied in slices between read batches (checkpoint-job.ts), pod_insights.json is built in
// slices too (insights-job.ts), and both are written in the libuv thread pool.
// Counters: rows_read = rows that parsed; rows_rejected = malformed lines, plus parsed rows dropped: a
// duplicate or a timestamp going backwards for its pod (the scorer), or a late row (more than forgetAfter
// before the newest row, and not part of a clock jump). Each rejection is logged, rate-limited per reason.
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance, type PerformanceObserver } from 'node:perf_hooks';
import type { Logger } from '../../lib/log.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { CsvTailer, type TailBatch } from '../../lib/csv-tailer.ts';
import { RejectLog } from '../../lib/reject-log.ts';
import { CHECKPOINT_VERSION } from '../../lib/checkpoint.ts';
import { checkpointStateFileName, PIPELINE_FILE_NAMES } from '../../lib/pipeline-files.ts';
import type { FeedbackRecord } from '../../lib/feedback.ts';
import { newForecastState, updateForecast } from '../../models/forecast.ts';
import { FeedbackReader, feedbackTargets } from './feedback-reader.ts';
import { ScoresFile } from './scores-file.ts';
import { detached, Interner, PodEntry } from './pod-entry.ts';
import { INSIGHTS_DETAIL_MAX, type AgentConfig, type RowScorer } from './config.ts';
import { Float64StatePool } from './state-pool.ts';
import { newAgentPerf, observeGc, threadCpuMs, type AgentPerf } from './perf.ts';
import { alertLine, shardOf } from './format.ts';
import { CheckpointJob } from './checkpoint-job.ts';
import { InsightsWriter, type InsightsCounts } from './insights-job.ts';
import { writeAgentHeartbeat } from './agent-heartbeat.ts';
import { resumeFromCheckpoint } from './restore.ts';
import { followLoop } from './follow-loop.ts';

// The agent's types and helpers live beside it; importable from here as before.
export { checkpointSlicing, INSIGHTS_DETAIL_MAX, type AgentConfig, type RowScorer, type ScoredRow } from './config.ts';
export { HEARTBEAT_NAME } from './agent-heartbeat.ts';
export type { AgentPerf } from './perf.ts';
export { jsonString, shardOf } from './format.ts';

/**
 * Bytes of CSV read, parsed and scored at a time (~280 rows). A batch's parsed rows live until it is scored:
 * at 1 MB (~4,300 rows) they outlived young-generation collections, which copied and then promoted them. At
 * 64 KB the collector promoted 207 MB instead of 453 MB over 450,000 rows and paused 1.9 s instead of 3.4 s.
 */
const READ_BATCH_BYTES = 64 * 1024;

export class DatasetAgent {
  readonly cfg: AgentConfig;
  rowsRead = 0;
  rowsRejected = 0;
  readonly perf: AgentPerf = newAgentPerf();
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
  /** The pods' exhaustion-forecast states, as views of shared slabs. */
  private readonly forecastStates = new Float64StatePool(newForecastState());
  private newestTime = -Infinity;
  /** Consecutive rows far behind newestTime, held until they prove a clock jump or are late (see holdBehind). */
  private held: MetricRow[] = [];
  private heldMax = -Infinity;
  /** True while the rows present at start-up are read to warm the state (no alerts, no score lines). */
  private learning = false;
  /** The checkpoint being written, if any. */
  private job: CheckpointJob | null = null;
  private jobSeq = 0;
  private lastCheckpointAt = 0;
  private readonly intern = new Interner();
  /** pod_insights.json details every pod up to this many, else only pods at or above detailFrom. */
  private readonly detailMax: number;
  private readonly detailFrom: number;
  private readonly insights: InsightsWriter;
  private stateSeq = 0;
  /** Writing the last outputs (--once, a stop): the heartbeat says 'stopped'. */
  private finishing = false;
  /** Measure the append-to-score lag (set when metrics are served; one stat per read that scored rows). */
  trackLag = false;
  /** Seconds from the input's last append to the end of scoring it (see noteLag); NaN until measured. */
  lagSeconds = NaN;
  private behindSince: number | null = null;
  /** Operator feedback to apply (feedback-reader.ts); set by open(). */
  private feedback!: FeedbackReader;

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
    this.insights = new InsightsWriter({
      file: cfg.insightsFile,
      model: cfg.model,
      threshold: cfg.threshold,
      detailMax: this.detailMax,
      detailFrom: this.detailFrom,
      perf: this.perf,
      log,
      written: (counts) => this.writeHeartbeat(counts),
    });
  }

  /** Resumes from the checkpoint (unless --from-start) and opens the input and the scores file. */
  async open(): Promise<void> {
    const cfg = this.cfg;
    this.gcObserver = observeGc(this.perf);
    const resumed = !cfg.fromStart ? await resumeFromCheckpoint(cfg, this.scorer, this.freshScorer, this.intern, this.log) : null;
    if (resumed) {
      this.scorer = resumed.scorer;
      this.pods = resumed.pods;
      this.newestTime = resumed.newestTime;
      this.rowsRead = resumed.counters.rows_read;
      this.rowsRejected = resumed.counters.rows_rejected;
    }
    this.learning = resumed ? resumed.learning : !cfg.fromStart;
    const feedbackFile = cfg.feedbackFile ?? join(dirname(cfg.insightsFile), PIPELINE_FILE_NAMES.feedback);
    this.feedback = new FeedbackReader(feedbackFile, resumed?.feedbackApplied ?? 0, this.log);
    this.applyFeedback();
    const position = resumed?.position;
    this.tailer = new CsvTailer({ path: cfg.inputFile, logger: this.log, position, chunkBytes: READ_BATCH_BYTES });
    if (cfg.scoresFile) {
      const { file, note } = ScoresFile.open(cfg.scoresFile, resumed ? resumed.scoresBytes : null);
      this.scores = file;
      if (note) this.log.info(note);
    }
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
      const c0 = threadCpuMs();
      const batch = this.tailer.read(READ_BATCH_BYTES);
      const t1 = performance.now();
      const c1 = threadCpuMs();
      perf.parse_ms += t1 - t0;
      perf.parse_cpu_ms += c1 - c0;
      // Nothing consumed: at the end. (A read that only skipped part of an over-long line has no rows but
      // made progress.)
      if (batch.rows.length === 0 && batch.rejected === 0 && batch.bytes === 0) {
        // Nothing more will come (--once): a last line without its newline is read as complete.
        if (final) rows += this.consume(this.tailer.readUnterminated(), t1, c1);
        drained = true;
        break;
      }
      rows += this.consume(batch, t1, c1);
      this.checkpointSlice();
      this.insights.slice();
      if (Date.now() >= end) break;
    }
    if (this.trackLag && rows > 0) this.noteLag(drained);
    if (drained && this.learning) {
      this.learning = false;
      this.log.info(`learned from ${this.rowsRead} existing rows (${this.pods.size} pods); alerting on new rows from now on`);
      this.applyFeedback(); // the pods it names are known now
    }
    return { rows, drained };
  }

  /**
   * The lag after a read that scored rows. Caught up: now minus the input's modification time (its last
   * append, which this read scored). Behind: now minus the modification time seen when it fell behind (the
   * unread rows are at least that old), so the figure grows while a backlog lasts.
   */
  private noteLag(drained: boolean): void {
    let mtime: number;
    try {
      mtime = statSync(this.cfg.inputFile).mtimeMs;
    } catch {
      return;
    }
    const now = Date.now();
    if (drained) this.behindSince = null;
    else this.behindSince ??= mtime;
    this.lagSeconds = Math.max(0, (now - (this.behindSince ?? mtime)) / 1000);
  }

  /** Anomalous pods with their type and probability (read at scrape time; never on the scoring path). */
  anomalousPods(): Array<{ namespace: string; pod: string; type: string; probability: number }> {
    const out: Array<{ namespace: string; pod: string; type: string; probability: number }> = [];
    for (const e of this.pods.values())
      if (e.anomalous) out.push({ namespace: e.namespace, pod: e.pod, type: e.type, probability: e.probability });
    return out;
  }

  /** Counts and scores a batch of rows read at `t1` (thread CPU time `c1`); returns its row count. */
  private consume(batch: TailBatch, t1: number, c1: number): number {
    const perf = this.perf;
    this.rowsRejected += batch.rejected;
    this.rowsRead += batch.rows.length;
    for (const row of batch.rows) this.handle(row);
    // Score lines reach the file after every batch (fsync waits for the checkpoint), so a reader of
    // the scores file sees a row within one batch of its append, not one watch interval.
    this.scores?.writeBuffered();
    perf.score_ms += performance.now() - t1;
    perf.score_cpu_ms += threadCpuMs() - c1;
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
      this.log.warn(
        `the input's timestamps jumped back from ${new Date(this.newestTime).toISOString()} to ${new Date(this.heldMax).toISOString()}; following them`,
      );
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
    if (e && this.job) this.job.beforeChange(e);
    if (e && row.time < e.lastTime - this.cfg.forgetAfter * 1000) {
      // Far behind its last row but not behind the clock (holdBehind): the clock jumped back and this is
      // another incarnation of the pod name. Start it afresh instead of rejecting its rows as "backwards".
      this.log.debug(`${key}: timestamp ${row.timestamp} is far before its last row (${e.timestamp}); treating it as a new pod`);
      this.scorer.forget(row.namespace, row.pod);
      this.forecastStates.release(e.forecast);
      this.pods.delete(key);
      e = undefined;
    }
    // Contributing metrics only where e.contributing keeps them (below); the margin covers its rounding.
    this.scorer.explainFrom = this.pods.size <= this.detailMax ? 0 : this.detailFrom - 1e-4;
    const s = this.scorer.score(row, key);
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
    e.forecast = updateForecast(e.forecast ?? this.forecastStates.take(), row);
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

  // ---- Operator feedback (feedback-reader.ts) ----

  /** Applies the feedback records not applied yet; not while learning (the pods they name are not known yet). */
  private applyFeedback(): void {
    if (this.learning) return;
    const records = this.feedback.pending();
    for (const r of records) this.rebaseline(r);
    this.feedback.done(records.length);
  }

  /** "Not an anomaly": the pod's model, or its workload's pods' models, learn them again from their next row. */
  private rebaseline(r: FeedbackRecord): void {
    const targets = feedbackTargets(this.pods, r);
    for (const e of targets) {
      this.job?.beforeChange(e); // the checkpoint being copied keeps the state before the change
      this.scorer.rebaseline(e.namespace, e.pod);
    }
    const what = r.scope === 'workload' ? `${targets.length} pod(s) of the workload of ${r.namespace}/${r.pod}` : `${r.namespace}/${r.pod}`;
    if (targets.length > 0) this.log.info(`re-baselined ${what}: "not an anomaly" (${r.anomaly_type}) from ${r.by} via ${r.via}`);
    else this.log.info(`feedback for ${r.namespace}/${r.pod} (${r.scope}): no such pod here now; nothing to re-baseline`);
  }

  /** Forgets pods without a row for `forgetAfter` seconds of row time (or left ahead of a clock jump). */
  private forgetStale(): void {
    const gap = this.cfg.forgetAfter * 1000;
    for (const [key, e] of this.pods) {
      if (e.lastTime < this.newestTime - gap || e.lastTime > this.newestTime + gap) {
        this.job?.beforeChange(e);
        this.scorer.forget(e.namespace, e.pod);
        this.forecastStates.release(e.forecast);
        this.pods.delete(key);
        this.log.debug(`forgot ${key}: no row since ${e.timestamp}`);
      }
    }
  }

  // ---- Checkpoints (checkpoint-job.ts) ----

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
    const started = performance.now();
    this.scores?.writeBuffered();
    this.job = new CheckpointJob({
      checkpointFile: cpPath,
      name: checkpointStateFileName(cpPath, process.pid, this.stateSeq++, 'bin'),
      id: ++this.jobSeq,
      meta: {
        version: CHECKPOINT_VERSION,
        saved_at: new Date().toISOString(),
        input_file: resolve(this.cfg.inputFile),
        detector: this.cfg.detectorName,
        position: this.tailer.position(),
        scores_bytes: this.scores ? this.scores.length : null,
        counters: { rows_read: this.rowsRead, rows_rejected: this.rowsRejected },
      },
      shared: {
        agent: {
          newestTime: Number.isFinite(this.newestTime) ? this.newestTime : 0,
          learning: this.learning,
          feedbackApplied: this.feedback.applied,
        },
        scorer: this.scorer.snapshotShared(),
      },
      pods: this.pods,
      scorer: this.scorer,
      scores: this.scores,
      log: this.log,
      perf: this.perf,
      started,
      settled: () => {
        this.job = null;
      },
    });
    return true;
  }

  /** Copies the next pods of the checkpoint being written (a slice between read batches). */
  private checkpointSlice(): void {
    this.job?.slice();
  }

  /** Copies what is left of the checkpoint being written and waits until it is on disk. */
  async completeCheckpoint(): Promise<void> {
    await this.job?.complete();
  }

  // ---- pod_insights.json (insights-job.ts) and the heartbeat ----

  /** Starts pod_insights.json (see InsightsWriter.start). */
  private startInsights(): boolean {
    return this.insights.start({ rows_read: this.rowsRead, rows_rejected: this.rowsRejected }, this.pods);
  }

  /** The heartbeat, after the insights it describes. */
  private async writeHeartbeat(counts: InsightsCounts): Promise<void> {
    const counters = { rows_read: this.rowsRead, rows_rejected: this.rowsRejected, lag_bytes: this.tailer.lagBytes(), ...counts };
    await writeAgentHeartbeat(this.cfg.insightsFile, counters, this.perf, this.finishing, this.log);
  }

  /** The periodic outputs: forget stale pods, take a checkpoint, write insights and the heartbeat; never waits. */
  private periodicOutputs(): void {
    try {
      this.rejects.flush();
      this.tailer.flushLogs();
      this.forgetStale();
      this.applyFeedback();
      const now = Date.now();
      if (this.cfg.checkpointFile) {
        if (now - this.lastCheckpointAt >= (this.cfg.checkpointInterval ?? this.cfg.watchInterval) * 1000 && this.startCheckpoint())
          this.lastCheckpointAt = now;
        this.checkpointSlice();
      } else {
        this.scores?.syncAsync().catch((err: unknown) => this.log.error(`cannot sync ${this.scores?.path}: ${(err as Error).message}`));
      }
      this.startInsights();
      this.insights.slice();
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
    await this.insights.writing;
    let checkpointError: Error | null = null;
    if (this.startCheckpoint()) {
      const job = this.job!;
      await this.completeCheckpoint();
      checkpointError = job.error;
    } else this.scores?.flush();
    this.insights.building = null; // one started earlier: this one is newer
    this.startInsights();
    this.insights.slice(Infinity);
    await this.insights.writing;
    // No next interval to retry in: the caller must learn that the last outputs are not on disk.
    const failed = checkpointError ?? this.insights.lastError;
    if (failed) throw new Error(`the final outputs could not be written (earlier ones are unchanged): ${failed.message}`);
  }

  /** --once: everything in the file now, then the outputs. */
  async runOnce(): Promise<void> {
    this.processAvailable(Infinity, true);
    if (this.rowsRead === 0 && this.rowsRejected === 0) this.log.warn(`${this.cfg.inputFile} holds no rows`);
    await this.writeOutputs();
  }

  /** Follows the input until `signal` aborts; then reads what is left, writes the outputs and returns. */
  async follow(signal: AbortSignal): Promise<void> {
    try {
      await followLoop(signal, this.cfg.watchInterval, {
        watch: (poke) => this.tailer.watch(poke, 1000),
        read: (budgetMs) => this.processAvailable(budgetMs).drained,
        periodic: () => this.periodicOutputs(),
        idleSlice: () => {
          if (!((this.job && !this.job.finishing) || this.insights.building)) return null;
          this.checkpointSlice();
          this.insights.slice();
          return { diskBehind: this.job?.diskBehind ?? false };
        },
      });
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
      await job.abort();
    }
    await job?.finishing?.catch(() => {});
    await this.insights.writing;
    this.gcObserver?.disconnect();
    this.gcObserver = null;
    this.scores?.close();
    this.scores = null;
    await this.tailer?.close();
  }

  status(): { rows_read: number; rows_rejected: number; pods: number; anomalies: number; lag_bytes: number } {
    let anomalies = 0;
    for (const e of this.pods.values()) if (e.anomalous) anomalies++;
    return {
      rows_read: this.rowsRead,
      rows_rejected: this.rowsRejected,
      pods: this.pods.size,
      anomalies,
      lag_bytes: this.tailer.lagBytes(),
    };
  }
}
