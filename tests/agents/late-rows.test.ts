// Regression tests: rows far older than the agent's newest row (late rows) must not move its clock
// backwards nor evict live pods from pod_insights.json; they are rejected, counted and logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetAgent } from '../../agents/dataset-generator/agent.ts';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { memoryLogger } from '../../lib/log.ts';
import { METRIC_COLUMNS, formatHeader, formatRows, type MetricRow } from '../../lib/metrics-csv.ts';
import { PodInsights } from '../../lib/schemas.ts';
import { createDetector } from '../../models/registry.ts';
import { POD_FEATURES } from '../../models/pod-features.ts';
import { PodScorer } from '../../models/pod-scorer.ts';
import { syntheticTicks, T0 } from '../helpers/synthetic-rows.ts';

const PODS = 21;
const TICKS = 120;
const ANOMALOUS = 'web-5d8f7c9b4-x1k2q';

function aged(row: MetricRow, ms: number): MetricRow {
  return { ...row, time: row.time - ms, timestamp: new Date(row.time - ms).toISOString() };
}

/** Runs the agent --once --from-start over `rows`; returns pod_insights.json and the log. */
async function runOnce(rows: MetricRow[]): Promise<{ ins: PodInsights; log: ReturnType<typeof memoryLogger> }> {
  const dir = mkdtempSync(join(tmpdir(), 'defects-late-'));
  try {
    writeFileSync(join(dir, 'm.csv'), formatHeader(METRIC_COLUMNS) + formatRows(rows, METRIC_COLUMNS));
    const log = memoryLogger();
    const agent = new DatasetAgent(
      {
        inputFile: join(dir, 'm.csv'),
        insightsFile: join(dir, 'insights.json'),
        checkpointFile: join(dir, 'cp.json'),
        watchInterval: 10,
        threshold: 0.7,
        fromStart: true,
        forgetAfter: 600,
        detectorName: 'zscore',
        model: { name: 'zscore', version: 'baseline', trained_at: null, backend: 'js' },
      },
      new PodScorer(await createDetector('zscore', { features: POD_FEATURES, threshold: 0.7 })),
      log,
      () => {},
    );
    await agent.open();
    await agent.runOnce();
    await agent.close();
    return { ins: readJsonFile(join(dir, 'insights.json'), PodInsights)!, log };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lastTick = new Date(T0 + (TICKS - 1) * 5000).toISOString();

void test('baseline: 21 pods, one of them anomalous', async () => {
  const { ins } = await runOnce(syntheticTicks(0, TICKS, { pods: PODS, shiftAt: TICKS - 3 }));
  assert.equal(ins.pods.length, PODS);
  assert.deepEqual(
    ins.pods.filter((p) => p.predicted_anomaly).map((p) => p.pod),
    [ANOMALOUS],
  );
});

void test('one stale row (10 min old) of the anomalous pod, last in the file: rejected as late, no pod evicted', async () => {
  const rows = syntheticTicks(0, TICKS, { pods: PODS, shiftAt: TICKS - 3 });
  const stale = aged(
    rows.find((r) => r.pod === ANOMALOUS && r.time === T0 + (TICKS - 1) * 5000)!,
    610_000,
  );
  const { ins, log } = await runOnce([...rows, stale]);
  assert.equal(ins.pods.length, PODS);
  assert.deepEqual(
    ins.pods.filter((p) => p.predicted_anomaly).map((p) => p.pod),
    [ANOMALOUS],
  );
  assert.ok(
    ins.pods.every((p) => p.timestamp === lastTick),
    'no pod moved back in time',
  );
  assert.equal(ins.rows_rejected, 1);
  assert.ok(log.records.some((r) => r.level === 'warn' && r.fields?.reason === 'late' && r.fields?.pod === ANOMALOUS));
});

void test('stale rows of five pods amid the last tick: each rejected as late, all 21 pods kept', async () => {
  const rows = syntheticTicks(0, TICKS, { pods: PODS, shiftAt: TICKS - 3 });
  const last = rows.slice(-PODS);
  const stale = last.slice(0, 5).map((r) => aged(r, 15 * 60_000));
  const mixed = [...rows.slice(0, -PODS), ...last.slice(0, 10), ...stale, ...last.slice(10)];
  const { ins } = await runOnce(mixed);
  assert.equal(ins.pods.length, PODS);
  assert.deepEqual(
    ins.pods.filter((p) => p.predicted_anomaly).map((p) => p.pod),
    [ANOMALOUS],
  );
  assert.ok(ins.pods.every((p) => p.timestamp === lastTick));
  assert.equal(ins.rows_rejected, 5);
});
