// Rule-based analysis on every fault scenario of the simulated cluster: drives the sim to the fault,
// collects the last ticks into a pod_metrics.csv with the real K8sCollector, builds the insight from the
// sim's ground truth with anomaly_type "unknown" (so the analyser must name the anomaly from the cluster's
// facts: status, events, logs, the metric window), and checks the type and the first recommended action.
//   npx tsx bench/analysis/sim-scenarios.ts            (prints the markdown table for docs/BENCHMARKS.md)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type SimHandle } from '../../sim/index.ts';
import type { FaultTruth } from '../../sim/cluster.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { kubeClients, loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { MetricsCsvWriter } from '../../lib/metrics-csv.ts';
import { runIfMain } from '../../lib/cli.ts';
import type { AnomalyType, PodAnalysis, PodInsight } from '../../lib/schemas.ts';
import { buildContext } from '../../agents/analysis/context.ts';
import { rulesOutcome } from '../../agents/analysis/analyser.ts';
import { DEFAULT_GUARD } from '../../agents/analysis/guard.ts';
import { DEFAULT_RULES } from '../../agents/analysis/rules.ts';
import { anomalyId } from '../../agents/analysis/ids.ts';
import { buildMessages } from '../../agents/analysis/prompt.ts';

export interface ScenarioCase {
  scenario: string;
  label: string;
  /** Ticks the fault's ground truth must satisfy before the analysis (checked every tick). */
  ready: (f: FaultTruth, tick: number) => boolean;
  maxTicks: number;
  expectType: AnomalyType;
  /** Acceptable first actions ('(none)' when none is expected). */
  expectFirst: string[];
  /** Control case without a fault: the pod analysed (namespace/deployment prefix) at tick maxTicks. */
  control?: { namespace: string; deployment: string };
}

export const CASES: ScenarioCase[] = [
  {
    scenario: 'memory-leak',
    label: 'memory leak, before any OOM kill',
    ready: (f, t) => t >= f.startedAt.tick + 45 && f.oomKills === 0,
    maxTicks: 200,
    expectType: 'oom_risk',
    expectFirst: ['restart_pod'],
  },
  {
    scenario: 'memory-leak',
    label: 'memory leak, after repeated OOM kills',
    ready: (f) => f.oomKills >= 2,
    maxTicks: 400,
    expectType: 'oom_risk',
    expectFirst: ['set_resources'],
  },
  {
    scenario: 'cpu-exhaustion',
    label: 'CPU exhaustion (traffic surge)',
    ready: (f, t) => f.active && t >= f.startedAt.tick + 20,
    maxTicks: 200,
    expectType: 'resource_exhaustion',
    expectFirst: ['scale'],
  },
  {
    scenario: 'cpu-creep',
    label: 'CPU creeping to its limit',
    ready: (f, t) => f.active && t >= f.startedAt.tick + 140,
    maxTicks: 400,
    expectType: 'resource_exhaustion',
    expectFirst: ['scale', 'set_resources'],
  },
  {
    scenario: 'crash-loop',
    label: 'crash loop (bad configuration)',
    ready: (f, t) => f.crashes >= 3 && t >= f.startedAt.tick + 10,
    maxTicks: 300,
    expectType: 'crash_loop',
    expectFirst: ['rollout_restart'],
  },
  {
    scenario: 'network-drops',
    label: 'network packet drops',
    ready: (f, t) => f.active && t >= f.startedAt.tick + 20,
    maxTicks: 200,
    expectType: 'network_issue',
    expectFirst: ['restart_pod'],
  },
  {
    scenario: 'io-pressure',
    label: 'IO pressure (slow fsync)',
    ready: (f, t) => f.active && t >= f.startedAt.tick + 20,
    maxTicks: 200,
    expectType: 'io_pressure',
    expectFirst: ['restart_pod'],
  },
];

/** Healthy pods (a false positive of the detector): the analyser should not invent a cause or an action. */
export const CONTROLS: ScenarioCase[] = [
  {
    scenario: 'healthy',
    label: 'control: healthy java pod',
    ready: () => false,
    maxTicks: 40,
    expectType: 'unknown',
    expectFirst: ['(none)'],
    control: { namespace: 'shop', deployment: 'orders' },
  },
  {
    scenario: 'healthy',
    label: 'control: healthy db pod',
    ready: () => false,
    maxTicks: 40,
    expectType: 'unknown',
    expectFirst: ['(none)'],
    control: { namespace: 'payments', deployment: 'postgres' },
  },
];

export interface CaseResult {
  c: ScenarioCase;
  tick: number;
  pod: string;
  analysis: PodAnalysis;
  typeOk: boolean;
  actionOk: boolean;
  /** Characters of the LLM prompt this context would make (system + data). */
  promptChars: number;
}

/** Rows the context reads per pod. */
const WINDOW = 30;
const STRIDE = 4;

async function driveTo(
  sim: SimHandle,
  c: ScenarioCase,
  collector: K8sCollector,
  csv: MetricsCsvWriter,
): Promise<{ fault: FaultTruth; tick: number }> {
  if (c.control) return driveControl(sim, c, collector, csv);
  for (let tick = 1; tick <= c.maxTicks; tick++) {
    sim.tick(1);
    const fault = sim.cluster.faults()[0];
    // Every tick around the onset, then every STRIDE-th: the window covers the onset and the trend
    // with few collections (each costs a handful of API calls).
    const since = fault ? tick - fault.startedAt.tick : -Infinity;
    const ready = !!fault && c.ready(fault, tick);
    if (fault && (ready || (since >= -WINDOW / 3 && (since < WINDOW / 2 || since % STRIDE === 0)))) {
      const rows = await collector.collectOnce();
      const ts = sim.now().toISOString();
      csv.append(rows.map((r) => ({ ...r, timestamp: ts, time: Date.parse(ts) })));
    }
    if (fault && ready) return { fault, tick };
  }
  throw new Error(`${c.scenario}: the fault did not reach the state "${c.label}" within ${c.maxTicks} ticks`);
}

/** A pseudo-fault on a healthy pod: collected over the last WINDOW ticks up to maxTicks. */
async function driveControl(
  sim: SimHandle,
  c: ScenarioCase,
  collector: K8sCollector,
  csv: MetricsCsvWriter,
): Promise<{ fault: FaultTruth; tick: number }> {
  for (let tick = 1; tick <= c.maxTicks; tick++) {
    sim.tick(1);
    if (tick > c.maxTicks - WINDOW / 2) {
      const ts = sim.now().toISOString();
      csv.append((await collector.collectOnce()).map((r) => ({ ...r, timestamp: ts, time: Date.parse(ts) })));
    }
  }
  const { namespace, deployment } = c.control!;
  const pod = sim.cluster.pods().find((p) => p.namespace === namespace && p.deployment === deployment);
  if (!pod) throw new Error(`control: no pod of ${namespace}/${deployment}`);
  const start = { tick: c.maxTicks - 10, time: sim.cluster.timeAt(c.maxTicks - 10).toISOString() };
  return {
    tick: c.maxTicks,
    fault: {
      id: 'control',
      kind: 'cpu_creep',
      scope: 'pod',
      namespace,
      deployment,
      pod: pod.name,
      pods: [pod.name],
      active: false,
      startedAt: start,
      oomKills: 0,
      crashes: 0,
    },
  };
}

export async function runCase(c: ScenarioCase, seed = 1): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'analysis-sim-'));
  const sim = await startSim({
    scenario: c.scenario,
    seed,
    manualClock: true,
    kubeconfigOut: join(dir, 'kubeconfig'),
    startTime: '2026-11-25T00:00:00Z',
  });
  try {
    const kc = loadKubeConfig(sim.kubeconfigPath);
    const csvPath = join(dir, 'pod_metrics.csv');
    const csv = MetricsCsvWriter.open(csvPath);
    const collector = new K8sCollector(kc, { logger: memoryLogger('collector') });
    const { fault, tick } = await driveTo(sim, c, collector, csv);
    csv.close();
    const insight: PodInsight = {
      namespace: fault.namespace,
      pod: fault.pod,
      timestamp: sim.now().toISOString(),
      anomaly_probability: 0.9,
      predicted_anomaly: true,
      anomaly_type: 'unknown',
      contributing_metrics: [],
      since: fault.startedAt.time,
    };
    const ctx = await buildContext(kubeClients(kc), insight, { csvPath, logLines: 40, maxEvents: 5, timeoutMs: 5000 });
    const log = memoryLogger('analysis');
    const { analysis } = rulesOutcome(ctx, anomalyId(insight), {
      llm: null,
      guard: DEFAULT_GUARD,
      rules: DEFAULT_RULES,
      maskNames: false,
      logger: log,
    });
    const first = analysis.recommended_actions[0]?.action ?? '(none)';
    const promptChars = buildMessages(ctx).reduce((n, m) => n + String(m.content).length, 0);
    return {
      c,
      tick,
      pod: `${fault.namespace}/${fault.pod}`,
      analysis,
      typeOk: analysis.anomaly_type === c.expectType,
      actionOk: c.expectFirst.includes(first),
      promptChars,
    };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeAction(a: PodAnalysis['recommended_actions'][number] | undefined): string {
  if (!a) return '(none)';
  const p = a.params as Record<string, unknown>;
  switch (a.action) {
    case 'scale':
      return `scale ${String(p.kind)}/${String(p.name)} → ${String(p.replicas)}`;
    case 'set_resources':
      return `set_resources ${String(p.name)}/${String(p.container)} limits ${JSON.stringify(p.limits)}`;
    case 'rollout_restart':
      return `rollout_restart ${String(p.kind)}/${String(p.name)}`;
    default:
      return a.action;
  }
}

export function markdownTable(results: CaseResult[]): string {
  const lines = [
    '| scenario | state at analysis (tick) | pod | type named | first action | also proposed | severity | prompt chars | ok |',
    '|---|---|---|---|---|---|---|---:|---|',
  ];
  for (const r of results) {
    const [first, ...rest] = r.analysis.recommended_actions;
    lines.push(
      `| ${r.c.scenario} | ${r.c.label} (${r.tick}) | ${r.pod} | ${r.analysis.anomaly_type}${r.typeOk ? '' : ` (expected ${r.c.expectType})`} | ${describeAction(first)} | ${rest.map((a) => a.action).join(', ') || '–'} | ${r.analysis.severity} | ${r.promptChars} | ${r.typeOk && r.actionOk ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

export async function main(): Promise<number> {
  const results: CaseResult[] = [];
  for (const c of [...CASES, ...CONTROLS]) {
    const t0 = Date.now();
    const r = await runCase(c);
    results.push(r);
    process.stderr.write(
      `${c.scenario} (${c.label}): ${r.analysis.anomaly_type}, ${r.analysis.recommended_actions.map((a) => a.action).join(', ')} [${Date.now() - t0} ms]\n`,
    );
    if (!r.typeOk || !r.actionOk) process.stderr.write(`  evidence:\n    ${r.analysis.evidence.join('\n    ')}\n`);
  }
  process.stdout.write(markdownTable(results) + '\n');
  return results.every((r) => r.typeOk && r.actionOk) ? 0 : 1;
}

runIfMain(import.meta.url, main);
