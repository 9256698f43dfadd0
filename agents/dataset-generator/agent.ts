// The dataset-generator agent's engine: tail the CSV, score each row through the pod scorer, print
// alerts, append the scores file, and every interval write pod_insights.json, the checkpoint and the
// heartbeat. Output order per interval is scores (fsync) → checkpoint → insights → heartbeat, so the
// checkpoint never points past rows whose scores are not on disk.
// Counters: rows_read = rows that parsed; rows_rejected = malformed lines, plus parsed rows the scorer
// dropped (a duplicate, or a timestamp going backwards for its pod).
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../lib/log.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { CsvTailer, type TailPosition } from '../../lib/csv-tailer.ts';
import { CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint } from '../../lib/checkpoint.ts';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { PodInsights, type ModelInfo, type PodInsight } from '../../lib/schemas.ts';
import type { PodScore } from '../../models/pod-scorer.ts';
import { ScoresFile } from './scores-file.ts';
import { removeOldSpills, spillState, unspillState } from './state-spill.ts';

/** What the agent needs from the pod scorer: its results, and the state it checkpoints. */
export type ScoredRow = PodScore;
export interface RowScorer {
  score(row: MetricRow): ScoredRow | null;
  forget(namespace: string, pod: string): void;
  snapshot(): unknown;
  restore(state: unknown): void;
}

export interface AgentConfig {
  inputFile: string;
  insightsFile: string;
  scoresFile?: string | undefined;
  checkpointFile?: string | undefined;
  /** Seconds between insights/checkpoint writes. */
  watchInterval: number;
  threshold: number;
  fromStart: boolean;
  /** Seconds (of row time) without a row after which a pod is forgotten. */
  forgetAfter: number;
  detectorName: string;
  model: ModelInfo;
  /** Score only the pods of this hash shard (several agents share one input); default all. */
  shard?: { index: number; count: number } | undefined;
}

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

interface PodEntry {
  insight: PodInsight;
  lastTime: number;
}

interface AgentState {
  scorer: unknown;
  pods: Array<[string, PodEntry]>;
  newestTime: number;
  /** Still reading the history present at the first start (no alerts, no score lines yet). */
  learning?: boolean;
}

export const HEARTBEAT_NAME = '.heartbeat-dataset-generator-agent.json';

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
  checkpoint_write_ms: number;
  checkpoint_write_last_ms: number;
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
    checkpoint_write_ms: 0,
    checkpoint_write_last_ms: 0,
  };
  private readonly log: Logger;
  private scorer: RowScorer;
  private readonly freshScorer: (() => Promise<RowScorer>) | undefined;
  private readonly print: (line: string) => void;
  private tailer!: CsvTailer;
  private scores: ScoresFile | null = null;
  private pods = new Map<string, PodEntry>();
  private newestTime = -Infinity;
  /** Consecutive rows far behind newestTime (see followClockJump). */
  private behind = 0;
  private behindMax = -Infinity;
  /** True while the rows present at start-up are read to warm the state (no alerts, no score lines). */
  private learning = false;

  /**
   * `freshScorer` builds a new scorer when the checkpoint's state cannot be restored (e.g. written by
   * another model version): the agent then keeps the checkpoint's position with fresh per-pod state.
   */
  constructor(cfg: AgentConfig, scorer: RowScorer, log: Logger, print: (line: string) => void, freshScorer?: () => Promise<RowScorer>) {
    this.cfg = cfg;
    this.scorer = scorer;
    this.freshScorer = freshScorer;
    this.log = log;
    this.print = print;
  }

  /** Resumes from the checkpoint (unless --from-start) and opens the input and the scores file. */
  async open(): Promise<void> {
    const cfg = this.cfg;
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
        let st: Partial<AgentState>;
        try {
          st = unspillState(cfg.checkpointFile!, cp.state ?? {}) as Partial<AgentState>;
        } catch (err) {
          this.log.warn(`the checkpoint's state file cannot be read: ${(err as Error).message}`);
          st = { scorer: null }; // restoring it fails: fresh state below
        }
        try {
          this.scorer.restore(st.scorer);
          this.pods = new Map(st.pods ?? []);
        } catch (err) {
          if (!this.freshScorer) throw err;
          this.log.warn(`the checkpoint's per-pod state cannot be restored (${(err as Error).message}); continuing from its position with fresh state`);
          this.scorer = await this.freshScorer();
          this.pods = new Map();
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

  /**
   * Reads and scores the complete rows available now, for at most `budgetMs` (so a long backlog does
   * not hold up the insights and heartbeat); `drained` tells whether it reached the end of the input.
   */
  processAvailable(budgetMs = Infinity): { rows: number; drained: boolean } {
    const end = Date.now() + budgetMs;
    let rows = 0;
    let drained = false;
    const perf = this.perf;
    for (;;) {
      const t0 = performance.now();
      const batch = this.tailer.read(1024 * 1024);
      const t1 = performance.now();
      perf.parse_ms += t1 - t0;
      if (batch.rows.length === 0 && batch.rejected === 0) {
        drained = true;
        break;
      }
      this.rowsRejected += batch.rejected;
      this.rowsRead += batch.rows.length;
      rows += batch.rows.length;
      for (const row of batch.rows) this.handle(row);
      // Score lines reach the file after every batch (fsync waits for the checkpoint), so a reader of
      // the scores file sees a row within one batch of its append, not one watch interval.
      this.scores?.writeBuffered();
      perf.score_ms += performance.now() - t1;
      perf.rows_scored += batch.rows.length;
      if (Date.now() >= end) break;
    }
    if (drained && this.learning) {
      this.learning = false;
      this.log.info(`learned from ${this.rowsRead} existing rows (${this.pods.size} pods); alerting on new rows from now on`);
    }
    return { rows, drained };
  }

  /**
   * The input's clock jumped back (a replayed or regenerated file, a simulated cluster restarted with the
   * same pod names): after a run of consecutive rows all more than `forgetAfter` before the newest row
   * seen (as many as there are pods, at least 20), the data clock follows them, so pods are not forgotten
   * over and over. A pod whose metrics timestamp is stale does not move it: other pods' rows break the run.
   */
  private followClockJump(row: MetricRow): void {
    if (!(row.time < this.newestTime - this.cfg.forgetAfter * 1000)) {
      this.behind = 0;
      this.behindMax = -Infinity;
      return;
    }
    this.behind++;
    if (row.time > this.behindMax) this.behindMax = row.time;
    if (this.behind >= Math.max(20, this.pods.size)) {
      this.log.warn(`the input's timestamps jumped back from ${new Date(this.newestTime).toISOString()} to ${new Date(this.behindMax).toISOString()}; following them`);
      this.newestTime = this.behindMax;
      this.behind = 0;
      this.behindMax = -Infinity;
    }
  }

  private handle(row: MetricRow): void {
    const shard = this.cfg.shard;
    if (shard && shard.count > 1 && shardOf(row.namespace, row.pod, shard.count) !== shard.index) return;
    this.followClockJump(row);
    const known = this.pods.get(`${row.namespace}/${row.pod}`);
    if (known && row.time < known.lastTime - this.cfg.forgetAfter * 1000) {
      // Far behind its last row: another incarnation of the pod name, not a late row. Start it afresh
      // instead of rejecting its rows as "backwards" until the clock catches up.
      this.log.debug(`${row.namespace}/${row.pod}: timestamp ${row.timestamp} is far before its last row (${known.insight.timestamp}); treating it as a new pod`);
      this.scorer.forget(row.namespace, row.pod);
      this.pods.delete(`${row.namespace}/${row.pod}`);
    }
    const s = this.scorer.score(row);
    if (!s) {
      this.rowsRejected++; // a duplicate, or a timestamp going backwards (counted by the scorer too)
      return;
    }
    const v = s.verdict;
    const key = `${s.namespace}/${s.pod}`;
    const prev = this.pods.get(key);
    const probability = Math.min(1, Math.max(0, Number.isFinite(v.probability) ? v.probability : 0));
    const insight: PodInsight = {
      namespace: s.namespace,
      pod: s.pod,
      timestamp: s.timestamp,
      anomaly_probability: Math.round(probability * 1e4) / 1e4,
      predicted_anomaly: v.anomalous,
      anomaly_type: v.anomalous ? v.type : 'none',
      contributing_metrics: v.contributing.filter((c) => Number.isFinite(c.value) && Number.isFinite(c.expected) && Number.isFinite(c.deviation)),
      since: v.since !== null && Number.isFinite(v.since) ? new Date(v.since).toISOString() : null,
      status: s.status,
      node: s.node,
      ...(s.workload ? { workload: s.workload } : {}),
    };
    this.pods.set(key, { insight, lastTime: s.time });
    if (s.time > this.newestTime) this.newestTime = s.time;
    if (this.learning) return;
    this.scores?.add({ timestamp: s.timestamp, namespace: s.namespace, pod: s.pod, probability, anomalous: v.anomalous, type: insight.anomaly_type });
    const was = prev?.insight.predicted_anomaly ?? false;
    if (v.anomalous && !was) this.print(alertLine(insight, this.cfg.threshold));
    else if (!v.anomalous && was) this.print(`${s.timestamp} cleared  ${key} (p=${insight.anomaly_probability.toFixed(2)})`);
  }

  /** Forgets pods without a row for `forgetAfter` seconds of row time (or left ahead of a clock jump). */
  private forgetStale(): void {
    const gap = this.cfg.forgetAfter * 1000;
    for (const [key, e] of this.pods) {
      if (e.lastTime < this.newestTime - gap || e.lastTime > this.newestTime + gap) {
        this.scorer.forget(e.insight.namespace, e.insight.pod);
        this.pods.delete(key);
        this.log.debug(`forgot ${key}: no row since ${e.insight.timestamp}`);
      }
    }
  }

  /** Scores (fsync) → checkpoint → insights → heartbeat. */
  writeOutputs(): void {
    this.forgetStale();
    const scoresBytes = this.scores ? this.scores.flush() : null;
    const perf = this.perf;
    if (this.cfg.checkpointFile) {
      const t0 = performance.now();
      const state: AgentState = { scorer: this.scorer.snapshot(), pods: [...this.pods], newestTime: Number.isFinite(this.newestTime) ? this.newestTime : 0, learning: this.learning };
      // Large per-pod state goes to a sidecar (fsynced first); the checkpoint then names it.
      const stored = spillState(this.cfg.checkpointFile, state);
      saveCheckpoint(this.cfg.checkpointFile, {
        version: CHECKPOINT_VERSION,
        saved_at: new Date().toISOString(),
        input_file: resolve(this.cfg.inputFile),
        detector: this.cfg.detectorName,
        position: this.tailer.position(),
        scores_bytes: scoresBytes,
        counters: { rows_read: this.rowsRead, rows_rejected: this.rowsRejected },
        state: stored,
      });
      removeOldSpills(this.cfg.checkpointFile, stored);
      perf.checkpoint_write_last_ms = performance.now() - t0;
      perf.checkpoint_write_ms += perf.checkpoint_write_last_ms;
    }
    const t0 = performance.now();
    const pods = [...this.pods.values()].map((e) => e.insight).sort((a, b) => (a.namespace + '/' + a.pod).localeCompare(b.namespace + '/' + b.pod));
    writeJsonAtomic(
      this.cfg.insightsFile,
      {
        generated_at: new Date().toISOString(),
        model: this.cfg.model,
        threshold: this.cfg.threshold,
        rows_read: this.rowsRead,
        rows_rejected: this.rowsRejected,
        pods,
      },
      PodInsights,
    );
    perf.insights_write_last_ms = performance.now() - t0;
    perf.insights_write_ms += perf.insights_write_last_ms;
    perf.insights_write_max_ms = Math.max(perf.insights_write_max_ms, perf.insights_write_last_ms);
    perf.insights_writes++;
    writeJsonAtomic(join(dirname(this.cfg.insightsFile), HEARTBEAT_NAME), {
      pid: process.pid,
      time: new Date().toISOString(),
      rows_read: this.rowsRead,
      rows_rejected: this.rowsRejected,
      lag_bytes: this.tailer.lagBytes(),
      pods: pods.length,
      anomalies: pods.filter((p) => p.predicted_anomaly).length,
      perf: { ...perf, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) },
    });
  }

  /** --once: everything in the file now, then the outputs. */
  runOnce(): void {
    this.processAvailable();
    this.writeOutputs();
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
          try {
            this.writeOutputs();
          } catch (err) {
            // e.g. a full disk: keep scoring; the checkpoint did not advance, so nothing is lost.
            this.log.error(`cannot write the outputs: ${(err as Error).message}; retrying next interval`);
          }
          lastWrite = now;
        }
        if (!drained) continue; // a backlog: keep reading
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
      this.writeOutputs();
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.scores?.close();
    this.scores = null;
    await this.tailer?.close();
  }

  status(): { rows_read: number; rows_rejected: number; pods: number; anomalies: number; lag_bytes: number } {
    let anomalies = 0;
    for (const e of this.pods.values()) if (e.insight.predicted_anomaly) anomalies++;
    return { rows_read: this.rowsRead, rows_rejected: this.rowsRejected, pods: this.pods.size, anomalies, lag_bytes: this.tailer.lagBytes() };
  }
}

function alertLine(i: PodInsight, threshold: number): string {
  const top = i.contributing_metrics
    .slice(0, 2)
    .map((c) => `${c.metric}=${fmt(c.value)} (expected ${fmt(c.expected)})`)
    .join(', ');
  return `${i.timestamp} ANOMALY  ${i.namespace}/${i.pod} ${i.anomaly_type} p=${i.anomaly_probability.toFixed(2)} >= ${threshold}${top ? ` :: ${top}` : ''}`;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 ? x.toExponential(2) : String(Math.round(x * 100) / 100);
}
