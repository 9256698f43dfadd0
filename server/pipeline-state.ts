// The server's view of the pipeline: it follows pod_insights.json, pod_analysis.json, the audit log and the
// decisions directory (lib/file-watch.ts), rebuilds what the routes read once per change (the pod index,
// the anomaly entries), keeps a bounded probability history per pod near or above the threshold, and
// emits the changes as events for GET /api/events. It only reads; every file has its own writer.
import { EventEmitter } from 'node:events';
import { readJsonFile, readJsonLines } from '../lib/atomic-file.ts';
import { readDecisions, type DecisionRecord } from '../lib/decisions.ts';
import { watchFile, type FileWatch } from '../lib/file-watch.ts';
import { readHeartbeat } from '../lib/heartbeat.ts';
import type { Logger } from '../lib/log.ts';
import { HEARTBEAT_WRITERS, pipelineFile, pipelineHeartbeat } from '../lib/pipeline-files.ts';
import { AuditRecord, PodAnalysisFile, PodInsights } from '../lib/schemas.ts';
import type { AgentStatus, AnomalySummary, ProbabilityPoint, StatusEvent } from './api-schemas.ts';
import { anomalyEntries, anomalySummary, type AnomalyEntry } from './anomaly-view.ts';
import { key, PodIndex } from './pod-index.ts';
import type { z } from 'zod';

export interface PipelineStateOptions {
  dataDir: string;
  /** A heartbeat older than this is not fresh (seconds). */
  staleAfterSeconds: number;
  log: Logger;
  /** Points of probability history kept per pod. */
  historyPoints?: number;
  /** Pods whose history is kept (the rest are dropped, oldest first). */
  historyPods?: number;
}

export interface PipelineEvents {
  status: [z.infer<typeof StatusEvent>];
  anomaly: [{ change: 'new' | 'changed' | 'resolved'; anomaly: AnomalySummary }];
  analysis: [{ generated_at: string; open: number }];
  remediation: [AuditRecord];
}

export class PipelineState extends EventEmitter<PipelineEvents> {
  readonly files: { insights: string; analysis: string; audit: string; decisions: string; metrics: string; alertRequests: string };
  index = new PodIndex(null);
  analysisFile: PodAnalysisFile | null = null;
  anomalies: AnomalyEntry[] = [];
  audit: AuditRecord[] = [];
  decisions: DecisionRecord[] = [];
  private readonly history = new Map<string, Array<z.infer<typeof ProbabilityPoint>>>();
  private readonly watches: FileWatch[] = [];
  private statusTimer: NodeJS.Timeout | undefined;
  private lastSummaries = new Map<string, string>();
  private readonly o: PipelineStateOptions;

  constructor(o: PipelineStateOptions) {
    super();
    this.o = o;
    const f = (k: Parameters<typeof pipelineFile>[1]) => pipelineFile(o.dataDir, k);
    this.files = {
      insights: f('insights'),
      analysis: f('analysis'),
      audit: f('audit'),
      decisions: f('decisions'),
      metrics: f('metrics'),
      alertRequests: f('alertRequests'),
    };
  }

  /** Reads every file once, then follows them. */
  start(): void {
    const onError = (what: string) => (err: unknown) => this.o.log.warn(`cannot read ${what}`, { reason: (err as Error).message });
    const follow = (path: string, run: () => void, what: string) =>
      this.watches.push(
        watchFile(path, { run: async () => run(), pollSeconds: 0.5, onError: onError(what), onWatchError: onError(`${what} (watch)`) }),
      );
    this.loadAudit();
    this.loadDecisions();
    this.loadInsights();
    this.loadAnalysis();
    follow(this.files.insights, () => this.loadInsights(), 'insights');
    follow(this.files.analysis, () => this.loadAnalysis(), 'analysis');
    follow(this.files.audit, () => this.loadAudit(), 'audit log');
    // The directory's identity (mtime) changes when a decision file is created in it.
    follow(this.files.decisions, () => this.loadDecisions(), 'decisions');
    // Heartbeats age without any file changing: listeners get the status (agent freshness) every 5 s too.
    this.statusTimer = setInterval(() => this.listenerCount('status') > 0 && this.emit('status', this.status()), 5_000);
    this.statusTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.statusTimer);
    await Promise.all(this.watches.splice(0).map((w) => w.close()));
  }

  loadInsights(): void {
    const ins = readJsonFile(this.files.insights, PodInsights);
    if (!ins || ins.generated_at === this.index.generatedAt) return;
    this.index = new PodIndex(ins);
    this.recordHistory();
    this.emit('status', this.status());
  }

  loadAnalysis(): void {
    const file = readJsonFile(this.files.analysis, PodAnalysisFile);
    if (!file) return;
    this.analysisFile = file;
    this.anomalies = anomalyEntries(file);
    this.emit('analysis', { generated_at: file.generated_at, open: file.analyses.length });
    this.emitAnomalyChanges();
  }

  loadAudit(): void {
    const { records } = readJsonLines(this.files.audit, AuditRecord);
    const fresh = records.slice(this.audit.length);
    this.audit = records;
    for (const r of fresh) this.emit('remediation', r);
    if (fresh.length) this.emitAnomalyChanges();
  }

  loadDecisions(): void {
    this.decisions = readDecisions(this.files.decisions).decisions;
  }

  private emitAnomalyChanges(): void {
    const next = new Map<string, string>();
    for (const e of this.anomalies) {
      const s = anomalySummary(e, this.audit);
      const text = JSON.stringify(s);
      next.set(s.id, text);
      const before = this.lastSummaries.get(s.id);
      if (before === text) continue;
      const change = s.status === 'resolved' ? 'resolved' : before === undefined ? 'new' : 'changed';
      if (before === undefined && s.status === 'resolved' && this.lastSummaries.size === 0) continue;
      this.emit('anomaly', { change, anomaly: s });
    }
    this.lastSummaries = next;
  }

  /** Appends each near-threshold pod's probability at its latest timestamp; bounded in points and pods. */
  private recordHistory(): void {
    const maxPoints = this.o.historyPoints ?? 360;
    const maxPods = this.o.historyPods ?? 10_000;
    for (const p of this.index.fullEntries()) {
      const k = key(p.namespace, p.pod);
      let h = this.history.get(k);
      if (!h) {
        h = [];
        this.history.set(k, h);
      }
      if (h.at(-1)?.ts === p.timestamp) continue;
      h.push({ ts: p.timestamp, p: p.anomaly_probability });
      if (h.length > maxPoints) h.splice(0, h.length - maxPoints);
    }
    // Map order is insertion order: the pods tracked longest go first.
    for (const k of this.history.keys()) {
      if (this.history.size <= maxPods) break;
      this.history.delete(k);
    }
  }

  probabilityHistory(namespace: string, pod: string): Array<z.infer<typeof ProbabilityPoint>> {
    return this.history.get(key(namespace, pod)) ?? [];
  }

  agents(now = Date.now()): AgentStatus[] {
    const staleMs = this.o.staleAfterSeconds * 1000;
    const out: AgentStatus[] = [];
    const { metrics: csv, insights, analysis } = this.files;
    for (const name of HEARTBEAT_WRITERS) {
      const read = readHeartbeat(pipelineHeartbeat({ csv, insights, analysis }, name));
      // The notification agent runs only when a target is configured: no heartbeat means not running, not unready.
      if (read.status !== 'ok' && name === 'notification-agent') continue;
      out.push(agentStatus(name, read, now, staleMs));
    }
    return out;
  }

  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const p of this.index.fullEntries()) if (p.predicted_anomaly) counts[p.anomaly_type] = (counts[p.anomaly_type] ?? 0) + 1;
    return counts;
  }

  status(): z.infer<typeof StatusEvent> {
    const counts = this.countsByType();
    return {
      agents: this.agents(),
      total_pods: this.index.size,
      anomalous_pods: Object.values(counts).reduce((a, b) => a + b, 0),
      counts_by_type: counts,
      generated_at: this.index.generatedAt,
    };
  }

  anomaly(id: string): AnomalyEntry | undefined {
    return this.anomalies.find((e) => e.analysis.id === id);
  }
}

function agentStatus(name: string, read: ReturnType<typeof readHeartbeat>, now: number, staleMs: number): AgentStatus {
  if (read.status !== 'ok') return { name, fresh: false, age_seconds: null, state: 'missing' as const };
  const age = Math.max(0, now - Date.parse(read.heartbeat.time));
  return { name, fresh: age <= staleMs, age_seconds: Math.round(age / 100) / 10, state: read.heartbeat.state };
}
