// apply_remediation end to end: an MCP client (stdio, --allow-write) approves an action; run-remediation,
// running beside it on the same data directory, executes the decision file against the simulated cluster,
// verifies it, and audits every step with who decided (the MCP client) and where (mcp); the tool answers
// with that story.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { tempDir, writeInsights, writeScenario } from '../helpers/remediation-fixtures.ts';
import { jsonOf, mcpArgs, ROOT, stdioClient, writeMcpData, type McpData } from '../helpers/mcp-fixtures.ts';

let sim: SimHandle;
let data: McpData;
let client: Client;
let remediation: ChildProcess;
let out = '';

before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 13, manualClock: true });
  sim.tick(3);
  data = writeMcpData(sim, 'cart');
  const config = join(data.dir, 'remediation-config.json');
  writeFileSync(config, '{}');
  // run-remediation watching the data directory, without a terminal: only decisions execute.
  remediation = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'run-remediation.ts'),
      '--data-dir',
      data.dataDir,
      '--kubeconfig',
      sim.kubeconfigPath,
      '--config',
      config,
      '--log-dir',
      join(data.dir, 'logs'),
      '--verify-delay',
      '1',
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  remediation.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  remediation.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  client = await stdioClient(mcpArgs(data, sim, ['--allow-write', '--apply-timeout', '90']), 'claude-e2e');
});
after(async () => {
  await client?.close();
  if (remediation && remediation.exitCode === null) {
    const exited = new Promise((r) => remediation.once('exit', r));
    remediation.kill('SIGTERM');
    await exited;
  }
  await sim?.close();
});

async function until<T>(what: string, f: () => T | undefined | false, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- run-remediation output\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

void test('approve over MCP → run-remediation executes, verifies and audits it → the tool reports resolved', async () => {
  const clusterWrites = () => sim.requests.filter((r) => r.method !== 'GET').length;
  const progress: string[] = [];
  const answer = client.callTool({ name: 'apply_remediation', arguments: { analysis_id: data.analysisId, action_index: 0 } }, undefined, {
    timeout: 180_000,
    resetTimeoutOnProgress: true,
    onprogress: (p) => progress.push(p.message ?? ''),
  });
  // run-remediation restarts the pod; the detector then sees its replacement healthy.
  await until('the pod to be restarted', () => !sim.cluster.pods().some((p) => p.name === data.pod), 120_000);
  assert.ok(clusterWrites() > 0, 'run-remediation wrote to the cluster');
  const now = sim.cluster
    .pods()
    .filter((p) => p.deployment === 'cart')
    .map((p) => p.name);
  writeInsights(
    join(data.dataDir, 'pod_insights.json'),
    now.map((pod) => ({ namespace: 'shop', pod, anomalous: false })),
  );
  const r = jsonOf<{ status: string; by: string; decision_id: string; audit: Array<{ event: string; result: string; user: string }> }>(
    await answer,
  );
  assert.equal(r.status, 'resolved', JSON.stringify(r, null, 2));
  assert.equal(r.by, 'claude-e2e');
  assert.deepEqual(
    r.audit.map((a) => `${a.event}:${a.result}`),
    ['decision:approved', 'execution:ok', 'verification:RESOLVED'],
  );
  assert.ok(
    r.audit.every((a) => a.user === 'claude-e2e'),
    'the MCP client is recorded as the approver',
  );
  assert.ok(progress.length > 0, 'progress was reported while waiting');

  // get_analysis now tells the same story from the audit log.
  const view = jsonOf<{ proposals: Array<{ state: string; decision: { by: string; via: string } | null; queued_decisions: unknown[] }> }>(
    await client.callTool({ name: 'get_analysis', arguments: { id: data.analysisId } }),
  );
  assert.equal(view.proposals[0]!.state, 'resolved');
  assert.deepEqual(view.proposals[0]!.decision && { by: view.proposals[0]!.decision.by, via: view.proposals[0]!.decision.via }, {
    by: 'claude-e2e',
    via: 'mcp',
  });
  assert.deepEqual(view.proposals[0]!.queued_decisions, []);
});
