// Binary checkpoints and compact insights (the changes that met the 150,000-pod performance targets): the
// state file round trip is exact and a damaged one is refused; a checkpoint whose pods change while it is
// being copied (copy on write) resumes exactly; the compact pod_insights.json keeps every anomalous pod in
// full and its readers still see every pod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStateFile, StateFileWriter, type StateArray } from '../../agents/dataset-generator/state-file.ts';
import { checkpointSlicing, DatasetAgent, jsonString } from '../../agents/dataset-generator/agent.ts';
import { main } from '../../agents/dataset-generator-agent.ts';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { memoryLogger } from '../../lib/log.ts';
import { formatHeader, formatRows, METRIC_COLUMNS, type MetricRow } from '../../lib/metrics-csv.ts';
import { allPodInsights, insightsPodCount, PodInsights } from '../../lib/schemas.ts';
import { createDetector } from '../../models/registry.ts';
import { featureSpec, POD_FEATURES } from '../../models/pod-features.ts';
import { PodScorer } from '../../models/pod-scorer.ts';
import { DEFAULT_MODEL_DIR } from '../../models/lstm/index.ts';
import { evaluateInsights } from '../../remediation/verify.ts';
import { PipelineWatch } from '../../orchestrator/pipeline-watch.ts';
import { Supervisor } from '../../orchestrator/supervisor.ts';
import { AGENT_NODE_ARGS } from '../../agents/dataset-generator/node-args.ts';
import { captureStdio } from '../helpers/capture-stdio.ts';
import { syntheticTicks } from '../helpers/synthetic-rows.ts';

const PODS = 5;
const ticks = (from: number, to: number, shiftAt = Infinity): MetricRow[] => syntheticTicks(from, to, { pods: PODS, shiftAt });
const csv = (rows: MetricRow[]) => formatRows(rows, METRIC_COLUMNS);

function tmp(): { file: (n: string) => string; done: () => void; onDone?: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'perf-cp-'));
  return { file: (n) => join(dir, n), done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  return (await captureStdio(f)).value;
}

void test('state file: records round trip bit for bit; truncated, extended or mislabelled files are refused', async () => {
  const t = tmp();
  try {
    const path = t.file('s.bin');
    const w = new StateFileWriter(path);
    w.addShared({ agent: { newestTime: 12, learning: false }, note: 'ünïcode' });
    const pods: Array<[string, string, StateArray[]]> = [];
    for (let i = 0; i < 300; i++) {
      const f = new Float64Array(7 + (i % 3)).map((_, j) => i * 10 + j / 3);
      f[0] = NaN;
      f[1] = Infinity;
      f[2] = -0;
      const h = new Float32Array(3 + (i % 2)).map((_, j) => j - 0.1 * i); // odd lengths: padding
      pods.push([`ns-${i % 4}/pod-${i}-ß`, JSON.stringify([i, { x: i }]), i % 5 === 0 ? [] : [f, h]]);
    }
    // a record larger than a chunk goes in one piece
    pods.push(['big/one', '[]', [new Float64Array(700_000).map((_, j) => j)]]);
    for (const [k, j, a] of pods) w.addPod(k, j, a);
    const bytes = await w.finish();
    assert.equal(statSync(path).size, bytes);

    const got: Array<[string, string, StateArray[]]> = [];
    let shared: unknown;
    const r = readStateFile(path, { shared: (v) => (shared = v), pod: (k, j, a) => got.push([k, j, a]) }, bytes);
    assert.equal(r.pods, pods.length);
    assert.deepEqual(shared, { agent: { newestTime: 12, learning: false }, note: 'ünïcode' });
    assert.equal(got.length, pods.length);
    for (let i = 0; i < pods.length; i++) {
      const [k, j, a] = pods[i]!;
      const [k2, j2, a2] = got[i]!;
      assert.equal(k2, k);
      assert.equal(j2, j);
      assert.equal(a2.length, a.length);
      for (let n = 0; n < a.length; n++) {
        assert.equal(a2[n]!.constructor, a[n]!.constructor);
        assert.deepEqual(
          Buffer.from(a2[n]!.buffer, a2[n]!.byteOffset, a2[n]!.byteLength),
          Buffer.from(a[n]!.buffer, a[n]!.byteOffset, a[n]!.byteLength),
        );
      }
    }

    const full = readFileSync(path);
    const noop = { shared: () => {}, pod: () => {} };
    assert.throws(() => readStateFile(path, noop, bytes + 8), /the checkpoint says/);
    writeFileSync(path, full.subarray(0, full.length - 16)); // no end record
    assert.throws(() => readStateFile(path, noop), /truncated/);
    writeFileSync(path, full.subarray(0, 5000));
    assert.throws(() => readStateFile(path, noop), /truncated/);
    writeFileSync(path, Buffer.concat([full, Buffer.alloc(8)]));
    assert.throws(() => readStateFile(path, noop), /after the end record/);
    writeFileSync(path, '{"version": 1}');
    assert.throws(() => readStateFile(path, noop), /not a podsentinel state file/);
  } finally {
    t.done();
  }
});

void test('LSTM detector: per-series binary state restores into a fresh detector and scores identically', async () => {
  const a = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  const rows = ticks(0, 40, 25);
  for (const r of rows.slice(0, 30 * PODS)) a.score(r);
  const b = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  b.restoreShared(JSON.parse(JSON.stringify(a.snapshotShared())));
  for (let p = 0; p < PODS; p++) {
    const key = `shop/web-5d8f7c9b4-x${p}k2q`;
    const arrays = a.podState(key)!;
    assert.equal(arrays.length, 6, 'feature state, then f, h, c, the range maps and the seasonal state');
    b.restorePod(
      key,
      arrays.map((x) => x.slice()),
    );
  }
  for (const r of rows.slice(30 * PODS)) assert.deepEqual(b.score(r), a.score(r));
  assert.throws(() => b.detector.restoreShared!({ v: 2, features: ['x'], units: 1, stride: 1 }), /does not match/);
  // a checkpoint from before range maps ([f, h, c, seasonal] per pod) still restores; the maps start empty
  const shared = JSON.parse(JSON.stringify(a.snapshotShared())) as { detector: { rangeMapLayout?: string } };
  delete shared.detector.rangeMapLayout;
  const c = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  c.restoreShared(shared);
  const key = 'shop/web-5d8f7c9b4-x0k2q';
  const [feat, f, h, cc, map, ss] = a.podState(key)!;
  assert.ok(map instanceof Float32Array && ss instanceof Float32Array);
  c.restorePod(
    key,
    [feat!, f!, h!, cc!, ss].map((x) => x.slice()),
  );
  for (const r of ticks(40, 41)) assert.ok(Number.isFinite(c.score(r)!.verdict.probability));
  assert.equal(c.podState(key)!.length, 6, 'and it checkpoints with its map from then on');
  assert.throws(() => b.restorePod('shop/x', [new Float64Array(5), new Float64Array(3)]), /wrong size/);
});

void test('LSTM detector: state of the per-feature layout (slots for info features too, up to 285727b) migrates and scores identically', async () => {
  const a = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  const rows = ticks(0, 40, 25);
  for (const r of rows.slice(0, 30 * PODS)) a.score(r);
  // that layout: 41 per-series slots, then 17 per feature; h and c with `units` floats per feature
  const HEAD = 41,
    CH = 17,
    nf = POD_FEATURES.length;
  const seq = POD_FEATURES.flatMap((name, i) => (featureSpec(name).kind === 'sequence' ? [i] : []));
  const shared = JSON.parse(JSON.stringify(a.snapshotShared())) as { detector: { stride: number } };
  assert.equal(shared.detector.stride, HEAD + CH * seq.length, 'slots for the sequence channels only');
  shared.detector.stride = HEAD + CH * nf;
  const b = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  b.restoreShared(shared);
  for (let p = 0; p < PODS; p++) {
    const key = `shop/web-5d8f7c9b4-x${p}k2q`;
    const [feat, f, h, c, ...rest] = a.podState(key)!;
    const u = h!.length / seq.length;
    const of = new Float64Array(HEAD + CH * nf),
      oh = new Float32Array(nf * u),
      oc = new Float32Array(nf * u);
    of.set(f!.subarray(0, HEAD));
    seq.forEach((i, k) => {
      of.set(f!.subarray(HEAD + k * CH, HEAD + (k + 1) * CH), HEAD + i * CH);
      oh.set(h!.subarray(k * u, (k + 1) * u), i * u);
      oc.set(c!.subarray(k * u, (k + 1) * u), i * u);
    });
    b.restorePod(key, [feat!.slice(), of, oh, oc, ...rest.map((x) => x.slice())]);
    assert.equal(b.podState(key)![1]!.length, HEAD + CH * seq.length);
  }
  for (const r of rows.slice(30 * PODS)) assert.deepEqual(b.score(r), a.score(r));
});

void test('a checkpoint whose pods change while it is copied (copy on write) resumes exactly like an uninterrupted run', async () => {
  const t = tmp();
  const ref = tmp();
  const old = { ...checkpointSlicing };
  try {
    cpSync(DEFAULT_MODEL_DIR, t.file('model'), { recursive: true });
    const all = ticks(0, 60, 40);
    writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(all.slice(0, 30 * PODS)));
    const detector = await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7, modelDir: t.file('model') });
    const cfg = {
      inputFile: t.file('m.csv'),
      insightsFile: t.file('out/insights.json'),
      scoresFile: t.file('scores.csv'),
      checkpointFile: t.file('cp.json'),
      watchInterval: 3600,
      threshold: 0.7,
      fromStart: true,
      forgetAfter: 600,
      detectorName: 'lstm',
      model: { name: 'lstm', version: 'test', trained_at: null, backend: 'js' },
    };
    checkpointSlicing.pods = 1; // one pod per slice: most pods change before their slice
    checkpointSlicing.budgetMs = 0;
    const agent = new DatasetAgent(cfg, new PodScorer(detector), memoryLogger(), () => {});
    await agent.open();
    agent.processAvailable();
    assert.ok(agent.startCheckpoint(), 'a checkpoint at tick 30');
    assert.ok(!agent.startCheckpoint(), 'one at a time');
    for (let k = 30; k < 45; k++) {
      appendFileSync(t.file('m.csv'), csv(all.slice(k * PODS, (k + 1) * PODS)));
      agent.processAvailable(); // scores the tick, then copies one more pod
      // after two ticks: every pod was copied before its change, the cursor has passed only two of them
      if (k === 31) await agent.completeCheckpoint();
    }
    await agent.close(); // as if killed here: the checkpoint is at tick 30, the scores file at tick 45
    const cp = JSON.parse(readFileSync(t.file('cp.json'), 'utf8')) as { version: number; state: { pods: number } };
    assert.equal(cp.version, 2);
    assert.equal(cp.state.pods, PODS);

    appendFileSync(t.file('m.csv'), csv(all.slice(45 * PODS)));
    const base = ['--insights-file', 'x', '--log-level', 'error', '--detector', 'lstm', '--model-dir', t.file('model')];
    const resumeArgs = [
      '--once',
      '--input-file',
      t.file('m.csv'),
      '--scores-file',
      t.file('scores.csv'),
      '--checkpoint-file',
      t.file('cp.json'),
      '--log-dir',
      t.file('logs'),
      ...base,
    ];
    resumeArgs[resumeArgs.indexOf('x')] = t.file('out/insights.json');
    assert.equal(await quiet(() => main(resumeArgs)), 0);

    writeFileSync(ref.file('m.csv'), readFileSync(t.file('m.csv')));
    const refArgs = [
      '--once',
      '--from-start',
      '--input-file',
      ref.file('m.csv'),
      '--scores-file',
      ref.file('scores.csv'),
      '--checkpoint-file',
      ref.file('cp.json'),
      '--log-dir',
      ref.file('logs'),
      ...base,
    ];
    refArgs[refArgs.indexOf('x')] = ref.file('insights.json');
    assert.equal(await quiet(() => main(refArgs)), 0);
    const reference = readFileSync(ref.file('scores.csv'), 'utf8');
    assert.equal(reference.trimEnd().split('\n').length, 1 + 60 * PODS);
    assert.equal(readFileSync(t.file('scores.csv'), 'utf8'), reference);
  } finally {
    Object.assign(checkpointSlicing, old);
    t.done();
    ref.done();
  }
});

void test('compact pod_insights.json beyond --insights-detail-max: anomalous pods in full, the rest in other_pods, readers see every pod', async () => {
  const t = tmp();
  try {
    writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 120, 118)));
    const args = [
      '--once',
      '--from-start',
      '--input-file',
      t.file('m.csv'),
      '--insights-file',
      t.file('i.json'),
      '--checkpoint-file',
      t.file('cp.json'),
      '--log-dir',
      t.file('logs'),
      '--detector',
      'zscore',
    ];
    assert.equal(await quiet(() => main([...args, '--insights-detail-max', '2'])), 0);
    const ins = readJsonFile(t.file('i.json'), PodInsights)!;
    assert.ok(ins.other_pods, 'compact beyond 2 pods');
    assert.equal(insightsPodCount(ins), PODS);
    const shifted = ins.pods.find((p) => p.pod === 'web-5d8f7c9b4-x1k2q');
    assert.ok(shifted?.predicted_anomaly, 'the anomalous pod has a full entry');
    assert.ok(shifted.contributing_metrics.length > 0);
    assert.ok(ins.other_pods.length > 0 && ins.other_pods.every(([, , , p]) => p < ins.threshold / 2));
    const every = allPodInsights(ins);
    assert.deepEqual(
      every.map((p) => p.pod).sort(),
      Array.from({ length: PODS }, (_, p) => `web-5d8f7c9b4-x${p}k2q`),
    );

    // verification finds a pod listed in brief (not anomalous: resolved) and the anomalous one in full
    const brief = ins.other_pods[0]![1];
    const hint = (pod: string) => ({ namespace: 'shop', pods: [pod], description: pod });
    const past = new Date(Date.parse(ins.generated_at) - 1000);
    assert.equal(evaluateInsights(ins, hint(brief), past).result, 'RESOLVED');
    assert.equal(evaluateInsights(ins, hint('web-5d8f7c9b4-x1k2q'), past).result, 'FAILED');
    // the status view counts every pod and flags the anomalous one
    const watch = new PipelineWatch(t.file('i.json'), t.file('none.json'));
    const { snapshot } = watch.poll();
    assert.equal(snapshot.pods, PODS);
    assert.equal(snapshot.flagged, 1);

    // at or below the limit: every pod in full, no other_pods (the format small clusters always had)
    assert.equal(await quiet(() => main([...args, '--insights-detail-max', String(PODS)])), 0);
    const full = readJsonFile(t.file('i.json'), PodInsights)!;
    assert.equal(full.other_pods, undefined);
    assert.equal(full.pods.length, PODS);
  } finally {
    t.done();
  }
});

void test("LSTM detector: a forgotten series' state, reused for a new series, starts from zero", async () => {
  const rows = (ns: string) =>
    ticks(0, 30, 20)
      .filter((r) => r.pod === 'web-5d8f7c9b4-x1k2q')
      .map((r) => ({ ...r, namespace: ns }));
  const a = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  for (const r of rows('first')) a.score(r);
  a.forget('first', 'web-5d8f7c9b4-x1k2q');
  const b = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  for (const r of rows('second')) assert.deepEqual(a.score(r), b.score(r));
});

void test('the supervisor starts a child with its Node options (the agent runs with AGENT_NODE_ARGS)', async () => {
  const t = tmp();
  const sup = new Supervisor();
  try {
    const script = t.file('argv.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(t.file('argv.json'))}, JSON.stringify(process.execArgv));\n`,
    );
    sup.add({ name: 'argv', script, args: [], nodeArgs: AGENT_NODE_ARGS, restart: 'never', output: { logFile: t.file('argv.log') } });
    const st = await sup.waitSettled('argv');
    assert.equal(st?.lastExit?.code, 0);
    const execArgv = JSON.parse(readFileSync(t.file('argv.json'), 'utf8')) as string[];
    assert.deepEqual(execArgv.slice(0, AGENT_NODE_ARGS.length), [...AGENT_NODE_ARGS]);
  } finally {
    await sup.stop('SIGTERM', 3000);
    t.done();
  }
});

void test('following the input, compact insights are built in slices between batches and stay complete; checkpoints follow --checkpoint-interval', async () => {
  const t = tmp();
  const old = { ...checkpointSlicing };
  try {
    writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 100, 117)));
    const agent = new DatasetAgent(
      {
        inputFile: t.file('m.csv'),
        insightsFile: t.file('out/i.json'),
        checkpointFile: t.file('cp.json'),
        watchInterval: 0.02,
        threshold: 0.7,
        fromStart: true,
        forgetAfter: 600,
        detectorName: 'zscore',
        model: { name: 'zscore', version: 'baseline', trained_at: null, backend: 'js' },
        insightsDetailMax: 2,
        checkpointInterval: 3600, // one checkpoint when following starts, one at the stop
      },
      new PodScorer(await createDetector('zscore', { features: POD_FEATURES, threshold: 0.7 })),
      memoryLogger(),
      () => {},
    );
    Object.assign(checkpointSlicing, { pods: 1, insightsPods: 1, budgetMs: 0 });
    await agent.open();
    const stop = new AbortController();
    const done = agent.follow(stop.signal);
    const stopped = async () => {
      stop.abort();
      await done;
    };
    t.onDone = stopped;
    for (let k = 100; k < 120; k++) {
      appendFileSync(t.file('m.csv'), csv(ticks(k, k + 1, 117)));
      await new Promise((r) => setTimeout(r, 15));
    }
    for (let i = 0; i < 200 && agent.perf.insights_writes < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(agent.perf.insights_writes >= 3, 'periodic insights were written while following');
    assert.ok(agent.perf.checkpoints <= 1, `${agent.perf.checkpoints} checkpoints with --checkpoint-interval 3600`);
    assert.equal(agent.perf.checkpoints_skipped, 0);
    const periodic = readJsonFile(t.file('out/i.json'), PodInsights)!;
    assert.equal(insightsPodCount(periodic), PODS);
    assert.ok(periodic.other_pods!.every(([, , , p]) => p < 0.35));
    assert.ok(periodic.pods.every((p) => p.anomaly_probability >= 0.35 || p.predicted_anomaly));
    await stopped();
    const cp = JSON.parse(readFileSync(t.file('cp.json'), 'utf8')) as { counters: { rows_read: number } };
    assert.equal(cp.counters.rows_read, 120 * PODS, 'the checkpoint at the stop');
    const last = readJsonFile(t.file('out/i.json'), PodInsights)!;
    assert.equal(last.rows_read, 120 * PODS);
    assert.equal(insightsPodCount(last), PODS);
    assert.ok(last.pods.some((p) => p.pod === 'web-5d8f7c9b4-x1k2q' && p.predicted_anomaly && p.contributing_metrics.length > 0));
  } finally {
    await t.onDone?.();
    Object.assign(checkpointSlicing, old);
    t.done();
  }
});

void test('brief insights entries: names and timestamps as JSON strings, escaped when needed', () => {
  for (const x of ['web-5d8f7c9b4-x1k2q', '2026-01-01T00:00:00.000Z', 'a"b', 'back\\slash', 'tab\there', 'ünï', ''])
    assert.equal(JSON.parse(jsonString(x)), x);
});

void test('a checkpoint that cannot be written is logged, scoring goes on, its partial state file is removed, and --once exits 1', async () => {
  const t = tmp();
  try {
    writeFileSync(t.file('m.csv'), formatHeader(METRIC_COLUMNS) + csv(ticks(0, 20)));
    mkdirSync(t.file('cp.json')); // the rename into place fails
    let err = '';
    const w = process.stderr.write;
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main([
        '--once',
        '--from-start',
        '--input-file',
        t.file('m.csv'),
        '--insights-file',
        t.file('i.json'),
        '--scores-file',
        t.file('s.csv'),
        '--checkpoint-file',
        t.file('cp.json'),
        '--log-dir',
        t.file('logs'),
        '--detector',
        'zscore',
      ]);
    } finally {
      process.stderr.write = w;
    }
    // Every row is scored and the insights written; with no next interval to retry in, --once exits 1.
    assert.equal(code, 1);
    assert.match(err, /cannot write the checkpoint/);
    assert.match(err, /final outputs could not be written/);
    assert.ok(JSON.parse(readFileSync(t.file('i.json'), 'utf8')).pods);
    assert.equal(readFileSync(t.file('s.csv'), 'utf8').trimEnd().split('\n').length, 1 + 20 * PODS);
    assert.deepEqual(
      readdirSync(t.file('.')).filter((n) => n.includes('.state-')),
      [],
    );
  } finally {
    t.done();
  }
});
