// run-remediation as a person uses it: the real inquirer prompt in a pseudo-terminal (util-linux
// `script`), the command without a terminal, and the refusal to start --auto-approve without a policy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { writeJsonAtomic, readJsonLines } from '../../lib/atomic-file.ts';
import { AuditRecord, type PodAnalysisFile } from '../../lib/schemas.ts';
import { UsageError } from '../../lib/cli.ts';
import { main } from '../../run-remediation.ts';
import { act, analysisFor, podOf, tempDir, writeInsights, writeScenario, writesSince } from '../helpers/remediation-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');

let sim: SimHandle;
before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 11, manualClock: true });
  sim.tick(3);
});
after(async () => {
  await sim?.close();
});

/** A work directory with the analysis file for one restart_pod proposal, and the command's flags. */
function setup(deployment: string): { dir: string; pod: string; args: string[]; audit: string; insights: string } {
  const dir = tempDir();
  const pod = podOf(sim, 'shop', deployment);
  const file: PodAnalysisFile = {
    generated_at: new Date().toISOString(),
    analyses: [
      analysisFor(pod, [
        { action: 'restart_pod', params: { namespace: 'shop', pod: pod.name }, rationale: 'clears the leak', risk: 'low' },
      ]),
    ] as PodAnalysisFile['analyses'],
    resolved: [],
  };
  writeJsonAtomic(join(dir, 'pod_analysis.json'), file);
  const config = join(dir, 'podsentinel.json');
  writeFileSync(config, '{}');
  const audit = join(dir, 'remediation_history.jsonl');
  const insights = join(dir, 'pod_insights.json');
  return {
    dir,
    pod: pod.name,
    audit,
    insights,
    args: [
      '--once',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--data-dir',
      dir,
      '--config',
      config,
      '--log-dir',
      join(dir, 'logs'),
      '--verify-delay',
      '3',
    ],
  };
}

const readJsonFileSync = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { analyses: unknown[] };
const events = (audit: string) => readJsonLines(audit, AuditRecord).records.map((r) => `${r.event}:${r.result}`);

/** Runs run-remediation in a pseudo-terminal; `output()` is everything it has printed so far. */
function inPty(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  waitFor: (re: RegExp, ms?: number) => Promise<void>;
  exited: Promise<number | null>;
} {
  const cmd = [join(BIN, 'tsx'), join(ROOT, 'run-remediation.ts'), ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, USER: 'pty-tester', COLUMNS: '120', LINES: '40', TERM: 'xterm' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (re: RegExp, ms = 60_000) => {
    const end = Date.now() + ms;
    // eslint-disable-next-line no-control-regex -- strips the terminal's escape sequences
    while (!re.test(out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`timed out waiting for ${re}; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, output: () => out, waitFor, exited };
}

void test('in a terminal, Enter alone does not approve; "n" skips and the cluster is unchanged', async () => {
  const s = setup('cart');
  const mark = sim.requests.length;
  const run = inPty(s.args);
  try {
    await run.waitFor(/Apply restart_pod to pods\/.* \(ynaxqH\)/);
    assert.match(run.output(), /Root cause: Memory grows steadily/);
    assert.match(run.output(), /Dry run: +OK/);
    run.child.stdin.write('\r');
    await run.waitFor(/y\) yes, apply this action/); // Enter showed the choices
    run.child.stdin.write('\r'); // and again: still no answer
    await run.waitFor(/Please input a value/);
    assert.ok(
      writesSince(sim, mark).every((w) => w.dryRun),
      'nothing but the dry run reached the cluster',
    );
    assert.deepEqual(events(s.audit), ['proposal:proposed', 'dry_run:ok']);
    run.child.stdin.write('n\r');
    assert.equal(await run.exited, 0);
  } finally {
    run.child.kill();
  }
  assert.deepEqual(events(s.audit), ['proposal:proposed', 'dry_run:ok', 'decision:skipped']);
  const decision = readJsonLines(s.audit, AuditRecord).records.at(-1);
  assert.equal(decision?.user, 'pty-tester');
  assert.ok(
    sim.cluster.pods().some((p) => p.name === s.pod),
    'pod unchanged',
  );
});

void test('in a terminal, Ctrl-C at the prompt approves nothing and exits 130 (run-monitoring stops)', async () => {
  const s = setup('api');
  const mark = sim.requests.length;
  const run = inPty(s.args);
  try {
    await run.waitFor(/Apply restart_pod to pods\//);
    run.child.stdin.write('\x03');
    assert.equal(await run.exited, 130);
  } finally {
    run.child.kill();
  }
  assert.ok(writesSince(sim, mark).every((w) => w.dryRun));
  assert.deepEqual(events(s.audit), ['proposal:proposed', 'dry_run:ok']);
  assert.ok(sim.cluster.pods().some((p) => p.name === s.pod));
});

void test('in a terminal, "y" approves: the pod is replaced and verification records RESOLVED', async () => {
  const s = setup('web');
  const run = inPty(s.args);
  try {
    await run.waitFor(/Apply restart_pod to pods\//);
    run.child.stdin.write('y\r');
    await run.waitFor(/Executed: applied/);
    const now = sim.cluster
      .pods()
      .filter((p) => p.deployment === 'web')
      .map((p) => p.name);
    assert.ok(!now.includes(s.pod), 'the pod was deleted');
    writeInsights(
      s.insights,
      now.map((pod) => ({ namespace: 'shop', pod, anomalous: false })),
    );
    await run.waitFor(/RESOLVED/);
    assert.equal(await run.exited, 0);
  } finally {
    run.child.kill();
  }
  assert.deepEqual(events(s.audit), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok', 'verification:RESOLVED']);
});

void test('without a terminal nothing executes: the proposal is listed and recorded as pending', async () => {
  const s = setup('search');
  const mark = sim.requests.length;
  const child = spawn(join(BIN, 'tsx'), [join(ROOT, 'run-remediation.ts'), ...s.args], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, out);
  assert.match(out, /Pending: needs approval/);
  // The cluster's bearer token appears in no output, log or audit line.
  const logs = readdirSync(join(s.dir, 'logs'))
    .map((f) => readFileSync(join(s.dir, 'logs', f), 'utf8'))
    .join('');
  assert.ok(logs.includes('"started"'), 'the command logged');
  for (const text of [out, logs, readFileSync(s.audit, 'utf8')]) assert.ok(!text.includes(sim.token));
  assert.deepEqual(events(s.audit), ['proposal:proposed', 'dry_run:ok', 'pending:pending']);
  assert.ok(writesSince(sim, mark).every((w) => w.dryRun));
  assert.ok(sim.cluster.pods().some((p) => p.name === s.pod));
});

void test('watch mode: a rewritten analysis file is processed; SIGTERM stops it cleanly', async () => {
  const s = setup('cart');
  const args = s.args.filter((a) => a !== '--once');
  const child = spawn(join(BIN, 'tsx'), [join(ROOT, 'run-remediation.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const waitFor = async (pred: () => boolean) => {
    const end = Date.now() + 60_000;
    while (!pred()) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`timed out; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await waitFor(() => /Watching/.test(out) && events(s.audit).includes('pending:pending'));
    // The anomaly agent rewrites the file (atomically) with a second analysis: only the new one is proposed.
    const second = podOf(sim, 'shop', 'search');
    writeJsonAtomic(join(s.dir, 'pod_analysis.json'), {
      generated_at: new Date().toISOString(),
      analyses: [
        ...(readJsonFileSync(join(s.dir, 'pod_analysis.json')).analyses as unknown[]),
        analysisFor(second, [act('restart_pod', { namespace: 'shop', pod: second.name })]),
      ],
      resolved: [],
    });
    await waitFor(() => events(s.audit).filter((e) => e === 'pending:pending').length === 2);
    const pendingFor = readJsonLines(s.audit, AuditRecord)
      .records.filter((r) => r.event === 'pending')
      .map((r) => r.pod);
    assert.deepEqual(pendingFor, [s.pod, second.name]);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  } finally {
    child.kill();
  }
});

void test('--auto-approve refuses to start without an autoApprove policy; --dry-run and --auto-approve exclude each other', async () => {
  const s = setup('api');
  const policy = join(s.dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ bounds: { maxReplicas: 5 } }));
  const mark = sim.requests.length;
  await assert.rejects(
    main([...s.args, '--auto-approve', '--policy', policy]),
    (e: unknown) => e instanceof UsageError && /refusing to start/.test(e.message),
  );
  await assert.rejects(main([...s.args, '--auto-approve', '--dry-run']), UsageError);
  assert.equal(sim.requests.length, mark, 'no request sent');
  assert.deepEqual(events(s.audit), []);
});
