// Reads the pipeline files for the tools, each through its contract (lib/schemas.ts), and derives each
// proposal's state from the audit log. Nothing here writes.
import { readJsonFile, readJsonLines } from '../lib/atomic-file.ts';
import { readDecisions, type DecisionRecord } from '../lib/decisions.ts';
import { AuditRecord, PodAnalysisFile, PodInsights, type PodAnalysis } from '../lib/schemas.ts';
import { proposalRecords, proposalState, type ProposalState } from '../remediation/proposal-state.ts';
import { ToolError, type McpPaths } from './context.ts';

type Resolved = PodAnalysisFile['resolved'][number];

function readOr<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new ToolError(`${what} cannot be read: ${(err as Error).message}`);
  }
}

export function readInsightsFile(paths: McpPaths): PodInsights | null {
  return readOr('pod_insights.json', () => readJsonFile(paths.insights, PodInsights));
}

export function readAnalysisFile(paths: McpPaths): PodAnalysisFile | null {
  return readOr('pod_analysis.json', () => readJsonFile(paths.analysis, PodAnalysisFile));
}

export function readAudit(paths: McpPaths): AuditRecord[] {
  return readOr('remediation_history.jsonl', () => readJsonLines(paths.audit, AuditRecord).records);
}

export interface FoundAnalysis {
  analysis: PodAnalysis;
  status: 'open' | 'resolved';
  resolved_at?: string;
}

/** An analysis by id, or the latest for a pod (open first, then the most recently resolved). */
export function findAnalysis(
  file: PodAnalysisFile | null,
  q: { id?: string | undefined; namespace?: string | undefined; pod?: string | undefined },
): FoundAnalysis | null {
  if (!file) return null;
  const match = (a: { id: string; namespace: string; pod: string }) =>
    q.id ? a.id === q.id : a.namespace === q.namespace && a.pod === q.pod;
  const open = file.analyses.find(match);
  if (open) return { analysis: open as unknown as PodAnalysis, status: 'open' };
  const res: Resolved | undefined = file.resolved.find(match);
  if (res) {
    const { resolved_at, ...analysis } = res;
    return { analysis: analysis as unknown as PodAnalysis, status: 'resolved', resolved_at };
  }
  return null;
}

export interface ProposalView {
  action_index: number;
  action: string;
  params: unknown;
  rationale: string;
  risk: string;
  state: ProposalState;
  dry_run: { result: string; detail: unknown } | null;
  decision: { by: string; via: string | null; ts: string; result: string } | null;
  execution: { ts: string; result: string; by: string; summary: unknown } | null;
  verification: { ts: string; result: string; reason: unknown } | null;
  refusal: { result: string; reason: unknown } | null;
  /** Decisions written (web, MCP) that run-remediation has not executed yet. */
  queued_decisions: Array<{ id: string; decision: string; by: string; via: string; ts: string }>;
}

const detailField = (r: AuditRecord, key: string): unknown =>
  r.detail && typeof r.detail === 'object' ? (r.detail as Record<string, unknown>)[key] : undefined;

/** Each recommended action of an analysis with its audit trail summarised (latest record of each step). */
export function proposalsOf(analysis: PodAnalysis, audit: readonly AuditRecord[], decisions: readonly DecisionRecord[]): ProposalView[] {
  const mine = audit.filter((r) => r.analysis_id === analysis.id);
  const done = new Set(audit.map((r) => r.decision_id).filter((d): d is string => !!d));
  return analysis.recommended_actions.map((a, i) => {
    const records = proposalRecords(mine, a);
    const last = (event: AuditRecord['event']) => records.findLast((r) => r.event === event);
    const dry = last('dry_run');
    const decision = last('decision');
    const execution = last('execution');
    const verification = last('verification');
    const refusal = last('refusal');
    return {
      action_index: i,
      action: a.action,
      params: a.params,
      rationale: a.rationale,
      risk: a.risk,
      state: proposalState(records),
      dry_run: dry ? { result: dry.result, detail: detailField(dry, 'summary') ?? null } : null,
      decision: decision ? { by: decision.user, via: decision.via ?? null, ts: decision.ts, result: decision.result } : null,
      execution: execution
        ? { ts: execution.ts, result: execution.result, by: execution.user, summary: detailField(execution, 'summary') ?? null }
        : null,
      verification: verification
        ? { ts: verification.ts, result: verification.result, reason: detailField(verification, 'reason') ?? null }
        : null,
      refusal: refusal ? { result: refusal.result, reason: detailField(refusal, 'reason') ?? null } : null,
      queued_decisions: decisions
        .filter((d) => d.analysis_id === analysis.id && d.action_index === i && !done.has(d.id))
        .map((d) => ({ id: d.id, decision: d.decision, by: d.by, via: d.via, ts: d.ts })),
    };
  });
}

export function readDecisionFiles(paths: McpPaths): DecisionRecord[] {
  return readOr('the decisions directory', () => readDecisions(paths.decisions).decisions);
}
