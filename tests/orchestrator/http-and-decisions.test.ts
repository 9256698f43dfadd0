// run-monitoring's side of the dashboard: --http-port and --demo choose the server child (its command line
// from server/options.ts, the token in its environment, never on the command line), the first free port
// from 8080 up, and the approval step starting run-remediation for a new decision file (once, and not for
// a decision the audit log already carries), without stdin when there is no terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendJsonLine } from '../../lib/atomic-file.ts';
import { newDecisionId, writeDecision } from '../../lib/decisions.ts';
import { pipelineFile } from '../../lib/pipeline-files.ts';
import { configFrom } from '../../run-monitoring.ts';
import { serverChild } from '../../orchestrator/child-specs.ts';
import { freePort } from '../../orchestrator/http-server.ts';
import { RemediationStep } from '../../orchestrator/remediation-step.ts';

void test('--http-port: off by default, 8080-or-next with --demo, exact when given, 0 is off; a usage error out of range', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-http-'));
  const cfg = (...a: string[]) => configFrom(['--data-dir', dir, ...a])!.http;
  assert.equal(cfg(), null);
  assert.deepEqual(cfg('--demo'), { host: '127.0.0.1', port: 8080, exactPort: false });
  assert.deepEqual(cfg('--http-port', '9191', '--http-host', '0.0.0.0'), { host: '0.0.0.0', port: 9191, exactPort: true });
  assert.equal(cfg('--demo', '--http-port', '0'), null);
  assert.throws(() => cfg('--http-port', '70000'), /--http-port must be an integer 0-65535/);
});

void test('the server child: its flags from server/options.ts, the token only in its environment', () => {
  const token = 'tok-0123456789abcdefghij';
  const c = serverChild({ root: '/r', dataDir: '/d', logDir: '/l', logLevel: 'info', host: '127.0.0.1', port: 8081, token });
  assert.equal(c.spec.name, 'podsentinel-server');
  assert.equal(c.spec.script, '/r/server/cli.ts');
  assert.deepEqual(c.spec.args.slice(0, 6), ['--data-dir', '/d', '--host', '127.0.0.1', '--port', '8081']);
  assert.ok(!c.spec.args.some((a) => a.includes(token)), 'the token is not on the command line');
  assert.equal(c.spec.env?.PODSENTINEL_API_TOKEN, token);
});

void test('freePort skips a port in use', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (busy.address() as { port: number }).port;
  try {
    const got = await freePort('127.0.0.1', port, 5);
    assert.ok(got !== null && got > port, String(got));
  } finally {
    busy.close();
  }
});

void test('a new decision file starts one run of the approval step, without stdin; a decision already audited does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-step-'));
  const decisions = pipelineFile(dir, 'decisions');
  const audit = pipelineFile(dir, 'audit');
  const marker = join(dir, 'runs.txt');
  // Stands in for run-remediation: records that it ran and what its stdin was.
  const script = join(dir, 'fake-remediation.mjs');
  writeFileSync(
    script,
    `import { appendFileSync, fstatSync } from 'node:fs';\n` +
      `let stdin = 'closed'; try { fstatSync(0); stdin = process.stdin.isTTY ? 'tty' : 'open'; } catch {}\n` +
      `appendFileSync(${JSON.stringify(marker)}, 'run stdin=' + stdin + '\\n');\n`,
  );
  const step = new RemediationStep({ script, args: [], decisionsDir: decisions, auditFile: audit, interactive: false });
  const base = {
    ts: new Date().toISOString(),
    analysis_id: 'an-1',
    decision: 'approve' as const,
    action_index: 0,
    by: 'ops',
    via: 'web' as const,
  };

  const done = { ...base, id: newDecisionId('web') };
  writeDecision(decisions, done);
  appendJsonLine(audit, {
    ts: base.ts,
    event: 'decision',
    analysis_id: 'an-1',
    action: 'restart_pod',
    params: {},
    user: 'ops',
    result: 'approved',
    via: 'web',
    decision_id: done.id,
  });
  assert.equal(step.offerDecisions(), 0, 'already carried out');
  assert.equal(step.maybeRun(), null);

  await new Promise((r) => setTimeout(r, 20)); // a new directory mtime
  writeDecision(decisions, { ...base, id: newDecisionId('web') });
  assert.equal(step.offerDecisions(), 1);
  const run = step.maybeRun();
  assert.ok(run, 'a run starts');
  const r = await run;
  assert.equal(r.code, 0);
  assert.equal(step.offerDecisions(), 0, 'offered once');
  assert.equal(step.maybeRun(), null);
  const lines = readFileSync(marker, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  assert.notEqual(lines[0], 'run stdin=tty');
});
