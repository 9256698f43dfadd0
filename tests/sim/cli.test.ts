// The podsentinel-sim command: prints its one ready line, writes a kubeconfig that kubectl uses unchanged
// (get pods -A, top pods, rollout restart + status, cordon, logs), refuses bad options, and stops on SIGTERM.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-simcli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function startCli(args: string[]): { child: ChildProcess; ready: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sim/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out);
    });
    void exit.then((code) => reject(new Error(`podsentinel-sim exited (${code}) before its ready line: ${err}`)));
  });
  return { child, ready, exit, stderr: () => err };
}

async function kubectlPath(): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  return undefined;
}

void test('prints one ready line; kubectl works with the written kubeconfig; SIGTERM stops it with exit 0', async () => {
  const kubeconfig = join(tmp, 'kubeconfig');
  const sim = startCli([
    '--scenario',
    'crash-loop',
    '--speed',
    '20',
    '--seed',
    '3',
    '--kubeconfig-out',
    kubeconfig,
    '--log-dir',
    join(tmp, 'logs'),
  ]);
  try {
    const out = await sim.ready;
    const m =
      /^podsentinel-sim ready api=(https:\/\/127\.0\.0\.1:\d+) metrics=(http:\/\/127\.0\.0\.1:\d+\/metrics) kubeconfig=(\S+)\n$/.exec(out);
    assert.ok(m, `ready line: ${out}`);
    assert.equal(m[3], kubeconfig);
    const metrics = await (await fetch(m[2]!)).text();
    assert.match(metrics, /^container_cpu_usage_seconds_total\{/m);
    assert.match(metrics, /^kube_pod_container_status_restarts_total\{/m);

    const kubectl = await kubectlPath();
    if (!kubectl) {
      // CI's machines have kubectl: there its absence is a failure, not a silent pass.
      assert.ok(!process.env.CI, 'kubectl is not on PATH: install it, or run outside CI to skip the kubectl checks');
      // Elsewhere the API checks above still ran.
      console.log('kubectl is not installed: skipping the kubectl part of this test (apt-get install kubectl)');
      return;
    }
    const k = async (...args: string[]) => (await run(kubectl, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;
    const pods = await k('get', 'pods', '-A');
    assert.match(pods, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/m);
    for (const ns of ['kube-system', 'monitoring', 'shop', 'payments'])
      assert.match(pods, new RegExp(`^${ns}\\s+\\S+\\s+\\d/1\\s+Running`, 'm'));
    const top = await k('top', 'pods', '-A');
    assert.match(top, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/m);
    assert.match(top, /^shop\s+frontend-\S+\s+\d+m\s+\d+Mi/m);
    assert.match(await k('get', 'nodes'), /^node-a\s+Ready/m);
    assert.match(await k('rollout', 'restart', 'deployment/frontend', '-n', 'shop'), /restarted/);
    // rollout status watches the deployment until the new pods are ready (about 3 s at speed 20).
    assert.match(await k('rollout', 'status', 'deployment/frontend', '-n', 'shop', '--timeout=25s'), /successfully rolled out/);
    assert.match(await k('cordon', 'node-c'), /cordoned/);
    assert.match(await k('get', 'nodes'), /^node-c\s+Ready,SchedulingDisabled/m);
    const json = JSON.parse(await k('get', 'deployment', 'frontend', '-n', 'shop', '-o', 'json')) as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    assert.ok(json.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
    const logs = await k('logs', '-n', 'shop', 'deploy/cart', '--tail=3');
    assert.equal(logs.trimEnd().split('\n').length, 3);
    // At speed 20 the crash loop (tick 15) starts within a second or so of real time.
    let crash = '';
    for (let i = 0; i < 40 && !/CrashLoopBackOff/.test(crash); i++) {
      await new Promise((r) => setTimeout(r, 250));
      crash = await k('get', 'pods', '-n', 'payments');
    }
    assert.match(crash, /fraud-check-\S+\s+0\/1\s+CrashLoopBackOff\s+\d+/);
  } finally {
    sim.child.kill('SIGTERM');
    assert.equal(await sim.exit, 0, sim.stderr());
  }
  assert.match(sim.stderr(), /stopping/);
});

void test('bad options and unknown scenarios give one clear error and exit 2', async () => {
  const bad = startCli(['--scenario', 'no-such-scenario']);
  bad.ready.catch(() => {});
  assert.equal(await bad.exit, 2);
  assert.match(bad.stderr(), /error: unknown scenario "no-such-scenario"/);
  const badSpeed = startCli(['--speed', '0']);
  badSpeed.ready.catch(() => {});
  assert.equal(await badSpeed.exit, 2);
  assert.match(badSpeed.stderr(), /--speed must be positive/);
  const help = await run(process.execPath, ['--import', 'tsx', 'sim/cli.ts', '--help'], { cwd: ROOT });
  for (const opt of [
    '--port',
    '--metrics-port',
    '--kubeconfig-out',
    '--scenario',
    '--seed',
    '--speed',
    '--tick-seconds',
    '--truth-out',
    '--pods',
    '--start-time',
  ]) {
    assert.ok(help.stdout.includes(opt), `--help lists ${opt}`);
  }
});
