// explain_pod: the anomaly agent's analysis of one pod, on demand and in-process (agents/analysis):
// the pod's context from the cluster, the LLM when configured (as anomaly-detection-agent), else the
// rules; every recommended action passes the same guard. Writes nothing.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { KubeClients } from '../../lib/kube.ts';
import type { PodAnalysis, PodInsight } from '../../lib/schemas.ts';
import { analyse } from '../../agents/analysis/analyser.ts';
import { buildContext } from '../../agents/analysis/context.ts';
import { anomalyId } from '../../agents/analysis/ids.ts';
import type { McpContext } from '../context.ts';
import { findAnalysis, readAnalysisFile, readInsightsFile } from '../data.ts';
import { guarded, jsonResult } from '../result.ts';

export interface Explained {
  analysis: PodAnalysis;
  /** Where the pod's insight came from: the detector's file, or none (the pod was not scored). */
  insight_source: 'insights' | 'none';
  dropped_actions: Array<{ action: string; reason: string }>;
  llm_failure: string | null;
  context_notes: string[];
}

/** The pod's insight, or a neutral one when the detector has not scored it (it is explained all the same). */
function insightFor(ctx: McpContext, namespace: string, pod: string): { insight: PodInsight; source: 'insights' | 'none' } {
  const found = readInsightsFile(ctx.paths)?.pods.find((p) => p.namespace === namespace && p.pod === pod);
  if (found) return { insight: found, source: 'insights' };
  const now = new Date().toISOString();
  const insight: PodInsight = {
    namespace,
    pod,
    timestamp: now,
    anomaly_probability: 0,
    predicted_anomaly: false,
    anomaly_type: 'unknown',
    contributing_metrics: [],
    since: null,
  };
  return { insight, source: 'none' };
}

/** Analyses one pod now; the id is its open analysis's when there is one (so proposals line up with it). */
export async function explainPod(ctx: McpContext, namespace: string, pod: string): Promise<Explained> {
  const { insight, source } = insightFor(ctx, namespace, pod);
  let clients: KubeClients | null;
  try {
    clients = ctx.clients();
  } catch {
    clients = null; // explained from the files alone; the context notes say so
  }
  const podCtx = await buildContext(clients, insight, ctx.contextOptions);
  const open = findAnalysis(readAnalysisFile(ctx.paths), { namespace, pod });
  const id = open?.status === 'open' ? open.analysis.id : anomalyId(insight);
  const out = await analyse(podCtx, id, ctx.analyser);
  return {
    analysis: out.analysis,
    insight_source: source,
    dropped_actions: out.dropped,
    llm_failure: out.llmFailure?.reason ?? null,
    context_notes: podCtx.notes,
  };
}

export function registerExplainTool(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'explain_pod',
    {
      title: 'Explain a pod',
      description:
        'Analyses one pod now, as the anomaly agent would: reads its status, warning events, owner chain, logs and recent metrics from the cluster, then asks the configured LLM (else the rule-based analyser) for the root cause, evidence and recommended actions (vetted against the allow-list). Writes nothing.',
      inputSchema: {
        namespace: z.string().min(1).max(253).describe('Namespace'),
        pod: z.string().min(1).max(253).describe('Pod name'),
      },
      annotations: { title: 'Explain a pod', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    guarded('explain_pod', ctx.log, async ({ namespace, pod }) => jsonResult(await explainPod(ctx, namespace, pod))),
  );
}
