// Analyses one anomalous pod: the rule-based judgement always, then the LLM's when a client is set. The
// LLM's reply is parsed and validated (one repair attempt), unmasked, and its actions vetted by the
// guard; any failure falls back to the rules with the reason logged. Rule actions are vetted too.
import type { Logger } from '../../lib/log.ts';
import type { PodAnalysis, Severity, RecommendedAction } from '../../lib/schemas.ts';
import { podNode, topOwner, type PodContext } from './context-types.ts';
import { vetActions, type GuardOptions } from './guard.ts';
import { LlmFailure, type LlmClient } from './llm-client.ts';
import { NameMasker, mapStrings } from './masking.ts';
import { buildMessages, parseReply, repairMessages, type LlmReply } from './prompt.ts';
import { forecastEvidence, ruleJudgement, type Judgement, type RulesOptions } from './rules.ts';

export interface AnalyserDeps {
  llm: LlmClient | null;
  guard: GuardOptions;
  rules: RulesOptions;
  maskNames: boolean;
  logger: Logger;
  now?: () => Date;
}

export interface AnalysisOutcome {
  analysis: PodAnalysis;
  /** Set when the LLM was asked and the rules' result was used instead. */
  llmFailure?: { reason: string; transient: boolean };
  dropped: Array<{ action: string; reason: string }>;
}

const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high', 'critical'];
function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b;
}

function assemble(
  ctx: PodContext,
  id: string,
  j: Omit<Judgement, 'recommended_actions'>,
  actions: RecommendedAction[],
  source: PodAnalysis['source'],
  now: Date,
): PodAnalysis {
  const owner = topOwner(ctx);
  const node = podNode(ctx);
  return {
    id,
    namespace: ctx.insight.namespace,
    pod: ctx.insight.pod,
    owner: owner ? { kind: owner.kind, name: owner.name } : null,
    detected_at: ctx.insight.since ?? ctx.insight.timestamp,
    anomaly_probability: ctx.insight.anomaly_probability,
    anomaly_type: j.anomaly_type,
    severity: j.severity,
    root_cause: j.root_cause,
    explanation: j.explanation,
    evidence: j.evidence,
    recommended_actions: actions,
    source,
    analyzed_at: now.toISOString(),
    ...(node ? { node } : {}),
  };
}

function vet(raw: readonly unknown[], ctx: PodContext, deps: AnalyserDeps, who: string, id: string) {
  const { kept, dropped } = vetActions(raw, ctx, deps.guard);
  for (const d of dropped) {
    deps.logger.warn(`dropped ${who} action ${d.action}`, { id, namespace: ctx.insight.namespace, pod: ctx.insight.pod, reason: d.reason });
  }
  return { kept, dropped };
}

function protectedNote(ctx: PodContext, deps: AnalyserDeps): string {
  return deps.guard.protectedNamespaces.includes(ctx.insight.namespace)
    ? ` Namespace ${ctx.insight.namespace} is protected: no actions are proposed.`
    : '';
}

export function rulesOutcome(ctx: PodContext, id: string, deps: AnalyserDeps, rules = ruleJudgement(ctx, deps.rules)): AnalysisOutcome {
  const { kept, dropped } = vet(rules.recommended_actions, ctx, deps, 'rule', id);
  const j = { ...rules, explanation: rules.explanation + protectedNote(ctx, deps) };
  return { analysis: assemble(ctx, id, j, kept, { type: 'rules' }, deps.now?.() ?? new Date()), dropped };
}

/** Asks the model, with one repair attempt; returns the validated reply or throws LlmFailure / a reason. */
async function askModel(ctx: PodContext, deps: AnalyserDeps, llm: LlmClient, masker: NameMasker | null, id: string): Promise<LlmReply> {
  const messages = buildMessages(ctx, masker?.mask);
  const first = await llm.complete(messages);
  let parsed = parseReply(first);
  if (!parsed.ok) {
    deps.logger.warn('invalid LLM reply, one repair attempt', { id, reason: parsed.problem });
    const second = await llm.complete(repairMessages(messages, first, parsed.problem));
    parsed = parseReply(second);
    if (!parsed.ok) throw new LlmFailure('empty', `invalid reply after repair: ${parsed.problem}`, false);
  }
  return masker ? mapStrings(parsed.reply, masker.unmask) : parsed.reply;
}

export async function analyse(ctx: PodContext, id: string, deps: AnalyserDeps): Promise<AnalysisOutcome> {
  const rules = ruleJudgement(ctx, deps.rules);
  if (!deps.llm) return rulesOutcome(ctx, id, deps, rules);
  const masker = deps.maskNames ? new NameMasker(ctx) : null;
  let reply: LlmReply;
  try {
    reply = await askModel(ctx, deps, deps.llm, masker, id);
  } catch (err) {
    const f = err instanceof LlmFailure ? err : new LlmFailure('connection', (err as Error)?.message ?? String(err), true);
    deps.llm.stats.failures++;
    deps.logger.warn('LLM analysis failed, using the rule-based result', {
      id,
      namespace: ctx.insight.namespace,
      pod: ctx.insight.pod,
      reason: f.message,
    });
    const out = rulesOutcome(ctx, id, deps, rules);
    return { ...out, llmFailure: { reason: f.message, transient: f.transient } };
  }
  const { kept, dropped } = vet(reply.recommended_actions, ctx, deps, 'LLM', id);
  let actions = kept;
  // the detector's forecasts stay in the evidence whatever the model wrote (the approval screen shows them)
  const forecasts = forecastEvidence(ctx).filter((l) => !reply.evidence.includes(l));
  const evidence = reply.evidence.length > 0 ? [...forecasts, ...reply.evidence] : rules.evidence;
  if (actions.length === 0 && reply.recommended_actions.length > 0) {
    // Every proposal was refused: keep the rules' vetted actions so the operator still has a safe first step.
    actions = vet(rules.recommended_actions, ctx, deps, 'rule', id).kept;
    if (actions.length > 0) evidence.push('recommended actions from the rule-based analyser (every LLM action was refused by the guard)');
  }
  // The rules' classification is grounded in cluster facts; the model may name one the rules could not.
  const type =
    rules.anomaly_type !== 'unknown'
      ? rules.anomaly_type
      : reply.anomaly_type && reply.anomaly_type !== 'none'
        ? reply.anomaly_type
        : 'unknown';
  const j = {
    anomaly_type: type,
    severity: maxSeverity(reply.severity, rules.severity),
    root_cause: reply.root_cause,
    explanation: reply.explanation + protectedNote(ctx, deps),
    evidence,
  };
  return { analysis: assemble(ctx, id, j, actions, { type: 'llm', model: deps.llm.model }, deps.now?.() ?? new Date()), dropped };
}
