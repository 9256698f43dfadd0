// One readable block per new analysis, for the operator watching the agent's console.
import type { PodAnalysis } from '../../lib/schemas.ts';

export function formatAnalysisBlock(a: PodAnalysis, why: string): string {
  const owner = a.owner ? ` (${a.owner.kind}/${a.owner.name})` : '';
  const source = a.source.type === 'llm' ? `LLM ${a.source.model}` : 'rules';
  const lines = [
    `── ${a.severity.toUpperCase()} ${a.anomaly_type} · ${a.namespace}/${a.pod}${owner} · p=${a.anomaly_probability.toFixed(2)} · ${source} · ${why}`,
    `   root cause: ${a.root_cause}`,
    `   ${a.explanation}`,
  ];
  for (const e of a.evidence.slice(0, 6)) lines.push(`   • ${e}`);
  if (a.recommended_actions.length === 0) lines.push('   actions: none proposed');
  a.recommended_actions.forEach((r, i) => {
    lines.push(`   ${i + 1}. ${r.action} ${JSON.stringify(r.params)} [${r.risk} risk] ${r.rationale}`);
  });
  lines.push(`   id ${a.id}`);
  return lines.join('\n') + '\n';
}
