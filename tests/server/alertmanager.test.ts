// Alertmanager → podsentinel-server → alert_requests.jsonl → anomaly agent: a firing alert naming a pod is
// appended once (deduplicated by fingerprint, 401 without the token, 400 for a payload that is not v4),
// the agent's engine investigates the pod like its own anomaly (rules, context from the insights), and the
// resolve moves that analysis to `resolved`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readAlertRequests } from '../../lib/alert-requests.ts';
import { memoryLogger } from '../../lib/log.ts';
import { pipelineFile } from '../../lib/pipeline-files.ts';
import { PodAnalysisFile } from '../../lib/schemas.ts';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { AnalysisEngine } from '../../agents/analysis/engine.ts';
import { firingAlertsByPod } from '../../agents/analysis/alert-intake.ts';
import * as S from '../../server/api-schemas.ts';
import { deps, insight, insights } from '../helpers/analysis-fixtures.ts';
import { auth, dataDir, startServer } from '../helpers/server-fixtures.ts';

const alert = (status: 'firing' | 'resolved', labels: Record<string, string>, fingerprint: string) => ({
  status,
  labels: { alertname: 'KubePodCrashLooping', severity: 'warning', ...labels },
  annotations: { summary: 'Pod is crash looping.' },
  startsAt: '2026-12-07T10:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph',
  fingerprint,
});
const payload = (status: 'firing' | 'resolved', alerts: unknown[]) => ({
  version: '4',
  groupKey: '{}:{alertname="KubePodCrashLooping"}',
  truncatedAlerts: 0,
  status,
  receiver: 'podsentinel',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts,
});

void test('alertmanager webhook: deduplicated requests, investigated by the anomaly agent, dropped on resolve', async () => {
  const dir = dataDir();
  const srv = await startServer(dir);
  const post = (body: unknown, headers: Record<string, string> = auth) =>
    srv.app.inject({ method: 'POST', url: '/api/alertmanager', headers, payload: body as object });
  const requests = pipelineFile(dir, 'alertRequests');
  try {
    assert.equal((await post(payload('firing', []), {})).statusCode, 401);
    const bad = await post({ version: '3', alerts: [] });
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /problem\+json/);

    const firing = payload('firing', [
      alert('firing', { namespace: 'shop', pod: 'cart-6f7-abcde' }, 'f1'),
      alert('firing', { job: 'node' }, 'f2'),
    ]);
    const first = S.AlertmanagerResponse.parse((await post(firing)).json());
    assert.deepEqual(first, { status: 'ok', accepted: 1, ignored: 1 }, 'the alert without namespace+pod is ignored');
    const again = S.AlertmanagerResponse.parse((await post(firing)).json());
    assert.deepEqual(again, { status: 'ok', accepted: 0, ignored: 2 }, 'Alertmanager repeats firing alerts: appended once');
    assert.deepEqual(
      readAlertRequests(requests).records.map((r) => [r.kind, r.namespace, r.pod, r.fingerprint]),
      [['firing', 'shop', 'cart-6f7-abcde', 'f1']],
    );

    // The agent's engine (rules, no cluster: context from the insights), as anomaly-detection-agent runs it.
    const log = memoryLogger();
    const analysisFile = join(dir, 'pod_analysis.json');
    const engine = new AnalysisEngine({
      analysisFile,
      clients: null,
      context: { logLines: 20, maxEvents: 5, timeoutMs: 1000 },
      analyser: deps(log),
      resolvedLimit: 10,
      llmRetryMs: 60_000,
      parallel: 2,
      logger: log,
    });
    const normal = insights([
      insight({ pod: 'cart-6f7-abcde', anomaly_probability: 0.1, predicted_anomaly: false, anomaly_type: 'none', since: null }),
    ]);
    await engine.cycle(normal, firingAlertsByPod(requests));
    let file = readJsonFile(analysisFile, PodAnalysisFile)!;
    assert.equal(file.analyses.length, 1);
    const a = file.analyses[0]!;
    assert.equal(a.pod, 'cart-6f7-abcde');
    assert.match(a.id, /^alert-/);
    assert.ok(a.anomaly_probability >= 0.7, 'investigated at least at the threshold');
    assert.match(a.evidence[0]!, /KubePodCrashLooping \(warning\) firing since 2026-12-07T10:00:00Z: Pod is crash looping\./);

    // The server shows it as an anomaly that came from an alert.
    srv.state.loadAnalysis();
    const list = S.AnomalyListResponse.parse((await srv.app.inject({ method: 'GET', url: '/api/anomalies' })).json());
    assert.equal(list.items[0]?.source, 'alert');

    const resolved = S.AlertmanagerResponse.parse(
      (await post(payload('resolved', [alert('resolved', { namespace: 'shop', pod: 'cart-6f7-abcde' }, 'f1')]))).json(),
    );
    assert.equal(resolved.accepted, 1);
    assert.deepEqual(
      readAlertRequests(requests).records.map((r) => r.kind),
      ['firing', 'resolved'],
    );
    await engine.cycle(normal, firingAlertsByPod(requests));
    file = readJsonFile(analysisFile, PodAnalysisFile)!;
    assert.equal(file.analyses.length, 0);
    assert.equal(file.resolved[0]?.id, a.id);
  } finally {
    await srv.close();
  }
});
