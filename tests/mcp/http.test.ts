// podsentinel-mcp --http-port with the SDK's Streamable HTTP client: sessions, apply_remediation only with
// --allow-write (annotated destructive), the decision it queues for run-remediation (fields, who decided),
// "queued" when nothing executes it in time, and the Host/Origin checks against DNS rebinding.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readDecisions } from '../../lib/decisions.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { tempDir, writeScenario, writesSince } from '../helpers/remediation-fixtures.ts';
import {
  httpClient,
  jsonOf,
  mcpArgs,
  startHttpServer,
  textOf,
  writeMcpData,
  type HttpServerChild,
  type McpData,
} from '../helpers/mcp-fixtures.ts';

let sim: SimHandle;
let data: McpData;
let server: HttpServerChild;
let readOnly: HttpServerChild;

before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 5, manualClock: true });
  sim.tick(3);
  data = writeMcpData(sim);
  [server, readOnly] = await Promise.all([
    startHttpServer(mcpArgs(data, sim, ['--allow-write', '--apply-timeout', '2'])),
    startHttpServer(mcpArgs(data, sim)),
  ]);
});
after(async () => {
  await Promise.all([server?.stop(), readOnly?.stop()]);
  await sim?.close();
});

async function withClient<T>(url: string, name: string, f: (c: Client) => Promise<T>): Promise<T> {
  const c = await httpClient(url, name);
  try {
    return await f(c);
  } finally {
    await c.close();
  }
}

void test('read-only by default over HTTP: the five tools, no apply_remediation; each answers', async () => {
  await withClient(readOnly.url, 'reader', async (c) => {
    const { tools } = await c.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['explain_pod', 'get_analysis', 'get_pod', 'list_anomalies', 'propose_remediation']);
    const list = jsonOf<{ items: Array<{ id: string }> }>(await c.callTool({ name: 'list_anomalies', arguments: {} }));
    assert.deepEqual(
      list.items.map((i) => i.id),
      [data.analysisId],
    );
  });
});

void test('--allow-write adds apply_remediation, annotated destructive and not read-only', async () => {
  await withClient(server.url, 'writer', async (c) => {
    const { tools } = await c.listTools();
    const apply = tools.find((t) => t.name === 'apply_remediation');
    assert.ok(apply, tools.map((t) => t.name).join(', '));
    assert.equal(apply.annotations?.destructiveHint, true);
    assert.equal(apply.annotations?.readOnlyHint, false);
    for (const t of tools.filter((t) => t.name !== 'apply_remediation')) assert.equal(t.annotations?.readOnlyHint, true, t.name);
  });
});

void test('apply_remediation queues a decision (via mcp, by the client name) and answers "queued" when nothing executes it', async () => {
  const mark = sim.requests.length;
  const r = await withClient(server.url, 'claude-ai', (c) =>
    c.callTool({ name: 'apply_remediation', arguments: { analysis_id: data.analysisId, action_index: 0 } }),
  );
  const answer = jsonOf<{ decision_id: string; status: string; note: string; by: string }>(r);
  assert.equal(answer.status, 'queued');
  assert.match(answer.note, /run-monitoring or run-remediation must be running/);
  const { decisions, rejected } = readDecisions(join(data.dataDir, 'decisions'));
  assert.equal(rejected, 0);
  assert.equal(decisions.length, 1);
  const d = decisions[0]!;
  assert.deepEqual(
    { id: d.id, analysis_id: d.analysis_id, decision: d.decision, action_index: d.action_index, action: d.action, by: d.by, via: d.via },
    {
      id: answer.decision_id,
      analysis_id: data.analysisId,
      decision: 'approve',
      action_index: 0,
      action: 'restart_pod',
      by: 'claude-ai',
      via: 'mcp',
    },
  );
  assert.deepEqual(writesSince(sim, mark), [], 'the MCP server itself sends nothing to the cluster');

  // Asked again while it waits for run-remediation: the same decision, not a second one.
  const again = jsonOf<{ decision_id: string; reused_queued_decision: boolean }>(
    await withClient(server.url, 'claude-ai', (c) =>
      c.callTool({ name: 'apply_remediation', arguments: { analysis_id: data.analysisId, action_index: 0 } }),
    ),
  );
  assert.equal(again.decision_id, answer.decision_id);
  assert.equal(again.reused_queued_decision, true);
  assert.equal(readdirSync(join(data.dataDir, 'decisions')).length, 1);

  // get_analysis shows it as queued.
  const view = jsonOf<{ proposals: Array<{ queued_decisions: Array<{ id: string }> }> }>(
    await withClient(server.url, 'claude-ai', (c) => c.callTool({ name: 'get_analysis', arguments: { id: data.analysisId } })),
  );
  assert.deepEqual(
    view.proposals[0]!.queued_decisions.map((q) => q.id),
    [answer.decision_id],
  );
});

void test('apply_remediation refuses what the policy refuses, writing no decision', async () => {
  const before = readdirSync(join(data.dataDir, 'decisions')).length;
  const r = await withClient(server.url, 'claude-ai', (c) =>
    c.callTool({ name: 'apply_remediation', arguments: { analysis_id: data.analysisId, action_index: 1 } }),
  );
  assert.equal(r.isError, true);
  assert.match(textOf(r), /the policy refuses scale \(out_of_bounds\)/);
  const missing = await withClient(server.url, 'claude-ai', (c) =>
    c.callTool({ name: 'apply_remediation', arguments: { analysis_id: 'an-nope', action_index: 0 } }),
  );
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /no analysis with id an-nope/);
  assert.equal(readdirSync(join(data.dataDir, 'decisions')).length, before);
});

function rawPost(url: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolveStatus, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    );
  });
}

void test('a foreign Host or Origin is refused (DNS rebinding); unknown paths are 404', async () => {
  const port = new URL(server.url).port;
  assert.equal(await rawPost(server.url, { host: `evil.example:${port}` }), 403);
  assert.equal(await rawPost(server.url, { origin: 'http://evil.example' }), 403);
  assert.equal(await rawPost(server.url, { origin: `http://localhost:${port}` }), 200);
  assert.equal(await rawPost(server.url.replace(/\/mcp$/, '/other'), {}), 404);
});

void test('SIGTERM stops the HTTP server cleanly (exit 0)', async () => {
  const extra = await startHttpServer(mcpArgs(data, sim));
  assert.equal(await extra.stop(), 0);
});
