// A standalone dataset agent started through the launcher runs with its Node settings without NODE_OPTIONS:
// the launcher relaunches it in a child Node that has them, passes SIGTERM on (the agent stops cleanly and
// the launcher ends with its status), and the child does not outlive a launcher killed outright.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { missingNodeArgs } from '../../lib/relaunch.ts';
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_ARGS } from '../../agents/dataset-generator/node-args.ts';
import { formatHeader, METRIC_COLUMNS } from '../../lib/metrics-csv.ts';
import { pidAlive } from '../../orchestrator/lock.ts';

const LAUNCHER = resolve('bin/podsentinel.mjs');

void test('missing settings: those given by hand (flag or NODE_OPTIONS, any value) are kept', () => {
  assert.deepEqual(missingNodeArgs(['--max-semi-space-size=16'], [], ''), ['--max-semi-space-size=16']);
  assert.deepEqual(missingNodeArgs(['--max-semi-space-size=16'], ['--max-semi-space-size=64'], ''), []);
  assert.deepEqual(missingNodeArgs(['--max-semi-space-size=16'], [], '--inspect --max-semi-space-size=8'), []);
  assert.deepEqual(missingNodeArgs(['--max-semi-space-size=16', '--stack-size=2000'], ['--stack-size=900'], ''), [
    '--max-semi-space-size=16',
  ]);
});

async function until<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startAgent(dir: string) {
  const csv = join(dir, 'pod_metrics.csv');
  writeFileSync(csv, formatHeader(METRIC_COLUMNS));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.GLIBC_TUNABLES;
  const launcher = spawn(
    process.execPath,
    [
      LAUNCHER,
      'dataset-generator-agent',
      '--input-file',
      csv,
      '--insights-file',
      join(dir, 'pod_insights.json'),
      '--log-dir',
      join(dir, 'logs'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const exited = new Promise<number | null>((r) => launcher.on('exit', (code) => r(code)));
  const heartbeat = join(dir, '.heartbeat-dataset-generator-agent.json');
  const beat = () => (existsSync(heartbeat) ? (JSON.parse(readFileSync(heartbeat, 'utf8')) as { pid: number; state: string }) : null);
  return { launcher, exited, beat };
}

void test('the launcher runs the agent in a child with its settings; SIGTERM reaches it and the status comes back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-relaunch-'));
  const a = startAgent(dir);
  try {
    const { pid } = await until('the agent heartbeat', a.beat);
    assert.notEqual(pid, a.launcher.pid, 'the agent runs in a child of the launcher');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    for (const flag of AGENT_NODE_ARGS) assert.ok(cmd.includes(flag), `${flag} in ${cmd.join(' ')}`);
    // glibc's settings only count from a process's start: the child was started with them
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const tunables =
      environ
        .find((e) => e.startsWith('GLIBC_TUNABLES='))
        ?.slice('GLIBC_TUNABLES='.length)
        .split(':') ?? [];
    for (const [k, v] of Object.entries(AGENT_GLIBC_TUNABLES))
      assert.ok(tunables.includes(`${k}=${v}`), `${k}=${v} in ${tunables.join(':')}`);
    a.launcher.kill('SIGTERM');
    assert.equal(await a.exited, 0, 'a clean stop');
    assert.equal(a.beat()!.state, 'stopped');
    assert.equal(pidAlive(pid), false);
  } finally {
    a.launcher.kill('SIGKILL');
  }
});

void test('the agent does not outlive a launcher killed outright', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-relaunch-'));
  const a = startAgent(dir);
  const { pid } = await until('the agent heartbeat', a.beat);
  a.launcher.kill('SIGKILL');
  await a.exited;
  await until(`agent ${pid} to end`, () => !pidAlive(pid), 10_000);
});
