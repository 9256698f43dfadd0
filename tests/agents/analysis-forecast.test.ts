// The detector's exhaustion forecasts in what people read: the rule-based analysis (evidence, explanation,
// the memory facts), the LLM prompt's data, and run-remediation's approval screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleJudgement } from '../../agents/analysis/rules.ts';
import { promptData } from '../../agents/analysis/prompt.ts';
import { renderProposal } from '../../remediation/render.ts';
import type { PodAnalysis, RecommendedAction } from '../../lib/schemas.ts';
import type { Plan } from '../../remediation/actions/types.ts';
import { context, insight } from '../helpers/analysis-fixtures.ts';

const leaking = insight({
  anomaly_type: 'oom_risk',
  forecasts: [{ metric: 'memory', limit: 512 * 1024 * 1024, eta_seconds: 370, confidence: 0.82 }],
});

void test('the rule-based analysis states the forecast in its evidence and explanation', () => {
  const j = ruleJudgement(context({}, leaking));
  assert.equal(j.anomaly_type, 'oom_risk');
  assert.ok(j.evidence.includes('forecast: memory reaches its limit in ~6 min (confidence 0.82)'), j.evidence.join('\n'));
  assert.match(j.explanation, /memory reaches its limit in ~6 min/);
  // no forecast, no forecast line
  assert.ok(!ruleJudgement(context({}, insight({ anomaly_type: 'oom_risk' }))).evidence.some((e) => e.startsWith('forecast: ')));
});

void test('the LLM prompt carries the forecasts', () => {
  const data = promptData(context({}, leaking)) as { detector: { forecasts: unknown } };
  assert.deepEqual(data.detector.forecasts, leaking.forecasts);
});

void test('the approval screen shows the forecast', () => {
  const j = ruleJudgement(context({}, leaking));
  const action: RecommendedAction = {
    action: 'restart_pod',
    params: { namespace: 'shop', pod: leaking.pod },
    rationale: 'free the leaked memory',
    risk: 'low',
  };
  const analysis: PodAnalysis = {
    id: 'a1',
    namespace: 'shop',
    pod: leaking.pod,
    owner: { kind: 'Deployment', name: 'checkout' },
    detected_at: leaking.since!,
    anomaly_probability: leaking.anomaly_probability,
    anomaly_type: j.anomaly_type,
    severity: j.severity,
    root_cause: j.root_cause,
    explanation: j.explanation,
    evidence: j.evidence,
    recommended_actions: [action],
    source: { type: 'rules' },
  };
  const plan: Plan = {
    action: 'restart_pod',
    resource: `pods/${leaking.pod} in namespace shop`,
    changes: [],
    ops: [],
    facts: {},
    notes: [],
  };
  const text = renderProposal(analysis, action, plan);
  assert.match(text, /\n {2}Forecast: {3}memory reaches its limit in ~6 min \(confidence 0\.82\)\n/);
});
