// pod_insights.json built on the scoring thread in slices between read batches (compact beyond
// --insights-detail-max pods), then written in the thread pool.
import { performance } from 'node:perf_hooks';
import { writeFileAtomicAsync } from '../../lib/atomic-file.ts';
import type { Logger } from '../../lib/log.ts';
import { PodInsights, type ModelInfo, type PodInsight } from '../../lib/schemas.ts';
import { forecastsOf } from '../../models/forecast.ts';
import { checkpointSlicing } from './config.ts';
import { cmpPod, jsonString } from './format.ts';
import { noteStall, type AgentPerf } from './perf.ts';
import type { PodEntry } from './pod-entry.ts';

export interface InsightsStart {
  header: Omit<PodInsights, 'pods' | 'other_pods'>;
  /** The pods, in the order the agent first saw them. */
  entries: PodEntry[];
  /** Every pod in full up to this many; beyond, full entries only from `detailFrom` on. */
  detailMax: number;
  detailFrom: number;
  perf: AgentPerf;
  log: Logger;
  /** When starting it began (performance.now()), before the pods were listed. */
  started: number;
  /** Called once every pod is added (from within slice, before its stall is noted). */
  built: (job: InsightsJob) => void;
}

export class InsightsJob {
  private readonly cfg: InsightsStart;
  readonly compact: boolean;
  private cursor = 0;
  private readonly full: PodInsight[] = [];
  /** other_pods entries as JSON text, comma-separated runs of entries. */
  private readonly brief: string[] = [];
  private anomalies = 0;
  /** When it started (performance.now()). */
  readonly started: number;
  /** Milliseconds spent on the scoring thread. */
  threadMs = 0;

  constructor(cfg: InsightsStart) {
    this.started = cfg.started;
    this.cfg = cfg;
    this.compact = cfg.entries.length > cfg.detailMax;
    noteStall(cfg.perf, cfg.log, this.started, 'starting the insights', this);
  }

  /** Adds the next pods, for at most `budgetMs` (Infinity: all, at a stop). */
  slice(budgetMs = checkpointSlicing.budgetMs): void {
    const t0 = performance.now();
    const { full, brief, compact } = this;
    const { entries, detailFrom } = this.cfg;
    const n = entries.length;
    while (this.cursor < n) {
      const stop = Math.min(n, this.cursor + Math.max(1, checkpointSlicing.insightsPods));
      let text = '';
      for (; this.cursor < stop; this.cursor++) {
        const e = entries[this.cursor]!;
        if (e.anomalous) this.anomalies++;
        // a pod whose usage heads for a limit is detailed too: its forecasts are the news
        const fc = e.forecast ? forecastsOf(e.forecast) : undefined;
        if (!compact || e.anomalous || e.probability >= detailFrom || (fc !== undefined && fc.length > 0)) full.push(e.toInsight(fc));
        else text += `${text ? ',' : ''}[${jsonString(e.namespace)},${jsonString(e.pod)},${jsonString(e.timestamp)},${e.probability}]`;
      }
      if (text) brief.push(text); // one string per step: the final join is over a few hundred
      if (performance.now() - t0 >= budgetMs) break;
    }
    if (this.cursor >= n) this.cfg.built(this);
    if (budgetMs !== Infinity || !compact) noteStall(this.cfg.perf, this.cfg.log, t0, 'building the insights', this);
    else this.threadMs += performance.now() - t0; // at a stop: not a stall of scoring
  }

  /** The file's text (validated) and its counts, once every pod is added. */
  render(): { text: string; counts: InsightsCounts } {
    // Full entries sorted by pod; the brief ones in the agent's order (a sort of 150,000 is not worth it).
    this.full.sort((a, b) => cmpPod(a.namespace, a.pod, b.namespace, b.pod));
    const doc: PodInsights = { ...this.cfg.header, pods: this.full };
    PodInsights.parse(doc); // the header and every full entry; the brief ones are built from typed fields
    let text: string;
    if (this.compact) {
      const head = JSON.stringify(doc);
      text = `${head.slice(0, -1)},"other_pods":[${this.brief.join(',')}]}\n`;
    } else text = JSON.stringify(doc, null, 2) + '\n';
    return { text, counts: { pods: this.cfg.entries.length, anomalies: this.anomalies } };
  }
}

export interface InsightsCounts {
  pods: number;
  anomalies: number;
}

export interface InsightsOptions {
  file: string;
  model: ModelInfo;
  threshold: number;
  detailMax: number;
  detailFrom: number;
  perf: AgentPerf;
  log: Logger;
  /** After each write (the heartbeat that describes it). */
  written: (counts: InsightsCounts) => Promise<void>;
}

/** One pod_insights.json at a time: being built (`building`), then being written (`writing`). */
export class InsightsWriter {
  building: InsightsJob | null = null;
  writing: Promise<void> | null = null;
  private readonly o: InsightsOptions;

  constructor(o: InsightsOptions) {
    this.o = o;
  }

  /**
   * Starts pod_insights.json: every pod in full up to detailMax pods (built now); beyond, full entries for
   * pods at or above detailFrom (every anomalous one among them) and [namespace, pod, timestamp,
   * probability] for the rest, in the order the agent first saw them, built in slices between read batches
   * (slice). Skipped while the previous one is being built or written.
   */
  start(counters: { rows_read: number; rows_rejected: number }, pods: Map<string, PodEntry>): boolean {
    if (this.writing || this.building) return false;
    const started = performance.now();
    const o = this.o;
    this.building = new InsightsJob({
      header: { generated_at: new Date().toISOString(), model: o.model, threshold: o.threshold, ...counters },
      entries: [...pods.values()],
      detailMax: o.detailMax,
      detailFrom: o.detailFrom,
      perf: o.perf,
      log: o.log,
      started,
      built: (job) => this.write(job),
    });
    if (!this.building.compact) this.slice(Infinity); // small: at once
    return true;
  }

  /** Adds the next pods to the insights being built, for at most `budgetMs` (Infinity: all, at a stop). */
  slice(budgetMs = checkpointSlicing.budgetMs): void {
    this.building?.slice(budgetMs);
  }

  /** Why the last write of the file failed; null once one succeeds. */
  lastError: Error | null = null;

  private write(job: InsightsJob): void {
    this.building = null;
    const { text, counts } = job.render();
    const built = job.threadMs;
    const { perf, log, file } = this.o;
    this.writing = writeFileAtomicAsync(file, text)
      .then(() => {
        perf.insights_write_last_ms = performance.now() - job.started;
        perf.insights_write_ms += perf.insights_write_last_ms;
        perf.insights_write_max_ms = Math.max(perf.insights_write_max_ms, perf.insights_write_last_ms);
        perf.insights_writes++;
        perf.insights_build_last_ms = built;
        this.lastError = null;
        return this.o.written(counts);
      })
      .catch((err: unknown) => {
        this.lastError = err as Error;
        log.error(`cannot write ${file}: ${(err as Error).message}; retrying next interval`);
      })
      .finally(() => {
        this.writing = null;
      });
  }
}
