// Follows pod_insights.json and pod_analysis.json for the status block and the event lines: a pod
// newly flagged, a new analysis (root cause and recommended actions), an anomaly cleared. The audit
// log tells which open analyses a verified fix has already resolved: they no longer count as open,
// though the anomaly agent keeps them until the old pod's insight is forgotten.
import { AuditRecord, insightsPodCount, PodAnalysisFile, PodInsights, type PodAnalysis, type PodInsight } from '../lib/schemas.ts';
import { readJsonFile, readJsonLines } from '../lib/atomic-file.ts';
import { fileIdentity } from '../lib/file-watch.ts';

/** Re-reads a file only when its identity (inode, size, mtime) changed (large clusters: MB of JSON). */
class CachedRead<T> {
  private key = '';
  private value: T | null = null;
  private readonly path: string;
  private readonly read: (path: string) => T | null;
  constructor(path: string, read: (path: string) => T | null) {
    this.path = path;
    this.read = read;
  }

  /** The parsed file, or null when missing; `changed` when it was read anew. Throws on invalid content. */
  get(): { value: T | null; changed: boolean } {
    const key = fileIdentity(this.path);
    if (key === this.key) return { value: this.value, changed: false };
    const value = key === 'missing' ? null : this.read(this.path);
    this.key = key;
    this.value = value;
    return { value, changed: true };
  }
}

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
  const lines = [`ANALYSIS ${podKey(a)} [${a.severity}] ${a.anomaly_type} (${src}, id ${a.id})`, `  root cause: ${a.root_cause}`];
  if (a.explanation) lines.push(`  ${a.explanation}`);
  for (const e of a.evidence.slice(0, 3)) lines.push(`  evidence: ${e}`);
  for (const r of a.recommended_actions)
    lines.push(`  recommended: ${r.action} ${JSON.stringify(r.params)} (risk ${r.risk}) — ${r.rationale}`);
  return lines.join('\n');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export class PipelineWatch {
  private readonly insights: CachedRead<PodInsights>;
  private readonly analysis: CachedRead<PodAnalysisFile>;
  /** Ids of analyses whose remediation was verified RESOLVED. */
  private readonly verified: CachedRead<Set<string>> | null;
  private flagged = new Set<string>();
  private seenAnalyses = new Set<string>();
  private firstRead = true;
  private lastError = '';
  constructor(insightsFile: string, analysisFile: string, auditFile?: string) {
    this.insights = new CachedRead(insightsFile, (p) => readJsonFile(p, PodInsights));
    this.analysis = new CachedRead(analysisFile, (p) => readJsonFile(p, PodAnalysisFile));
    this.verified = auditFile
      ? new CachedRead(auditFile, (p) => {
          const ids = new Set<string>();
          for (const r of readJsonLines(p, AuditRecord).records)
            if (r.event === 'verification' && r.result === 'RESOLVED') ids.add(r.analysis_id);
          return ids;
        })
      : null;
  }

  /** Reads both files; a missing or invalid file leaves its figures unknown (reported once). */
  poll(): { snapshot: PipelineSnapshot; events: PipelineEvents } {
    const lines: string[] = [];
    const newAnalyses: PodAnalysis[] = [];
    const snapshot: PipelineSnapshot = { pods: undefined, flagged: undefined, openAnalyses: undefined, rowsRead: undefined, analyses: [] };
    let error = '';
    try {
      const { value: ins, changed } = this.insights.get();
      if (ins) {
        snapshot.pods = insightsPodCount(ins);
        snapshot.rowsRead = ins.rows_read;
        if (changed) {
          const now = new Set<string>();
          for (const p of ins.pods) {
            if (!p.predicted_anomaly) continue;
            now.add(podKey(p));
            if (!this.flagged.has(podKey(p))) lines.push(describeAnomaly(p));
          }
          for (const k of this.flagged) if (!now.has(k)) lines.push(`cleared ${k}: no longer anomalous`);
          this.flagged = now;
        }
        snapshot.flagged = this.flagged.size;
      }
    } catch (err) {
      error = (err as Error).message;
    }
    try {
      const { value: an } = this.analysis.get();
      if (an) {
        snapshot.analyses = an.analyses as PodAnalysis[];
        const verified = this.verified?.get().value;
        snapshot.openAnalyses = an.analyses.filter((a) => !verified?.has(a.id)).length;
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
