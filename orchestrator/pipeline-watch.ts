// Follows pod_insights.json and pod_analysis.json for the status block and the event lines: a pod
// newly flagged, a new analysis (root cause and recommended actions), an anomaly cleared.
import { PodAnalysisFile, PodInsights, type PodAnalysis, type PodInsight } from '../lib/schemas.ts';
import { readJsonFile } from '../lib/atomic-file.ts';

export interface PipelineSnapshot {
  pods: number | undefined;
  flagged: number | undefined;
  openAnalyses: number | undefined;
  rowsRead: number | undefined;
  analyses: PodAnalysis[];
}

export interface PipelineEvents {
  lines: string[];
  /** Analyses seen for the first time this tick. */
  newAnalyses: PodAnalysis[];
}

const podKey = (p: { namespace: string; pod: string }) => `${p.namespace}/${p.pod}`;
const pct = (p: number) => `${Math.round(p * 100)}%`;

export function describeAnomaly(p: PodInsight): string {
  const top = p.contributing_metrics
    .slice(0, 3)
    .map((m) => `${m.metric} ${fmt(m.value)} (expected ${fmt(m.expected)})`)
    .join('; ');
  return `ANOMALY ${podKey(p)}: ${p.anomaly_type} probability ${pct(p.anomaly_probability)}${top ? ` — ${top}` : ''}`;
}

export function describeAnalysis(a: PodAnalysis): string {
  const src = a.source.type === 'llm' ? `llm ${a.source.model}` : 'rules';
  const lines = [
    `ANALYSIS ${podKey(a)} [${a.severity}] ${a.anomaly_type} (${src}, id ${a.id})`,
    `  root cause: ${a.root_cause}`,
  ];
  if (a.explanation) lines.push(`  ${a.explanation}`);
  for (const e of a.evidence.slice(0, 3)) lines.push(`  evidence: ${e}`);
  for (const r of a.recommended_actions) lines.push(`  recommended: ${r.action} ${JSON.stringify(r.params)} (risk ${r.risk}) — ${r.rationale}`);
  return lines.join('\n');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export class PipelineWatch {
  private readonly insightsFile: string;
  private readonly analysisFile: string;
  private flagged = new Set<string>();
  private seenAnalyses = new Set<string>();
  private firstRead = true;
  private lastError = '';
  constructor(insightsFile: string, analysisFile: string) {
    this.insightsFile = insightsFile;
    this.analysisFile = analysisFile;
  }

  /** Reads both files; a missing or invalid file leaves its figures unknown (reported once). */
  poll(): { snapshot: PipelineSnapshot; events: PipelineEvents } {
    const lines: string[] = [];
    const newAnalyses: PodAnalysis[] = [];
    const snapshot: PipelineSnapshot = { pods: undefined, flagged: undefined, openAnalyses: undefined, rowsRead: undefined, analyses: [] };
    let error = '';
    try {
      const ins = readJsonFile(this.insightsFile, PodInsights);
      if (ins) {
        snapshot.pods = ins.pods.length;
        snapshot.rowsRead = ins.rows_read;
        const now = new Set<string>();
        for (const p of ins.pods) {
          if (!p.predicted_anomaly) continue;
          now.add(podKey(p));
          if (!this.flagged.has(podKey(p))) lines.push(describeAnomaly(p));
        }
        for (const k of this.flagged) if (!now.has(k)) lines.push(`cleared ${k}: no longer anomalous`);
        this.flagged = now;
        snapshot.flagged = now.size;
      }
    } catch (err) {
      error = (err as Error).message;
    }
    try {
      const an = readJsonFile(this.analysisFile, PodAnalysisFile);
      if (an) {
        snapshot.analyses = an.analyses as PodAnalysis[];
        snapshot.openAnalyses = an.analyses.length;
        for (const a of an.analyses as PodAnalysis[]) {
          if (this.seenAnalyses.has(a.id)) continue;
          this.seenAnalyses.add(a.id);
          newAnalyses.push(a);
          lines.push(describeAnalysis(a));
        }
      }
    } catch (err) {
      error = (err as Error).message;
    }
    if (error && error !== this.lastError) lines.push(`warning: ${error}`);
    this.lastError = error;
    this.firstRead = false;
    return { snapshot, events: { lines, newAnalyses } };
  }

  get started(): boolean {
    return !this.firstRead;
  }
}
