// podsentinel-server: the pipeline's HTTP API and the dashboard. Reads the pipeline files (insights,
// analyses, audit log, heartbeats, decisions), serves them as JSON and server-sent events, and takes two
// kinds of writes: decisions on remediation proposals (files in the decisions directory that run-remediation
// carries out) and Alertmanager notifications (alert_requests.jsonl, investigated by the anomaly agent).
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { untilStopped } from '../lib/file-watch.ts';
import { createLogger, type Level } from '../lib/log.ts';
import { checkMetricsPort, checkPositive, METRICS_OPTIONS } from '../lib/options.ts';
import { startMetrics } from '../lib/metrics-server.ts';
import { guardedStdio } from '../lib/stdio.ts';
import { buildApp } from './app.ts';
import { loadTokens, TOKEN_ENV, TOKEN_NAME_ENV } from './auth.ts';
import { SERVER_OPTIONS } from './options.ts';
import { PipelineState } from './pipeline-state.ts';

const COMMAND = 'podsentinel-server';

const DESCRIPTION = [
  'Serves the pipeline state as an HTTP API (JSON, server-sent events, OpenAPI at /openapi.json) and the dashboard.',
  'Reads need no token. Writes (POST: a decision on a remediation proposal, an Alertmanager notification) need Authorization: Bearer <token> and, from a browser, this server’s own origin.',
  `Tokens: ${TOKEN_ENV} (its name from ${TOKEN_NAME_ENV}, default "api"), and/or --token-file (lines name:token). Without either, a token is generated and printed once in the dashboard URL (http://host:port/#token=...).`,
  'A decision is written to <data-dir>/decisions/; run-remediation (the only executor and the only audit-log writer) carries it out with the same policy, dry run and verification as an answer at the terminal.',
].join('\n\n');

function parse(argv: string[]) {
  return cli(COMMAND, argv, DESCRIPTION).options(SERVER_OPTIONS).options(METRICS_OPTIONS);
}

export async function main(argv: string[]): Promise<number> {
  const a = await parse(argv).parseAsync();
  if (helpShown(argv)) return 0;
  const port = a.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0-65535');
  checkPositive('stale-after', a['stale-after']);
  checkMetricsPort(a['metrics-port']);
  const { tokens, generated } = loadTokens(a['token-file']);
  const log = createLogger(COMMAND, { dir: a['log-dir'], level: a['log-level'] as Level, console: 'none' });
  const metrics = await startMetrics(COMMAND, { port: a['metrics-port'], host: a['metrics-host'] }, log);
  const state = new PipelineState({ dataDir: a['data-dir'], staleAfterSeconds: a['stale-after'], log });
  state.start();
  const app = await buildApp({ state, tokens, log, ...(a['dev-build-dir'] ? { devBuildDir: a['dev-build-dir'] } : {}) });
  try {
    await app.listen({ host: a.host, port });
  } catch (err) {
    await state.close();
    await metrics.close();
    throw new Error(`cannot listen on ${a.host}:${port}: ${(err as Error).message}`, { cause: err });
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = a.host.includes(':') ? `[${a.host}]` : a.host === '0.0.0.0' ? '127.0.0.1' : a.host;
  const base = `http://${shownHost}:${actualPort}`;
  const out = guardedStdio().out;
  out.write(`${COMMAND} ready url=${base}/ data-dir=${a['data-dir']} tokens=${tokens.map((t) => t.name).join(',')}\n`);
  // The generated token is shown once, in the URL fragment (never sent to a server, never logged).
  if (generated) out.write(`Dashboard: ${base}/#token=${tokens[0]!.token}\n`);
  log.info('listening', { url: base, tokens: tokens.map((t) => t.name), generated });
  const why = await untilStopped();
  log.info('stopping', { why });
  await app.close();
  await state.close();
  await metrics.close();
  return 0;
}

runIfMain(import.meta.url, main);
