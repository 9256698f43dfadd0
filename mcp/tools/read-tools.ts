// The read-only tools over the pipeline files: list_anomalies, get_pod, get_analysis.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AnomalyType, briefInsight, type PodInsight } from '../../lib/schemas.ts';
import { readPodRows } from '../../agents/analysis/metric-window.ts';
import { ToolError, type McpContext } from '../context.ts';
import { findAnalysis, proposalsOf, readAnalysisFile, readAudit, readDecisionFiles, readInsightsFile } from '../data.ts';
import { guarded, jsonResult } from '../result.ts';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const k8sName = z.string().min(1).max(253);
/** An analysis by id, or the pod's latest analysis. */
export const AnalysisRef = {
  id: z.string().min(1).max(200).optional().describe('Analysis id (from list_anomalies)'),
  namespace: k8sName.optional().describe('Namespace of the pod (with pod, instead of id)'),
  pod: k8sName.optional().describe('Pod name (with namespace, instead of id)'),
};

export function checkRef(ref: { id?: string | undefined; namespace?: string | undefined; pod?: string | undefined }): void {
  if (!ref.id && !(ref.namespace && ref.pod)) throw new ToolError('give id, or namespace and pod');
}

interface AnomalyItem {
  id: string | null;
  namespace: string;
  pod: string;
  anomaly_type: string;
  severity: string | null;
  anomaly_probability: number;
  detected_at: string | null;
  status: 'open' | 'resolved' | 'detected';
  root_cause: string | null;
  recommended_actions: number;
}

function fromInsight(p: PodInsight): AnomalyItem {
  return {
    id: null,
    namespace: p.namespace,
    pod: p.pod,
    anomaly_type: p.anomaly_type,
    severity: null,
    anomaly_probability: p.anomaly_probability,
    detected_at: p.since ?? p.timestamp,
    status: 'detected',
    root_cause: null,
    recommended_actions: 0,
  };
}

export function registerReadTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'list_anomalies',
    {
      title: 'List anomalies',
      description:
        'Anomalous pods: the analyses in pod_analysis.json (status open, or resolved when asked) and pods the detector flags that are not analysed yet (status detected). Most probable first; bounded.',
      inputSchema: {
        namespace: k8sName.optional().describe('Only this namespace'),
        type: AnomalyType.optional().describe('Only this anomaly type'),
        include_resolved: z.boolean().default(false).describe('Also list anomalies that cleared'),
        limit: z.number().int().min(1).max(ctx.maxItems).default(Math.min(50, ctx.maxItems)).describe('Most items returned'),
      },
      annotations: { title: 'List anomalies', ...READ_ONLY },
    },
    guarded('list_anomalies', ctx.log, ({ namespace, type, include_resolved, limit }) => {
      const insights = readInsightsFile(ctx.paths);
      const analysis = readAnalysisFile(ctx.paths);
      const items: AnomalyItem[] = [];
      const analysed = new Set<string>();
      const fromAnalysis = (a: (typeof analysis & {})['analyses'][number], status: 'open' | 'resolved'): AnomalyItem => ({
        id: a.id,
        namespace: a.namespace,
        pod: a.pod,
        anomaly_type: a.anomaly_type,
        severity: a.severity,
        anomaly_probability: a.anomaly_probability,
        detected_at: a.detected_at,
        status,
        root_cause: a.root_cause,
        recommended_actions: a.recommended_actions.length,
      });
      for (const a of analysis?.analyses ?? []) {
        analysed.add(`${a.namespace}/${a.pod}`);
        items.push(fromAnalysis(a, 'open'));
      }
      for (const p of insights?.pods ?? []) {
        if (p.predicted_anomaly && !analysed.has(`${p.namespace}/${p.pod}`)) items.push(fromInsight(p));
      }
      if (include_resolved) for (const a of analysis?.resolved ?? []) items.push(fromAnalysis(a, 'resolved'));
      const kept = items
        .filter((i) => (!namespace || i.namespace === namespace) && (!type || i.anomaly_type === type))
        .sort((a, b) => b.anomaly_probability - a.anomaly_probability);
      return jsonResult({
        total: kept.length,
        returned: Math.min(limit, kept.length),
        truncated: kept.length > limit,
        threshold: insights?.threshold ?? null,
        insights_generated_at: insights?.generated_at ?? null,
        analysis_generated_at: analysis?.generated_at ?? null,
        ...(insights || analysis
          ? {}
          : { note: 'no pod_insights.json or pod_analysis.json yet: is run-monitoring running on this data directory?' }),
        items: kept.slice(0, limit),
      });
    }),
  );

  server.registerTool(
    'get_pod',
    {
      title: 'Get a pod',
      description:
        'One pod: its latest insight (anomaly probability, type, contributing metrics), exhaustion forecasts, and its recent metric rows from pod_metrics.csv; the id of its analysis when there is one.',
      inputSchema: {
        namespace: k8sName.describe('Namespace'),
        pod: k8sName.describe('Pod name'),
        window: z.number().int().min(1).max(200).default(30).describe('Most recent metric rows returned'),
      },
      annotations: { title: 'Get a pod', ...READ_ONLY },
    },
    guarded('get_pod', ctx.log, ({ namespace, pod, window }) => {
      const insights = readInsightsFile(ctx.paths);
      let insight: PodInsight | null = insights?.pods.find((p) => p.namespace === namespace && p.pod === pod) ?? null;
      const brief = insight ? undefined : insights?.other_pods?.find(([ns, name]) => ns === namespace && name === pod);
      if (brief) insight = briefInsight(brief);
      const rows = readPodRows(ctx.paths.metrics, namespace, pod, window) ?? [];
      const found = findAnalysis(readAnalysisFile(ctx.paths), { namespace, pod });
      if (!insight && rows.length === 0 && !found)
        throw new ToolError(`pod ${namespace}/${pod} is in neither the insights, the metrics nor the analyses`);
      return jsonResult({
        insight,
        forecasts: insight?.forecasts ?? [],
        threshold: insights?.threshold ?? null,
        analysis_id: found?.analysis.id ?? null,
        analysis_status: found?.status ?? null,
        metrics: rows.map((r) => ({
          timestamp: r.timestamp,
          status: r.status,
          node: r.node,
          restarts: r.restarts,
          cpu_percent: r.cpuPercent,
          memory_percent: r.memoryPercent,
          memory_mb: r.memoryMb,
          net_rx_bytes: r.netRxBytes,
          net_tx_bytes: r.netTxBytes,
          ...(r.eventReason ? { event: `${r.eventReason}: ${r.eventMessage.slice(0, 200)}` } : {}),
        })),
      });
    }),
  );

  server.registerTool(
    'get_analysis',
    {
      title: 'Get an analysis',
      description:
        "One analysis (root cause, explanation, evidence, recommended actions) by id or by namespace and pod, with each proposal's audit state (recommended, pending, refused, approved, declined, executed, failed, resolved, not_resolved) from remediation_history.jsonl.",
      inputSchema: AnalysisRef,
      annotations: { title: 'Get an analysis', ...READ_ONLY },
    },
    guarded('get_analysis', ctx.log, (ref) => {
      checkRef(ref);
      const found = findAnalysis(readAnalysisFile(ctx.paths), ref);
      if (!found)
        throw new ToolError(`no analysis ${ref.id ? `with id ${ref.id}` : `for ${ref.namespace}/${ref.pod}`} in pod_analysis.json`);
      return jsonResult({
        analysis: found.analysis,
        status: found.status,
        ...(found.resolved_at ? { resolved_at: found.resolved_at } : {}),
        proposals: proposalsOf(found.analysis, readAudit(ctx.paths), readDecisionFiles(ctx.paths)),
      });
    }),
  );
}
