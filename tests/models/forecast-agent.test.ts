// Forecasts through the real dataset agent: a leaking pod carries a memory forecast in pod_insights.json, the
// forecast state is checkpointed (a run split by a restart gives the same forecasts), and the ANOMALY line
// names the soonest forecast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../agents/dataset-generator-agent.ts';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { METRIC_COLUMNS, formatHeader, formatRows, type MetricRow } from '../../lib/metrics-csv.ts';
import { PodInsights } from '../../lib/schemas.ts';
import { PodEntry } from '../../agents/dataset-generator/pod-entry.ts';
import { alertLine } from '../../agents/dataset-generator/format.ts';
import { newForecastState, updateForecast } from '../../models/forecast.ts';
import { captureStdio } from '../helpers/capture-stdio.ts';
import { syntheticTicks, T0 } from '../helpers/synthetic-rows.ts';

const LEAKY = 'web-5d8f7c9b4-x0k2q';
const LIMIT_MB = 500;

/** Four pods, 5 s apart; pod 0 leaks 0.25 point per tick from tick 100 (limit 500 MB: MB and % agree). */
function rows(from: number, to: number): MetricRow[] {
  return syntheticTicks(from, to, { pods: 4 }).map((r) => {
    const tick = (r.time - T0) / 5000;
    const pct = r.pod === LEAKY ? r.memoryPercent + 0.25 * Math.max(0, tick - 100) : r.memoryPercent;
    return { ...r, memoryPercent: pct, memoryMb: (pct / 100) * LIMIT_MB };
  });
}

async function runAgent(dir: string, extra: string[]): Promise<void> {
  const f = (n: string) => join(dir, n);
  const r = await captureStdio(() =>
    main([
      ...['--input-file', f('m.csv'), '--insights-file', f('pod_insights.json'), '--checkpoint-file', f('cp.json')],
      ...['--log-dir', f('logs'), '--once', ...extra],
    ]),
  );
  assert.equal(r.value, 0, r.err);
}

void test('a leaking pod has a memory forecast, restored from the checkpoint across a restart', async () => {
  const whole = mkdtempSync(join(tmpdir(), 'forecast-'));
  const split = mkdtempSync(join(tmpdir(), 'forecast-'));
  try {
    const header = formatHeader(METRIC_COLUMNS);
    writeFileSync(join(whole, 'm.csv'), header + formatRows(rows(0, 240), METRIC_COLUMNS));
    await runAgent(whole, ['--from-start']);
    const ins = readJsonFile(join(whole, 'pod_insights.json'), PodInsights)!;
    const leaky = ins.pods.find((p) => p.pod === LEAKY)!;
    const fc = leaky.forecasts?.[0];
    assert.ok(fc, 'the leaking pod has a forecast');
    assert.equal(fc.metric, 'memory');
    assert.equal(Math.round(fc.limit / 1024 / 1024), LIMIT_MB);
    // at tick 239 it is ~75 % and rising 3 points a minute: its peaks reach the limit in about 8 minutes
    assert.ok(fc.eta_seconds > 360 && fc.eta_seconds < 600, String(fc.eta_seconds));
    assert.ok(ins.pods.filter((p) => p.pod !== LEAKY).every((p) => p.forecasts === undefined));

    // the same rows in two runs, the second resuming from the first's checkpoint
    writeFileSync(join(split, 'm.csv'), header + formatRows(rows(0, 150), METRIC_COLUMNS));
    await runAgent(split, ['--from-start']);
    appendFileSync(join(split, 'm.csv'), formatRows(rows(150, 240), METRIC_COLUMNS));
    await runAgent(split, []);
    const resumed = readJsonFile(join(split, 'pod_insights.json'), PodInsights)!;
    assert.deepEqual(resumed.pods.find((p) => p.pod === LEAKY)!.forecasts, leaky.forecasts);
  } finally {
    rmSync(whole, { recursive: true, force: true });
    rmSync(split, { recursive: true, force: true });
  }
});

void test('the ANOMALY line names the soonest forecast', () => {
  const e = new PodEntry(`shop/${LEAKY}`, 'shop', LEAKY, '2026-01-01T00:20:00.000Z', T0);
  e.anomalous = true;
  e.type = 'oom_risk';
  e.probability = 0.91;
  assert.doesNotMatch(alertLine(e, 0.7), /reaches its limit/);
  e.forecast = newForecastState();
  for (const r of rows(0, 240)) if (r.pod === LEAKY) e.forecast = updateForecast(e.forecast, r);
  assert.match(
    alertLine(e, 0.7),
    /^2026-01-01T00:20:00.000Z ANOMALY +shop\/web-5d8f7c9b4-x0k2q oom_risk p=0.91 >= 0.7 :: memory reaches its limit in ~\d+ min \(confidence 0\.\d\d\)$/,
  );
});
