import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../agents/dataset-generator-agent.ts';
import { DatasetAgent } from '../../agents/dataset-generator/agent.ts';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { memoryLogger } from '../../lib/log.ts';
import { METRIC_COLUMNS, formatHeader, formatRows, type MetricRow } from '../../lib/metrics-csv.ts';
import { PodInsights } from '../../lib/schemas.ts';
import { createDetector } from '../../models/registry.ts';
import { POD_FEATURES } from '../../models/pod-features.ts';
import { PodScorer } from '../../models/pod-scorer.ts';
import { DEFAULT_MODEL_DIR } from '../../models/lstm/index.ts';
import { captureStdio } from '../helpers/capture-stdio.ts';
import { syntheticTicks, T0 } from '../helpers/synthetic-rows.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const AGENT = join(ROOT, 'agents/dataset-generator-agent.ts');
const PODS = 4;

/** Ticks [from, to) of PODS pods; pod 1's CPU jumps from tick `shiftAt`. */
const ticks = (from: number, to: number, shiftAt = Infinity): MetricRow[] => syntheticTicks(from, to, { pods: PODS, shiftAt });
const csv = (rows: MetricRow[]) => formatRows(rows, METRIC_COLUMNS);

function tmp(): { dir: string; file: (n: string) => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dsagent-'));
  return { dir, file: (n) => join(dir, n), done: () => rmSync(dir, { recursive: true, force: true }) };
}

function baseArgs(t: ReturnType<typeof tmp>, detector = 'zscore'): string[] {
  return [
    '--input-file',
    t.file('m.csv'),
    '--insights-file',
    t.file('out/insights.json'),
    '--scores-file',
    t.file('scores.csv'),
    '--checkpoint-file',
    t.file('cp.json'),
    '--log-dir',
    t.file('logs'),
    '--detector',
    detector,
  ];
}

/** Runs main() with what it prints captured. */
async function runMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { value: code, out, err } = await captureStdio(() => main(argv));
  return { code, out, err };
}

const scoreLines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');

void test('--once --from-start writes a valid pod_insights.json, the scores file and the heartbeat', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 120, 118)));
  const r = await runMain([...baseArgs(t), '--once', '--from-start']);
  assert.equal(r.code, 0, r.err);
  const ins = readJsonFile(t.file('out/insights.json'), PodInsights)!;
  assert.equal(ins.rows_read, 120 * PODS);
  assert.equal(ins.rows_rejected, 0);
  assert.equal(ins.threshold, 0.7);
  assert.deepEqual(ins.model, { name: 'zscore', version: 'baseline', trained_at: null, backend: 'js' });
  assert.equal(ins.pods.length, PODS);
  const shifted = ins.pods.find((p) => p.pod === 'web-5d8f7c9b4-x1k2q')!;
  assert.equal(shifted.predicted_anomaly, true);
  assert.equal(shifted.anomaly_type, 'resource_exhaustion');
  assert.equal(shifted.workload, 'shop/Deployment/web');
  assert.ok(shifted.since !== null && shifted.since >= new Date(T0 + 118 * 5000).toISOString(), String(shifted.since));
  assert.equal(shifted.contributing_metrics[0]?.metric, 'cpu_pct');
  assert.ok(ins.pods.filter((p) => p.pod !== shifted.pod).every((p) => !p.predicted_anomaly));
  assert.match(r.out, /ANOMALY +shop\/web-5d8f7c9b4-x1k2q resource_exhaustion/);
  const lines = scoreLines(t.file('scores.csv'));
  assert.equal(lines[0], 'timestamp,namespace,pod,anomaly_probability,predicted_anomaly,anomaly_type');
  assert.equal(lines.length, 1 + 120 * PODS);
  assert.match(lines[1]!, /^2026-01-01T00:00:00.000Z,shop,web-5d8f7c9b4-x0k2q,\d\.\d{4},(true|false),[a-z_]+$/);
  const hb = JSON.parse(readFileSync(t.file('out/.heartbeat-dataset-generator-agent.json'), 'utf8')) as Record<string, number>;
  assert.equal(hb.rows_read, 120 * PODS);
  assert.equal(hb.pods, PODS);
  assert.equal(hb.anomalies, 1);
  assert.equal(hb.lag_bytes, 0);
  t.done();
});

void test('bad values, backwards timestamps and duplicates are counted, never fatal', async () => {
  const t = tmp();
  const good = ticks(0, 20);
  const lines = csv(good).trimEnd().split('\n');
  const bad = [
    lines[5]!.replace(/,Running,1,1,0,[\d.]+,/, ',Running,1,1,0,lots,'), // non-numeric CPU
    lines[6]!.replace(/,Running,1,1,0,[\d.]+,/, ',Running,1,1,0,-3,'), // out of range
    'garbage line',
    lines[4 * PODS]!, // a duplicate of the row just before
    lines[0]!, // pod 0 again at tick 0: its timestamp goes backwards
  ];
  writeFileSync(
    t.file('m.csv'),
    formatHeader(METRIC_COLUMNS) +
      lines.slice(0, 4 * PODS + 1).join('\n') +
      '\n' +
      bad.join('\n') +
      '\n' +
      lines.slice(4 * PODS + 1).join('\n') +
      '\n',
  );
  const r = await runMain([...baseArgs(t), '--once', '--from-start']);
  assert.equal(r.code, 0, r.err);
  const ins = readJsonFile(t.file('out/insights.json'), PodInsights)!;
  // 3 malformed lines; the duplicate and the backwards row parse but are not scored.
  assert.equal(ins.rows_rejected, 5);
  assert.equal(ins.rows_read, 20 * PODS + 2);
  assert.equal(scoreLines(t.file('scores.csv')).length, 1 + 20 * PODS);
  t.done();
});

void test('a header without required columns: one clear error, exit 1', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), 'Time,Namespace,CPU Usage (%)\n2026-01-01T00:00:00Z,shop,5\n');
  const r = await runMain([...baseArgs(t), '--once']);
  assert.equal(r.code, 1);
  assert.match(r.err, /lacks required columns: "Timestamp", "Pod Name"/);
  t.done();
});

void test('--test: 0 with a model and a readable input, non-zero naming train-model when the model is missing', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 2)));
  const ok = await runMain([...baseArgs(t, 'lstm'), '--test']);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(ok.out, /OK +detector lstm/);
  const missing = await runMain([...baseArgs(t, 'lstm'), '--test', '--model-dir', t.file('no-model')]);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /train-model/);
  const corrupt = t.file('corrupt');
  mkdirSync(corrupt);
  writeFileSync(join(corrupt, 'model.json'), '{not json');
  const bad = await runMain([...baseArgs(t, 'lstm'), '--test', '--model-dir', corrupt]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /corrupt model.*train-model/);
  const noInput = await runMain([...baseArgs(t, 'lstm'), '--test', '--input-file', t.file('none.csv')]);
  assert.equal(noInput.code, 1);
  t.done();
});

void test('default mode learns from existing rows and alerts only on new ones', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 60, 40))); // a shift already in the history
  const detector = await createDetector('zscore', { features: POD_FEATURES, threshold: 0.7 });
  const printed: string[] = [];
  const agent = new DatasetAgent(
    {
      inputFile: t.file('m.csv'),
      insightsFile: t.file('out/insights.json'),
      scoresFile: t.file('scores.csv'),
      checkpointFile: t.file('cp.json'),
      watchInterval: 0.05,
      threshold: 0.7,
      fromStart: false,
      forgetAfter: 600,
      detectorName: 'zscore',
      model: { name: 'zscore', version: 'baseline', trained_at: null, backend: 'js' },
    },
    new PodScorer(detector),
    memoryLogger(),
    (l) => printed.push(l),
  );
  await agent.open();
  const stop = new AbortController();
  const done = agent.follow(stop.signal);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(printed, []); // history: no alerts
  appendFileSync(t.file('m.csv'), csv(ticks(60, 70)));
  for (let i = 0; i < 100 && scoreLines(t.file('scores.csv')).length < 1 + 10 * PODS; i++) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await done;
  const lines = scoreLines(t.file('scores.csv'));
  assert.equal(lines.length, 1 + 10 * PODS); // only the new rows
  assert.ok(lines[1]!.startsWith(new Date(T0 + 60 * 5000).toISOString()));
  const ins = readJsonFile(t.file('out/insights.json'), PodInsights)!;
  assert.equal(ins.rows_read, 70 * PODS);
  t.done();
});

function spawnAgent(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', AGENT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}
const exited = (c: ChildProcess) => new Promise<number | null>((res) => c.once('exit', (code) => res(code)));
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

void test('SIGKILL mid-run, then restart: the scores file equals an uninterrupted run (no row lost or scored twice)', async () => {
  const t = tmp();
  const all = ticks(0, 180, 150);
  const part = (a: number, b: number) => csv(all.slice(a * PODS, b * PODS));
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + part(0, 80));
  // A private copy of the shipped model: both runs must score with the same weights.
  cpSync(DEFAULT_MODEL_DIR, t.file('model'), { recursive: true });
  const args = [...baseArgs(t, 'lstm'), '--watch-interval', '0.2', '--model-dir', t.file('model')];

  const first = spawnAgent([...args, '--from-start']);
  await until(() => existsSync(t.file('cp.json')), 'the first checkpoint');
  appendFileSync(t.file('m.csv'), part(80, 100));
  appendFileSync(t.file('m.csv'), part(100, 110).slice(0, -25)); // a torn last row at the kill
  await new Promise((r) => setTimeout(r, 150));
  first.kill('SIGKILL');
  await exited(first);
  // As if killed between writing scores and checkpointing: lines beyond the checkpoint on disk.
  appendFileSync(t.file('scores.csv'), '2026-01-01T09:99:99.000Z,shop,ghost,0.5000,false,none\n');

  const second = spawnAgent(args);
  appendFileSync(t.file('m.csv'), part(100, 110).slice(-25));
  appendFileSync(t.file('m.csv'), part(110, 180));
  await until(
    () => statSync(t.file('scores.csv')).size > 0 && scoreLines(t.file('scores.csv')).length >= 1 + 180 * PODS,
    'every row scored',
  );
  await new Promise((r) => setTimeout(r, 300));
  second.kill('SIGTERM');
  assert.equal(await exited(second), 0);

  const resumed = readFileSync(t.file('scores.csv'), 'utf8');
  const ref = tmp();
  writeFileSync(ref.file('m.csv'), readFileSync(t.file('m.csv')));
  const r = await runMain([...baseArgs(ref, 'lstm'), '--once', '--from-start', '--model-dir', t.file('model')]);
  assert.equal(r.code, 0);
  const reference = readFileSync(ref.file('scores.csv'), 'utf8');
  assert.equal(scoreLines(ref.file('scores.csv')).length, 1 + 180 * PODS);
  assert.equal(resumed, reference);
  const ins = readJsonFile(t.file('out/insights.json'), PodInsights)!;
  assert.equal(ins.rows_read, 180 * PODS);
  assert.equal(ins.rows_rejected, 0);
  ref.done();
  t.done();
});

void test('a checkpoint whose state cannot be restored: resume from its position with fresh state; a corrupt one is ignored', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 30)));
  assert.equal((await runMain([...baseArgs(t), '--once', '--from-start'])).code, 0);
  const cp = JSON.parse(readFileSync(t.file('cp.json'), 'utf8')) as { version: number; state: { file: string } };
  assert.equal(cp.version, 2);
  const stateFile = t.file(cp.state.file);
  writeFileSync(stateFile, readFileSync(stateFile).subarray(0, 64)); // a torn state file
  appendFileSync(t.file('m.csv'), csv(ticks(30, 40)));
  const r = await runMain([...baseArgs(t), '--once']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /cannot be restored/);
  const lines = scoreLines(t.file('scores.csv'));
  assert.equal(lines.length, 1 + 40 * PODS); // the first 30 ticks once, then the 10 new ones
  assert.equal(new Set(lines).size, lines.length);

  writeFileSync(t.file('cp.json'), '{"version": 1, "trunc');
  const again = await runMain([...baseArgs(t), '--once']);
  assert.equal(again.code, 0);
  assert.match(again.err, /ignoring the checkpoint/);
  const ins = readJsonFile(t.file('out/insights.json'), PodInsights)!;
  assert.equal(ins.rows_read, 40 * PODS); // read again from the start (learning, no alerts)
  t.done();
});

void test('--shard K/N: the shards score disjoint pods that together cover every pod', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 5)));
  const seen: string[][] = [];
  for (const k of [0, 1]) {
    const args = [
      '--input-file',
      t.file('m.csv'),
      '--insights-file',
      t.file(`out/insights-${k}.json`),
      '--scores-file',
      t.file(`s${k}.csv`),
      '--checkpoint-file',
      t.file(`cp${k}.json`),
      '--log-dir',
      t.file('logs'),
      '--detector',
      'zscore',
      '--once',
      '--from-start',
      '--shard',
      `${k}/2`,
    ];
    const r = await runMain(args);
    assert.equal(r.code, 0, r.err);
    seen.push([
      ...new Set(
        scoreLines(t.file(`s${k}.csv`))
          .slice(1)
          .map((l) => l.split(',')[2]!),
      ),
    ]);
  }
  assert.equal(seen[0]!.filter((p) => seen[1]!.includes(p)).length, 0);
  assert.equal(seen[0]!.length + seen[1]!.length, PODS);
  assert.ok(seen[0]!.length > 0 && seen[1]!.length > 0, 'both shards have pods');
  await assert.rejects(runMain([...baseArgs(t), '--once', '--shard', '2/2']), /--shard must be K\/N/);
  t.done();
});

void test('the input clock jumping back (same pod names restarted) starts those pods afresh instead of rejecting them', async () => {
  const t = tmp();
  const later = ticks(0, 20).map((r) => ({ ...r, timestamp: new Date(r.time + 3_600_000).toISOString(), time: r.time + 3_600_000 }));
  writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(later) + csv(ticks(0, 20)));
  const r = await runMain([...baseArgs(t), '--once', '--from-start']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /jumped back/);
  const ins = readJsonFile(t.file('out/insights.json'), PodInsights)!;
  assert.equal(ins.rows_rejected, 0);
  assert.equal(ins.pods.length, PODS);
  assert.ok(ins.pods.every((p) => p.timestamp === new Date(T0 + 19 * 5000).toISOString()));
  assert.equal(scoreLines(t.file('scores.csv')).length, 1 + 40 * PODS);
  t.done();
});
