// The metrics as Prometheus sees them: the real /usr/bin/prometheus scrapes run-monitoring --demo's
// pipeline endpoint (its own series and its children's, merged over IPC) and a standalone
// dataset-generator-agent's --metrics-port; the HTTP API then returns our series with every component, and
// the names and labels Prometheus recorded pass the naming lint.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { MetricsCsvWriter } from '../../lib/metrics-csv.ts';
import { MonitorSession } from '../helpers/e2e-support.ts';
import { lintMetric } from '../helpers/metric-lint.ts';
import { syntheticTicks } from '../helpers/synthetic-rows.ts';

const PROMETHEUS = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function api<T>(base: string, path: string): Promise<T | null> {
  try {
    const res = await fetch(`${base}${path}`);
    const body = (await res.json()) as { status: string; data: T };
    return body.status === 'success' ? body.data : null;
  } catch {
    return null; // Prometheus still starting
  }
}

const query = (base: string, q: string) => api<{ result: Sample[] }>(base, `/api/v1/query?query=${encodeURIComponent(q)}`);

async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  diag: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diag()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

void test('Prometheus scrapes the pipeline endpoint of run-monitoring and a standalone agent', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-prom-'));
  const [pipelinePort, agentPort, promPort] = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  let promLog = '';
  let agentLog = '';
  const session = MonitorSession.start(['--demo', '--speed', '20', '--no-llm', '--no-remediation', '--metrics-port', String(pipelinePort)]);
  try {
    // A standalone agent following a CSV of 4 pods × 60 ticks.
    const csv = join(dir, 'agent', 'pod_metrics.csv');
    mkdirSync(join(dir, 'agent'), { recursive: true });
    const w = MetricsCsvWriter.open(csv, []);
    w.append(syntheticTicks(0, 60, { pods: 4, shiftAt: 40 }));
    w.close();
    const agent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve('agents/dataset-generator-agent.ts'),
        ...['--input-file', csv, '--insights-file', join(dir, 'agent', 'pod_insights.json')],
        ...['--checkpoint-file', join(dir, 'agent', 'checkpoint.json'), '--log-dir', join(dir, 'agent-logs')],
        ...['--from-start', '--interval', '1', '--metrics-port', String(agentPort)],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(agent);
    agent.stdout!.on('data', (d: Buffer) => (agentLog += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentLog += d.toString()));

    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }',
        'scrape_configs:',
        `  - { job_name: pipeline, static_configs: [ { targets: ['127.0.0.1:${pipelinePort}'] } ] }`,
        `  - { job_name: agent, static_configs: [ { targets: ['127.0.0.1:${agentPort}'] } ] }`,
        '',
      ].join('\n'),
    );
    const prom = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(prom);
    prom.stderr!.on('data', (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4000)));
    const base = `http://127.0.0.1:${promPort}`;
    const diag = () => `--- prometheus\n${promLog.slice(-1500)}\n--- agent\n${agentLog.slice(-1500)}\n${session.diagnostics()}`;

    // Every pipeline process shows up under the one run-monitoring target, told apart by `component`: the
    // pipeline's own series, and for the dashboard server (no request yet, so no request series) its process series.
    const components = ['run-monitoring', 'dataset-generator', 'dataset-generator-agent', 'anomaly-detection-agent'];
    await until(
      'series of every pipeline component',
      async () => {
        const r = await query(base, 'count by (component) ({job="pipeline", __name__=~"podsentinel_.+"})');
        const seen = new Set(r?.result.map((s) => s.metric.component));
        const server = await query(base, 'process_cpu_seconds_total{job="pipeline", component="podsentinel-server"}');
        return components.every((c) => seen.has(c)) && (server?.result.length ?? 0) > 0;
      },
      150_000,
      diag,
    );
    const rows = await until(
      'rows scored in the pipeline',
      async () => {
        const r = await query(base, 'podsentinel_rows_scored_total{job="pipeline", component="dataset-generator-agent"}');
        const v = Number(r?.result[0]?.value[1] ?? 0);
        return v > 0 && v;
      },
      60_000,
      diag,
    );
    assert.ok(rows > 0);
    const written = await query(base, 'podsentinel_collector_rows_written_total{job="pipeline"}');
    assert.ok(Number(written?.result[0]?.value[1]) > 0, 'the collector counts the rows it appends');
    const up = await query(base, 'podsentinel_child_up{job="pipeline", component="run-monitoring"}');
    assert.deepEqual(up?.result.map((s) => s.metric.child).sort(), [
      'anomaly-detection-agent',
      'dataset-generator',
      'dataset-generator-agent',
      'podsentinel-server',
      'podsentinel-sim',
    ]);
    await until(
      'a quantile of the collector tick duration',
      async () => {
        const r = await query(
          base,
          'histogram_quantile(0.9, rate(podsentinel_collector_tick_duration_seconds_bucket{job="pipeline"}[30s]))',
        );
        return r?.result.length === 1 && Number(r.result[0]!.value[1]) > 0;
      },
      30_000,
      diag,
    );

    // The standalone agent, on its own port: every row of its file scored, its component named.
    await until(
      'the standalone agent to score its 240 rows',
      async () => {
        const r = await query(base, 'podsentinel_rows_scored_total{job="agent"}');
        return r?.result[0]?.value[1] === '240' && r.result[0].metric.component === 'dataset-generator-agent';
      },
      60_000,
      diag,
    );
    const lag = await query(base, 'podsentinel_agent_lag_seconds{job="agent"}');
    assert.ok(Number(lag?.result[0]?.value[1]) >= 0, 'the agent reports its lag');

    // The naming rules hold for what Prometheus recorded: types from its metadata, labels from its series.
    const meta = await api<Record<string, Array<{ type: string; help: string }>>>(base, '/api/v1/metadata');
    const series = await api<Array<Record<string, string>>>(
      base,
      `/api/v1/series?match[]=${encodeURIComponent('{__name__=~"podsentinel_.+"}')}`,
    );
    assert.ok(meta && series && series.length > 0);
    const labels = new Map<string, Set<string>>();
    for (const s of series) {
      const family = s.__name__!.replace(/_(bucket|sum|count)$/, (m) => (meta[s.__name__!] ? m : ''));
      const set = labels.get(family) ?? new Set<string>();
      for (const l of Object.keys(s)) if (!['__name__', 'job', 'instance', 'component', 'le'].includes(l)) set.add(l);
      labels.set(family, set);
    }
    const problems: string[] = [];
    for (const [name, set] of labels) {
      const m = meta[name]?.[0];
      assert.ok(m, `Prometheus has metadata for ${name}`);
      problems.push(...lintMetric({ name, type: m.type, help: m.help, labelNames: [...set] }));
    }
    assert.deepEqual(problems, []);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    try {
      assert.equal(await session.stop(), 0);
    } finally {
      session.forceKill();
    }
  }
});
