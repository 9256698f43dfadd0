// npm run bench:server — how long podsentinel-server takes for one page of GET /api/pods at N pods (default
// 150,000, the insights as the dataset agent writes them at that size: full entries for 1% anomalous pods,
// the rest in brief), through Fastify's inject (routing, validation, serialisation; no socket). Also the
// index rebuild per insights change. Prints one JSON line per query shape: median and p99 in ms.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { cli, helpShown, runIfMain } from '../../lib/cli.ts';
import { memoryLogger } from '../../lib/log.ts';
import { pipelineFile } from '../../lib/pipeline-files.ts';
import type { PodInsights } from '../../lib/schemas.ts';
import { buildApp } from '../../server/app.ts';
import { PipelineState } from '../../server/pipeline-state.ts';

function insights(n: number): PodInsights {
  const ts = new Date().toISOString();
  const full = Math.ceil(n / 100);
  return {
    generated_at: ts,
    model: { name: 'lstm', version: 'bench', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: n,
    rows_rejected: 0,
    pods: Array.from({ length: full }, (_, i) => ({
      namespace: `ns-${i % 50}`,
      pod: `anomalous-${i}`,
      timestamp: ts,
      anomaly_probability: 0.7 + (i % 30) / 100,
      predicted_anomaly: true,
      anomaly_type: 'oom_risk' as const,
      contributing_metrics: [],
      since: ts,
      node: `node-${i % 500}`,
      workload: `Deployment/app-${i % 2000}`,
    })),
    other_pods: Array.from(
      { length: n - full },
      (_, i) => [`ns-${i % 50}`, `pod-${i}`, ts, (i % 347) / 1000] as [string, string, string, number],
    ),
  };
}

const quantile = (xs: number[], q: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function main(argv: string[]): Promise<number> {
  const a = await cli('bench:server', argv, 'Times one page of GET /api/pods at --pods pods.')
    .option('pods', { type: 'number', default: 150_000, describe: 'Pods in the insights' })
    .option('requests', { type: 'number', default: 200, describe: 'Requests per query shape' })
    .parseAsync();
  if (helpShown(argv)) return 0;
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-bench-server-'));
  writeJsonAtomic(pipelineFile(dir, 'insights'), insights(a.pods));
  const log = memoryLogger();
  const state = new PipelineState({ dataDir: dir, staleAfterSeconds: 30, log });
  const t0 = performance.now();
  state.loadInsights();
  const rebuildMs = performance.now() - t0;
  const app = await buildApp({ state, tokens: [{ name: 'bench', token: 'bench-token-0123456789' }], log });
  process.stdout.write(JSON.stringify({ pods: a.pods, load_and_index_ms: Math.round(rebuildMs) }) + '\n');
  const shapes = [
    '/api/pods?limit=50',
    '/api/pods?sort=name&order=asc&offset=75000&limit=50',
    '/api/pods?anomalous=true&limit=50',
    '/api/pods?namespace=ns-7&sort=probability&order=asc&offset=1000&limit=50',
    '/api/pods?q=pod-1234&limit=50',
  ];
  for (const url of shapes) {
    for (let i = 0; i < 10; i++) await app.inject({ method: 'GET', url }); // warm-up
    const times: number[] = [];
    for (let i = 0; i < a.requests; i++) {
      const s = performance.now();
      const res = await app.inject({ method: 'GET', url });
      times.push(performance.now() - s);
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    }
    process.stdout.write(
      JSON.stringify({ url, median_ms: +quantile(times, 0.5).toFixed(2), p99_ms: +quantile(times, 0.99).toFixed(2) }) + '\n',
    );
  }
  await app.close();
  return 0;
}

runIfMain(import.meta.url, main);
