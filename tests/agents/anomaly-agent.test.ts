// The anomaly-detection-agent command as a process: --help, --once with rules or an LLM endpoint (the key
// never reaches a log or file), and watch mode reacting to a new insights file and exiting 0 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../../lib/atomic-file.ts';
import { PodAnalysisFile } from '../../lib/schemas.ts';
import { insight, insights } from '../helpers/analysis-fixtures.ts';
import { startOpenAiServer, step } from '../helpers/openai-server.ts';

const AGENT = join(import.meta.dirname, '..', '..', 'agents', 'anomaly-detection-agent.ts');

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PODSENTINEL_') || ['NVIDIA_API_KEY', 'OPENAI_API_KEY', 'LLM_API_KEY', 'KUBECONFIG'].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  const child = spawn(process.execPath, ['--import', 'tsx', AGENT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'anomaly-agent-'));
}

void test('--help documents every option and the environment variables', async () => {
  const p = run(['--help']);
  assert.equal(await p.exit, 0);
  const help = p.out();
  for (const opt of [
    'insights-file',
    'analysis-file',
    'input-file',
    'kubeconfig',
    'llm',
    'llm-base-url',
    'llm-model',
    'llm-timeout-ms',
    'llm-max-retries',
    'llm-concurrency',
    'llm-calls-per-minute',
    'llm-retry-after-s',
    'mask-names',
    'protected-namespace',
    'min-replicas',
    'max-replicas',
    'log-lines',
    'kube-timeout-ms',
    'interval',
    'resolved-limit',
    'once',
    'config',
    'log-dir',
    'log-level',
  ]) {
    assert.match(help, new RegExp(`--${opt}\\b`), `--${opt} documented`);
  }
  for (const env of ['NVIDIA_API_KEY', 'OPENAI_API_KEY', 'LLM_API_KEY', 'KUBECONFIG', 'PODSENTINEL_'])
    assert.ok(help.includes(env), `${env} documented`);
});

void test('--once --no-llm without a cluster: rule-based analyses, heartbeat, one console block per analysis', async () => {
  const dir = tempDir();
  try {
    writeJsonAtomic(
      join(dir, 'pod_insights.json'),
      insights([
        insight({ anomaly_type: 'oom_risk' }),
        insight({ pod: 'calm-pod', predicted_anomaly: false, since: null, anomaly_type: 'none' }),
      ]),
    );
    const p = run([
      '--once',
      '--no-llm',
      '--kubeconfig',
      join(dir, 'missing-kubeconfig'),
      '--insights-file',
      join(dir, 'pod_insights.json'),
      '--analysis-file',
      join(dir, 'out', 'pod_analysis.json'),
      '--input-file',
      join(dir, 'none.csv'),
      '--log-dir',
      join(dir, 'logs'),
    ]);
    assert.equal(await p.exit, 0, p.err());
    const f = readJsonFile(join(dir, 'out', 'pod_analysis.json'), PodAnalysisFile)!;
    assert.equal(f.analyses.length, 1);
    assert.deepEqual(f.analyses[0]!.source, { type: 'rules' });
    assert.equal(f.analyses[0]!.anomaly_type, 'oom_risk');
    assert.match(f.analyses[0]!.explanation, /Cluster facts unavailable/);
    const hb = JSON.parse(readFileSync(join(dir, 'out', '.heartbeat-anomaly-detection-agent.json'), 'utf8')) as Record<string, number>;
    assert.equal(hb.pid, p.child.pid);
    assert.equal(hb.open, 1);
    assert.equal(hb.analysed_total, 1);
    assert.equal(hb.llm_calls, 0);
    assert.equal((p.out().match(/^── /gm) ?? []).length, 1);
    assert.match(p.out(), /oom_risk · shop\/checkout-7d9f8c6b5-x2x9q/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('--once with an LLM endpoint and a key from NVIDIA_API_KEY: source llm, the key in no log, file or output', async () => {
  const KEY = 'nvapi-test-0123456789abcdef-secret';
  const reply = {
    severity: 'high',
    root_cause: 'leak',
    explanation: 'grows',
    evidence: ['mem'],
    recommended_actions: [
      { action: 'restart_pod', params: { namespace: 'shop', pod: 'checkout-7d9f8c6b5-x2x9q' }, rationale: 'r', risk: 'low' },
    ],
  };
  const server = await startOpenAiServer({ model: 'm/test', mustContain: ['checkout-7d9f8c6b5-x2x9q'] }, [step.json(reply)]);
  const dir = tempDir();
  try {
    writeJsonAtomic(join(dir, 'pod_insights.json'), insights([insight({ anomaly_type: 'oom_risk' })]));
    const p = run(
      [
        '--once',
        '--kubeconfig',
        join(dir, 'missing'),
        '--llm-base-url',
        server.baseURL,
        '--llm-model',
        'm/test',
        '--insights-file',
        join(dir, 'pod_insights.json'),
        '--analysis-file',
        join(dir, 'pod_analysis.json'),
        '--log-dir',
        join(dir, 'logs'),
        '--log-level',
        'debug',
      ],
      cleanEnv({ NVIDIA_API_KEY: KEY }),
    );
    assert.equal(await p.exit, 0, p.err());
    assert.equal(server.requests[0]?.authorization, `Bearer ${KEY}`);
    const f = readJsonFile(join(dir, 'pod_analysis.json'), PodAnalysisFile)!;
    assert.deepEqual(f.analyses[0]!.source, { type: 'llm', model: 'm/test' });
    assert.ok(!p.out().includes(KEY) && !p.err().includes(KEY));
    assert.match(p.err(), /key_from.*NVIDIA_API_KEY/);
    const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(join(dir, 'logs')).map((f) => join(dir, 'logs', f))];
    for (const file of files) if (statSync(file).isFile()) assert.ok(!readFileSync(file, 'utf8').includes(KEY), `key found in ${file}`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('watch mode: a new insights file is analysed; SIGTERM exits 0 with the file consistent', async () => {
  const dir = tempDir();
  const insightsFile = join(dir, 'pod_insights.json');
  const analysisFile = join(dir, 'pod_analysis.json');
  writeJsonAtomic(insightsFile, insights([insight({ anomaly_type: 'crash_loop' })]));
  const p = run([
    '--no-llm',
    '--kubeconfig',
    join(dir, 'missing'),
    '--interval',
    '60',
    '--insights-file',
    insightsFile,
    '--analysis-file',
    analysisFile,
    '--log-dir',
    join(dir, 'logs'),
  ]);
  try {
    const count = () => (existsSync(analysisFile) ? readJsonFile(analysisFile, PodAnalysisFile)!.analyses.length : 0);
    await until(() => count() === 1, 'the first analysis');
    writeJsonAtomic(
      insightsFile,
      insights([insight({ anomaly_type: 'crash_loop' }), insight({ pod: 'api-6c7b8d9f5-abcde', anomaly_type: 'resource_exhaustion' })]),
    );
    await until(() => count() === 2, 'the change to be picked up by the watcher');
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0, p.err());
    const f = readJsonFile(analysisFile, PodAnalysisFile)!;
    assert.deepEqual(f.analyses.map((a) => a.anomaly_type).sort(), ['crash_loop', 'resource_exhaustion']);
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temp file left behind');
  } finally {
    // a failed wait must not leave the agent running (the test runner would wait for it)
    p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('watch mode: only a new insights file starts a cycle; its directory vanishing does not spin the agent', async () => {
  const dir = tempDir();
  const insightsFile = join(dir, 'pod_insights.json');
  // the agent writes its analysis, heartbeat and logs beside the watched file: none of that may start a cycle
  const p = run([
    '--no-llm',
    '--kubeconfig',
    join(dir, 'missing'),
    '--interval',
    '60',
    '--insights-file',
    insightsFile,
    '--analysis-file',
    join(dir, 'pod_analysis.json'),
    '--log-dir',
    join(dir, 'logs'),
  ]);
  const cycles = () => p.err().split('no insights file yet').length - 1;
  try {
    await until(() => p.err().includes('watching'), 'the agent to start watching');
    await until(() => cycles() >= 1, 'the first cycle');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(cycles(), 1, 'its own writes beside the file started cycles');
    rmSync(dir, { recursive: true, force: true });
    // chokidar notices a vanished directory after a few seconds; the old agent then ran about 60 cycles a second
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal(cycles(), 1, 'the directory going away started cycles');
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0, p.err());
  } finally {
    p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

void test("against the simulated cluster: the crash-looping pod's previous logs and events reach the LLM as data", async () => {
  const { startSim } = await import('../../sim/index.ts');
  const dir = tempDir();
  const sim = await startSim({ scenario: 'crash-loop', seed: 1, manualClock: true, kubeconfigOut: join(dir, 'kubeconfig') });
  const reply = {
    severity: 'high',
    root_cause: 'DATABASE_URL missing from the configuration',
    explanation: 'bad config rollout',
    evidence: ['IllegalStateException'],
    recommended_actions: [
      {
        action: 'rollout_restart',
        params: { namespace: 'payments', kind: 'Deployment', name: 'fraud-check' },
        rationale: 'after fixing the config',
        risk: 'medium',
      },
    ],
  };
  try {
    sim.tick(40);
    const fault = sim.cluster.faults()[0]!;
    const server = await startOpenAiServer(
      { model: 'm/sim', mustContain: [fault.pod, 'DATABASE_URL', 'BackOff', 'Deployment/fraud-check'] },
      [step.json(reply)],
    );
    try {
      writeJsonAtomic(
        join(dir, 'pod_insights.json'),
        insights([insight({ namespace: fault.namespace, pod: fault.pod, anomaly_type: 'unknown', since: fault.startedAt.time })]),
      );
      const p = run(
        [
          '--once',
          '--kubeconfig',
          sim.kubeconfigPath,
          '--llm-base-url',
          server.baseURL,
          '--llm-model',
          'm/sim',
          '--insights-file',
          join(dir, 'pod_insights.json'),
          '--analysis-file',
          join(dir, 'pod_analysis.json'),
          '--log-dir',
          join(dir, 'logs'),
        ],
        cleanEnv({ LLM_API_KEY: 'k-sim-test' }),
      );
      assert.equal(await p.exit, 0, p.err());
      assert.deepEqual(server.requests[0]?.problems, []);
      const a = readJsonFile(join(dir, 'pod_analysis.json'), PodAnalysisFile)!.analyses[0]!;
      assert.deepEqual(a.source, { type: 'llm', model: 'm/sim' });
      assert.equal(a.anomaly_type, 'crash_loop');
      assert.deepEqual(a.owner, { kind: 'Deployment', name: 'fraud-check' });
      assert.equal(a.recommended_actions[0]!.action, 'rollout_restart');
    } finally {
      await server.close();
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('--once with an insights file that breaks its contract: exit 1, a clear error naming the file, no crash', async () => {
  const dir = tempDir();
  try {
    const bad = join(dir, 'pod_insights.json');
    writeJsonAtomic(bad, { generated_at: 'x', pods: 'not a list' });
    const p = run([
      '--once',
      '--no-llm',
      '--kubeconfig',
      join(dir, 'missing'),
      '--insights-file',
      bad,
      '--analysis-file',
      join(dir, 'pod_analysis.json'),
      '--log-dir',
      join(dir, 'logs'),
    ]);
    assert.equal(await p.exit, 1);
    assert.match(p.err(), /insights file unreadable.*pod_insights\.json does not match its schema/);
    assert.doesNotMatch(p.err(), /at .*\.ts:\d+/, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
