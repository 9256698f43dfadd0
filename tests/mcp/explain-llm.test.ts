// explain_pod with an LLM configured as for anomaly-detection-agent (--llm-base-url, --llm-model, the key
// from NVIDIA_API_KEY): the real openai client asks a local OpenAI-compatible server about the live pod;
// the answer says so; the key appears in no answer and no log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { startOpenAiServer, step, type OpenAiTestServer } from '../helpers/openai-server.ts';
import { tempDir, writeScenario } from '../helpers/remediation-fixtures.ts';
import { jsonOf, mcpArgs, stdioClient, textOf, writeMcpData, type McpData } from '../helpers/mcp-fixtures.ts';

const KEY = 'nvapi-mcp-test-0123456789abcdef-secret';
let sim: SimHandle;
let data: McpData;
let llm: OpenAiTestServer;
let client: Client;

before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 3, manualClock: true });
  sim.tick(3);
  data = writeMcpData(sim);
  const reply = {
    severity: 'high',
    root_cause: 'A memory leak in the cart cache',
    explanation: 'Working set grows 30 MB a minute towards the 512 MiB limit.',
    evidence: ['Memory Usage (MB) 300 -> 450'],
    recommended_actions: [
      { action: 'restart_pod', params: { namespace: 'shop', pod: data.pod }, rationale: 'frees the leak', risk: 'low' },
    ],
  };
  llm = await startOpenAiServer({ model: 'm/test', mustContain: [data.pod] }, [step.json(reply)]);
  const args = mcpArgs(data, sim, ['--llm-base-url', llm.baseURL, '--llm-model', 'm/test']).filter((a) => a !== '--no-llm');
  client = await stdioClient(args, 'llm-test', { NVIDIA_API_KEY: KEY });
});
after(async () => {
  await client?.close();
  await llm?.close();
  await sim?.close();
});

void test('explain_pod asks the configured LLM about the live pod and returns its vetted analysis', async () => {
  const r = await client.callTool({ name: 'explain_pod', arguments: { namespace: 'shop', pod: data.pod } });
  const out = jsonOf<{
    analysis: { source: unknown; root_cause: string; recommended_actions: Array<{ action: string }> };
    llm_failure: string | null;
  }>(r);
  assert.deepEqual(out.analysis.source, { type: 'llm', model: 'm/test' });
  assert.equal(out.llm_failure, null);
  assert.equal(out.analysis.root_cause, 'A memory leak in the cart cache');
  assert.deepEqual(
    out.analysis.recommended_actions.map((a) => a.action),
    ['restart_pod'],
  );
  assert.equal(llm.requests.length, 1);
  assert.deepEqual(llm.requests[0]!.problems, []);
  assert.equal(llm.requests[0]!.authorization, `Bearer ${KEY}`);
  assert.ok(!textOf(r).includes(KEY));
  const logs = join(data.dir, 'logs');
  for (const f of readdirSync(logs)) assert.ok(!readFileSync(join(logs, f), 'utf8').includes(KEY), `key found in ${f}`);
});
