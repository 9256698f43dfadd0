// CPU and ephemeral-storage forecasts through the real pipeline: the simulated cluster over HTTPS, the
// Kubernetes collector (its CPU Limit (%), Ephemeral Storage Usage (MB) and Ephemeral Storage Limit (MB)
// columns), the CSV, the real dataset agent writing pod_insights.json, and the rule-based analysis naming
// the forecast.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as agentMain } from '../../agents/dataset-generator-agent.ts';
import { ruleJudgement } from '../../agents/analysis/rules.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { CPU_LIMIT_COLUMN, EPHEMERAL_LIMIT_COLUMN, EPHEMERAL_USAGE_COLUMN, MetricsCsvWriter } from '../../lib/metrics-csv.ts';
import { PodInsights, type PodInsight } from '../../lib/schemas.ts';
import { startSim } from '../../sim/index.ts';
import { captureStdio } from '../helpers/capture-stdio.ts';
import { context } from '../helpers/analysis-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'forecast-pipeline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `scenario` for `ticks` ticks, collecting namespace shop into a CSV, then the agent over it. */
async function pipeline(scenario: string, ticks: number): Promise<{ pods: PodInsight[]; rows: Array<Record<string, number>> }> {
  const dir = join(tmp, scenario);
  const sim = await startSim({
    scenario,
    seed: 3,
    manualClock: true,
    startTime: '2026-01-05T00:00:00Z',
    kubeconfigOut: join(dir, 'kubeconfig'),
  });
  const csv = join(dir, 'pod_metrics.csv');
  const extras: Array<Record<string, number>> = [];
  const collector = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { namespace: 'shop', logger: memoryLogger() });
  const writer = MetricsCsvWriter.open(csv, collector.extraColumns);
  try {
    for (let t = 1; t <= ticks; t++) {
      sim.tick(1);
      const rows = await collector.collectOnce();
      for (const r of rows) extras.push({ ...r.extra, cpu: r.cpuPercent });
      writer.append(rows);
    }
  } finally {
    writer.close();
    collector.close();
    await sim.close();
  }
  const f = (n: string) => join(dir, n);
  const r = await captureStdio(() =>
    agentMain([
      ...['--input-file', csv, '--insights-file', f('pod_insights.json'), '--checkpoint-file', f('cp.json')],
      ...['--log-dir', f('logs'), '--once', '--from-start'],
    ]),
  );
  assert.equal(r.value, 0, r.err);
  return { pods: readJsonFile(f('pod_insights.json'), PodInsights)!.pods, rows: extras };
}

let creep: Awaited<ReturnType<typeof pipeline>>;
let fill: Awaited<ReturnType<typeof pipeline>>;
before(async () => {
  creep = await pipeline('cpu-creep', 90);
  fill = await pipeline('storage-fill', 60);
});

void test('the collector writes the CPU limit of every pod, and ephemeral storage where a limit is set', () => {
  // every sim container has a CPU limit; only shop/orders has an ephemeral-storage limit
  assert.ok(creep.rows.length > 0);
  assert.ok(creep.rows.every((x) => x[CPU_LIMIT_COLUMN]! > 0));
  const running = creep.rows.filter((x) => Number.isFinite(x.cpu));
  assert.ok(running.length > 0.9 * creep.rows.length);
  assert.ok(
    running.every((x) => x[EPHEMERAL_USAGE_COLUMN]! > 0),
    JSON.stringify(running.filter((x) => !(x[EPHEMERAL_USAGE_COLUMN]! > 0)).slice(0, 5)),
  );
  assert.ok(creep.rows.every((x) => x[EPHEMERAL_LIMIT_COLUMN] === undefined));
  assert.ok(fill.rows.some((x) => x[EPHEMERAL_LIMIT_COLUMN] === 1024));
});

void test('a creeping CPU gets a cpu forecast in pod_insights.json, and the analysis names it', () => {
  // the creeping pod has the soonest and surest CPU forecast (the daily cycle's upswing can give others a
  // far, unsure one: a trend is a trend)
  const withCpu = creep.pods
    .flatMap((p) => (p.forecasts ?? []).filter((f) => f.metric === 'cpu').map((f) => ({ p, f })))
    .sort((a, b) => a.f.eta_seconds - b.f.eta_seconds);
  assert.ok(withCpu.length > 0, JSON.stringify(creep.pods.map((p) => [p.pod, p.forecasts])));
  const { p: creeping, f: fc } = withCpu[0]!;
  assert.match(creeping.pod, /^catalog-/);
  assert.ok(withCpu.slice(1).every((x) => x.f.confidence < fc.confidence));
  assert.equal(fc.limit, 1500, 'millicores: the 1.5-core limit');
  // from tick 10, +0.01 core a tick towards 1.5 cores: at tick 90 the limit is some 50 ticks (minutes) away
  assert.ok(fc.eta_seconds > 60 && fc.eta_seconds < 900, String(fc.eta_seconds));
  const j = ruleJudgement(context({}, creeping));
  assert.ok(
    j.evidence.some((e) => /^forecast: CPU reaches its limit in ~\d+ (min|s) \(confidence 0\.\d\d\)$/.test(e)),
    j.evidence.join('\n'),
  );
});

void test('ephemeral storage filling up gets an ephemeral_storage forecast, and the analysis names it', () => {
  const orders = fill.pods.filter((p) => p.pod.startsWith('orders-'));
  assert.ok(orders.length > 0);
  for (const p of orders) {
    const fc = p.forecasts?.find((f) => f.metric === 'ephemeral_storage');
    assert.ok(fc, `${p.pod}: ${JSON.stringify(p.forecasts)}`);
    assert.equal(fc.limit, 1024 * 1024 * 1024);
    // 2 MiB a tick from 60 MiB towards 1024 MiB: at tick 60 some 420 ticks (35 minutes) away
    assert.ok(Math.abs(fc.eta_seconds - 420 * 5) < 5 * 60, String(fc.eta_seconds));
    const j = ruleJudgement(context({}, p));
    assert.ok(
      j.evidence.some((e) => e.startsWith('forecast: ephemeral storage reaches its limit in ~')),
      j.evidence.join('\n'),
    );
  }
  assert.ok(
    fill.pods.filter((p) => !p.pod.startsWith('orders-')).every((p) => !p.forecasts?.some((f) => f.metric === 'ephemeral_storage')),
  );
});
