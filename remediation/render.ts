// What the person reads before deciding: the pod, the anomaly, its root cause, the exact operation
// (resource, field, old → new) and the server's answer to the dry run.
import type { PodAnalysis, RecommendedAction } from '../lib/schemas.ts';
import type { Plan, StepOutcome } from './actions/types.ts';

export function renderProposal(analysis: PodAnalysis, action: RecommendedAction, plan: Plan): string {
  const lines = [
    '',
    `── Anomaly ${analysis.id} ─────────────────────────────────────`,
    `  Pod:        ${analysis.namespace}/${analysis.pod}${analysis.owner ? ` (${analysis.owner.kind} ${analysis.owner.name})` : ''}${analysis.node ? ` on ${analysis.node}` : ''}`,
    `  Anomaly:    ${analysis.anomaly_type}, severity ${analysis.severity}, probability ${analysis.anomaly_probability.toFixed(2)} (since ${analysis.detected_at})`,
    `  Root cause: ${oneLine(analysis.root_cause)}`,
    // the detector's exhaustion forecasts, as the analysis carries them (agents/analysis/rules.ts FORECAST_EVIDENCE)
    ...analysis.evidence.filter((e) => e.startsWith('forecast: ')).map((e) => `  Forecast:   ${oneLine(e.slice('forecast: '.length))}`),
    `  Proposed:   ${action.action} (risk ${action.risk}): ${oneLine(action.rationale)}`,
    `  Operation:  ${plan.resource}`,
    ...plan.changes.map((c) => `      ${c.field}: ${c.from} → ${c.to}`),
    ...plan.notes.map((n) => `      note: ${n}`),
  ];
  return lines.join('\n');
}

export function renderDryRun(out: StepOutcome): string {
  const head = out.ok ? '  Dry run:    OK, the API server accepts it' : '  Dry run:    REFUSED by the API server';
  const detail = out.ops.map(
    (o) =>
      `      ${o.ok ? 'ok ' : 'ERR'} ${o.op}${o.ok ? '' : `: ${o.message ?? ''}${o.blockedBy?.length ? ` [PodDisruptionBudget ${o.blockedBy.join(', ')}]` : ''}`}`,
  );
  return [head, ...detail, ...(out.ok ? [] : [`      ${out.summary}`])].join('\n');
}

/** LLM text is shown, never executed; keep it on one line so it cannot fake prompt output. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f\u009b]+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
