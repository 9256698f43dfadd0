// Disk faults: the data folder turns read-only, or fills up, under the dataset-generator agent and the
// anomaly-detection agent. Each must fail with a clear error (exit 1 and an error naming the fault, never a
// stack trace) and corrupt nothing: pod_insights.json and pod_analysis.json still parse, unchanged.
// The read-only folder and the full one are small tmpfs mounts (root only); without root, the read-only
// folder is a chmod 0555 directory and the full one cannot be made: skipped with the reason, or a failure
// when CI is set (CI must cover it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { formatHeader, formatRows, METRIC_COLUMNS } from '../../lib/metrics-csv.ts';
import { insight, insights } from '../helpers/analysis-fixtures.ts';
import { syntheticTicks } from '../helpers/synthetic-rows.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DATASET_AGENT = join(ROOT, 'agents', 'dataset-generator-agent.ts');
const ANOMALY_AGENT = join(ROOT, 'agents', 'anomaly-detection-agent.ts');
const isRoot = process.getuid?.() === 0;
const base = mkdtempSync(join(tmpdir(), 'podsentinel-disk-faults-'));
const mounted: string[] = [];

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PODSENTINEL_') && !['NVIDIA_API_KEY', 'OPENAI_API_KEY', 'LLM_API_KEY', 'KUBECONFIG'].includes(k)) env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

function mount(args: string[]): string | null {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || r.error?.message || `mount exited ${r.status}`).trim();
}

/** A tmpfs of `size` at `dir`, or the reason it cannot be had. */
function tmpfs(dir: string, size: string): string | null {
  if (!isRoot) return 'not root: cannot mount a tmpfs';
  mkdirSync(dir, { recursive: true });
  const err = mount(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (!err) mounted.push(dir);
  return err;
}

/** Skips (with the reason) outside CI, fails in CI. */
function unavailable(t: { skip: (m: string) => void }, reason: string): void {
  if (process.env.CI) assert.fail(`disk-fault setup failed in CI: ${reason}`);
  t.skip(reason);
}

interface Folder {
  dir: string;
  logs: string;
  csv: string;
  insightsFile: string;
  analysisFile: string;
  checkpoint: string;
}

/**
 * A data folder as a pipeline leaves it: the CSV scored by the dataset agent (its insights and checkpoint),
 * analyses by the anomaly agent; then new work for both (rows appended, a new anomalous pod in the
 * insights), so that each has something to write when the fault strikes.
 */
async function populate(dir: string): Promise<Folder> {
  const f: Folder = {
    dir,
    logs: join(base, `logs-${dir.split('/').pop()}`),
    csv: join(dir, 'pod_metrics.csv'),
    insightsFile: join(dir, 'pod_insights.json'),
    analysisFile: join(dir, 'pod_analysis.json'),
    checkpoint: join(dir, '.dataset-agent.checkpoint.json'),
  };
  writeFileSync(f.csv, formatHeader(METRIC_COLUMNS) + formatRows(syntheticTicks(0, 30), METRIC_COLUMNS));
  const scored = await run(DATASET_AGENT, ['--once', ...datasetArgs(f)]);
  assert.equal(scored.code, 0, scored.stderr);
  writeJsonAtomic(f.insightsFile, insights([insight({ anomaly_type: 'oom_risk' })]));
  const analysed = await run(ANOMALY_AGENT, ['--once', ...anomalyArgs(f)]);
  assert.equal(analysed.code, 0, analysed.stderr);
  appendFileSync(f.csv, formatRows(syntheticTicks(30, 40), METRIC_COLUMNS));
  writeJsonAtomic(
    f.insightsFile,
    insights([insight({ anomaly_type: 'oom_risk' }), insight({ pod: 'cart-6c7d8e9f0-abcde', anomaly_type: 'resource_exhaustion' })]),
  );
  return f;
}

const datasetArgs = (f: Folder) => [
  '--input-file',
  f.csv,
  '--insights-file',
  f.insightsFile,
  '--checkpoint-file',
  f.checkpoint,
  '--log-dir',
  f.logs,
];
const anomalyArgs = (f: Folder) => [
  '--no-llm',
  '--kubeconfig',
  join(base, 'missing-kubeconfig'),
  '--insights-file',
  f.insightsFile,
  '--analysis-file',
  f.analysisFile,
  '--input-file',
  f.csv,
  '--log-dir',
  f.logs,
];

const outputs = (f: Folder) => [f.insightsFile, f.analysisFile];
const snapshot = (f: Folder) => new Map(outputs(f).map((p) => [p, readFileSync(p, 'utf8')]));

/** Both agents under the fault: a clear error each, and the outputs as they were (and parseable). */
async function assertCleanFailures(f: Folder, fault: RegExp, note: (m: string) => void): Promise<void> {
  const before = snapshot(f);
  for (const [name, script, args] of [
    ['dataset-generator-agent', DATASET_AGENT, datasetArgs(f)],
    ['anomaly-detection-agent', ANOMALY_AGENT, anomalyArgs(f)],
  ] as const) {
    const r = await run(script, ['--once', ...args]);
    const logFile = join(f.logs, `${name}.log`);
    const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const errorLines = (r.stderr + logged).split('\n').filter((l) => /\berror\b|ERROR/i.test(l) && fault.test(l));
    // --once has no next interval to retry in: the outputs it could not write make it fail.
    assert.equal(r.code, 1, `${name}: --once must exit 1 when it cannot write its outputs\n${r.stderr}`);
    assert.ok(
      errorLines.length > 0,
      `${name}: exit ${r.code} but no error line names the fault ${fault}\nstderr: ${r.stderr}\nlog: ${logged.slice(-1500)}`,
    );
    note(`${name}: exit ${r.code}; ${errorLines[0]!.slice(0, 300)}`);
    assert.doesNotMatch(r.stderr, /^\s+at .+[:(]\d+:\d+\)?$/m, `${name}: a stack trace on stderr`);
    for (const [p, text] of before) {
      const now = readFileSync(p, 'utf8');
      assert.doesNotThrow(() => JSON.parse(now), `${p} still parses after ${name}`);
      assert.equal(now, text, `${p} unchanged after ${name}`);
    }
  }
}

before(() => mkdirSync(base, { recursive: true }));

after(() => {
  for (const dir of mounted.reverse()) spawnSync('umount', ['-l', dir]);
  if (existsSync(join(base, 'ro'))) chmodSync(join(base, 'ro'), 0o755);
  rmSync(base, { recursive: true, force: true });
});

void test('a read-only data folder: both agents give a clear error and corrupt nothing', { timeout: 180_000 }, async (t) => {
  const dir = join(base, 'ro');
  let how: 'remount' | 'chmod';
  if (isRoot) {
    // Root writes through file modes: the folder has to be a read-only mount.
    const err = tmpfs(dir, '8m');
    if (err) return unavailable(t, `cannot mount a tmpfs at ${dir}: ${err}`);
    how = 'remount';
  } else {
    mkdirSync(dir, { recursive: true });
    how = 'chmod';
  }
  const f = await populate(dir);
  if (how === 'remount') {
    const err = mount(['-o', 'remount,ro', dir]);
    if (err) return unavailable(t, `cannot remount ${dir} read-only: ${err}`);
  } else chmodSync(dir, 0o555);
  t.diagnostic(`read-only by ${how}`);
  await assertCleanFailures(f, /EROFS|EACCES|read-only|permission denied/i, (m) => t.diagnostic(m));
});

void test('a full data folder: both agents give a clear error and corrupt nothing', { timeout: 180_000 }, async (t) => {
  const dir = join(base, 'full');
  const err = tmpfs(dir, '256k');
  if (err) return unavailable(t, `full-disk part skipped: ${err}`);
  const f = await populate(dir);
  // Fill what is left.
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 120);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  // The last partial block, byte by byte: not one byte free.
  const fd2 = openSync(join(dir, 'filler-2'), 'w');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(1, 120));
  } catch {
    // ENOSPC
  } finally {
    closeSync(fd2);
  }
  await assertCleanFailures(f, /ENOSPC|no space|disk full|full/i, (m) => t.diagnostic(m));
});
