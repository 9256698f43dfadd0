// Nothing outlives run-monitoring: the demo pipeline (simulated cluster, collector, both agents) is
// started as a person starts it (bin/podsentinel.mjs, in-process tsx) and its end is forced in the
// ways a person or a terminal forces it: SIGKILL, a closed terminal (SIGHUP, then EIO on every write),
// and `| head -3` (EPIPE). Each time no process of the pipeline may be alive 5 s later. And a second
// run-monitoring refuses a data directory that an earlier pipeline's child still writes to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireInstanceLock, InstanceLockedError, LOCK_FILE_NAME, pidAlive, processStartTime } from '../../orchestrator/lock.ts';
import { STATUS_FILE_NAME } from '../../orchestrator/monitor.ts';

const LAUNCHER = resolve('bin/podsentinel.mjs');
/** The liveness bound: every process of the pipeline is gone this long after its orchestrator. */
const GONE_WITHIN_MS = 5_000;

const tmp = () => mkdtempSync(join(tmpdir(), 'podsentinel-life-'));

/** Processes (not this one) whose command line mentions `text`: a test's temp directory names its pipeline. */
function processesMentioning(text: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // gone meanwhile
    }
    if (cmd.includes(text) && pidAlive(pid)) found.push({ pid, cmd: cmd.slice(0, 160) });
  }
  return found;
}

async function until<T>(what: () => string, fn: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls up to GONE_WITHIN_MS for every process of the pipeline in `dir` to be gone. */
async function assertAllGone(dir: string): Promise<void> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  let left = processesMentioning(dir);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesMentioning(dir);
  }
  assert.deepEqual(left, [], `still alive ${GONE_WITHIN_MS / 1000} s later`);
}

/** Kills whatever of the pipeline is left (a failed test must not leave a cluster running). */
function cleanUp(dir: string, ...procs: Array<ChildProcess | undefined>): void {
  for (const p of procs) if (p?.pid && pidAlive(p.pid)) p.kill('SIGKILL');
  for (const { pid } of processesMentioning(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

const demoArgs = (dir: string) => [
  'run-monitoring',
  '--demo',
  '--no-remediation',
  '--no-llm',
  '--data-dir',
  join(dir, 'data'),
  '--log-dir',
  join(dir, 'logs'),
  '--status-interval',
  '1',
];

const env = { ...process.env, FORCE_COLOR: '0', NVIDIA_API_KEY: '', OPENAI_API_KEY: '', LLM_API_KEY: '' };

interface Status {
  pid: number;
  children: Array<{ name: string; pid: number | null; state: string }>;
}

function readStatus(dir: string): Status | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'data', STATUS_FILE_NAME), 'utf8')) as Status;
  } catch {
    return null;
  }
}

/** Waits until the simulated cluster and the three pipeline children run and the collector has written rows. */
async function pipelineUp(dir: string, output: () => string): Promise<Status> {
  const st = await until(
    () => `five running children in the status file (the sim, the collector, both agents, the dashboard server)\n${output()}`,
    () => {
      const s = readStatus(dir);
      return s && s.children.length === 5 && s.children.every((c) => c.state === 'running' && c.pid) ? s : null;
    },
    120_000,
  );
  const csv = join(dir, 'data', 'pod_metrics.csv');
  await until(
    () => `the collector's first rows in ${csv}\n${output()}`,
    () => existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length > 2,
    120_000,
  );
  return st;
}

const monitorLog = (dir: string) => {
  const f = join(dir, 'logs', 'run-monitoring.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
};

void test('SIGKILL of run-monitoring: every child of the demo is gone within 5 s', async () => {
  const dir = tmp();
  let out = '';
  const proc = spawn(process.execPath, [LAUNCHER, ...demoArgs(dir)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const st = await pipelineUp(dir, () => out);
    assert.equal(st.pid, proc.pid, 'the launcher runs the monitor in its own process');
    assert.ok(processesMentioning(dir).length >= 4, 'the children are found by their command lines');
    proc.kill('SIGKILL');
    await assertAllGone(dir);
  } finally {
    cleanUp(dir, proc);
  }
});

void test('a closed terminal (SIGHUP, then EIO on writes) stops run-monitoring cleanly: no crash, every child gone', async () => {
  const dir = tmp();
  const errFile = join(dir, 'stderr.txt');
  const cmd = [process.execPath, LAUNCHER, ...demoArgs(dir)].map((a) => `'${a}'`).join(' ');
  // A real terminal; `exec` makes run-monitoring the session leader that the hang-up is sent to.
  // Its stderr goes to a file so that a crash would leave its stack there.
  const term = spawn('script', ['-qfec', `stty cols 160 rows 50; exec ${cmd} 2>'${errFile}'`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  let screen = '';
  term.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
  try {
    const st = await pipelineUp(dir, () => screen.slice(-2000));
    // The terminal goes away as when its window is closed: the pty's master side closes.
    term.kill('SIGKILL');
    await until(
      () => `run-monitoring (pid ${st.pid}) to exit\n${monitorLog(dir).slice(-2000)}`,
      () => !pidAlive(st.pid),
      60_000,
    );
    await assertAllGone(dir);
    const log = monitorLog(dir);
    assert.match(log, /"msg":"stopping","reason":"SIGHUP"/);
    assert.match(log, /"msg":"stopped"/);
    const stderr = readFileSync(errFile, 'utf8');
    assert.doesNotMatch(stderr, /Error|EIO|Unhandled/, stderr);
  } finally {
    cleanUp(dir, term);
  }
});

void test('run-monitoring | head -3: the pipe closing (EPIPE) stops the whole pipeline cleanly', async () => {
  const dir = tmp();
  const cmd = [process.execPath, LAUNCHER, ...demoArgs(dir)].map((a) => `'${a}'`).join(' ');
  const sh = spawn('sh', ['-c', `${cmd} | head -3`], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
  sh.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    // The shell returns when both sides of the pipe have exited.
    const code = await Promise.race([
      new Promise<number | null>((r) => sh.on('exit', (c) => r(c))),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 180_000).unref()),
    ]);
    assert.notEqual(code, 'timeout', `the pipeline did not end\n${out}\n${err}\n${monitorLog(dir).slice(-2000)}`);
    assert.equal(out.trimEnd().split('\n').length, 3, out);
    await assertAllGone(dir);
    assert.equal(err, '', 'no crash report');
    const log = monitorLog(dir);
    assert.match(log, /"msg":"stdout closed; stopping","code":"EPIPE"/);
    assert.match(log, /"msg":"stopped"/);
  } finally {
    cleanUp(dir, sh);
  }
});

void test('a second run-monitoring refuses the data directory while a child of a dead earlier one is alive', async () => {
  const dir = tmp();
  const dataDir = join(dir, 'data');
  // An earlier run-monitoring: gone (a pid that has exited), its collector still alive.
  const deadOwner = spawnSync(process.execPath, ['-e', '0']).pid!;
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const earlier = acquireInstanceLock(dataDir, deadOwner);
    earlier.recordChildren([{ name: 'dataset-generator', pid: child.pid! }]);
    const run = () =>
      spawnSync(
        process.execPath,
        [
          LAUNCHER,
          'run-monitoring',
          '--data-dir',
          dataDir,
          '--log-dir',
          join(dir, 'logs'),
          '--generator-only',
          '--kubeconfig',
          join(dir, 'none'),
        ],
        {
          encoding: 'utf8',
          timeout: 60_000,
          env,
        },
      );
    const refused = run();
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `an earlier run-monitoring \\(pid ${deadOwner}\\) is gone but its children still write to this data directory: dataset-generator \\(pid ${child.pid}\\)`,
      ),
    );
    assert.match(refused.stderr, new RegExp(`kill ${child.pid}`));
    assert.equal(JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')).pid, deadOwner, 'the lock is left as it was');

    // Once the child is gone the directory is free again: the lock is taken over.
    child.kill('SIGKILL');
    await until(
      () => `pid ${child.pid} to exit`,
      () => !pidAlive(child.pid!),
      5_000,
    );
    const next = acquireInstanceLock(dataDir);
    assert.equal(next.tookOver, true);
    next.release();
  } finally {
    child.kill('SIGKILL');
  }
});

void test('a recorded child pid now used by an unrelated process (another start time) does not hold the lock', () => {
  const dir = tmp();
  const lockPath = join(dir, LOCK_FILE_NAME);
  const deadOwner = spawnSync(process.execPath, ['-e', '0']).pid!;
  // This test process stands for a live child; its recorded start time tells whether it is the same process.
  const start = processStartTime(process.pid);
  assert.ok(start !== undefined, 'the start time is known (Linux /proc)');
  const other = 1 << 22; // the new instance's pid: any pid but this process's
  writeFileSync(lockPath, JSON.stringify({ pid: deadOwner, children: [{ name: 'dataset-generator', pid: process.pid, start }] }));
  assert.throws(
    () => acquireInstanceLock(dir, other),
    (err: unknown) => err instanceof InstanceLockedError && err.children[0]?.pid === process.pid,
  );
  writeFileSync(
    lockPath,
    JSON.stringify({ pid: deadOwner, children: [{ name: 'dataset-generator', pid: process.pid, start: start - 1 }] }),
  );
  assert.equal(acquireInstanceLock(dir, other).tookOver, true);
});
