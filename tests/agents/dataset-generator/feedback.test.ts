// "Not an anomaly" feedback through the real dataset agent (dataset-generator-agent's main(), LSTM detector,
// checkpoints between runs): a sustained pattern alerts; a feedback record re-baselines the pod; the alert
// stops and stays off for the same pattern; the record is applied once across restarts; a new fault on the
// pod afterwards is still caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../agents/dataset-generator-agent.ts';
import { feedbackTargets } from '../../../agents/dataset-generator/feedback-reader.ts';
import { Interner, PodEntry } from '../../../agents/dataset-generator/pod-entry.ts';
import { appendFeedback, type FeedbackRecord } from '../../../lib/feedback.ts';
import { METRIC_COLUMNS, formatHeader, formatRows, type MetricRow } from '../../../lib/metrics-csv.ts';
import { captureStdio } from '../../helpers/capture-stdio.ts';
import { syntheticTicks, T0 } from '../../helpers/synthetic-rows.ts';

const PODS = 4;
const SHIFTED = 'web-5d8f7c9b4-x1k2q';
/** Pod 1's CPU jumps by 70 points from this tick on, and stays there (the pattern judged normal). */
const SHIFT_AT = 150;
/** A genuinely new fault on the same pod: its memory jumps by 35 points. */
const FAULT_AT = 300;

function rows(from: number, to: number): MetricRow[] {
  return syntheticTicks(from, to, { pods: PODS, shiftAt: SHIFT_AT }).map((r) => {
    const tick = (r.time - T0) / 5000;
    return r.pod === SHIFTED && tick >= FAULT_AT ? { ...r, memoryPercent: r.memoryPercent + 35 } : r;
  });
}

interface Score {
  tick: number;
  pod: string;
  anomalous: boolean;
}

function scores(path: string): Score[] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map((f) => ({ tick: (Date.parse(f[0]!) - T0) / 5000, pod: f[2]!, anomalous: f[4] === 'true' }));
}

void test('a "not an anomaly" record re-baselines the pod: the alert stops and stays off, a new fault is still caught', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'feedback-'));
  const file = (n: string) => join(dir, n);
  mkdirSync(file('out'));
  const args = [
    ...['--input-file', file('m.csv'), '--insights-file', file('out/pod_insights.json'), '--scores-file', file('scores.csv')],
    ...['--checkpoint-file', file('cp.json'), '--log-dir', file('logs'), '--once'],
  ];
  const run = async (extra: string[] = []) => {
    const r = await captureStdio(() => main([...args, ...extra]));
    assert.equal(r.value, 0, r.err);
    return r;
  };
  try {
    // 1. The CPU shift alerts.
    writeFileSync(file('m.csv'), formatHeader(METRIC_COLUMNS) + formatRows(rows(0, 180), METRIC_COLUMNS));
    const first = await run(['--from-start']);
    assert.match(first.out, new RegExp(`ANOMALY +shop/${SHIFTED} resource_exhaustion`));
    const before = scores(file('scores.csv')).filter((s) => s.pod === SHIFTED && s.tick >= SHIFT_AT);
    assert.ok(before.at(-1)!.anomalous, 'the shifted pod is anomalous at the end of run 1');

    // 2. The operator says it is not an anomaly (run-remediation appends the record beside the insights).
    const record: FeedbackRecord = {
      ts: new Date().toISOString(),
      kind: 'not_an_anomaly',
      namespace: 'shop',
      pod: SHIFTED,
      workload: 'Deployment/web',
      scope: 'pod',
      anomaly_type: 'resource_exhaustion',
      analysis_id: 'shop-web-1',
      since: new Date(T0 + SHIFT_AT * 5000).toISOString(),
      by: 'tester',
      via: 'terminal',
    };
    appendFeedback(file('out/feedback.jsonl'), record);
    appendFileSync(file('m.csv'), formatRows(rows(180, 260), METRIC_COLUMNS));
    const second = await run();
    assert.match(second.err, /re-baselined shop\/web-5d8f7c9b4-x1k2q/);
    const after = scores(file('scores.csv')).filter((s) => s.pod === SHIFTED && s.tick >= 180);
    assert.equal(after[0]!.tick, 180);
    // within 2 rows the alert is off, and it stays off while the CPU stays shifted
    assert.ok(
      after.slice(2).every((s) => !s.anomalous),
      `anomalous at ticks ${after.filter((s) => s.anomalous).map((s) => s.tick)}`,
    );
    assert.match(second.out, new RegExp(`cleared +shop/${SHIFTED}`));

    // 3. A restart does not apply the record again (the count is in the checkpoint); the pattern stays quiet
    // and a new fault on the same pod is caught.
    appendFileSync(file('m.csv'), formatRows(rows(260, 360), METRIC_COLUMNS));
    const third = await run();
    assert.doesNotMatch(third.err, /re-baselined/);
    const late = scores(file('scores.csv')).filter((s) => s.pod === SHIFTED && s.tick >= 260);
    assert.ok(
      late.filter((s) => s.tick < FAULT_AT).every((s) => !s.anomalous),
      'no alert before the new fault',
    );
    const caught = late.find((s) => s.tick >= FAULT_AT && s.anomalous);
    assert.ok(caught && caught.tick < FAULT_AT + 10, `the new fault is caught (first anomalous tick ${caught?.tick})`);
    // A memory jump: the detector types an alert led by climbing memory as oom_risk.
    assert.match(third.out, new RegExp(`ANOMALY +shop/${SHIFTED} oom_risk`));
    // the other pods were not touched
    assert.ok(
      scores(file('scores.csv'))
        .filter((s) => s.pod !== SHIFTED)
        .every((s) => !s.anomalous),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('scope workload re-baselines every pod of the workload, scope pod only the one named', () => {
  const intern = new Interner();
  const pods = new Map<string, PodEntry>();
  const add = (namespace: string, pod: string, workload: string | undefined) => {
    const e = new PodEntry(`${namespace}/${pod}`, intern.get(namespace), pod, '2026-01-01T00:00:00.000Z', T0);
    e.workload = workload;
    pods.set(e.key, e);
  };
  add('shop', 'web-5d8f7c9b4-x0k2q', 'shop/Deployment/web');
  add('shop', 'web-5d8f7c9b4-x1k2q', 'shop/Deployment/web');
  add('shop', 'web-6c7d8e9f0-a1b2c', 'shop/Deployment/web'); // another ReplicaSet of the same Deployment
  add('shop', 'cart-5d8f7c9b4-x0k2q', 'shop/Deployment/cart');
  add('other', 'web-5d8f7c9b4-x0k2q', 'other/Deployment/web');
  const record: FeedbackRecord = {
    ts: '2026-01-01T00:00:00.000Z',
    kind: 'not_an_anomaly',
    namespace: 'shop',
    pod: 'web-5d8f7c9b4-x1k2q',
    workload: 'Deployment/web',
    scope: 'workload',
    anomaly_type: 'resource_exhaustion',
    analysis_id: 'a',
    by: 'tester',
    via: 'web',
  };
  const keys = (r: FeedbackRecord) =>
    feedbackTargets(pods, r)
      .map((e) => e.key)
      .sort();
  assert.deepEqual(keys(record), ['shop/web-5d8f7c9b4-x0k2q', 'shop/web-5d8f7c9b4-x1k2q', 'shop/web-6c7d8e9f0-a1b2c']);
  assert.deepEqual(keys({ ...record, scope: 'pod' }), ['shop/web-5d8f7c9b4-x1k2q']);
  // the named pod is gone: the workload still is found, from the record and from the pod's name
  assert.equal(keys({ ...record, pod: 'web-5d8f7c9b4-zzzzz' }).length, 3);
  assert.deepEqual(keys({ ...record, pod: 'gone', scope: 'pod' }), []);
});
