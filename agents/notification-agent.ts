// notification-agent: tells people about anomalies where they already look. Follows pod_insights.json,
// pod_analysis.json and the remediation audit log, and sends one message per episode and step (open,
// analysis, verified remediation, resolved) to Slack or JSON webhooks, and open alerts to Alertmanager.
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { untilStopped, watchFile } from '../lib/file-watch.ts';
import { createLogger } from '../lib/log.ts';
import { checkMetricsPort, checkNonNegative, checkPositive, METRICS_OPTIONS } from '../lib/options.ts';
import { startMetrics } from '../lib/metrics-server.ts';
import { collectNotifyMetrics } from './notification/metrics.ts';
import { heartbeatPath, pipelineFile } from '../lib/pipeline-files.ts';
import { NotificationAgent } from './notification/agent.ts';
import { NOTIFY_OPTIONS, WEBHOOKS_ENV } from './notification/options.ts';
import { safeUrlLabel, webhookTargets } from './notification/targets.ts';

const COMMAND = 'notification-agent';

const ENV_HELP = [
  '',
  'Environment:',
  `  ${WEBHOOKS_ENV}`,
  '      Webhook URLs, comma-separated (added to --notify-webhook). URLs are secrets: only their',
  '      scheme and host are ever logged.',
  '  PODSENTINEL_<OPTION_NAME>',
  '      Any option, e.g. PODSENTINEL_ALERTMANAGER_URL=http://alertmanager:9093.',
  '  PODSENTINEL_CONFIG     config file (as --config)',
  '  PODSENTINEL_LOG_LEVEL  log level (as --log-level)',
].join('\n');

function parse(argv: string[]) {
  return cli(COMMAND, argv, 'Sends anomaly episodes to Alertmanager and Slack/JSON webhooks, once per step, without duplicates.')
    .options(NOTIFY_OPTIONS)
    .options(METRICS_OPTIONS)
    .epilogue(ENV_HELP)
    .check((a) => {
      checkMetricsPort(a['metrics-port']);
      checkPositive('alertmanager-resend', a['alertmanager-resend']);
      checkNonNegative('notify-cooldown', a['notify-cooldown']);
      checkNonNegative('notify-group-window', a['notify-group-window']);
      checkPositive('outbox-max', a['outbox-max']);
      checkPositive('retry-max-ms', a['retry-max-ms']);
      checkPositive('request-timeout-ms', a['request-timeout-ms']);
      checkPositive('interval', a.interval);
      if (a['alertmanager-url'] !== undefined && !URL.canParse(a['alertmanager-url']))
        throw new UsageError(`--alertmanager-url is not a URL (${safeUrlLabel(a['alertmanager-url'])})`);
      return true;
    });
}

type AgentArgs = Awaited<ReturnType<ReturnType<typeof parse>['parseAsync']>>;

export async function main(argv: string[]): Promise<number> {
  const a = await parse(argv).parseAsync();
  if (helpShown(argv)) return 0;
  return run(a);
}

/** The agent with parsed options: follows the pipeline's files until a signal. */
export async function run(a: AgentArgs): Promise<number> {
  const webhooks = webhookTargets(a['notify-webhook'], a['notify-webhooks'], a['notify-webhook-file']);
  const alertmanagerUrl = a['alertmanager-url'] || undefined;
  if (!webhooks.length && !alertmanagerUrl)
    throw new UsageError(`nothing to notify: give --alertmanager-url, --notify-webhook, --notify-webhook-file or ${WEBHOOKS_ENV}`);
  const log = createLogger(COMMAND, { dir: a['log-dir'] as string, level: a['log-level'] as 'debug' | 'info' | 'warn' | 'error' });
  const dir = a['data-dir'];
  const insightsFile = a['insights-file'] ?? pipelineFile(dir, 'insights');
  const analysisFile = a['analysis-file'] ?? pipelineFile(dir, 'analysis');
  const auditFile = a['audit-file'] ?? pipelineFile(dir, 'audit');
  const agent = new NotificationAgent({
    insightsFile,
    analysisFile,
    auditFile,
    stateFile: a['state-file'] ?? pipelineFile(dir, 'notifyState'),
    heartbeatFile: heartbeatPath(insightsFile, COMMAND),
    cluster: a['cluster-name'],
    alertmanagerUrl,
    resendMs: a['alertmanager-resend'] * 1000,
    webhooks,
    format: a['notify-format'],
    cooldownMs: a['notify-cooldown'] * 1000,
    groupWindowMs: a['notify-group-window'] * 1000,
    outboxMax: a['outbox-max'],
    retryMaxMs: a['retry-max-ms'],
    timeoutMs: a['request-timeout-ms'],
    log,
  });

  // One check loop: the insights watch runs it, the other inputs only prompt it, so checks never overlap;
  // every --interval it also runs to close grouping windows and re-send to Alertmanager.
  const onError = (err: unknown) => log.error('check failed', { error: err as Error });
  const onWatchError = (err: unknown) => log.warn('watch error', { reason: String(err) });
  const main = watchFile(insightsFile, { run: async () => agent.cycle(), everySeconds: a.interval, onError, onWatchError });
  const others = [analysisFile, auditFile].map((f) => watchFile(f, { run: async () => main.trigger(), runAtStart: false, onWatchError }));
  const stopCollect = collectNotifyMetrics(agent.counters, a['notify-format']);
  const metrics = await startMetrics(COMMAND, { port: a['metrics-port'], host: a['metrics-host'] }, log);
  agent.beat();
  const beat = setInterval(() => agent.beat(), 5_000);
  log.info('watching', {
    insights: insightsFile,
    alertmanager: alertmanagerUrl ? safeUrlLabel(alertmanagerUrl) : null,
    webhooks: webhooks.map((w) => w.label),
    format: a['notify-format'],
    cluster: a['cluster-name'],
  });

  const sig = await untilStopped(['SIGINT', 'SIGTERM']);
  log.info(`${sig}: stopping`);
  clearInterval(beat);
  for (const w of others) await w.close();
  await main.close();
  await agent.close();
  agent.beat('stopped');
  stopCollect();
  await metrics.close();
  return 0;
}

runIfMain(import.meta.url, main);
