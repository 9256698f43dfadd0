// lib/metrics.ts and lib/metrics-server.ts: every declared series follows the Prometheus naming rules and
// has bounded labels; the endpoint serves /metrics only; scrape-time hooks; bounded label values.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  bounded,
  counterFrom,
  initMetrics,
  LLM_OUTCOMES,
  M,
  metricsRegistry,
  METRIC_PREFIX,
  onCollect,
  resetMetricsForTests,
} from '../../lib/metrics.ts';
import { serveMetrics, startMetrics } from '../../lib/metrics-server.ts';
import { main as collectorMain } from '../../collectors/dataset-generator.ts';
import { LlmClient } from '../../agents/analysis/llm-client.ts';
import { memoryLogger } from '../../lib/log.ts';
import { lintMetric } from '../helpers/metric-lint.ts';
import { startOpenAiServer, step } from '../helpers/openai-server.ts';

afterEach(() => resetMetricsForTests());

void describe('lib/metrics', () => {
  void it('declares every series with Prometheus names, base units, help and bounded labels', async () => {
    initMetrics('test');
    for (const get of Object.values(M)) get();
    const json = await metricsRegistry().getMetricsAsJSON();
    const ours = json.filter((m) => m.name.startsWith(METRIC_PREFIX));
    assert.equal(ours.length, Object.keys(M).length, 'one series per declaration');
    const problems = ours.flatMap((m) => {
      const metric = metricsRegistry().getSingleMetric(m.name) as unknown as { labelNames: string[] };
      return lintMetric({ name: m.name, type: String(m.type), help: m.help, labelNames: metric.labelNames });
    });
    assert.deepEqual(problems, []);
    // The lint itself catches what it must.
    assert.equal(lintMetric({ name: 'podsentinel_rows', type: 'counter', help: 'rows read by x', labelNames: [] }).length, 1);
    assert.equal(lintMetric({ name: 'podsentinel_lag_ms', type: 'gauge', help: 'lag of the agent', labelNames: ['pod'] }).length, 3);
  });

  void it('labels every series with its component, and a process exposes only the series it used', async () => {
    initMetrics('dataset-generator');
    M.rowsRead().inc(3);
    const text = await metricsRegistry().metrics();
    assert.match(text, /^podsentinel_rows_read_total\{component="dataset-generator"\} 3$/m);
    assert.doesNotMatch(text, /podsentinel_llm_requests_total/);
    assert.match(text, /^process_cpu_seconds_total\{component="dataset-generator"\}/m, 'Node.js process metrics too');
  });

  void it('copies running totals into counters at scrape time (counterFrom, onCollect)', async () => {
    initMetrics('test');
    let total = 10;
    const hook = counterFrom(() => total, M.rowsScored);
    const remove = onCollect(hook);
    const { server, close } = await startMetrics('test', { port: 0 });
    try {
      const url = `http://127.0.0.1:${server!.port}/metrics`;
      total = 25;
      assert.match(await (await fetch(url)).text(), /^podsentinel_rows_scored_total\{component="test"\} 15$/m, 'counted from the baseline');
      total = 30;
      assert.match(await (await fetch(url)).text(), /^podsentinel_rows_scored_total\{component="test"\} 20$/m);
    } finally {
      remove();
      await close();
    }
  });

  void it('serves GET /metrics on loopback in the exposition format, 404 elsewhere, 405 for other methods', async () => {
    initMetrics('test');
    M.llmRequests().inc({ outcome: 'ok' });
    const server = await serveMetrics(0);
    try {
      assert.equal(server.host, '127.0.0.1');
      const base = `http://127.0.0.1:${server.port}`;
      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.match(text, /^# TYPE podsentinel_llm_requests_total counter$/m);
      assert.match(text, /^podsentinel_llm_requests_total\{outcome="ok",component="test"\} 1$/m);
      assert.equal((await fetch(`${base}/`)).status, 404);
      assert.equal((await fetch(`${base}/metrics/x`)).status, 404);
      assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
    }
  });

  void it('reports a port that cannot be bound as an error naming it', async () => {
    const first = await serveMetrics(0);
    try {
      await assert.rejects(startMetrics('test', { port: first.port }), new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${first.port}`));
    } finally {
      await first.close();
    }
  });

  void it('folds label values outside the known set into "other"', () => {
    assert.equal(bounded('timeout', LLM_OUTCOMES), 'timeout');
    assert.equal(bounded('something new', LLM_OUTCOMES), 'other');
  });

  void it('--metrics-port takes a port number, refused as a usage error otherwise', async () => {
    for (const bad of ['70000', '-1', '1.5'])
      await assert.rejects(collectorMain(['--once', '--metrics-port', bad]), /--metrics-port must be a port number 0\.\.65535/);
  });

  void it('counts each LLM request attempt by outcome, with its duration', async () => {
    initMetrics('anomaly-detection-agent');
    const server = await startOpenAiServer({ model: 'm' }, [
      step.status(500),
      step.json({ ok: true }),
      step.status(400, undefined, 'bad request'),
    ]);
    try {
      const llm = new LlmClient({
        baseURL: server.baseURL,
        model: 'm',
        apiKey: 'k',
        timeoutMs: 3000,
        maxRetries: 1,
        concurrency: 1,
        callsPerMinute: 100,
        maxRetryWaitMs: 1000,
        backoff: { initialMs: 5, maxMs: 10 },
        logger: memoryLogger('llm'),
      });
      await llm.complete([{ role: 'user', content: 'x' }]); // a 500, retried, then a reply
      await assert.rejects(llm.complete([{ role: 'user', content: 'x' }])); // a 400: not retried
      const text = await metricsRegistry().metrics();
      for (const [outcome, n] of [
        ['ok', 1],
        ['server_error', 1],
        ['http_error', 1],
      ] as const) {
        assert.match(
          text,
          new RegExp(`^podsentinel_llm_requests_total\\{outcome="${outcome}",component="anomaly-detection-agent"\\} ${n}$`, 'm'),
        );
        assert.match(
          text,
          new RegExp(
            `^podsentinel_llm_request_duration_seconds_count\\{component="anomaly-detection-agent",outcome="${outcome}"\\} ${n}$`,
            'm',
          ),
        );
      }
    } finally {
      await server.close();
    }
  });
});
