// apply_remediation (only with --allow-write): approves one recommended action by writing a decision file
// (lib/decisions.ts, via "mcp"). It never executes anything itself: run-remediation, the only executor and
// the only writer of the audit log, picks the decision up, runs the policy, dry run, apply and
// verification, and records each step with the decision's id. This tool waits (bounded) for those records.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { sleep } from '../../lib/backoff.ts';
import { newDecisionId, writeDecision, type DecisionRecord } from '../../lib/decisions.ts';
import type { AuditRecord } from '../../lib/schemas.ts';
import { validateAction } from '../../remediation/validate.ts';
import { ToolError, type McpContext } from '../context.ts';
import { findAnalysis, readAnalysisFile, readAudit, readDecisionFiles } from '../data.ts';
import { guarded, jsonResult } from '../result.ts';

export type ApplyStatus = 'resolved' | 'not_resolved' | 'failed' | 'refused' | 'declined' | 'pending' | 'executed' | 'queued';

/** What the audit records of one decision say so far, and whether the story is finished. */
export function outcomeOf(records: readonly AuditRecord[]): { status: ApplyStatus; final: boolean } {
  let status: ApplyStatus = 'queued';
  for (const r of records) {
    if (r.event === 'verification') return { status: r.result === 'RESOLVED' ? 'resolved' : 'not_resolved', final: true };
    if (r.event === 'refusal') return { status: 'refused', final: true };
    if (r.event === 'pending') return { status: 'pending', final: true };
    if (r.event === 'execution') {
      if (r.result !== 'ok') return { status: 'failed', final: true };
      status = 'executed';
    }
    if (r.event === 'decision' && !/^approved|^auto/.test(r.result)) return { status: 'declined', final: true };
  }
  return { status, final: false };
}

/**
 * The audit records of one decision: those carrying its id (its decision, execution and verification), and
 * for logs written before executions carried the id, the execution and verification of the same analysis and
 * action that follow its decision record (run-remediation applies one change per anomaly at a time).
 */
export function recordsOfDecision(audit: readonly AuditRecord[], d: Pick<DecisionRecord, 'id' | 'analysis_id' | 'action'>): AuditRecord[] {
  const start = audit.findIndex((r) => r.decision_id === d.id);
  if (start < 0) return [];
  const out: AuditRecord[] = [];
  for (const r of audit.slice(start)) {
    if (r.decision_id === d.id) out.push(r);
    else if (
      !r.decision_id &&
      r.analysis_id === d.analysis_id &&
      r.action === d.action &&
      (r.event === 'execution' || r.event === 'verification')
    )
      out.push(r);
  }
  return out;
}

const POLL_MS = 250;

/** The client's own name from initialize, bounded; --client-name wins. */
function whoDecides(ctx: McpContext, server: McpServer): string {
  const name = ctx.clientName ?? server.server.getClientVersion()?.name ?? 'mcp-client';
  return name.trim().slice(0, 100) || 'mcp-client';
}

export function registerApplyTool(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'apply_remediation',
    {
      title: 'Approve and apply a remediation',
      description:
        'Approves one recommended action of an open analysis (use propose_remediation first to see the exact change and its dry run). The approval is queued for run-remediation, which executes it under the remediation policy, verifies that the anomaly cleared, and records every step in the audit log with the decision id. Waits a bounded time and returns what happened, or "queued" when nothing executed it in time (run-monitoring or run-remediation must be running on the same data directory).',
      inputSchema: {
        analysis_id: z.string().min(1).max(200).describe('Analysis id (from list_anomalies or get_analysis)'),
        action_index: z.number().int().min(0).max(100).describe("Index into the analysis's recommended_actions"),
      },
      annotations: {
        title: 'Approve and apply a remediation',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    guarded('apply_remediation', ctx.log, async ({ analysis_id, action_index }, extra) => {
      const found = findAnalysis(readAnalysisFile(ctx.paths), { id: analysis_id });
      if (!found) throw new ToolError(`no analysis with id ${analysis_id} in pod_analysis.json`);
      if (found.status !== 'open') throw new ToolError(`analysis ${analysis_id} is resolved (at ${found.resolved_at}): nothing to apply`);
      const action = found.analysis.recommended_actions[action_index];
      if (!action)
        throw new ToolError(
          `action_index ${action_index} is out of range: the analysis recommends ${found.analysis.recommended_actions.length} action(s)`,
        );
      const checked = validateAction(action.action, action.params, found.analysis, {
        bounds: ctx.policy.bounds,
        protectedNamespaces: ctx.protectedNamespaces,
      });
      if (!checked.ok) throw new ToolError(`the policy refuses ${action.action} (${checked.code}): ${checked.reason}`);

      // An approval of the same action already waiting for run-remediation is waited on, not doubled.
      const done = new Set(
        readAudit(ctx.paths)
          .map((r) => r.decision_id)
          .filter(Boolean),
      );
      let decision: DecisionRecord | undefined = readDecisionFiles(ctx.paths).find(
        (d) => d.analysis_id === analysis_id && d.action_index === action_index && d.decision === 'approve' && !done.has(d.id),
      );
      const reused = !!decision;
      if (!decision) {
        decision = {
          id: newDecisionId('mcp'),
          ts: new Date().toISOString(),
          analysis_id,
          decision: 'approve',
          action_index,
          action: action.action,
          by: whoDecides(ctx, server),
          via: 'mcp',
        };
        writeDecision(ctx.paths.decisions, decision);
        ctx.log.info('decision queued', { id: decision.id, analysis_id, action: action.action, by: decision.by });
      }

      const deadline = Date.now() + ctx.applyTimeoutMs;
      const progressToken = extra._meta?.progressToken;
      let seen = 0;
      let records: AuditRecord[] = [];
      let outcome = outcomeOf(records);
      while (!extra.signal.aborted) {
        records = recordsOfDecision(readAudit(ctx.paths), decision);
        outcome = outcomeOf(records);
        if (records.length > seen && progressToken !== undefined) {
          seen = records.length;
          await extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: seen, message: `${records.at(-1)!.event}: ${records.at(-1)!.result}` },
            })
            .catch(() => undefined);
        }
        if (outcome.final || Date.now() >= deadline) break;
        await sleep(POLL_MS, extra.signal).catch(() => undefined);
      }
      const waited = Math.round(ctx.applyTimeoutMs / 1000);
      const note =
        outcome.status === 'queued'
          ? `Nothing executed the decision within ${waited} s: run-monitoring or run-remediation must be running on this data directory to execute it. It stays queued; get_analysis shows its state later.`
          : outcome.status === 'executed'
            ? `Executed; verification had not finished within ${waited} s. get_analysis shows the verification when it is recorded.`
            : undefined;
      return jsonResult({
        decision_id: decision.id,
        ...(reused ? { reused_queued_decision: true } : {}),
        analysis_id,
        action_index,
        action: action.action,
        params: action.params,
        by: decision.by,
        status: outcome.status,
        ...(note ? { note } : {}),
        audit: records.map((r) => ({ ts: r.ts, event: r.event, result: r.result, user: r.user, detail: r.detail })),
      });
    }),
  );
}
