// Hand-made insights and pod contexts for the analysis tests.
import type { PodInsight, PodInsights } from '../../lib/schemas.ts';
import type { ContainerFacts, PodContext } from '../../agents/analysis/context-types.ts';
import { windowFromInsight } from '../../agents/analysis/metric-window.ts';
import { DEFAULT_GUARD } from '../../agents/analysis/guard.ts';
import { DEFAULT_RULES } from '../../agents/analysis/rules.ts';
import type { AnalyserDeps } from '../../agents/analysis/analyser.ts';
import type { Logger } from '../../lib/log.ts';

export function insight(over: Partial<PodInsight> = {}): PodInsight {
  return {
    namespace: 'shop',
    pod: 'checkout-7d9f8c6b5-x2x9q',
    timestamp: '2026-11-25T04:00:00.000Z',
    anomaly_probability: 0.93,
    predicted_anomaly: true,
    anomaly_type: 'unknown',
    contributing_metrics: [{ metric: 'Memory Usage (MB)', value: 480, expected: 210, deviation: 4.2 }],
    since: '2026-11-25T03:50:00.000Z',
    ...over,
  };
}

export function insights(pods: PodInsight[]): PodInsights {
  return {
    generated_at: new Date().toISOString(),
    model: { name: 'lstm', version: 'test', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: 100,
    rows_rejected: 0,
    pods,
  };
}

export function container(over: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    name: 'app',
    ready: true,
    restartCount: 0,
    state: 'running',
    limits: { cpu: '500m', memory: '512Mi' },
    requests: { cpu: '250m', memory: '256Mi' },
    ...over,
  };
}

export function context(over: Partial<PodContext> = {}, ins: PodInsight = insight()): PodContext {
  return {
    insight: ins,
    cluster: 'ok',
    phase: 'Running',
    node: 'node-a',
    containers: [container()],
    events: [],
    ownerChain: [
      { kind: 'ReplicaSet', name: 'checkout-7d9f8c6b5' },
      { kind: 'Deployment', name: 'checkout', replicas: 2 },
    ],
    logs: { current: [], previous: [] },
    metrics: windowFromInsight(ins),
    notes: [],
    ...over,
  };
}

export function deps(logger: Logger, over: Partial<AnalyserDeps> = {}): AnalyserDeps {
  return { llm: null, guard: DEFAULT_GUARD, rules: DEFAULT_RULES, maskNames: false, logger, ...over };
}
