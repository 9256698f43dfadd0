// Support for the notification agent's tests: hand-written pipeline files (insights, analyses, audit
// lines), a local webhook receiver that can go down and come back on the same port, the agent as a real
// process, and a real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendJsonLine, writeJsonAtomic } from '../../lib/atomic-file.ts';
import type { NotifyEvent } from '../../agents/notification/events.ts';
import type { AuditRecord, PodAnalysis, PodAnalysisFile, PodInsight, PodInsights } from '../../lib/schemas.ts';

export const AGENT = join(import.meta.dirname, '..', '..', 'agents', 'notification-agent.ts');

export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// ---- Pipeline files ----

export function anomalousPod(pod: string, over: Partial<PodInsight> = {}): PodInsight {
  return {
    namespace: 'shop',
    pod,
    timestamp: new Date().toISOString(),
    anomaly_probability: 0.93,
    predicted_anomaly: true,
    anomaly_type: 'oom_risk',
    contributing_metrics: [{ metric: 'Memory Usage (%)', value: 91, expected: 40, deviation: 5 }],
    since: new Date().toISOString(),
    workload: 'shop/Deployment/payments',
    forecasts: [{ metric: 'memory', limit: 536870912, eta_seconds: 360, confidence: 0.9 }],
    ...over,
  };
}

export function normalPod(pod: string, over: Partial<PodInsight> = {}): PodInsight {
  return anomalousPod(pod, {
    anomaly_probability: 0.05,
    predicted_anomaly: false,
    anomaly_type: 'none',
    since: null,
    forecasts: [],
    ...over,
  });
}

export function insightsOf(pods: PodInsight[]): PodInsights {
  return {
    generated_at: new Date().toISOString(),
    model: { name: 'lstm', version: 'test', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: 10,
    rows_rejected: 0,
    pods,
  };
}

export function leakAnalysis(pod: string, over: Partial<PodAnalysis> = {}): PodAnalysis {
  return {
    id: `anomaly-shop-${pod}`,
    namespace: 'shop',
    pod,
    owner: { kind: 'Deployment', name: 'payments' },
    detected_at: new Date().toISOString(),
    anomaly_probability: 0.93,
    anomaly_type: 'oom_risk',
    severity: 'high',
    root_cause: 'Memory grows steadily towards the limit (leak).',
    explanation: 'Working set rose 3 MB per minute for an hour.',
    evidence: ['Memory Usage (%) 91'],
    recommended_actions: [{ action: 'restart_pod', params: { namespace: 'shop', pod }, rationale: 'frees the leaked memory', risk: 'low' }],
    source: { type: 'rules' },
    ...over,
  };
}

export function auditRecord(analysis: PodAnalysis, event: AuditRecord['event'], result: string): AuditRecord {
  return {
    ts: new Date().toISOString(),
    event,
    analysis_id: analysis.id,
    action: 'restart_pod',
    params: { namespace: analysis.namespace, pod: analysis.pod },
    namespace: analysis.namespace,
    pod: analysis.pod,
    user: 'alice',
    result,
    ...(event === 'execution' ? { detail: { summary: `deleted pod ${analysis.namespace}/${analysis.pod}` } } : {}),
  };
}

export class PipelineDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'notify-'));
  readonly insights = join(this.dir, 'pod_insights.json');
  readonly analysis = join(this.dir, 'pod_analysis.json');
  readonly audit = join(this.dir, 'remediation_history.jsonl');
  readonly logs = join(this.dir, 'logs');

  writeInsights(pods: PodInsight[]): void {
    writeJsonAtomic(this.insights, insightsOf(pods));
  }
  writeAnalyses(analyses: PodAnalysis[], resolved: PodAnalysisFile['resolved'] = []): void {
    writeJsonAtomic(this.analysis, { generated_at: new Date().toISOString(), analyses, resolved });
  }
  /** An applied remediation and its verification, as run-remediation writes them. */
  remediate(analysis: PodAnalysis, verified: 'RESOLVED' | 'FAILED' = 'RESOLVED'): void {
    appendJsonLine(this.audit, auditRecord(analysis, 'execution', 'ok'));
    appendJsonLine(this.audit, auditRecord(analysis, 'verification', verified));
  }
  executed(analysis: PodAnalysis): void {
    appendJsonLine(this.audit, auditRecord(analysis, 'execution', 'ok'));
  }
  verified(analysis: PodAnalysis): void {
    appendJsonLine(this.audit, auditRecord(analysis, 'verification', 'RESOLVED'));
  }
}

// ---- A webhook receiver ----

export interface Received {
  path: string;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
}

export class WebhookReceiver {
  readonly messages: Received[] = [];
  private server: Server | null = null;
  port = 0;

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.up();
    return r;
  }

  /** Listens (again, on the same port after the first time). */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (d: Buffer) => (data += d.toString()));
      req.on('end', () => {
        const key = req.headers['idempotency-key'];
        this.messages.push({ path: req.url ?? '', idempotencyKey: typeof key === 'string' ? key : undefined, body: JSON.parse(data) });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening: connections are refused until up() again. */
  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  url(path = '/hooks/T000/B000/secret-token'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The JSON events received (with --notify-format json), in order. */
  events(): NotifyEvent[] {
    return this.messages.map((m) => m.body as NotifyEvent);
  }

  kinds(): string[] {
    return this.events().map((e) => e.kind);
  }
}

// ---- The agent as a process ----

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PODSENTINEL_')) env[k] = v;
  return { ...env, ...extra };
}

export class AgentProcess {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  private stderr = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
    this.child = spawn(process.execPath, ['--import', 'tsx', AGENT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exit = new Promise((resolve) => this.child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  }

  output(): string {
    return this.stderr;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exit;
  }
}

/** The agent's arguments for a pipeline directory, quick settings for tests. */
export function agentArgs(p: PipelineDir, extra: string[]): string[] {
  return [
    '--data-dir',
    p.dir,
    '--log-dir',
    p.logs,
    '--interval',
    '0.2',
    '--notify-group-window',
    '0.5',
    '--retry-max-ms',
    '500',
    '--cluster-name',
    'test-cluster',
    ...extra,
  ];
}

// ---- A real Alertmanager ----

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export class Alertmanager {
  readonly proc: ChildProcess;
  readonly url: string;
  private out = '';

  private constructor(port: number, dir: string) {
    const config = join(dir, 'alertmanager.yml');
    // A route to a receiver with no integrations: the alerts are kept and listed, nothing is sent.
    writeFileSync(config, 'route:\n  receiver: "null"\n  group_wait: 1s\nreceivers:\n  - name: "null"\n');
    this.url = `http://127.0.0.1:${port}`;
    this.proc = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static async start(): Promise<Alertmanager> {
    return Alertmanager.startOn(await freePort());
  }

  /** Another Alertmanager on the port of `url` (one that was stopped). */
  static async startAt(url: string): Promise<Alertmanager> {
    return Alertmanager.startOn(Number(new URL(url).port));
  }

  private static async startOn(port: number): Promise<Alertmanager> {
    const am = new Alertmanager(port, mkdtempSync(join(tmpdir(), 'alertmanager-')));
    await until(async () => {
      if (am.proc.exitCode !== null) throw new Error(`alertmanager exited: ${am.out}`);
      return fetch(`${am.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    }, 'Alertmanager ready');
    return am;
  }

  /** GET /api/v2/alerts (active=true: only firing ones). */
  async alerts(
    activeOnly = true,
  ): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>> {
    const r = await fetch(`${this.url}/api/v2/alerts?active=${activeOnly}&silenced=true&inhibited=true&unprocessed=true`);
    return (await r.json()) as never;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}
