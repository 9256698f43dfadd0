// podsentinel-mcp over stdio with the official SDK client: the tool list (read-only, no apply without
// --allow-write), each tool on hand-written pipeline files about the simulated cluster's pods, explain and
// propose against that cluster over HTTPS, tool errors as clear text, and nothing written anywhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { tempDir, writeScenario, writesSince } from '../helpers/remediation-fixtures.ts';
import { CHILD_ENV, jsonOf, mcpArgs, ROOT, stdioClient, textOf, writeMcpData, type McpData } from '../helpers/mcp-fixtures.ts';

let sim: SimHandle;
let data: McpData;
let client: Client;
let snapshot: Record<string, string>;

const snap = (dir: string) => Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n), 'utf8')]));

before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 7, manualClock: true });
  sim.tick(3);
  data = writeMcpData(sim);
  snapshot = snap(data.dataDir);
  client = await stdioClient(mcpArgs(data, sim));
});
after(async () => {
  await client?.close();
  await sim?.close();
});

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

void test('tools/list: the five read-only tools, annotated read-only, with input schemas; no apply_remediation', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ['explain_pod', 'get_analysis', 'get_pod', 'list_anomalies', 'propose_remediation']);
  for (const t of tools) {
    assert.equal(t.annotations?.readOnlyHint, true, t.name);
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.ok(t.description && t.description.length > 20, t.name);
  }
  assert.ok(client.getServerVersion()?.name === 'podsentinel');
});

void test('list_anomalies: the open analysis first, filtered by namespace and type, bounded by limit', async () => {
  const all = jsonOf<{ total: number; items: Array<{ id: string; status: string; pod: string; recommended_actions: number }> }>(
    await call('list_anomalies', {}),
  );
  assert.equal(all.total, 1);
  assert.deepEqual(
    all.items.map((i) => [i.id, i.status, i.pod, i.recommended_actions]),
    [[data.analysisId, 'open', data.pod, 2]],
  );
  assert.equal(jsonOf<{ total: number }>(await call('list_anomalies', { namespace: 'elsewhere' })).total, 0);
  assert.equal(jsonOf<{ total: number }>(await call('list_anomalies', { type: 'crash_loop' })).total, 0);
  assert.equal(jsonOf<{ total: number }>(await call('list_anomalies', { type: 'oom_risk', namespace: 'shop' })).total, 1);
  const bounded = jsonOf<{ returned: number; truncated: boolean }>(await call('list_anomalies', { limit: 1 }));
  assert.deepEqual([bounded.returned, bounded.truncated], [1, false]);
  const tooMany = await call('list_anomalies', { limit: 100_000 });
  assert.equal(tooMany.isError, true, 'a limit above --max-items is refused');
});

void test('get_pod: insight, forecast, the recent metric rows from the CSV and the analysis id', async () => {
  const r = jsonOf<{
    insight: { anomaly_probability: number };
    forecasts: Array<{ metric: string; eta_seconds: number }>;
    metrics: Array<{ memory_mb: number }>;
    analysis_id: string;
  }>(await call('get_pod', { namespace: 'shop', pod: data.pod, window: 4 }));
  assert.equal(r.insight.anomaly_probability, 0.93);
  assert.deepEqual(
    r.forecasts.map((f) => [f.metric, f.eta_seconds]),
    [['memory', 900]],
  );
  assert.deepEqual(
    r.metrics.map((m) => m.memory_mb),
    [360, 390, 420, 450],
    'the last four rows, oldest first',
  );
  assert.equal(r.analysis_id, data.analysisId);
  const normal = jsonOf<{ insight: { predicted_anomaly: boolean }; analysis_id: null }>(
    await call('get_pod', { namespace: 'shop', pod: data.normalPod }),
  );
  assert.equal(normal.insight.predicted_anomaly, false);
  assert.equal(normal.analysis_id, null);
});

void test('get_analysis: by id and by pod, each proposal with its audit state', async () => {
  const r = jsonOf<{
    analysis: { id: string };
    status: string;
    proposals: Array<{ action: string; state: string; dry_run: { result: string } | null }>;
  }>(await call('get_analysis', { id: data.analysisId }));
  assert.equal(r.status, 'open');
  assert.deepEqual(
    r.proposals.map((p) => [p.action, p.state, p.dry_run?.result ?? null]),
    [
      ['restart_pod', 'pending', 'ok'],
      ['scale', 'recommended', null],
    ],
  );
  const byPod = jsonOf<{ analysis: { id: string } }>(await call('get_analysis', { namespace: 'shop', pod: data.pod }));
  assert.equal(byPod.analysis.id, data.analysisId);
});

void test('explain_pod: analyses a live pod from the cluster (rules, no LLM configured) and writes nothing', async () => {
  const mark = sim.requests.length;
  const r = jsonOf<{
    analysis: {
      id: string;
      namespace: string;
      pod: string;
      source: { type: string };
      owner: { kind: string; name: string } | null;
      root_cause: string;
    };
    insight_source: string;
    context_notes: string[];
  }>(await call('explain_pod', { namespace: 'shop', pod: data.pod }));
  assert.equal(r.analysis.source.type, 'rules');
  assert.equal(r.analysis.id, data.analysisId, 'the open analysis keeps its id');
  assert.equal(r.insight_source, 'insights');
  assert.deepEqual(r.analysis.owner, { kind: 'Deployment', name: 'web' }, 'the owner chain was read from the cluster');
  assert.ok(r.analysis.root_cause.length > 0);
  assert.ok(!r.context_notes.some((n) => /no Kubernetes cluster|unreachable/.test(n)), r.context_notes.join('; '));
  const reads = sim.requests.slice(mark);
  assert.ok(
    reads.some((q) => q.path.endsWith(`/pods/${data.pod}`)),
    'the pod was read',
  );
  assert.deepEqual(writesSince(sim, mark), [], 'nothing written to the cluster');
});

void test('propose_remediation: validated against the policy, planned, dry-run on the server; nothing executed', async () => {
  const mark = sim.requests.length;
  const r = jsonOf<{
    analysis_source: string;
    proposals: Array<{
      action: string;
      outcome: string;
      refusal: { code: string } | null;
      plan: { resource: string } | null;
      dry_run: { ok: boolean } | null;
      audit_state: string;
    }>;
  }>(await call('propose_remediation', { id: data.analysisId }));
  assert.equal(r.analysis_source, 'pod_analysis.json');
  const [restart, scale] = r.proposals;
  assert.equal(restart?.outcome, 'ready');
  assert.equal(restart?.dry_run?.ok, true);
  assert.match(restart?.plan?.resource ?? '', new RegExp(data.pod));
  assert.equal(restart?.audit_state, 'pending');
  assert.equal(scale?.outcome, 'refused');
  assert.equal(scale?.refusal?.code, 'out_of_bounds');
  const writes = writesSince(sim, mark);
  assert.ok(writes.length > 0, 'the dry run reached the API server');
  assert.ok(
    writes.every((w) => w.dryRun),
    `every write was a dry run: ${writes.map((w) => `${w.method} ${w.path}`).join(', ')}`,
  );
  assert.ok(
    sim.cluster.pods().some((p) => p.name === data.pod),
    'the pod still exists',
  );

  const one = jsonOf<{ proposals: unknown[] }>(await call('propose_remediation', { namespace: 'shop', pod: data.pod, action_index: 1 }));
  assert.equal(one.proposals.length, 1);
});

void test('propose_remediation for a pod without an analysis explains it first', async () => {
  const r = jsonOf<{ analysis_source: string; analysis_status: string }>(
    await call('propose_remediation', { namespace: 'shop', pod: data.normalPod }),
  );
  assert.equal(r.analysis_source, 'explained now');
  assert.equal(r.analysis_status, 'not recorded');
});

void test('errors are tool errors with clear text, never stacks', async () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['get_analysis', { id: 'an-nope' }, /no analysis with id an-nope/],
    ['get_analysis', {}, /give id, or namespace and pod/],
    ['get_pod', { namespace: 'shop', pod: 'ghost' }, /pod shop\/ghost is in neither/],
    ['propose_remediation', { id: data.analysisId, action_index: 9 }, /action_index 9 is out of range/],
  ];
  for (const [name, args, re] of cases) {
    const r = await call(name, args);
    assert.equal(r.isError, true, name);
    assert.match(textOf(r), re);
    assert.doesNotMatch(textOf(r), /\n\s+at /, 'no stack trace');
  }
  const unknown = await call('apply_remediation', { analysis_id: data.analysisId, action_index: 0 }).catch((e: Error) => e);
  assert.ok(unknown instanceof Error || unknown.isError === true, 'apply_remediation does not exist without --allow-write');
});

void test('the data directory is unchanged: no decision, no audit line, no new file', () => {
  assert.deepEqual(snap(data.dataDir), snapshot);
  assert.equal(existsSync(join(data.dataDir, 'decisions')), false);
});

void test('stdio: the server exits 0 when the client closes its stdin', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'mcp', 'cli.ts'), ...mcpArgs(data, sim)], {
    cwd: ROOT,
    env: CHILD_ENV(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
  // Ready (its line on stderr), then the client goes away.
  await new Promise<void>((r) => {
    const check = () => (/serving on stdio/.test(err) ? r() : setTimeout(check, 100));
    check();
  });
  child.stdin.end();
  assert.equal(await exited, 0, err);
});
