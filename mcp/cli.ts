// podsentinel-mcp: podsentinel's data and analysis as Model Context Protocol tools, over stdio (default)
// or Streamable HTTP (--http-port). Read-only unless --allow-write, and even then it only queues
// approvals: run-remediation executes them and writes the audit log.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { untilStopped } from '../lib/file-watch.ts';
import { createLogger, type Level, type Logger } from '../lib/log.ts';
import { checkMetricsPort, checkPositive, METRICS_OPTIONS } from '../lib/options.ts';
import { startMetrics } from '../lib/metrics-server.ts';
import { pipelineFile } from '../lib/pipeline-files.ts';
import { guardedStdio } from '../lib/stdio.ts';
import { API_KEY_ENV, llmClientFromEnv, type LlmClient } from '../agents/analysis/llm-client.ts';
import { ANOMALY_AGENT_OPTIONS } from '../agents/analysis/options.ts';
import { DEFAULT_RULES } from '../agents/analysis/rules.ts';
import { loadPolicy, PolicyError } from '../remediation/config.ts';
import { lazyClients, type McpContext } from './context.ts';
import { startHttp } from './http.ts';
import { MCP_OPTIONS } from './options.ts';
import { createMcpServer } from './server.ts';

const COMMAND = 'podsentinel-mcp';

const DESCRIPTION = [
  "Serves podsentinel's pipeline files and analysis as MCP tools for assistants (Claude Desktop, VS Code, ...): list_anomalies, get_pod, get_analysis, explain_pod, propose_remediation; with --allow-write also apply_remediation, which queues an approval that run-remediation executes and audits.",
  'Transport: stdio by default; --http-port N serves Streamable HTTP at http://127.0.0.1:N/mcp.',
  'Environment: NVIDIA_API_KEY | OPENAI_API_KEY | LLM_API_KEY for explain_pod (as anomaly-detection-agent; never logged); KUBECONFIG when --kubeconfig is not given.',
].join('\n\n');

function parse(argv: string[]) {
  return cli(COMMAND, argv, DESCRIPTION).options(MCP_OPTIONS).options(METRICS_OPTIONS);
}
type Args = Awaited<ReturnType<ReturnType<typeof parse>['parseAsync']>>;

function makeLlm(a: Args, log: Logger): LlmClient | null {
  if (!a.llm) return null;
  const llm = llmClientFromEnv({
    baseURL: a['llm-base-url'],
    model: a['llm-model'],
    timeoutMs: a['llm-timeout-ms'],
    maxRetries: a['llm-max-retries'],
    concurrency: ANOMALY_AGENT_OPTIONS['llm-concurrency'].default,
    callsPerMinute: ANOMALY_AGENT_OPTIONS['llm-calls-per-minute'].default,
    logger: log.child('llm'),
  });
  if (!llm) log.info(`no API key in ${API_KEY_ENV.join(', ')}: explain_pod uses the rule-based analyser`);
  return llm?.client ?? null;
}

/** The tools' context from the checked options. */
export function contextFrom(a: Args, log: Logger): McpContext {
  const dataDir = a['data-dir'];
  const applyTimeout = checkPositive('apply-timeout', a['apply-timeout']);
  const maxItems = Math.floor(checkPositive('max-items', a['max-items']));
  if (a['min-replicas'] < 0 || a['max-replicas'] < a['min-replicas']) throw new UsageError('need 0 <= --min-replicas <= --max-replicas');
  let loaded;
  try {
    loaded = loadPolicy({ policyFile: a.policy, configFile: a.config as string | undefined });
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(err.message);
    throw err;
  }
  const protectedNamespaces = [...new Set([...loaded.policy.protectedNamespaces, ...a['protected-namespace'].map(String)])];
  const metrics = a['input-file'] ?? pipelineFile(dataDir, 'metrics');
  return {
    paths: {
      insights: a['insights-file'] ?? pipelineFile(dataDir, 'insights'),
      analysis: a['analysis-file'] ?? pipelineFile(dataDir, 'analysis'),
      metrics,
      audit: a['audit-file'] ?? pipelineFile(dataDir, 'audit'),
      decisions: pipelineFile(dataDir, 'decisions'),
    },
    kubeconfig: a.kubeconfig,
    analyser: {
      llm: makeLlm(a, log),
      guard: { protectedNamespaces, minReplicas: a['min-replicas'], maxReplicas: a['max-replicas'], maxRaiseFactor: 4 },
      rules: { ...DEFAULT_RULES, maxReplicas: a['max-replicas'] },
      maskNames: a['mask-names'],
      logger: log.child('analysis'),
    },
    contextOptions: { csvPath: metrics, logLines: a['log-lines'], maxEvents: 5, timeoutMs: a['kube-timeout-ms'] },
    policy: loaded.policy,
    policySource: loaded.source,
    protectedNamespaces,
    maxItems,
    allowWrite: a['allow-write'],
    clientName: a['client-name'],
    applyTimeoutMs: applyTimeout * 1000,
    log,
    clients: lazyClients(a.kubeconfig),
  };
}

export async function main(argv: string[]): Promise<number> {
  const a = await parse(argv).parseAsync();
  if (helpShown(argv)) return 0;
  const port = a['http-port'];
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new UsageError(`--http-port must be a port number (got ${port})`);
  checkMetricsPort(a['metrics-port']);
  const log = createLogger(COMMAND, { dir: a['log-dir'] as string, level: a['log-level'] as Level, console: 'none' });
  const ctx = contextFrom(a, log);
  // Its own /metrics port (never stdout, the protocol channel in stdio mode).
  const metrics = await startMetrics(COMMAND, { port: a['metrics-port'], host: a['metrics-host'] }, log);
  const info = {
    data_dir: a['data-dir'],
    allow_write: ctx.allowWrite,
    policy: ctx.policySource,
    llm: ctx.analyser.llm ? ctx.analyser.llm.model : 'rules',
  };
  const stop = new AbortController();
  // Listening for signals before the ready line: whoever reads it may stop the server at once.
  const stopped = untilStopped(['SIGINT', 'SIGTERM', 'SIGHUP'], stop.signal);

  if (port !== undefined) {
    const host = a['http-host'];
    if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
      // No authentication of its own: beyond loopback it belongs behind an authenticating proxy.
      const warning = `podsentinel-mcp: ${host} is not a loopback address and MCP requests are not authenticated${ctx.allowWrite ? ' (apply_remediation is enabled)' : ''}; put an authenticating proxy in front\n`;
      process.stderr.write(warning);
      log.warn('serving beyond loopback without authentication', { host, allow_write: ctx.allowWrite });
    }
    const http = await startHttp(ctx, host, port);
    guardedStdio().out.write(
      `podsentinel-mcp: Streamable HTTP at ${http.url}${ctx.allowWrite ? ' (apply_remediation enabled)' : ' (read-only)'}\n`,
    );
    log.info('serving Streamable HTTP', { url: http.url, ...info });
    const why = await stopped;
    log.info(`${why}: stopping`);
    await http.close();
    await metrics.close();
    return 0;
  }

  // stdio: stdout is the protocol channel, so nothing else may be written to it.
  const server = createMcpServer(ctx);
  const transport = new StdioServerTransport();
  transport.onclose = () => stop.abort();
  process.stdin.once('end', () => stop.abort()); // the client went away
  await server.connect(transport);
  process.stderr.write(`podsentinel-mcp: serving on stdio${ctx.allowWrite ? ' (apply_remediation enabled)' : ' (read-only)'}\n`);
  log.info('serving stdio', info);
  const why = await stopped;
  log.info(`${why === 'abort' ? 'client closed the connection' : why}: stopping`);
  await server.close().catch(() => undefined);
  await metrics.close();
  return 0;
}

runIfMain(import.meta.url, main);
