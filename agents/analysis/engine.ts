// One analysis cycle over pod_insights.json: builds the context of each anomalous pod, analyses what is
// new or changed materially (type, severity, a new warning event) and keeps the rest, moves anomalies
// that cleared to `resolved`, and writes pod_analysis.json atomically. Dedup state (fingerprints) is kept
// beside the output so a restart does not re-analyse every open anomaly.
import { dirname } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonAtomic } from '../../lib/atomic-file.ts';
import type { KubeClients } from '../../lib/kube.ts';
import type { Logger } from '../../lib/log.ts';
import { pipelineFile } from '../../lib/pipeline-files.ts';
import { AnomalyType, PodAnalysisFile, Severity, type PodAnalysis, type PodInsight, type PodInsights } from '../../lib/schemas.ts';
import { analyse, type AnalyserDeps } from './analyser.ts';
import { buildContext, type ContextOptions } from './context.ts';
import type { PodContext } from './context-types.ts';
import { anomalyId, materialChange, type Fingerprint } from './ids.ts';
import { ruleJudgement } from './rules.ts';
import { ALERT_ID_PREFIX, alertEvidence, alertInsights } from './alert-intake.ts';
import type { AlertRequest } from '../../lib/alert-requests.ts';

type Resolved = PodAnalysisFile['resolved'][number];

interface OpenEntry {
  analysis: PodAnalysis;
  fingerprint: Fingerprint;
  /** After a transient LLM failure: when the LLM may be asked again (epoch ms). */
  llmRetryAt?: number | undefined;
}

const StateFile = z.object({
  open: z.record(
    z.string(),
    z.object({
      fingerprint: z.object({ type: AnomalyType, severity: Severity, events: z.array(z.string()) }),
      llmRetryAt: z.number().optional(),
    }),
  ),
});

export interface EngineOptions {
  analysisFile: string;
  clients: KubeClients | null;
  context: ContextOptions;
  analyser: AnalyserDeps;
  resolvedLimit: number;
  /** Wait after a transient LLM failure before asking again for the same anomaly. */
  llmRetryMs: number;
  /** Pods whose contexts are built at the same time. */
  parallel: number;
  logger: Logger;
  /** Replaces the cluster context builder (tests, benchmarks). */
  buildContext?: (insight: PodInsight) => Promise<PodContext>;
  /** Called once per new or re-analysed anomaly (the console block). */
  onAnalysis?: (a: PodAnalysis, why: string) => void;
}

export interface CycleResult {
  analysed: number;
  kept: number;
  resolved: number;
}

async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

export class AnalysisEngine {
  readonly open = new Map<string, OpenEntry>();
  resolved: Resolved[] = [];
  analysedTotal = 0;
  private readonly o: EngineOptions;
  private readonly stateFile: string;
  /** Alerts firing in the current cycle, by namespace/pod, and the pods investigated because of one. */
  private alerts: ReadonlyMap<string, AlertRequest> = new Map();
  private alertDriven = new Set<string>();

  constructor(o: EngineOptions) {
    this.o = o;
    this.stateFile = pipelineFile(dirname(o.analysisFile), 'analysisState');
  }

  /** Resumes from an existing pod_analysis.json (and dedup state); a broken file is logged and ignored. */
  load(): void {
    let file: PodAnalysisFile | null = null;
    let state: z.infer<typeof StateFile> | null = null;
    try {
      file = readJsonFile(this.o.analysisFile, PodAnalysisFile);
    } catch (err) {
      this.o.logger.warn('previous analysis file not usable, starting empty', { reason: (err as Error).message });
    }
    try {
      state = readJsonFile(this.stateFile, StateFile);
    } catch (err) {
      this.o.logger.warn('dedup state not usable: open anomalies are re-analysed on their next event', { reason: (err as Error).message });
    }
    if (!file) return;
    this.resolved = file.resolved;
    for (const a of file.analyses) {
      const s = state?.open[a.id];
      this.open.set(a.id, {
        analysis: a as PodAnalysis,
        fingerprint: s?.fingerprint ?? { type: a.anomaly_type, severity: a.severity, events: [] },
        llmRetryAt: s?.llmRetryAt,
      });
    }
  }

  /** The id of the pod's anomaly; without a `since`, the pod's open anomaly keeps its id. */
  private idOf(insight: PodInsight): string {
    if (this.alertDriven.has(`${insight.namespace}/${insight.pod}`)) return ALERT_ID_PREFIX + anomalyId(insight);
    if (insight.since === null) {
      for (const [id, e] of this.open) if (e.analysis.namespace === insight.namespace && e.analysis.pod === insight.pod) return id;
    }
    return anomalyId(insight);
  }

  private async one(insight: PodInsight, seen: Set<string>): Promise<void> {
    const id = this.idOf(insight);
    seen.add(id);
    const ctx = this.o.buildContext ? await this.o.buildContext(insight) : await buildContext(this.o.clients, insight, this.o.context);
    const rules = ruleJudgement(ctx, this.o.analyser.rules);
    const fp: Fingerprint = { type: rules.anomaly_type, severity: rules.severity, events: ctx.events.map((e) => e.key) };
    const prev = this.open.get(id);
    let why = 'new anomaly';
    if (prev) {
      const change = materialChange(prev.fingerprint, fp);
      const retry = !!this.o.analyser.llm && prev.llmRetryAt !== undefined && Date.now() >= prev.llmRetryAt;
      if (!change && !retry) {
        prev.analysis = { ...prev.analysis, anomaly_probability: insight.anomaly_probability };
        return;
      }
      why = change ?? 'retrying the LLM after a transient failure';
      fp.events = [...new Set([...prev.fingerprint.events, ...fp.events])];
    }
    const out = await analyse(ctx, id, this.o.analyser);
    const alert = id.startsWith(ALERT_ID_PREFIX) ? this.alerts.get(`${insight.namespace}/${insight.pod}`) : undefined;
    if (alert) out.analysis.evidence = [alertEvidence(alert), ...out.analysis.evidence];
    this.analysedTotal++;
    this.open.set(id, {
      analysis: out.analysis,
      fingerprint: fp,
      llmRetryAt: out.llmFailure?.transient ? Date.now() + this.o.llmRetryMs : undefined,
    });
    this.o.logger.info('analysed', {
      id,
      namespace: insight.namespace,
      pod: insight.pod,
      why,
      type: out.analysis.anomaly_type,
      severity: out.analysis.severity,
      source: out.analysis.source.type,
      actions: out.analysis.recommended_actions.map((a) => a.action),
      ...(out.llmFailure ? { llm_failure: out.llmFailure.reason } : {}),
    });
    this.o.onAnalysis?.(out.analysis, out.llmFailure ? `${why}; LLM failed (${out.llmFailure.reason}), rule-based result` : why);
  }

  /** One pass; `alerts` (by namespace/pod) adds the pods Alertmanager asked about (alert-intake.ts). */
  async cycle(insights: PodInsights, alerts: ReadonlyMap<string, AlertRequest> = new Map()): Promise<CycleResult> {
    const before = this.analysedTotal;
    this.alerts = alerts;
    const fromAlerts = alertInsights(insights, alerts);
    this.alertDriven = new Set(fromAlerts.map((p) => `${p.namespace}/${p.pod}`));
    const anomalous = [...insights.pods.filter((p) => p.predicted_anomaly), ...fromAlerts];
    const seen = new Set<string>();
    await pool(anomalous, this.o.parallel, async (p) => {
      try {
        await this.one(p, seen);
      } catch (err) {
        // One pod's failure must not stop the others; its previous analysis (if any) stays open.
        this.o.logger.error('analysis of a pod failed', { namespace: p.namespace, pod: p.pod, error: err as Error });
      }
    });
    const now = new Date().toISOString();
    let resolvedNow = 0;
    for (const [id, entry] of this.open) {
      if (seen.has(id)) continue;
      this.open.delete(id);
      this.resolved.unshift({ ...entry.analysis, resolved_at: now });
      resolvedNow++;
      this.o.logger.info('anomaly resolved', { id, namespace: entry.analysis.namespace, pod: entry.analysis.pod });
    }
    this.resolved = this.resolved.slice(0, this.o.resolvedLimit);
    this.write();
    return { analysed: this.analysedTotal - before, kept: this.open.size, resolved: resolvedNow };
  }

  write(): void {
    const file: PodAnalysisFile = {
      generated_at: new Date().toISOString(),
      analyses: [...this.open.values()].map((e) => e.analysis),
      resolved: this.resolved,
    };
    writeJsonAtomic(this.o.analysisFile, file, PodAnalysisFile as unknown as z.ZodType<PodAnalysisFile>);
    const state: z.infer<typeof StateFile> = { open: {} };
    for (const [id, e] of this.open) {
      state.open[id] = { fingerprint: e.fingerprint, ...(e.llmRetryAt !== undefined ? { llmRetryAt: e.llmRetryAt } : {}) };
    }
    writeJsonAtomic(this.stateFile, state);
  }
}
