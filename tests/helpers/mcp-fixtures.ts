// Shared by the MCP tests: a data directory holding hand-written pipeline files about the simulated
// cluster's live pods (insights with a forecast, metric rows, an analysis with two actions, an audit trail
// for the first), and an MCP client speaking to podsentinel-mcp over stdio or Streamable HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { METRIC_COLUMNS, formatHeader, formatRows, newMetricRow } from '../../lib/metrics-csv.ts';
import type { AuditRecord, PodAnalysisFile, PodInsights } from '../../lib/schemas.ts';
import type { SimHandle } from '../../sim/index.ts';
import { act, analysisFor, podOf, tempDir } from './remediation-fixtures.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface McpData {
  dir: string;
  dataDir: string;
  analysisId: string;
  namespace: string;
  pod: string;
  /** A normal pod of the cluster (no insight entry of its own is anomalous). */
  normalPod: string;
}

/** A data directory about the shop/web pod: anomalous insight with a memory forecast, six metric rows, an analysis. */
export function writeMcpData(sim: SimHandle, deployment = 'web'): McpData {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const pod = podOf(sim, 'shop', deployment);
  const normal = podOf(sim, 'shop', 'search');
  const now = Date.now();
  const insights: PodInsights = {
    generated_at: new Date(now).toISOString(),
    model: { name: 'lstm', version: 'test', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: 12,
    rows_rejected: 0,
    pods: [
      {
        namespace: 'shop',
        pod: pod.name,
        timestamp: new Date(now).toISOString(),
        anomaly_probability: 0.93,
        predicted_anomaly: true,
        anomaly_type: 'oom_risk',
        contributing_metrics: [{ metric: 'Memory Usage (MB)', value: 480, expected: 210, deviation: 4.2 }],
        since: new Date(now - 300_000).toISOString(),
        node: pod.node ?? 'node-a',
        workload: deployment,
        forecasts: [{ metric: 'memory', limit: 536870912, eta_seconds: 900, confidence: 0.8 }],
      },
      {
        namespace: 'shop',
        pod: normal.name,
        timestamp: new Date(now).toISOString(),
        anomaly_probability: 0.05,
        predicted_anomaly: false,
        anomaly_type: 'none',
        contributing_metrics: [],
        since: null,
      },
    ],
  };
  writeJsonAtomic(join(dataDir, 'pod_insights.json'), insights);
  const rows = Array.from({ length: 6 }, (_, i) =>
    newMetricRow({
      timestamp: new Date(now - (6 - i) * 60_000).toISOString(),
      namespace: 'shop',
      pod: pod.name,
      node: pod.node ?? 'node-a',
      status: 'Running',
      memoryMb: 300 + i * 30,
      memoryPercent: 58 + i * 6,
      cpuPercent: 20,
      restarts: 0,
    }),
  );
  writeFileSync(join(dataDir, 'pod_metrics.csv'), formatHeader(METRIC_COLUMNS) + formatRows(rows, METRIC_COLUMNS));
  const analysis = analysisFor(pod, [
    act('restart_pod', { namespace: 'shop', pod: pod.name }),
    act('scale', { namespace: 'shop', kind: 'Deployment', name: deployment, replicas: 50 }),
  ]);
  const file: PodAnalysisFile = {
    generated_at: new Date(now).toISOString(),
    analyses: [analysis] as PodAnalysisFile['analyses'],
    resolved: [],
  };
  writeJsonAtomic(join(dataDir, 'pod_analysis.json'), file);
  // What run-remediation would have recorded for the first action without a terminal: proposal, dry run, pending.
  const base = {
    analysis_id: analysis.id,
    action: 'restart_pod',
    params: { namespace: 'shop', pod: pod.name },
    namespace: 'shop',
    pod: pod.name,
    user: 'ci',
  };
  const audit: AuditRecord[] = [
    { ...base, ts: new Date(now - 60_000).toISOString(), event: 'proposal', result: 'proposed' },
    { ...base, ts: new Date(now - 59_000).toISOString(), event: 'dry_run', result: 'ok', detail: { summary: 'dry run accepted' } },
    { ...base, ts: new Date(now - 58_000).toISOString(), event: 'pending', result: 'pending' },
  ];
  writeFileSync(join(dataDir, 'remediation_history.jsonl'), audit.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { dir, dataDir, analysisId: analysis.id, namespace: 'shop', pod: pod.name, normalPod: normal.name };
}

/** podsentinel-mcp's command line for a data directory (rules only, an empty config, logs in the temp dir). */
export function mcpArgs(data: McpData, sim: SimHandle, extra: string[] = []): string[] {
  const config = join(data.dir, 'podsentinel.json');
  writeFileSync(config, '{}');
  return [
    '--data-dir',
    data.dataDir,
    '--kubeconfig',
    sim.kubeconfigPath,
    '--config',
    config,
    '--log-dir',
    join(data.dir, 'logs'),
    '--no-llm',
    ...extra,
  ];
}

/** The test's environment without LLM keys (rules only), plus `extra`. */
export const CHILD_ENV = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, NVIDIA_API_KEY: '', OPENAI_API_KEY: '', LLM_API_KEY: '', ...extra };
};

/** An SDK client connected over stdio to `node --import tsx mcp/cli.ts <args>`. */
export async function stdioClient(args: string[], name = 'podsentinel-test', env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'mcp', 'cli.ts'), ...args],
    cwd: ROOT,
    env: CHILD_ENV(env),
    stderr: 'ignore',
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return client;
}

export interface HttpServerChild {
  url: string;
  child: ChildProcess;
  /** SIGTERM; resolves with the exit code, or the signal's name when a signal ended it. */
  stop(): Promise<number | string>;
}

/** podsentinel-mcp --http-port 0 as a child; resolves with the URL it prints. */
export function startHttpServer(args: string[]): Promise<HttpServerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'mcp', 'cli.ts'), ...args, '--http-port', '0'], {
    cwd: ROOT,
    env: CHILD_ENV(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
  let out = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`podsentinel-mcp printed no URL within 60 s: ${out}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+\/mcp)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveStart({
          url: m[1]!,
          child,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`podsentinel-mcp exited (${code}) before serving: ${out}`));
    });
  });
}

export async function httpClient(url: string, name = 'podsentinel-http-test'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** The text of a tool answer. */
export function textOf(r: unknown): string {
  const content = (r as CallToolResult).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

/** A successful tool answer's JSON; fails with the text when the tool answered an error. */
export function jsonOf<T = Record<string, unknown>>(r: unknown): T {
  if ((r as CallToolResult).isError) throw new Error(`tool error: ${textOf(r)}`);
  return JSON.parse(textOf(r)) as T;
}
