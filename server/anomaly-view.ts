// What the API shows of an anomaly: the analysis (open or resolved) from pod_analysis.json, and for each
// recommended action its state, dry run, decision, execution and verification as run-remediation recorded
// them in the audit log (remediation/proposal-state.ts, the rules podsentinel-mcp shows too). Derived on
// request from the two files, so the server writes nothing of its own.
import type { DecisionRecord } from '../lib/decisions.ts';
import type { AuditRecord, PodAnalysis, PodAnalysisFile } from '../lib/schemas.ts';
import { proposalRecords, proposalState } from '../remediation/proposal-state.ts';
import type { AnomalyDetailResponse, AnomalySummary, Proposal } from './api-schemas.ts';

type Resolved = PodAnalysisFile['resolved'][number];

export interface AnomalyEntry {
  analysis: PodAnalysis;
  status: 'open' | 'resolved';
  resolvedAt: string | null;
}

/** Open analyses first, then resolved ones not open again. */
export function anomalyEntries(file: PodAnalysisFile | null): AnomalyEntry[] {
  if (!file) return [];
  const out: AnomalyEntry[] = file.analyses.map((a) => ({ analysis: a as PodAnalysis, status: 'open' as const, resolvedAt: null }));
  const open = new Set(out.map((e) => e.analysis.id));
  for (const r of file.resolved as Resolved[]) {
    if (open.has(r.id)) continue;
    open.add(r.id);
    out.push({ analysis: r as unknown as PodAnalysis, status: 'resolved', resolvedAt: r.resolved_at });
  }
  return out;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function detailText(r: AuditRecord): string | null {
  const d = (r.detail ?? {}) as Record<string, unknown>;
  return str(d.summary) ?? str(d.reason) ?? null;
}

function step(r: AuditRecord | undefined): Proposal['dry_run'] {
  return r ? { result: r.result, detail: detailText(r), ts: r.ts } : null;
}

function proposals(entry: AnomalyEntry, audit: readonly AuditRecord[], queued: readonly DecisionRecord[]): Proposal[] {
  const byAnalysis = audit.filter((r) => r.analysis_id === entry.analysis.id);
  const done = new Set(audit.map((r) => r.decision_id).filter(Boolean));
  return entry.analysis.recommended_actions.map((action, i) => {
    const recs = proposalRecords(byAnalysis, action);
    const last = (event: AuditRecord['event']) => recs.findLast((r) => r.event === event);
    const proposal = last('proposal');
    const pd = (proposal?.detail ?? {}) as Record<string, unknown>;
    const dec = last('decision');
    return {
      action_index: i,
      action: action.action,
      params: action.params as Record<string, unknown>,
      rationale: action.rationale,
      risk: action.risk,
      state: proposalState(recs),
      plan: proposal ? { resource: str(pd.resource), changes: pd.changes ?? null } : null,
      dry_run: step(last('dry_run')),
      refusal: step(last('refusal')),
      decision: dec ? { by: dec.user, via: dec.via ?? null, ts: dec.ts, result: dec.result, decision_id: dec.decision_id ?? null } : null,
      execution: step(last('execution')),
      verification: step(last('verification')),
      queued_decisions: queued.filter((d) => d.analysis_id === entry.analysis.id && d.action_index === i && !done.has(d.id)).length,
    };
  });
}

export function anomalyDetail(
  entry: AnomalyEntry,
  audit: readonly AuditRecord[],
  queued: readonly DecisionRecord[],
): AnomalyDetailResponse {
  return { analysis: entry.analysis, status: entry.status, resolved_at: entry.resolvedAt, proposals: proposals(entry, audit, queued) };
}

export function anomalySummary(entry: AnomalyEntry, audit: readonly AuditRecord[]): AnomalySummary {
  const a = entry.analysis;
  const pending = entry.status === 'open' ? proposals(entry, audit, []).filter((p) => p.state === 'pending').length : 0;
  return {
    id: a.id,
    namespace: a.namespace,
    pod: a.pod,
    anomaly_type: a.anomaly_type,
    severity: a.severity,
    anomaly_probability: a.anomaly_probability,
    detected_at: a.detected_at,
    status: entry.status,
    resolved_at: entry.resolvedAt,
    root_cause: a.root_cause,
    pending,
    source: a.id.startsWith('alert-') ? 'alert' : 'detector',
  };
}
