// notification-agent's options: declared here, apart from the command, so run-monitoring can build the
// agent's command line from them without loading the agent.
import { COMMON_OPTIONS, dataDirOption, toArgv, type ArgvValues } from '../../lib/options.ts';
import { PIPELINE_FILE_NAMES } from '../../lib/pipeline-files.ts';

export const NOTIFY_FORMATS = ['slack', 'json'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];
/** Webhook URLs from the environment, comma-separated (secrets: kept out of command lines). */
export const WEBHOOKS_ENV = 'PODSENTINEL_NOTIFY_WEBHOOKS';

export const NOTIFY_OPTIONS = {
  'data-dir': dataDirOption,
  'insights-file': { type: 'string', describe: `Insights to watch (default <data-dir>/${PIPELINE_FILE_NAMES.insights})` },
  'analysis-file': { type: 'string', describe: `Analyses to watch (default <data-dir>/${PIPELINE_FILE_NAMES.analysis})` },
  'audit-file': { type: 'string', describe: `Audit log to tail (default <data-dir>/${PIPELINE_FILE_NAMES.audit})` },
  'state-file': {
    type: 'string',
    describe: `Episode state and outbox; this agent is its only writer (default <data-dir>/${PIPELINE_FILE_NAMES.notifyState})`,
  },
  'alertmanager-url': { type: 'string', describe: 'Alertmanager base URL (alerts go to {url}/api/v2/alerts)' },
  'alertmanager-resend': { type: 'number', default: 60, describe: 'Seconds between re-sends of the open alerts to Alertmanager' },
  'notify-webhook': {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: `Webhook URL (repeatable; a secret: prefer ${WEBHOOKS_ENV} or --notify-webhook-file)`,
  },
  // The environment's form (PODSENTINEL_NOTIFY_WEBHOOKS, comma-separated); declared so yargs accepts it.
  'notify-webhooks': { type: 'string', hidden: true, describe: `Webhook URLs, comma-separated (use ${WEBHOOKS_ENV})` },
  'notify-webhook-file': { type: 'string', describe: 'File of webhook URLs, one per line (# comments)' },
  'notify-format': {
    choices: NOTIFY_FORMATS,
    default: 'slack' as NotifyFormat,
    describe: 'Webhook body: Slack incoming-webhook or JSON event',
  },
  'cluster-name': { type: 'string', default: 'default', describe: 'Cluster name in every alert and message (part of the episode key)' },
  'notify-cooldown': {
    type: 'number',
    default: 600,
    describe: 'Seconds after an episode resolves before the same key can open a new episode',
  },
  'notify-group-window': {
    type: 'number',
    default: 10,
    describe: 'Seconds to gather pods of one workload going anomalous together into one message',
  },
  'outbox-max': { type: 'number', default: 1000, describe: 'Undelivered webhook messages kept at most (oldest dropped beyond)' },
  'retry-max-ms': { type: 'number', default: 60_000, describe: 'Longest wait between delivery retries to one target' },
  'request-timeout-ms': { type: 'number', default: 10_000, describe: 'Timeout of one HTTP request to a target' },
  interval: { type: 'number', default: 1, describe: 'Seconds between checks of the input files (grouping windows, resends)' },
} as const;

const ALL = { ...NOTIFY_OPTIONS, ...COMMON_OPTIONS };
export type NotifyAgentArgv = ArgvValues<typeof ALL>;

/** The agent's command line from typed values (run-monitoring). */
export function notifyAgentArgv(values: NotifyAgentArgv): string[] {
  return toArgv(ALL, values);
}
