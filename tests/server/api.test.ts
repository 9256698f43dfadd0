// podsentinel-server's routes over a data directory as the pipeline leaves it: every answer checked against
// server/api-schemas.ts, the write guards (401 without a token, 403 from another origin, 413 for a large
// body, 400 as problem+json without a stack), the decision written to the inbox, and server-sent events
// following a change of pod_analysis.json over a real socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readDecisions } from '../../lib/decisions.ts';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { pipelineFile } from '../../lib/pipeline-files.ts';
import * as S from '../../server/api-schemas.ts';
import {
  analysis,
  appendAudit,
  auth,
  dataDir,
  insightsFile,
  startServer,
  writeAnalyses,
  writeCsv,
  writeFreshHeartbeats,
} from '../helpers/server-fixtures.ts';

let dir: string;
let srv: Awaited<ReturnType<typeof startServer>>;
let timestamps: string[];
const sick = analysis('shop', 'api-7d9f-abcde');

before(async () => {
  dir = dataDir();
  const ins = insightsFile([
    { namespace: 'shop', pod: 'api-7d9f-abcde', p: 0.93, node: 'node-a', workload: 'Deployment/api' },
    { namespace: 'shop', pod: 'web-5c4b-fghij', p: 0.1, node: 'node-a', workload: 'Deployment/web' },
    { namespace: 'batch', pod: 'job-1', p: 0.2, node: 'node-b' },
  ]);
  timestamps = writeCsv(dir, 'shop', 'api-7d9f-abcde', 12);
  ins.pods[0]!.timestamp = timestamps.at(-1)!;
  writeJsonAtomic(pipelineFile(dir, 'insights'), ins);
  writeAnalyses(dir, [sick]);
  appendAudit(dir, {
    event: 'proposal',
    analysis_id: sick.id,
    action: 'restart_pod',
    params: sick.recommended_actions[0]!.params,
    user: 'run-remediation',
    result: 'proposed',
    detail: { resource: 'Pod shop/api-7d9f-abcde', changes: [] },
  });
  appendAudit(dir, {
    event: 'dry_run',
    analysis_id: sick.id,
    action: 'restart_pod',
    params: sick.recommended_actions[0]!.params,
    user: 'run-remediation',
    result: 'ok',
    detail: { summary: 'DELETE would succeed' },
  });
  appendAudit(dir, {
    event: 'pending',
    analysis_id: sick.id,
    action: 'restart_pod',
    params: sick.recommended_actions[0]!.params,
    user: 'run-remediation',
    result: 'pending',
  });
  writeFreshHeartbeats(dir);
  srv = await startServer(dir);
});
after(async () => {
  await srv?.close();
});

const get = async (url: string) => srv.app.inject({ method: 'GET', url });

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number): S.Problem {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = S.Problem.parse(JSON.parse(res.body));
  assert.equal(p.status, status);
  assert.doesNotMatch(res.body, /at \S+ \(|\.ts:\d+|node:internal/, 'no stack or source path in an error');
  return p;
}

void test('health, ready (fresh heartbeats), cluster grouped by node and workload', async () => {
  assert.deepEqual(S.HealthResponse.parse((await get('/api/health')).json()), { status: 'ok' });
  const ready = await get('/api/ready');
  assert.equal(ready.statusCode, 200);
  const r = S.ReadyResponse.parse(ready.json());
  assert.equal(r.ready, true);
  assert.deepEqual(r.agents.map((a) => a.name).sort(), ['anomaly-detection-agent', 'dataset-generator', 'dataset-generator-agent']);
  const c = S.ClusterResponse.parse((await get('/api/cluster')).json());
  assert.equal(c.total_pods, 3);
  assert.equal(c.anomalous_pods, 1);
  assert.deepEqual(c.counts_by_type, { oom_risk: 1 });
  const nodeA = c.nodes.find((n) => n.name === 'node-a');
  assert.deepEqual(
    nodeA?.workloads.map((w) => w.name),
    ['Deployment/api', 'Deployment/web'],
  );
  assert.equal(nodeA?.anomalous_count, 1);
});

void test('pods: sorted by probability, filtered, paginated; bad query is a 400 problem', async () => {
  const all = S.PodListResponse.parse((await get('/api/pods')).json());
  assert.equal(all.total, 3);
  assert.deepEqual(
    all.items.map((p) => p.pod),
    ['api-7d9f-abcde', 'job-1', 'web-5c4b-fghij'],
  );
  const byName = S.PodListResponse.parse((await get('/api/pods?sort=name&order=desc&limit=2')).json());
  assert.deepEqual(
    byName.items.map((p) => `${p.namespace}/${p.pod}`),
    ['shop/web-5c4b-fghij', 'shop/api-7d9f-abcde'],
  );
  const shop = S.PodListResponse.parse((await get('/api/pods?namespace=shop&anomalous=false')).json());
  assert.deepEqual(
    shop.items.map((p) => p.pod),
    ['web-5c4b-fghij'],
  );
  const page2 = S.PodListResponse.parse((await get('/api/pods?offset=1&limit=1')).json());
  assert.equal(page2.total, 3);
  assert.deepEqual(
    page2.items.map((p) => p.pod),
    ['job-1'],
  );
  assertProblem(await get('/api/pods?limit=100000'), 400);
  assertProblem(await get('/api/pods?sort=size'), 400);
});

void test('pod detail: insight, forecasts, the CSV tail as series, the open analysis', async () => {
  const d = S.PodDetailResponse.parse((await get('/api/pods/shop/api-7d9f-abcde')).json());
  assert.equal(d.analysis_id, sick.id);
  assert.equal(d.forecasts[0]?.metric, 'memory');
  assert.deepEqual(d.series.timestamps, timestamps);
  assert.equal(d.series.cpu_millicores[0], 200, 'CPU % of a core × 10');
  assert.equal(d.series.memory_bytes[0], 100 * 1024 * 1024);
  // The CSV keeps the percentage rounded: the limit derived from it is close, not exact.
  assert.ok(Math.abs(d.series.memory_limit_bytes[0]! / (512 * 1024 * 1024) - 1) < 0.001, String(d.series.memory_limit_bytes[0]));
  assert.equal(d.series.anomaly_probability.at(-1), 0.93, 'the probability seen at the latest timestamp');
  assertProblem(await get('/api/pods/shop/nope'), 404);
});

void test('anomalies: the summary counts the pending proposal; the detail shows its dry run', async () => {
  const list = S.AnomalyListResponse.parse((await get('/api/anomalies')).json());
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0]!.pending, 1);
  const d = S.AnomalyDetailResponse.parse((await get(`/api/anomalies/${sick.id}`)).json());
  assert.equal(d.proposals[0]!.state, 'pending');
  assert.equal(d.proposals[0]!.dry_run?.result, 'ok');
  assert.equal(d.proposals[0]!.dry_run?.detail, 'DELETE would succeed');
  assert.equal(d.proposals[0]!.plan?.resource, 'Pod shop/api-7d9f-abcde');
  assertProblem(await get('/api/anomalies/an-missing'), 404);
});

void test('decision: 401 without a token, 403 from another origin, 400 bad body, 413 too large, 202 queued in the inbox', async () => {
  const url = `/api/anomalies/${sick.id}/decision`;
  const post = (headers: Record<string, string>, payload: string) =>
    srv.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload });
  const body = JSON.stringify({ decision: 'approve', action: 0 });
  assertProblem(await post({}, body), 401);
  assertProblem(await post({ authorization: 'Bearer wrong-token-0123456789' }, body), 401);
  assertProblem(await post({ ...auth, origin: 'https://evil.example' }, body), 403);
  assertProblem(await post(auth, JSON.stringify({ decision: 'maybe', action: 0 })), 400);
  assertProblem(await post(auth, JSON.stringify({ decision: 'approve', action: 0, extra: 1 })), 400);
  assertProblem(await post(auth, JSON.stringify({ decision: 'approve' })), 400);
  assertProblem(await post(auth, JSON.stringify({ decision: 'approve', action: 3 })), 400);
  assertProblem(await post(auth, '{"decision":'), 400);
  assertProblem(await post(auth, JSON.stringify({ decision: 'approve', action: 0, pad: 'x'.repeat(20_000) })), 413);
  assert.equal(readDecisions(pipelineFile(dir, 'decisions')).decisions.length, 0, 'nothing written by a refused request');

  const ok = await post({ ...auth, origin: 'http://localhost:80', host: 'localhost:80' }, body);
  assert.equal(ok.statusCode, 202, ok.body);
  const r = S.DecisionResponse.parse(ok.json());
  const [d] = readDecisions(pipelineFile(dir, 'decisions')).decisions;
  assert.equal(d?.id, r.decision_id);
  assert.deepEqual(
    { by: d?.by, via: d?.via, analysis_id: d?.analysis_id, action: d?.action, action_index: d?.action_index },
    {
      by: 'ops-alice',
      via: 'web',
      analysis_id: sick.id,
      action: 'restart_pod',
      action_index: 0,
    },
  );
  const detail = S.AnomalyDetailResponse.parse((await get(`/api/anomalies/${sick.id}`)).json());
  assert.equal(detail.proposals[0]!.queued_decisions, 1);
});

void test('remediations newest first; openapi lists every route; unknown route is a 404 problem', async () => {
  const rem = S.RemediationsResponse.parse((await get('/api/remediations?limit=2')).json());
  assert.deepEqual(
    rem.items.map((r) => r.event),
    ['pending', 'dry_run'],
  );
  const doc = (await get('/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of [
    '/api/health',
    '/api/ready',
    '/api/cluster',
    '/api/pods',
    '/api/pods/{namespace}/{pod}',
    '/api/anomalies',
    '/api/anomalies/{id}',
    '/api/anomalies/{id}/decision',
    '/api/remediations',
    '/api/events',
    '/api/alertmanager',
  ])
    assert.ok(p in doc.paths, p);
  assertProblem(await get('/api/nothing'), 404);
});

void test('events: status at once, then an analysis and an anomaly event when pod_analysis.json changes', async () => {
  await srv.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = srv.app.server.address() as AddressInfo;
  const seen: string[] = [];
  let buf = '';
  const got = (name: string) => new RegExp(`^event: ${name}$`, 'm').test(buf);
  const req = request({ host: '127.0.0.1', port, path: '/api/events' });
  const opened = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        if (got('status')) resolve();
      });
    });
    req.on('error', reject);
  });
  req.end();
  await opened;
  const other = analysis('batch', 'job-1', { id: 'an-job-1', anomaly_type: 'crash_loop' });
  writeAnalyses(dir, [sick, other]);
  const deadline = Date.now() + 10_000;
  while (!(got('analysis') && /"id":"an-job-1"/.test(buf)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  req.destroy();
  for (const m of buf.matchAll(/^event: (\w+)$/gm)) seen.push(m[1]!);
  assert.ok(seen.includes('analysis'), buf);
  const anomaly = buf.split('\n\n').find((b) => b.includes('event: anomaly') && b.includes('an-job-1'));
  assert.ok(anomaly, buf);
  const data = S.AnomalyEvent.parse(JSON.parse(anomaly.split('\ndata: ')[1]!));
  assert.equal(data.change, 'new');
});
