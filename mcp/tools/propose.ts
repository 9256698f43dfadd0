// propose_remediation: what run-remediation would propose for an analysis, without deciding or applying:
// each recommended action validated against the remediation policy (remediation/validate.ts), planned
// against the live objects and sent as a server-side dry run (remediation/actions). Writes nothing: the
// audit log has one writer, run-remediation.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { kubeErrorMessage } from '../../lib/kube.ts';
import type { PodAnalysis } from '../../lib/schemas.ts';
import { actionFor } from '../../remediation/actions/index.ts';
import { Refusal, type ActionContext } from '../../remediation/actions/types.ts';
import { validateAction } from '../../remediation/validate.ts';
import { ToolError, type McpContext } from '../context.ts';
import { findAnalysis, proposalsOf, readAnalysisFile, readAudit, readDecisionFiles } from '../data.ts';
import { guarded, jsonResult } from '../result.ts';
import { explainPod } from './explain.ts';
import { AnalysisRef, checkRef } from './read-tools.ts';

export interface ProposalCheck {
  action_index: number;
  action: string;
  params: unknown;
  rationale: string;
  risk: string;
  outcome: 'ready' | 'refused' | 'dry_run_failed' | 'error';
  refusal: { code: string; reason: string } | null;
  plan: { resource: string; changes: Array<{ field: string; from: string; to: string }>; notes: string[] } | null;
  dry_run: { ok: boolean; summary: string; ops: unknown[] } | null;
}

/** Validates, plans and dry-runs the analysis's actions (or the one at `only`). */
export async function checkProposals(ctx: McpContext, analysis: PodAnalysis, only?: number): Promise<ProposalCheck[]> {
  const actions = analysis.recommended_actions.map((a, i) => [a, i] as const).filter(([, i]) => only === undefined || i === only);
  if (only !== undefined && actions.length === 0)
    throw new ToolError(`action_index ${only} is out of range: the analysis recommends ${analysis.recommended_actions.length} action(s)`);
  const out: ProposalCheck[] = [];
  for (const [a, i] of actions) {
    const base = { action_index: i, action: a.action, params: a.params, rationale: a.rationale, risk: a.risk, plan: null, dry_run: null };
    const checked = validateAction(a.action, a.params, analysis, {
      bounds: ctx.policy.bounds,
      protectedNamespaces: ctx.protectedNamespaces,
    });
    if (!checked.ok) {
      out.push({ ...base, outcome: 'refused', refusal: { code: checked.code, reason: checked.reason } });
      continue;
    }
    const actionCtx: ActionContext = {
      clients: ctx.clients(),
      bounds: ctx.policy.bounds,
      protectedNamespaces: ctx.protectedNamespaces,
      analysis,
      now: () => new Date(),
    };
    const impl = actionFor(checked.action);
    try {
      const plan = await impl.plan(checked.params as never, actionCtx);
      const dry = await impl.dryRun(plan, actionCtx);
      out.push({
        ...base,
        outcome: dry.ok ? 'ready' : 'dry_run_failed',
        refusal: null,
        plan: { resource: plan.resource, changes: plan.changes, notes: plan.notes },
        dry_run: { ok: dry.ok, summary: dry.summary, ops: dry.ops },
      });
    } catch (err) {
      if (err instanceof Refusal) out.push({ ...base, outcome: 'refused', refusal: { code: err.code, reason: err.message } });
      else
        out.push({ ...base, outcome: 'error', refusal: { code: 'error', reason: `could not plan ${a.action}: ${kubeErrorMessage(err)}` } });
    }
  }
  return out;
}

export function registerProposeTool(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'propose_remediation',
    {
      title: 'Propose a remediation',
      description:
        'For an analysis (by id, or namespace and pod; a pod without one is explained first), checks each recommended action against the remediation policy (allow-list, bounds, protected namespaces, own workload), shows the exact change (field: from -> to) and runs it as a server-side dry run. Executes and records nothing; each result says whether the action is ready to approve.',
      inputSchema: {
        ...AnalysisRef,
        action_index: z.number().int().min(0).max(100).optional().describe('Only this recommended action (index into recommended_actions)'),
      },
      annotations: {
        title: 'Propose a remediation',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: true,
      },
    },
    guarded('propose_remediation', ctx.log, async ({ action_index, ...ref }) => {
      checkRef(ref);
      const found = findAnalysis(readAnalysisFile(ctx.paths), ref);
      let analysis: PodAnalysis;
      let source: 'pod_analysis.json' | 'explained now';
      if (found) {
        analysis = found.analysis;
        source = 'pod_analysis.json';
      } else if (ref.namespace && ref.pod) {
        analysis = (await explainPod(ctx, ref.namespace, ref.pod)).analysis;
        source = 'explained now';
      } else {
        throw new ToolError(`no analysis with id ${ref.id} in pod_analysis.json`);
      }
      const checks = await checkProposals(ctx, analysis, action_index);
      const audit = found ? proposalsOf(analysis, readAudit(ctx.paths), readDecisionFiles(ctx.paths)) : [];
      return jsonResult({
        analysis_id: analysis.id,
        analysis_source: source,
        analysis_status: found?.status ?? 'not recorded',
        namespace: analysis.namespace,
        pod: analysis.pod,
        anomaly_type: analysis.anomaly_type,
        root_cause: analysis.root_cause,
        policy: ctx.policySource,
        proposals: checks.map((c) => ({ ...c, audit_state: audit[c.action_index]?.state ?? null })),
        ...(checks.length === 0 ? { note: 'the analysis recommends no action' } : {}),
      });
    }),
  );
}
