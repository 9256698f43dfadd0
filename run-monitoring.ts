// run-monitoring: the orchestrator. Starts the collector and the agents as supervised child
// processes (and, with --demo, the simulated cluster first), shows a live status, and runs the
// approval step on the terminal when an analysis recommends an action.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, helpShown, runIfMain, UsageError } from './lib/cli.ts';
import { createLogger } from './lib/log.ts';
import { guardedStdio } from './lib/stdio.ts';
import {
  alertThresholdOption,
  checkNonNegative,
  checkPositive,
  checkMetricsPort,
  checkUnitInterval,
  confidenceThresholdOption,
  dataDirOption,
  METRICS_OPTIONS,
} from './lib/options.ts';
import { PIPELINE_FILE_NAMES, pipelineFile } from './lib/pipeline-files.ts';
import { COLLECTOR_OPTIONS } from './collectors/options.ts';
import type { Mode } from './orchestrator/child-specs.ts';
import { InstanceLockedError } from './orchestrator/lock.ts';
import type { MonitorConfig } from './orchestrator/monitor.ts';
import { runMonitoring } from './orchestrator/monitor-run.ts';
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT } from './server/options.ts';
import { NOTIFY_FORMATS, WEBHOOKS_ENV, type NotifyFormat } from './agents/notification/options.ts';

const ROOT = dirname(fileURLToPath(import.meta.url));
/** The simulated cluster's default tick (its --tick-seconds). */
const SIM_TICK_SECONDS = 5;

export function parseArgs(argv: string[]) {
  return cli(
    'run-monitoring',
    argv,
    'Runs the whole pipeline: collector → dataset-generator agent (LSTM scoring) → anomaly-detection agent → approval prompt.\n' +
      'Each part is a supervised child process (restarted with backoff), logging to <log-dir>/<child>.out.log.',
  )
    .option('prometheus-url', { type: 'string', describe: 'Prometheus base URL (with --source prometheus)' })
    .option('namespace', { type: 'string', describe: 'Namespace to watch (default: all namespaces)' })
    .option('generator-interval', {
      type: 'number',
      describe: 'Seconds between collection ticks (default 5; with --demo one simulated tick, 5/speed)',
    })
    .option('output-file', { type: 'string', describe: `Metrics CSV (default: <data-dir>/${PIPELINE_FILE_NAMES.metrics})` })
    .option('watch-interval', { type: 'number', describe: 'Seconds between agent cycles (default 10; with --demo 2)' })
    .option('alert-threshold', alertThresholdOption('Alert score (0..1) at which a pod becomes anomalous and an alert is raised'))
    .option('source', { choices: ['k8s', 'prometheus'] as const, default: 'k8s' as const, describe: 'Where the collector reads metrics' })
    .option('kubeconfig', { type: 'string', describe: 'Kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster)' })
    .option('shard-group', COLLECTOR_OPTIONS['shard-group'])
    .option('shard-identity', COLLECTOR_OPTIONS['shard-identity'])
    .option('shard-namespace', COLLECTOR_OPTIONS['shard-namespace'])
    .option('lease-duration', COLLECTOR_OPTIONS['lease-duration'])
    .option('data-dir', { ...dataDirOption, describe: `${dataDirOption.describe} (one run-monitoring per directory)` })
    .option('generator-only', { type: 'boolean', default: false, describe: 'Run only the collector' })
    .option('dataset-agent-only', { type: 'boolean', default: false, describe: 'Run only the dataset-generator agent' })
    .option('anomaly-agent-only', { type: 'boolean', default: false, describe: 'Run only the anomaly-detection agent' })
    .option('no-remediation', { type: 'boolean', default: false, describe: 'Do not run the approval step' })
    .option('remediation-dry-run', {
      type: 'boolean',
      default: false,
      describe: 'Approval step in --dry-run mode (shows and records, changes nothing)',
    })
    .option('confidence-threshold', confidenceThresholdOption('Approval step: only analyses at or above this anomaly probability'))
    .option('verify-delay', {
      type: 'number',
      describe: 'Approval step: seconds after an action before verifying it (default 60; with --demo 150/speed, at least 20)',
    })
    .option('demo', { type: 'boolean', default: false, describe: 'Start the simulated cluster and point everything at it' })
    .option('scenario', { type: 'string', default: 'demo', describe: 'Simulated cluster scenario (with --demo)' })
    .option('speed', {
      type: 'number',
      default: 5,
      describe: 'Simulated time speed-up (with --demo; 5 = one 5-second tick per second, an hour in 12 minutes)',
    })
    .option('seed', { type: 'number', describe: 'Simulated cluster random seed (with --demo)' })
    .option('no-llm', { type: 'boolean', default: false, describe: 'Anomaly agent uses its rules only, no LLM' })
    .option('llm-model', { type: 'string', describe: 'LLM model for the anomaly agent' })
    .option('llm-base-url', { type: 'string', describe: 'OpenAI-compatible base URL for the anomaly agent' })
    .option('scores-file', { type: 'string', describe: 'Have the dataset-generator agent record every scored row here (audits, tests)' })
    .option('status-interval', { type: 'number', default: 30, describe: 'Seconds between status lines when stdout is not a terminal' })
    .option('stop-timeout', { type: 'number', default: 10, describe: 'Seconds to wait for children after SIGTERM before SIGKILL' })
    .option('max-crashes', {
      type: 'number',
      default: 5,
      describe: 'A child crashing this many times within --crash-window is given up on',
    })
    .option('crash-window', { type: 'number', default: 120, describe: 'Seconds (see --max-crashes)' })
    .options(METRICS_OPTIONS)
    .option('http-port', {
      type: 'number',
      describe: `Start podsentinel-server (API and dashboard) on this port and print the dashboard URL (default off; with --demo ${DEFAULT_HTTP_PORT} or the next free port; 0 = off)`,
    })
    .option('http-host', {
      type: 'string',
      default: DEFAULT_HTTP_HOST,
      describe: 'Address podsentinel-server listens on (with --http-port or --demo)',
    })
    .option('alertmanager-url', { type: 'string', describe: 'Run the notification agent: open anomalies as alerts to this Alertmanager' })
    .option('notify-webhook', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: `Run the notification agent: messages to this webhook (repeatable; also ${WEBHOOKS_ENV}, comma-separated)`,
    })
    .option('notify-webhooks', { type: 'string', hidden: true, describe: `Webhook URLs, comma-separated (use ${WEBHOOKS_ENV})` })
    .option('notify-format', { choices: NOTIFY_FORMATS, default: 'slack' as NotifyFormat, describe: 'Notification agent: webhook body' })
    .option('cluster-name', { type: 'string', describe: 'Notification agent: cluster name in alerts and messages (default "default")' })
    .parserConfiguration({ 'boolean-negation': false });
}

/** --http-port N: that port; none: off, except --demo (8080 or the next free one); 0: off. */
function httpFrom(port: number | undefined, host: string, demo: boolean): MonitorConfig['http'] {
  if (port === undefined) return demo ? { host, port: DEFAULT_HTTP_PORT, exactPort: false } : null;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--http-port must be an integer 0-65535');
  return port === 0 ? null : { host, port, exactPort: true };
}

export function configFrom(argv: string[]): MonitorConfig | null {
  const a = parseArgs(argv).parseSync();
  if (helpShown(argv)) return null;
  const only = [
    a['generator-only'] && 'generator',
    a['dataset-agent-only'] && 'dataset-agent',
    a['anomaly-agent-only'] && 'anomaly-agent',
  ].filter(Boolean) as Mode[];
  if (only.length > 1) throw new UsageError('choose at most one of --generator-only, --dataset-agent-only, --anomaly-agent-only');
  const positive = checkPositive;
  checkUnitInterval('alert-threshold', a['alert-threshold']);
  checkUnitInterval('confidence-threshold', a['confidence-threshold']);
  if (a['verify-delay'] !== undefined) checkNonNegative('verify-delay', a['verify-delay']);
  // Before the defaults derived from it (5/speed s per tick): --speed 0 is about --speed, not Infinity.
  positive('speed', a.speed);
  if (a.source === 'prometheus' && !a['prometheus-url'] && !a.demo) throw new UsageError('--source prometheus needs --prometheus-url');
  const dataDir = resolve(a['data-dir']);
  return {
    root: ROOT,
    mode: only[0] ?? 'all',
    dataDir,
    logDir: resolve(a['log-dir']),
    logLevel: a['log-level'],
    outputFile: resolve(a['output-file'] ?? pipelineFile(dataDir, 'metrics')),
    source: a.source,
    namespace: a.namespace,
    kubeconfig: a.kubeconfig,
    prometheusUrl: a['prometheus-url'],
    // In the demo the collector samples once per simulated tick (5 s of simulated time), the spacing
    // the default model was trained on, whatever the speed.
    generatorInterval: positive('generator-interval', a['generator-interval'] ?? (a.demo ? Math.max(0.2, SIM_TICK_SECONDS / a.speed) : 5)),
    watchInterval: positive('watch-interval', a['watch-interval'] ?? (a.demo ? 2 : 10)),
    alertThreshold: a['alert-threshold'],
    noLlm: a['no-llm'],
    llmModel: a['llm-model'] || undefined,
    llmBaseUrl: a['llm-base-url'] || undefined,
    scoresFile: a['scores-file'],
    shard:
      a['shard-group'] !== undefined
        ? { group: a['shard-group'], identity: a['shard-identity'], namespace: a['shard-namespace'], leaseDuration: a['lease-duration'] }
        : undefined,
    demo: a.demo ? { scenario: a.scenario, speed: positive('speed', a.speed), seed: a.seed } : null,
    remediation: !a['no-remediation'],
    remediationDryRun: a['remediation-dry-run'],
    confidenceThreshold: a['confidence-threshold'],
    verifyDelay: a['verify-delay'] ?? (a.demo ? Math.max(20, Math.round(150 / a.speed)) : 60),
    configFile: typeof a.config === 'string' ? resolve(a.config) : undefined,
    statusInterval: positive('status-interval', a['status-interval']),
    stopTimeout: positive('stop-timeout', a['stop-timeout']),
    metrics: a['metrics-port'] !== undefined ? { port: checkMetricsPort(a['metrics-port'])!, host: a['metrics-host'] } : undefined,
    http: httpFrom(a['http-port'], a['http-host'], a.demo),
    notify: {
      alertmanagerUrl: a['alertmanager-url'] || undefined,
      webhooks: [...a['notify-webhook'], ...(a['notify-webhooks'] ?? '').split(',')].map((u) => u.trim()).filter(Boolean),
      format: a['notify-format'],
      clusterName: a['cluster-name'],
    },
    supervisor: {
      maxCrashes: positive('max-crashes', a['max-crashes']),
      crashWindowMs: positive('crash-window', a['crash-window']) * 1000,
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const stdio = guardedStdio();
  let cfg: MonitorConfig | null;
  try {
    cfg = configFrom(argv);
  } catch (err) {
    // Handled here too, for the bin launcher (which calls main without runIfMain's error handling).
    if (!(err instanceof UsageError)) throw err;
    stdio.err.write(`error: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (!cfg) return 0;
  // The webhook URLs are secrets and now in cfg.notify: only the notification agent gets them, in its own
  // environment; the other children inherit an environment without them.
  delete process.env[WEBHOOKS_ENV];
  const log = createLogger('run-monitoring', { dir: cfg.logDir, level: cfg.logLevel as 'info', console: 'none' });
  // The first SIGINT/SIGTERM stops gracefully. Ctrl-C reaches this process twice (from the terminal and
  // relayed by npm), so a repeat within a second is the same request; a later one SIGKILLs the
  // children, and a third exits at once.
  let first = 0;
  let repeats = 0;
  let resolveStop: (s: string) => void = () => {};
  let resolveForce: () => void = () => {};
  const stopSignal = new Promise<string>((r) => (resolveStop = r));
  const forceStop = new Promise<void>((r) => (resolveForce = r));
  const onSignal = (sig: NodeJS.Signals) => {
    const now = Date.now();
    if (!first) {
      first = now;
      resolveStop(sig);
      return;
    }
    if (now - first < 1000) return;
    repeats++;
    if (repeats === 1) {
      stdio.err.write(`\n${sig} again: killing the children now (once more exits at once)\n`);
      resolveForce();
    } else process.exit(130);
  };
  // SIGHUP too: the terminal went away, and the children (own process groups) would not hear of it.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  // Nobody reads the output any more (`| head` exited, the terminal closed): a monitor that cannot be
  // seen stops, cleanly, children first; a pipeline's other commands expect no less.
  stdio.out.onClosed((code) => {
    log.warn('stdout closed; stopping', { code });
    resolveStop(`output closed, ${code}`);
  });
  try {
    return await runMonitoring(cfg, { out: stdio.out, log, stopSignal, forceStop });
  } catch (err) {
    if (err instanceof InstanceLockedError) {
      stdio.err.write(`error: ${err.message}\n`);
      return 3;
    }
    throw err;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
}

runIfMain(import.meta.url, main);
