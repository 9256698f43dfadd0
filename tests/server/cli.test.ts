// podsentinel-server as a process, through the launcher (bin/podsentinel.mjs): --help, the ready line, the
// generated token shown once in the dashboard URL fragment and accepted for a write, a usage error for a
// bad port, SIGTERM stops it with status 0. The token never reaches its log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir } from '../helpers/server-fixtures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'podsentinel.mjs');

void test('--help and a usage error', () => {
  const help = spawnSync(process.execPath, [LAUNCHER, 'podsentinel-server', '--help'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--token-file/);
  assert.match(help.stdout, /PODSENTINEL_API_TOKEN/);
  const bad = spawnSync(process.execPath, [LAUNCHER, 'podsentinel-server', '--port', '70000'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--port must be an integer 0-65535/);
});

void test('serves on a free port, shows the generated token once, accepts it for a write, stops on SIGTERM', async () => {
  const dir = dataDir();
  const logs = join(dir, 'logs');
  const env = { ...process.env };
  delete env.PODSENTINEL_API_TOKEN;
  const child = spawn(process.execPath, [LAUNCHER, 'podsentinel-server', '--data-dir', dir, '--port', '0', '--log-dir', logs], { env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const end = Date.now() + 120_000;
  while (!/#token=\S+/.test(out)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`no dashboard URL; output:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const [, base, token] = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out)!;
  assert.match(out, /podsentinel-server ready url=http:\/\/127\.0\.0\.1:\d+\//);
  assert.deepEqual(await (await fetch(`${base}/api/health`)).json(), { status: 'ok' });
  const alert = { version: '4', status: 'firing', alerts: [] };
  const post = (auth?: string) =>
    fetch(`${base}/api/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(alert),
    });
  assert.equal((await post()).status, 401);
  assert.equal((await post(`Bearer ${token}`)).status, 200);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  for (const f of readdirSync(logs)) assert.ok(!readFileSync(join(logs, f), 'utf8').includes(token!), `${f} holds the token`);
});
