// Shared by the server tests: a data directory with the pipeline's files as their writers leave them
// (insights, analyses, audit log, heartbeats, a metrics CSV), and the server built on it in-process.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { appendJsonLine, writeJsonAtomic } from '../../lib/atomic-file.ts';
import { heartbeat, writeHeartbeat } from '../../lib/heartbeat.ts';
import { memoryLogger } from '../../lib/log.ts';
import { formatHeader, formatRows, METRIC_COLUMNS, newMetricRow } from '../../lib/metrics-csv.ts';
import { heartbeatPath, pipelineFile } from '../../lib/pipeline-files.ts';
import { AuditRecord, type PodAnalysis, type PodAnalysisFile, type PodInsights } from '../../lib/schemas.ts';
import { buildApp } from '../../server/app.ts';
import { PipelineState } from '../../server/pipeline-state.ts';

export const TOKEN = 'test-token-0123456789abcdef';

export function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'podsentinel-server-'));
}

export function insightsFile(
  pods: Array<{ namespace: string; pod: string; p: number; node?: string; workload?: string }>,
  at = new Date(),
): PodInsights {
  const ts = at.toISOString();
  return {
    generated_at: ts,
    model: { name: 'lstm', version: 'test', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: pods.length,
    rows_rejected: 0,
    pods: pods.map((x) => ({
      namespace: x.namespace,
      pod: x.pod,
      timestamp: ts,
      anomaly_probability: x.p,
      predicted_anomaly: x.p >= 0.7,
      anomaly_type: x.p >= 0.7 ? 'oom_risk' : 'none',
      contributing_metrics: [],
      since: x.p >= 0.7 ? ts : null,
      status: 'Running',
      ...(x.node ? { node: x.node } : {}),
      ...(x.workload ? { workload: x.workload } : {}),
      ...(x.p >= 0.7 ? { forecasts: [{ metric: 'memory' as const, limit: 536870912, eta_seconds: 600, confidence: 0.8 }] } : {}),
    })),
  };
}

export function analysis(namespace: string, pod: string, over: Partial<PodAnalysis> = {}): PodAnalysis {
  return {
    id: `an-${pod}`,
    namespace,
    pod,
    owner: { kind: 'Deployment', name: pod.replace(/-[a-z0-9]+-[a-z0-9]+$/, '') },
    detected_at: new Date().toISOString(),
    anomaly_probability: 0.93,
    anomaly_type: 'oom_risk',
    severity: 'high',
    root_cause: 'memory grows towards the limit',
    explanation: 'working set rose steadily',
    evidence: ['Memory Usage (%) 91'],
    recommended_actions: [{ action: 'restart_pod', params: { namespace, pod }, rationale: 'clears the leak', risk: 'low' }],
    source: { type: 'rules' },
    ...over,
  };
}

export function writeAnalyses(dir: string, analyses: PodAnalysis[], resolved: PodAnalysisFile['resolved'] = []): void {
  writeJsonAtomic(pipelineFile(dir, 'analysis'), { generated_at: new Date().toISOString(), analyses, resolved });
}

export function appendAudit(dir: string, r: Omit<AuditRecord, 'ts'> & { ts?: string }): void {
  appendJsonLine(pipelineFile(dir, 'audit'), AuditRecord.parse({ ts: new Date().toISOString(), ...r }));
}

export function writeFreshHeartbeats(dir: string): void {
  const csv = pipelineFile(dir, 'metrics');
  writeHeartbeat(heartbeatPath(csv, 'dataset-generator'), heartbeat('dataset-generator', { rows_total: 10, last_tick_ms: 5, pods: 2 }));
  writeHeartbeat(
    heartbeatPath(pipelineFile(dir, 'insights'), 'dataset-generator-agent'),
    heartbeat('dataset-generator-agent', { rows_read: 10, rows_rejected: 0, lag_bytes: 0, pods: 2, anomalies: 1 }),
  );
  writeHeartbeat(
    heartbeatPath(pipelineFile(dir, 'analysis'), 'anomaly-detection-agent'),
    heartbeat('anomaly-detection-agent', { open: 1, analysed_total: 1, llm_calls: 0, llm_failures: 0 }),
  );
}

/** A metrics CSV with `n` rows of one pod, a row every 5 s, memory rising. */
export function writeCsv(dir: string, namespace: string, pod: string, n: number, start = Date.now() - n * 5000): string[] {
  const rows = Array.from({ length: n }, (_, i) =>
    newMetricRow({
      timestamp: new Date(start + i * 5000).toISOString(),
      namespace,
      pod,
      node: 'node-a',
      status: 'Running',
      cpuPercent: 20 + i,
      memoryMb: 100 + i,
      memoryPercent: ((100 + i) / 512) * 100,
      netRxBytes: 1000,
      netTxBytes: 500,
      restarts: 0,
    }),
  );
  writeFileSync(pipelineFile(dir, 'metrics'), formatHeader(METRIC_COLUMNS) + formatRows(rows, METRIC_COLUMNS));
  return rows.map((r) => r.timestamp);
}

export async function startServer(dir: string): Promise<{ app: FastifyInstance; state: PipelineState; close: () => Promise<void> }> {
  const log = memoryLogger();
  const state = new PipelineState({ dataDir: dir, staleAfterSeconds: 30, log });
  state.start();
  const app = await buildApp({ state, tokens: [{ name: 'ops-alice', token: TOKEN }], log, sseHeartbeatSeconds: 1 });
  return {
    app,
    state,
    close: async () => {
      await app.close();
      await state.close();
    },
  };
}

export const auth = { authorization: `Bearer ${TOKEN}` };
