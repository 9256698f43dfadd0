// The commands as they run in a pod: no kubeconfig, KUBERNETES_SERVICE_HOST/PORT and a service-account
// directory (the simulated cluster's token and CA). The collector (dataset-generator --source k8s),
// run-remediation (restart_pod under an auto-approve policy) and run-monitoring with its children run
// through the image's entrypoint, bin/podsentinel.mjs, against the simulated cluster over verified TLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { readJsonLines, writeJsonAtomic } from '../../lib/atomic-file.ts';
import { AuditRecord, type PodAnalysisFile } from '../../lib/schemas.ts';
import { act, analysisFor, podOf, tempDir, writeInsights, writeScenario } from '../helpers/remediation-fixtures.ts';
import { inClusterEnv, type InCluster } from '../helpers/in-cluster.ts';
import { readStatusFile } from '../../orchestrator/monitor.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

let sim: SimHandle;
let pod: InCluster;
before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 5, manualClock: true });
  sim.tick(3);
  pod = inClusterEnv(sim, 'podsentinel');
});
after(async () => {
  await sim?.close();
});

/** Runs `podsentinel <command> args` as the image does (node bin/podsentinel.mjs), with no terminal. */
function podsentinel(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/podsentinel.mjs'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}

function emptyConfig(dir: string): string {
  const file = join(dir, 'podsentinel.json');
  writeFileSync(file, '{}');
  return file;
}

void test('collector in-cluster: dataset-generator --source k8s --once writes rows of every namespace', async () => {
  const dir = tempDir();
  const csv = join(dir, 'pod_metrics.csv');
  const mark = sim.requests.length;
  const r = await podsentinel(
    [
      'dataset-generator',
      '--source',
      'k8s',
      '--all-namespaces',
      '--once',
      '-o',
      csv,
      '--config',
      emptyConfig(dir),
      '--log-dir',
      join(dir, 'logs'),
    ],
    pod.env,
  );
  assert.equal(r.code, 0, r.out);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  const pods = sim.cluster.pods();
  assert.equal(lines.length, 1 + pods.length, `one row per pod\n${lines.slice(0, 3).join('\n')}`);
  for (const p of pods)
    assert.ok(
      lines.some((l) => l.includes(p.name)),
      `a row for ${p.namespace}/${p.name}`,
    );
  const seen = sim.requests.slice(mark);
  assert.ok(seen.length >= 3, 'pods, metrics, events (and cAdvisor) were read');
  assert.ok(
    seen.every((q) => q.status === 200),
    seen.map((q) => `${q.status} ${q.path}`).join('\n'),
  );
});

void test('run-remediation in-cluster: an auto-approved restart_pod deletes the pod (dry run first) and is audited', async () => {
  const dir = tempDir();
  const target = podOf(sim, 'shop', 'web');
  const analysis: PodAnalysisFile = {
    generated_at: new Date().toISOString(),
    analyses: [analysisFor(target, [act('restart_pod', { namespace: 'shop', pod: target.name })])] as PodAnalysisFile['analyses'],
    resolved: [],
  };
  writeJsonAtomic(join(dir, 'pod_analysis.json'), analysis);
  writeInsights(join(dir, 'pod_insights.json'), [{ namespace: 'shop', pod: target.name, anomalous: true }]);
  const policy = join(dir, 'remediation.json');
  writeFileSync(
    policy,
    JSON.stringify({ autoApprove: { name: 'restarts', actions: ['restart_pod'], maxActionsPerHour: 5, cooldownMinutes: 15 } }),
  );
  const mark = sim.requests.length;
  const r = await podsentinel(
    [
      'run-remediation',
      '--once',
      '--auto-approve',
      '--policy',
      policy,
      '--data-dir',
      dir,
      '--verify-delay',
      '1',
      '--config',
      emptyConfig(dir),
      '--log-dir',
      join(dir, 'logs'),
    ],
    pod.env,
  );
  assert.equal(r.code, 0, r.out);
  const deletes = sim.requests.slice(mark).filter((q) => q.method === 'DELETE');
  assert.deepEqual(
    deletes.map((q) => [q.path, q.dryRun, q.status]),
    [
      [`/api/v1/namespaces/shop/pods/${target.name}`, true, 200],
      [`/api/v1/namespaces/shop/pods/${target.name}`, false, 200],
    ],
  );
  assert.ok(!sim.cluster.pods().some((p) => p.name === target.name), 'the pod was deleted');
  const events = readJsonLines(join(dir, 'remediation_history.jsonl'), AuditRecord).records.map((a) => `${a.event}:${a.result}`);
  assert.ok(events.includes('execution:ok'), events.join(', '));
});

void test('run-monitoring in-cluster: every child starts with the service account and the collector writes rows', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const csv = join(data, 'pod_metrics.csv');
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/podsentinel.mjs'),
      'run-monitoring',
      '--data-dir',
      data,
      '--log-dir',
      join(dir, 'logs'),
      '--config',
      emptyConfig(dir),
      '--no-remediation',
      '--no-llm',
      '--generator-interval',
      '1',
      '--watch-interval',
      '2',
      '--status-interval',
      '1',
    ],
    { cwd: ROOT, env: pod.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const clock = setInterval(() => sim.tick(1), 500); // new samples for the collector
  try {
    const deadline = Date.now() + 150_000;
    for (;;) {
      const status = readStatusFile(data) as { children?: Array<{ name: string; state: string; restarts: number }> } | null;
      const rows = existsSync(csv) ? readFileSync(csv, 'utf8').trim().split('\n').length - 1 : 0;
      const children = status?.children ?? [];
      if (rows >= sim.cluster.pods().length && children.length === 3 && children.every((c) => c.state === 'running')) {
        assert.ok(
          children.every((c) => c.restarts === 0),
          JSON.stringify(children),
        );
        break;
      }
      assert.ok(
        Date.now() < deadline,
        `run-monitoring in-cluster: rows ${rows}, children ${JSON.stringify(children)}\n${out.slice(-3000)}`,
      );
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    clearInterval(clock);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
  }
});
