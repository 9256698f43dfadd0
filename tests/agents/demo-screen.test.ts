// What the demo screen says must be true: the open count drops once a fix is verified, the rule-based
// explanation names the figures behind the type, and the first metric evidence is the metric that
// drove the type (the screen shows only the first evidence lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ruleJudgement } from '../../agents/analysis/rules.ts';
import { summariseRows } from '../../agents/analysis/metric-window.ts';
import { newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';
import { PipelineWatch, describeAnalysis } from '../../orchestrator/pipeline-watch.ts';
import { renderSummaryLine } from '../../orchestrator/status-view.ts';
import type { PodAnalysis } from '../../lib/schemas.ts';
import { container, context, insight } from '../helpers/analysis-fixtures.ts';

const POD = 'checkout-7d9f8c6b5-x2x9q';

/** Ten rows a minute apart (a 9-minute window) for the fixture pod, with fields by minute. */
function window(fields: (i: number) => Partial<MetricRow>) {
  const rows = Array.from({ length: 10 }, (_, i) =>
    newMetricRow({
      timestamp: new Date(Date.UTC(2026, 10, 25, 4, i)).toISOString(),
      namespace: 'shop',
      pod: POD,
      status: 'Running',
      ...fields(i),
    }),
  );
  return summariseRows(rows);
}

const metricEvidence = (ev: string[]) => ev.filter((e) => e.startsWith('metric '));

void test('oom_risk named by the detector: the explanation gives memory, its rise and the time left; memory leads the evidence', () => {
  // CPU moves more than memory, and comes first in the window: before, it led the evidence.
  const metrics = window((i) => ({ cpuPercent: 10 + i * 5, memoryPercent: 80 + (i * 4) / 3, memoryMb: 400 + i * 8 }));
  const j = ruleJudgement(context({ metrics }, insight({ anomaly_type: 'oom_risk' })));
  assert.equal(j.anomaly_type, 'oom_risk');
  assert.match(j.explanation, /^Classified as oom_risk because the detector flagged it as oom_risk \(probability 0\.93\): /);
  assert.match(j.explanation, /memory at 92% of its limit \(512Mi\)/);
  assert.match(j.explanation, /rising 8\.0 MiB\/min \(400 → 472 MiB over 9 min\)/);
  // 8 points left at 12 points per 9 minutes.
  assert.match(j.explanation, /forecast to reach the limit in 6 min/);
  const metricLines = metricEvidence(j.evidence);
  assert.match(metricLines[0]!, /^metric Memory Usage \(%\): 80 → 92/);
  assert.match(metricLines[1]!, /^metric Memory Usage \(MB\): 400 → 472/);
  assert.ok(
    metricLines.some((l) => l.startsWith('metric CPU Usage (%)')),
    'the other movements stay, after',
  );
  // On the screen: among the first three evidence lines.
  const shown = describeAnalysis({ ...analysisFrom(j), evidence: j.evidence })
    .split('\n')
    .filter((l) => l.includes('evidence: '));
  assert.ok(
    shown.some((l) => l.includes('evidence: metric Memory Usage (%)')),
    shown.join('\n'),
  );
});

void test('crash_loop: restarts in the window and the last exit; restarts lead the metric evidence', () => {
  const metrics = window((i) => ({ cpuPercent: 5 + i * 4, restarts: Math.floor(i / 2) }));
  const ctx = context({
    metrics,
    containers: [
      container({
        restartCount: 4,
        state: 'waiting: CrashLoopBackOff',
        waitingReason: 'CrashLoopBackOff',
        lastTerminationReason: 'Error',
        lastExitCode: 1,
      }),
    ],
  });
  const j = ruleJudgement(ctx);
  assert.equal(j.anomaly_type, 'crash_loop');
  assert.match(
    j.explanation,
    /because the container is in CrashLoopBackOff: 4 restarts over 9 min \(4 in all\), waiting: CrashLoopBackOff, last exit: Error \(code 1\)/,
  );
  assert.match(metricEvidence(j.evidence)[0]!, /^metric Pod Restarts: 0 → 4/);
});

void test('network_issue named by the detector: the drop rate; dropped packets lead the metric evidence', () => {
  const metrics = window((i) => ({ cpuPercent: 10 + i * 6, netRxDropped: i >= 6 ? 25 : 0 }));
  const j = ruleJudgement(context({ metrics }, insight({ anomaly_type: 'network_issue' })));
  assert.equal(j.anomaly_type, 'network_issue');
  assert.match(j.explanation, /\(probability 0\.93\): up to 25 dropped packets\/s/);
  assert.match(metricEvidence(j.evidence)[0]!, /^metric Network Receive Packets Dropped \(p\/s\): 0 → 25/);
});

void test('resource_exhaustion named by the detector: CPU against its limit and its rise; CPU leads the metric evidence', () => {
  const metrics = window((i) => ({ cpuPercent: 20 + i * (28 / 9), memoryMb: 300 + i * 40 }));
  const j = ruleJudgement(context({ metrics }, insight({ anomaly_type: 'resource_exhaustion' })));
  assert.equal(j.anomaly_type, 'resource_exhaustion');
  assert.match(j.explanation, /CPU at 48% of a core, 96% of its 500m limit, up from 20% over 9 min/);
  assert.match(metricEvidence(j.evidence)[0]!, /^metric CPU Usage \(%\): 20 → 48/);
});

void test("the detector's type with nothing to back it is said to be unconfirmed", () => {
  const ins = insight({
    anomaly_type: 'oom_risk',
    contributing_metrics: [{ metric: 'CPU Usage (%)', value: 70, expected: 20, deviation: 3 }],
  });
  const j = ruleJudgement(context({}, ins));
  assert.equal(j.anomaly_type, 'oom_risk');
  assert.match(
    j.explanation,
    /flagged it as oom_risk \(probability 0\.93\); nothing in the metric window or the container state confirms it\./,
  );
});

void test("without the CSV (the insight's figures): memory against what the model expected", () => {
  const ins = insight({
    anomaly_type: 'unknown',
    contributing_metrics: [{ metric: 'Memory Usage (%)', value: 93, expected: 40, deviation: 5 }],
  });
  const j = ruleJudgement(context({}, ins));
  assert.equal(j.anomaly_type, 'oom_risk');
  assert.match(
    j.explanation,
    /because memory use is near its limit and rising: memory at 93% of its limit \(512Mi\) where the model expected 40%\./,
  );
  assert.match(metricEvidence(j.evidence)[0]!, /^metric Memory Usage \(%\): 93 \(expected 40/);
});

function analysisFrom(j: ReturnType<typeof ruleJudgement>): PodAnalysis {
  return {
    id: 'a1',
    namespace: 'shop',
    pod: POD,
    owner: null,
    detected_at: '2026-11-25T04:10:00.000Z',
    anomaly_probability: 0.93,
    anomaly_type: j.anomaly_type,
    severity: j.severity,
    root_cause: j.root_cause,
    explanation: j.explanation,
    evidence: j.evidence,
    recommended_actions: [],
    source: { type: 'rules' },
  } as unknown as PodAnalysis;
}

void test('status line: open drops once a fix of the analysis is verified RESOLVED, before the agent lets it go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-screen-'));
  const analysisFile = join(dir, 'pod_analysis.json');
  const auditFile = join(dir, 'remediation_history.jsonl');
  const analysis = (id: string, pod: string) => ({
    id,
    namespace: 'monitoring',
    pod,
    owner: { kind: 'Deployment', name: 'log-aggregator' },
    detected_at: '2026-11-25T04:00:00.000Z',
    anomaly_probability: 0.95,
    anomaly_type: 'oom_risk',
    severity: 'high',
    root_cause: 'leak',
    explanation: 'grows',
    evidence: [],
    recommended_actions: [{ action: 'restart_pod', params: { namespace: 'monitoring', pod }, rationale: 'frees memory', risk: 'low' }],
    source: { type: 'rules' },
  });
  // The agent still lists both: the restarted pod's last insight is flagged until it is forgotten.
  writeFileSync(
    analysisFile,
    JSON.stringify({
      generated_at: '2026-11-25T04:01:00.000Z',
      analyses: [analysis('a1', 'log-aggregator-6d4c-abcde'), analysis('a2', 'log-aggregator-6d4c-fghij')],
      resolved: [],
    }),
  );
  const watch = new PipelineWatch(join(dir, 'pod_insights.json'), analysisFile, auditFile);
  const line = () => {
    const { snapshot } = watch.poll();
    return renderSummaryLine({
      title: '',
      pods: 1,
      rowsPerMinute: 1,
      rowsTotal: 1,
      anomaliesFlagged: snapshot.flagged,
      anomaliesOpen: snapshot.openAnalyses,
      children: [],
    });
  };
  assert.match(line(), / open=2 /);
  const record = (result: string, id: string) =>
    appendFileSync(
      auditFile,
      JSON.stringify({
        ts: new Date().toISOString(),
        event: 'verification',
        analysis_id: id,
        action: 'restart_pod',
        params: {},
        user: 'ana',
        result,
      }) + '\n',
    );
  record('FAILED', 'a2');
  assert.match(line(), / open=2 /, 'a failed verification leaves it open');
  record('RESOLVED', 'a1');
  assert.match(line(), / open=1 /);
});
