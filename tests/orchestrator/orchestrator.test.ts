// The orchestrator's supervision, instance lock, and clean stop, with tiny stand-in child scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Supervisor } from '../../orchestrator/supervisor.ts';
import { pidAlive, acquireInstanceLock, InstanceLockedError, LOCK_FILE_NAME } from '../../orchestrator/lock.ts';
import { condense, STATUS_FILE_NAME, type MonitorConfig } from '../../orchestrator/monitor.ts';
import { runMonitoring } from '../../orchestrator/monitor-run.ts';
import { archiveEarlierDemo } from '../../orchestrator/demo-reset.ts';
import { PipelineWatch } from '../../orchestrator/pipeline-watch.ts';
import { renderStatus, StatusView } from '../../orchestrator/status-view.ts';
import { judgeHeartbeat, RateMeter } from '../../orchestrator/heartbeat.ts';
import { memoryLogger } from '../../lib/log.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'podsentinel-orch-'));

async function until<T>(what: string | (() => string), fn: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void test('supervisor restarts a crashing child with growing backoff, gives up after the limit, the others go on', async () => {
  const dir = tmp();
  const crasher = join(dir, 'crasher.mjs');
  writeFileSync(
    crasher,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(dir, 'starts'))}, 'x');\nprocess.exit(3);\n`,
  );
  const steady = join(dir, 'steady.mjs');
  writeFileSync(steady, `setInterval(() => {}, 1000);\nprocess.on('SIGTERM', () => process.exit(0));\n`);
  const sup = new Supervisor({ initialBackoffMs: 40, maxBackoffMs: 1000, maxCrashes: 3, crashWindowMs: 60_000 });
  const delays: number[] = [];
  const gaveUp: Array<[string, number]> = [];
  sup.on('restart', (_n, d) => delays.push(d));
  sup.on('gave-up', (n, c) => gaveUp.push([n, c]));
  sup.add({ name: 'steady', script: steady, args: [], output: { logFile: join(dir, 'steady.log') } });
  sup.add({ name: 'crasher', script: crasher, args: [], output: { logFile: join(dir, 'crasher.log') } });
  try {
    const final = await sup.waitSettled('crasher');
    assert.equal(final?.state, 'failed');
    assert.equal(final?.lastExit?.code, 3);
    assert.deepEqual(gaveUp, [['crasher', 3]]);
    assert.equal(readFileSync(join(dir, 'starts'), 'utf8'), 'xxx', 'started once and restarted twice');
    assert.equal(delays.length, 2);
    // Full jitter over a doubling base: attempt n waits within [base/2, base], base = 40·2^(n-1).
    assert.ok(delays[0]! >= 20 && delays[0]! <= 40, `first delay ${delays[0]}`);
    assert.ok(delays[1]! >= 40 && delays[1]! <= 80, `second delay ${delays[1]}`);
    const st = sup.get('steady');
    assert.equal(st?.state, 'running');
    assert.ok(st?.pid && pidAlive(st.pid), 'the healthy child is still running');
    assert.equal(st?.restarts, 0);
    assert.match(readFileSync(join(dir, 'crasher.log'), 'utf8'), /supervisor: starting crasher \(restart #2\)/);
  } finally {
    await sup.stop('SIGTERM', 3000);
  }
});

void test('supervisor.stop forwards SIGTERM, waits, and SIGKILLs a child that ignores it', async () => {
  const dir = tmp();
  const polite = join(dir, 'polite.mjs');
  writeFileSync(
    polite,
    `import { writeFileSync } from 'node:fs';\nsetInterval(() => {}, 1000);\nprocess.on('SIGTERM', () => { writeFileSync(${JSON.stringify(join(dir, 'polite-done'))}, 'ok'); process.exit(0); });\n`,
  );
  const stubborn = join(dir, 'stubborn.mjs');
  writeFileSync(stubborn, `setInterval(() => {}, 1000);\nprocess.on('SIGTERM', () => {});\n`);
  const sup = new Supervisor();
  sup.add({ name: 'polite', script: polite, args: [], output: { logFile: join(dir, 'p.log') } });
  sup.add({ name: 'stubborn', script: stubborn, args: [], output: { logFile: join(dir, 's.log') } });
  // Let both install their handlers (tsx start-up) before signalling.
  await new Promise((r) => setTimeout(r, 1500));
  const pids = sup.status().map((s) => s.pid!);
  const killed = await sup.stop('SIGTERM', 800);
  assert.deepEqual(killed, ['stubborn']);
  assert.equal(readFileSync(join(dir, 'polite-done'), 'utf8'), 'ok', 'the polite child handled SIGTERM');
  for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} is gone`);
  assert.deepEqual(
    sup.status().map((s) => [s.name, s.state, s.lastExit?.signal ?? null]),
    [
      ['polite', 'stopped', null],
      ['stubborn', 'stopped', 'SIGKILL'],
    ],
  );
});

void test('instance lock: a second holder is refused; a stale lock from a dead pid is taken over', () => {
  const dir = tmp();
  const first = acquireInstanceLock(dir);
  assert.throws(
    () => acquireInstanceLock(dir, process.pid + 1),
    (err: unknown) => err instanceof InstanceLockedError && err.pid === process.pid,
  );
  first.release();
  assert.equal(existsSync(join(dir, LOCK_FILE_NAME)), false);

  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: dead }));
  const second = acquireInstanceLock(dir);
  assert.equal(second.tookOver, true);
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).pid, process.pid);
  second.release();
});

void test('run-monitoring refuses a second instance on the same data directory (exit 3, clear message)', () => {
  const dir = tmp();
  // This test process holds the lock, as a running run-monitoring would.
  const lock = acquireInstanceLock(join(dir, 'data'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve('run-monitoring.ts'),
        '--data-dir',
        join(dir, 'data'),
        '--log-dir',
        join(dir, 'logs'),
        '--generator-only',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`another run-monitoring \\(pid ${process.pid}\\) is already using this data directory`));
  } finally {
    lock.release();
  }
});

// A stand-in project root whose commands are tiny scripts: each writes a heartbeat beside its output
// every 100 ms, records its arguments, and exits 0 on SIGTERM.
function fakeRoot(dir: string): string {
  const root = join(dir, 'root');
  // Counters of each writer's heartbeat contract (lib/heartbeat.ts), written through its writer.
  const counters: Record<string, string> = {
    'dataset-generator': '{ rows_total: (n += 10), last_tick_ms: 1, pods: 4 }',
    'dataset-generator-agent': '{ rows_read: (n += 10), rows_rejected: 0, lag_bytes: 0, pods: 4, anomalies: 0 }',
    'anomaly-detection-agent': '{ open: 0, analysed_total: 0, llm_calls: 0, llm_failures: 0 }',
  };
  const child = (name: string, outFlag: string) => `
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const args = process.argv.slice(2);
const out = args[args.indexOf(${JSON.stringify(outFlag)}) + 1];
appendFileSync(join(${JSON.stringify(dir)}, 'events'), ${JSON.stringify(name)} + ' start ' + JSON.stringify(args) + '\\n');
process.on('SIGTERM', () => { appendFileSync(join(${JSON.stringify(dir)}, 'events'), ${JSON.stringify(name)} + ' SIGTERM\\n'); process.exit(0); });
// Loaded after the SIGTERM handler is in place (zod takes a moment to load on a busy machine).
let n = 0;
void Promise.all([import(${JSON.stringify(resolve('lib/heartbeat.ts'))}), import(${JSON.stringify(resolve('lib/pipeline-files.ts'))})]).then(([{ heartbeat, writeHeartbeat }, { heartbeatPath }]) =>
  setInterval(() => writeHeartbeat(heartbeatPath(out, '${name}'), heartbeat('${name}', ${counters[name]})), 100));
`;
  for (const d of ['collectors', 'agents']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'collectors/dataset-generator.ts'), child('dataset-generator', '--output-file'));
  writeFileSync(join(root, 'agents/dataset-generator-agent.ts'), child('dataset-generator-agent', '--insights-file'));
  writeFileSync(
    join(root, 'agents/anomaly-detection-agent.ts'),
    child('anomaly-detection-agent', '--analysis-file') +
      `
const analysis = args[args.indexOf('--analysis-file') + 1];
const now = new Date().toISOString();
writeFileSync(analysis, JSON.stringify({ generated_at: now, resolved: [], analyses: [{ id: 'a1', namespace: 'monitoring', pod: 'leaky-0', owner: { kind: 'Deployment', name: 'leaky' },
  detected_at: now, anomaly_probability: 0.93, anomaly_type: 'oom_risk', severity: 'high', root_cause: 'memory leak', explanation: 'grows', evidence: [],
  recommended_actions: [{ action: 'restart_pod', params: { namespace: 'monitoring', pod: 'leaky-0' }, rationale: 'frees memory', risk: 'low' }], source: { type: 'rules' } }] }));
`,
  );
  writeFileSync(
    join(root, 'run-remediation.ts'),
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(dir, 'events'))}, 'run-remediation ' + JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
  );
  return root;
}

function config(dir: string, root: string): MonitorConfig {
  return {
    root,
    mode: 'all',
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'logs'),
    logLevel: 'info',
    outputFile: join(dir, 'data', 'pod_metrics.csv'),
    source: 'k8s',
    namespace: 'monitoring',
    kubeconfig: join(dir, 'kubeconfig'),
    prometheusUrl: undefined,
    generatorInterval: 1,
    watchInterval: 1,
    alertThreshold: 0.7,
    noLlm: true,
    scoresFile: undefined,
    demo: null,
    remediation: true,
    remediationDryRun: false,
    confidenceThreshold: 0.7,
    verifyDelay: 5,
    statusInterval: 1,
    stopTimeout: 5,
  };
}

void test('runMonitoring starts the pipeline, shows status and the analysis, runs the approval step, and stops cleanly', async () => {
  const dir = tmp();
  const root = fakeRoot(dir);
  const cfg = config(dir, root);
  let printed = '';
  const out = { write: (s: string) => (printed += s), isTTY: false };
  let stop: (s: string) => void = () => {};
  const stopSignal = new Promise<string>((r) => (stop = r));
  const running = runMonitoring(cfg, { out, log: memoryLogger(), stopSignal });
  const events = () => (existsSync(join(dir, 'events')) ? readFileSync(join(dir, 'events'), 'utf8') : '');
  try {
    await until('the approval step to run', () => events().includes('run-remediation '));
    await until('a status line with every child healthy', () =>
      /status pods=4 .*dataset-generator=running\/ok .*dataset-generator-agent=running\/ok .*anomaly-detection-agent=running\/ok/.test(
        printed,
      ),
    );
    assert.match(printed, /ANALYSIS monitoring\/leaky-0 \[high\] oom_risk \(rules, id a1\)/);
    assert.match(printed, /recommended: restart_pod/);
    const remediationArgs = JSON.parse(/run-remediation (.*)/.exec(events())![1]!) as string[];
    assert.equal(remediationArgs[remediationArgs.indexOf('--analysis-file') + 1], join(cfg.dataDir, 'pod_analysis.json'));
    assert.equal(remediationArgs[remediationArgs.indexOf('--kubeconfig') + 1], cfg.kubeconfig);
    const collectorArgs = JSON.parse(/dataset-generator start (.*)/.exec(events())![1]!) as string[];
    assert.ok(remediationArgs.includes('--once'));
    assert.deepEqual(collectorArgs.slice(0, 8), [
      '--source',
      'k8s',
      '--interval',
      '1',
      '--output-file',
      cfg.outputFile,
      '--kubeconfig',
      cfg.kubeconfig,
    ]);
    assert.ok(collectorArgs.includes('--namespace'));
    const status = JSON.parse(readFileSync(join(cfg.dataDir, STATUS_FILE_NAME), 'utf8')) as {
      children: Array<{ name: string; pid: number }>;
    };
    assert.equal(status.children.length, 3);
    // A second instance on the same data directory is refused while this one runs.
    assert.throws(() => acquireInstanceLock(cfg.dataDir, process.pid + 1), InstanceLockedError);
    stop('SIGTERM');
    assert.equal(await running, 0);
    for (const c of status.children) assert.equal(pidAlive(c.pid), false, `${c.name} exited`);
    for (const name of ['dataset-generator', 'dataset-generator-agent', 'anomaly-detection-agent'])
      assert.match(events(), new RegExp(`^${name} SIGTERM$`, 'm'));
    assert.equal(existsSync(join(cfg.dataDir, LOCK_FILE_NAME)), false, 'lock released');
    assert.match(printed, /run-monitoring stopped; all children exited/);
  } finally {
    stop('SIGTERM');
    await running.catch(() => {});
  }
});

void test('SIGTERM to a run-monitoring process stops its children and exits 0', async () => {
  const dir = tmp();
  const root = fakeRoot(dir);
  // A launcher that runs the real monitor with the stand-in root, as run-monitoring.ts main does.
  const launcher = join(dir, 'launch.mts');
  writeFileSync(
    launcher,
    `import { runMonitoring } from ${JSON.stringify(resolve('orchestrator/monitor-run.ts'))};
import { memoryLogger } from ${JSON.stringify(resolve('lib/log.ts'))};
const cfg = JSON.parse(process.argv[2]);
const stopSignal = new Promise((r) => { process.once('SIGTERM', () => r('SIGTERM')); process.once('SIGINT', () => r('SIGINT')); });
process.exitCode = await runMonitoring(cfg, { out: process.stdout, log: memoryLogger(), stopSignal });
`,
  );
  const cfg = { ...config(dir, root), remediation: false };
  const proc = spawn(process.execPath, ['--import', 'tsx', launcher, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const statusPath = join(cfg.dataDir, STATUS_FILE_NAME);
  const pids = await until(
    () => `three running children in the status file (output: ${output})`,
    () => {
      try {
        const s = JSON.parse(readFileSync(statusPath, 'utf8')) as { children: Array<{ pid: number | null }> };
        const p = s.children.map((c) => c.pid).filter((x): x is number => !!x);
        return p.length === 3 ? p : null;
      } catch {
        return null;
      }
    },
  );
  // Each fake child installs its SIGTERM handler in the same tick as it records its start.
  const events = () => (existsSync(join(dir, 'events')) ? readFileSync(join(dir, 'events'), 'utf8') : '');
  await until('three children to record their start', () => (events().match(/ start /g)?.length ?? 0) >= 3);
  proc.kill('SIGTERM');
  assert.equal(await exited, 0, output);
  for (const pid of pids) assert.equal(pidAlive(pid), false, `child ${pid} exited`);
  assert.equal(readFileSync(join(dir, 'events'), 'utf8').match(/SIGTERM/g)?.length, 3);
});

void test('status view: in place on a terminal, paused during a prompt with events held back', () => {
  let text = '';
  const view = new StatusView({ write: (s: string) => (text += s), isTTY: true, columns: 80 });
  const model = {
    title: 'podsentinel',
    pods: 12,
    rowsPerMinute: 144,
    rowsTotal: 1000,
    anomaliesFlagged: 1,
    anomaliesOpen: 1,
    children: [{ name: 'dataset-generator', state: 'running', health: 'ok', pid: 1, restarts: 0, detail: 'beat 1s ago' }],
  };
  view.update(model);
  assert.equal(renderStatus(model).length, 3);
  view.update(model);
  assert.ok(text.includes('\x1b[3F'), 'the second draw moves up over the first');
  view.pause();
  text = '';
  view.event('ANOMALY monitoring/leaky-0');
  view.update(model);
  assert.equal(text, '', 'nothing is written while a prompt owns the terminal');
  view.resume();
  assert.ok(text.startsWith('ANOMALY monitoring/leaky-0\n'), 'held events come first on resume');
  assert.ok(text.includes('pods watched 12 · rows/min 144'));
});

void test('heartbeat health and rows-per-minute meter', () => {
  const dir = tmp();
  const hb = join(dir, 'hb.json');
  const now = Date.parse('2026-11-25T05:00:00Z');
  assert.equal(judgeHeartbeat(hb, { staleAfterMs: 15_000, graceMs: 60_000, childStartedAt: now - 1000, now }).health, 'waiting');
  assert.equal(judgeHeartbeat(hb, { staleAfterMs: 15_000, graceMs: 60_000, childStartedAt: now - 120_000, now }).health, 'unknown');
  const beat = (time: number) =>
    JSON.stringify({
      name: 'anomaly-detection-agent',
      pid: 1,
      time: new Date(time).toISOString(),
      state: 'running',
      open: 0,
      analysed_total: 0,
      llm_calls: 0,
      llm_failures: 0,
    });
  writeFileSync(hb, beat(now - 5000));
  assert.equal(judgeHeartbeat(hb, { staleAfterMs: 15_000, graceMs: 60_000, childStartedAt: now - 120_000, now }).health, 'ok');
  writeFileSync(hb, beat(now - 20_000));
  assert.equal(judgeHeartbeat(hb, { staleAfterMs: 15_000, graceMs: 60_000, childStartedAt: now - 120_000, now }).health, 'stale');
  const m = new RateMeter(60_000);
  m.add(0, now);
  m.add(50, now + 30_000);
  assert.equal(m.perMinute(), 100);
  m.add(10, now + 31_000); // the collector restarted: a new series
  assert.equal(m.perMinute(), undefined);
});

void test("a demo moves an earlier demo's files to an archive and leaves other files alone", () => {
  const dir = tmp();
  const sidecar = '.dataset-agent.checkpoint.json.state-1-2-0.ndjson';
  for (const f of [
    'pod_metrics.csv',
    'pod_analysis.json',
    'remediation_history.jsonl',
    '.heartbeat-dataset-generator.json',
    '.dataset-agent.checkpoint.json',
    sidecar,
    'notes.txt',
    'scores.csv',
  ])
    writeFileSync(join(dir, f), f);
  const archive = archiveEarlierDemo(dir, [join(dir, 'scores.csv')], new Date('2026-11-25T05:00:00Z'));
  assert.equal(archive, join(dir, 'demo-archive', '2026-11-25T05-00-00-000Z'));
  assert.deepEqual(readdirSync(archive!).sort(), [
    '.dataset-agent.checkpoint.json',
    sidecar,
    '.heartbeat-dataset-generator.json',
    'pod_analysis.json',
    'pod_metrics.csv',
    'remediation_history.jsonl',
    'scores.csv',
  ]);
  assert.equal(readFileSync(join(archive!, 'remediation_history.jsonl'), 'utf8'), 'remediation_history.jsonl');
  assert.deepEqual(readdirSync(dir).sort(), ['demo-archive', 'notes.txt']);
  assert.equal(archiveEarlierDemo(dir), null, 'nothing left to archive');
});

void test('a burst of events is condensed to a readable few lines', () => {
  const lines = [
    ...Array.from({ length: 8 }, (_, i) => `ANOMALY shop/p${i}: oom_risk probability 86%`),
    ...Array.from({ length: 4 }, (_, i) => `ANALYSIS shop/p${i} [medium] oom_risk (rules, id a${i})\n  root cause: x`),
    'cleared shop/q: no longer anomalous',
  ];
  const out = condense(lines);
  assert.equal(out.filter((l) => l.startsWith('ANOMALY')).length, 5);
  assert.equal(out.filter((l) => l.startsWith('ANALYSIS')).length, 3);
  assert.ok(out.includes('... and 3 more anomalies: shop/p5, shop/p6, shop/p7'));
  assert.ok(out.includes('... and 1 more analyses: shop/p3 (see pod_analysis.json)'));
  assert.ok(out.includes('cleared shop/q: no longer anomalous'));
});

void test('runMonitoring exits 1 with the reason shown when every child has been given up on', async () => {
  const dir = tmp();
  const root = join(dir, 'root');
  mkdirSync(join(root, 'collectors'), { recursive: true });
  writeFileSync(
    join(root, 'collectors/dataset-generator.ts'),
    `process.stderr.write('error: kubeconfig /nope does not exist\\n');\nprocess.exit(1);\n`,
  );
  let printed = '';
  const cfg: MonitorConfig = {
    ...config(dir, root),
    mode: 'generator',
    supervisor: { initialBackoffMs: 20, maxCrashes: 2, crashWindowMs: 60_000 },
  };
  const code = await runMonitoring(cfg, {
    out: { write: (s: string) => (printed += s), isTTY: false },
    log: memoryLogger(),
    stopSignal: new Promise(() => {}),
  });
  assert.equal(code, 1);
  assert.match(printed, /dataset-generator exited \(code 1\): error: kubeconfig \/nope does not exist/);
  assert.match(printed, /ERROR dataset-generator crashed 2 times in 60s: not restarted/);
  assert.match(printed, /nothing left to supervise/);
  assert.equal(existsSync(join(cfg.dataDir, LOCK_FILE_NAME)), false, 'lock released');
});

void test('pipeline watch: a pod newly flagged, its analysis once, its clearing, and a broken file reported once', () => {
  const dir = tmp();
  const insights = join(dir, 'pod_insights.json');
  const analysis = join(dir, 'pod_analysis.json');
  const watch = new PipelineWatch(insights, analysis);
  assert.deepEqual(watch.poll().events.lines, [], 'no files yet: nothing to say');
  const pod = (anomalous: boolean) => ({
    namespace: 'monitoring',
    pod: 'leaky-0',
    timestamp: '2026-11-25T05:00:00Z',
    anomaly_probability: anomalous ? 0.93 : 0.1,
    predicted_anomaly: anomalous,
    anomaly_type: anomalous ? 'oom_risk' : 'none',
    since: null,
    contributing_metrics: anomalous ? [{ metric: 'mem_pct', value: 97, expected: 60, deviation: 4 }] : [],
  });
  const writeInsights = (anomalous: boolean, t: number) => {
    writeFileSync(
      insights,
      JSON.stringify({
        generated_at: 'x',
        model: { name: 'lstm', version: '1', trained_at: null, backend: 'wasm' },
        threshold: 0.7,
        rows_read: 10,
        rows_rejected: 0,
        pods: [pod(anomalous)],
      }),
    );
    utimesSync(insights, t, t); // distinct mtimes: the watch re-reads only changed files
  };
  writeInsights(true, 1000);
  writeFileSync(
    analysis,
    JSON.stringify({
      generated_at: 'x',
      resolved: [],
      analyses: [
        {
          id: 'a1',
          namespace: 'monitoring',
          pod: 'leaky-0',
          owner: null,
          detected_at: 'x',
          anomaly_probability: 0.93,
          anomaly_type: 'oom_risk',
          severity: 'high',
          root_cause: 'leak',
          explanation: '',
          evidence: ['OOMKilled'],
          recommended_actions: [],
          source: { type: 'rules' },
        },
      ],
    }),
  );
  const first = watch.poll();
  assert.deepEqual(
    first.events.lines.map((l) => l.split('\n')[0]),
    [
      'ANOMALY monitoring/leaky-0: oom_risk probability 93% — mem_pct 97 (expected 60)',
      'ANALYSIS monitoring/leaky-0 [high] oom_risk (rules, id a1)',
    ],
  );
  assert.equal(first.snapshot.flagged, 1);
  assert.equal(first.events.newAnalyses.length, 1);
  assert.deepEqual(watch.poll().events.lines, [], 'nothing new');
  writeInsights(false, 2000);
  assert.deepEqual(watch.poll().events.lines, ['cleared monitoring/leaky-0: no longer anomalous']);
  writeFileSync(insights, '{ torn');
  utimesSync(insights, 3000, 3000);
  assert.match(watch.poll().events.lines.join('\n'), /warning: .*pod_insights.json is not valid JSON/);
  assert.deepEqual(watch.poll().events.lines, [], 'the same problem is reported once');
});

void test('run-monitoring usage errors: one clear line and exit 2', () => {
  for (const [args, message] of [
    [['--generator-only', '--anomaly-agent-only'], /choose at most one of --generator-only/],
    [['--alert-threshold', '3'], /--alert-threshold must be between 0 and 1/],
    [['--source', 'prometheus'], /--source prometheus needs --prometheus-url/],
  ] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', resolve('run-monitoring.ts'), ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at configFrom/, 'no stack trace');
  }
});
