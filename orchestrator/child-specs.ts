// Which children run-monitoring starts, and with which flags: the one place that knows the command
// lines of the simulated cluster, the collector, the two agents, the HTTP server and the approval step. The pipeline's
// command lines are built from each command's own option declarations (toArgv), so a renamed flag
// fails tsc here.
import { dirname, join, resolve } from 'node:path';
import type { ChildSpec } from './supervisor.ts';
import {
  childLogFile,
  pipelineFile,
  pipelineHeartbeat,
  pipelineFiles as pipelineFilesIn,
  type PipelineFiles,
} from '../lib/pipeline-files.ts';
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_ARGS } from '../agents/dataset-generator/node-args.ts';
import { tunablesEnv } from '../lib/glibc-tunables.ts';
import { COLLECTOR_NODE_ARGS } from '../collectors/node-args.ts';
import { datasetAgentArgv } from '../agents/dataset-generator/options.ts';
import { anomalyAgentArgv } from '../agents/analysis/options.ts';
import { collectorArgv } from '../collectors/options.ts';
import { remediationArgv } from '../remediation/options.ts';
import { serverArgv } from '../server/options.ts';
import { TOKEN_ENV, TOKEN_NAME_ENV } from '../server/auth.ts';
import { notifyAgentArgv, WEBHOOKS_ENV, type NotifyFormat } from '../agents/notification/options.ts';
import type { LogLevel } from '../lib/options.ts';

export type Mode = 'all' | 'generator' | 'dataset-agent' | 'anomaly-agent';

export interface PipelineOptions {
  /** Project root: where the command modules live. */
  root: string;
  mode: Mode;
  dataDir: string;
  logDir: string;
  logLevel: LogLevel;
  outputFile: string;
  source: 'k8s' | 'prometheus';
  namespace: string | undefined;
  kubeconfig: string | undefined;
  prometheusUrl: string | undefined;
  generatorInterval: number;
  watchInterval: number;
  alertThreshold: number;
  noLlm: boolean;
  /** The anomaly agent's LLM, when not its defaults. */
  llmModel?: string | undefined;
  llmBaseUrl?: string | undefined;
  scoresFile: string | undefined;
  /** --shard-group and its settings: the collector keeps only this replica's workloads (lib/shard-membership.ts). */
  shard?: { group: string; identity: string | undefined; namespace: string | undefined; leaseDuration: number } | undefined;
  /** Config file passed on to every child (its own section applies there). */
  configFile?: string | undefined;
  /** The notification agent's targets; it runs (mode all) when there is one. */
  notify?: NotifyOptions | undefined;
}

export interface NotifyOptions {
  alertmanagerUrl: string | undefined;
  /** Secrets: handed to the child in its environment, never on its command line. */
  webhooks: string[];
  format: NotifyFormat;
  clusterName: string | undefined;
}

export type { PipelineFiles };

export function pipelineFiles(o: Pick<PipelineOptions, 'dataDir' | 'outputFile'>): PipelineFiles {
  return pipelineFilesIn(o.dataDir, o.outputFile);
}

export interface SupervisedChild {
  spec: ChildSpec;
  /** Heartbeat file, when the child writes one. */
  heartbeat: string | undefined;
  /** A heartbeat older than this is stale. */
  staleAfterMs: number;
}

const common = (o: PipelineOptions) => ({
  'log-dir': resolve(o.logDir),
  'log-level': o.logLevel,
  config: o.configFile ? resolve(o.configFile) : undefined,
});
const kube = (o: Pick<PipelineOptions, 'kubeconfig'>) => (o.kubeconfig ? resolve(o.kubeconfig) : undefined);
const logFile = (o: PipelineOptions, name: string) => ({ logFile: childLogFile(o.logDir, name) });
// Stale after three missed beats, never sooner than 15 s (model loading, a slow API call).
const staleAfter = (intervalS: number) => Math.max(15_000, intervalS * 3_000);
/** Hung (killed and restarted by the supervisor) after six missed beats, never sooner than 60 s. */
export const hungAfterMs = (intervalS: number): number => Math.max(60_000, intervalS * 6_000);

export function collectorChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild {
  const args = collectorArgv({
    source: o.source,
    interval: o.generatorInterval,
    'output-file': files.csv,
    kubeconfig: kube(o),
    ...(o.namespace ? { namespace: o.namespace } : { 'all-namespaces': true }),
    'prometheus-url': o.prometheusUrl,
    ...shardArgs(o),
    ...common(o),
  });
  return {
    spec: {
      name: 'dataset-generator',
      script: join(o.root, 'collectors/dataset-generator.ts'),
      nodeArgs: COLLECTOR_NODE_ARGS,
      args,
      output: logFile(o, 'dataset-generator'),
      cwd: o.root,
      // No hung check: it beats only after a successful collection, so it would be killed while it waits
      // out an unreachable source.
    },
    heartbeat: pipelineHeartbeat(files, 'dataset-generator'),
    staleAfterMs: staleAfter(o.generatorInterval),
  };
}

export function datasetAgentChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild {
  const args = datasetAgentArgv({
    'input-file': files.csv,
    'insights-file': files.insights,
    interval: o.watchInterval,
    'alert-threshold': o.alertThreshold,
    // Its checkpoint lives with the data it describes, so a restart resumes where the last one stopped.
    'checkpoint-file': resolve(pipelineFile(o.dataDir, 'datasetCheckpoint')),
    'scores-file': o.scoresFile ? resolve(o.scoresFile) : undefined,
    ...common(o),
  });
  return {
    spec: {
      name: 'dataset-generator-agent',
      script: join(o.root, 'agents/dataset-generator-agent.ts'),
      nodeArgs: AGENT_NODE_ARGS,
      env: tunablesEnv(AGENT_GLIBC_TUNABLES),
      args,
      output: logFile(o, 'dataset-generator-agent'),
      cwd: o.root,
      heartbeat: { file: pipelineHeartbeat(files, 'dataset-generator-agent'), hungAfterMs: hungAfterMs(o.watchInterval) },
    },
    heartbeat: pipelineHeartbeat(files, 'dataset-generator-agent'),
    staleAfterMs: staleAfter(o.watchInterval),
  };
}

export function anomalyAgentChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild {
  const args = anomalyAgentArgv({
    'insights-file': files.insights,
    'analysis-file': files.analysis,
    'input-file': files.csv,
    interval: o.watchInterval,
    kubeconfig: kube(o),
    llm: o.noLlm ? false : undefined,
    'llm-model': o.llmModel,
    'llm-base-url': o.llmBaseUrl,
    ...common(o),
  });
  return {
    spec: {
      name: 'anomaly-detection-agent',
      script: join(o.root, 'agents/anomaly-detection-agent.ts'),
      args,
      output: logFile(o, 'anomaly-detection-agent'),
      cwd: o.root,
      heartbeat: { file: pipelineHeartbeat(files, 'anomaly-detection-agent'), hungAfterMs: hungAfterMs(o.watchInterval) },
    },
    heartbeat: pipelineHeartbeat(files, 'anomaly-detection-agent'),
    staleAfterMs: staleAfter(o.watchInterval),
  };
}

/** The notification agent, when a target is configured. */
export function notificationChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild | null {
  const n = o.notify;
  if (!n || (!n.alertmanagerUrl && !n.webhooks.length)) return null;
  const args = notifyAgentArgv({
    'insights-file': files.insights,
    'analysis-file': files.analysis,
    'audit-file': files.audit,
    'state-file': resolve(pipelineFile(o.dataDir, 'notifyState')),
    'alertmanager-url': n.alertmanagerUrl,
    'notify-format': n.format,
    'cluster-name': n.clusterName,
    ...common(o),
  });
  const heartbeat = pipelineHeartbeat(files, 'notification-agent');
  return {
    spec: {
      name: 'notification-agent',
      script: join(o.root, 'agents/notification-agent.ts'),
      args,
      ...(n.webhooks.length ? { env: { [WEBHOOKS_ENV]: n.webhooks.join(',') } } : {}),
      output: logFile(o, 'notification-agent'),
      cwd: o.root,
      // It beats every 5 s whatever its targets do (deliveries never hold up its loop).
      heartbeat: { file: heartbeat, hungAfterMs: hungAfterMs(5) },
    },
    heartbeat,
    staleAfterMs: staleAfter(5),
  };
}

/** The shard settings, the same for the collector and the approval step (it acts only on its replica's pods). */
function shardArgs(o: Pick<PipelineOptions, 'shard'>) {
  return o.shard
    ? {
        'shard-group': o.shard.group,
        'shard-identity': o.shard.identity,
        'shard-namespace': o.shard.namespace,
        'lease-duration': o.shard.leaseDuration,
      }
    : {};
}

/** What the approval step needs beyond the pipeline's options. */
export interface RemediationStepOptions {
  confidenceThreshold: number;
  verifyDelay: number;
  dryRun: boolean;
}

/** run-remediation's command line for one approval step (--once, on the pipeline's files). */
export function remediationStepArgv(
  o: Pick<PipelineOptions, 'kubeconfig' | 'logDir' | 'configFile' | 'shard'> & RemediationStepOptions,
  files: PipelineFiles,
): string[] {
  return remediationArgv({
    once: true,
    // The decisions inbox and the feedback log sit in the data directory, beside the analysis file.
    'data-dir': dirname(files.analysis),
    'confidence-threshold': o.confidenceThreshold,
    'verify-delay': o.verifyDelay,
    'analysis-file': files.analysis,
    'insights-file': files.insights,
    'audit-file': files.audit,
    kubeconfig: kube(o),
    'log-dir': resolve(o.logDir),
    config: o.configFile ? resolve(o.configFile) : undefined,
    'dry-run': o.dryRun || undefined,
    ...shardArgs(o),
  });
}

/** The long-running children of a mode (remediation is run separately, on the terminal). */
export function pipelineChildren(o: PipelineOptions): SupervisedChild[] {
  const files = pipelineFiles(o);
  switch (o.mode) {
    case 'generator':
      return [collectorChild(o, files)];
    case 'dataset-agent':
      return [datasetAgentChild(o, files)];
    case 'anomaly-agent':
      return [anomalyAgentChild(o, files)];
    default: {
      const notify = notificationChild(o, files);
      return [collectorChild(o, files), datasetAgentChild(o, files), anomalyAgentChild(o, files), ...(notify ? [notify] : [])];
    }
  }
}

export interface SimOptions {
  root: string;
  dataDir: string;
  logDir: string;
  scenario: string;
  speed: number;
  seed: number | undefined;
}

export function simChild(o: SimOptions): { spec: ChildSpec; kubeconfigOut: string; logFile: string } {
  const kubeconfigOut = resolve(pipelineFile(o.dataDir, 'simKubeconfig'));
  const logFile = childLogFile(o.logDir, 'podsentinel-sim');
  const args = [
    '--port',
    '0',
    '--metrics-port',
    '0',
    '--kubeconfig-out',
    kubeconfigOut,
    '--scenario',
    o.scenario,
    '--speed',
    String(o.speed),
    '--log-dir',
    resolve(o.logDir),
  ];
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  return {
    spec: {
      name: 'podsentinel-sim',
      script: join(o.root, 'sim/cli.ts'),
      args,
      output: { logFile },
      cwd: o.root,
      // A restarted simulator would listen on a new port with a new CA: report its death instead.
      restart: 'never',
    },
    kubeconfigOut,
    logFile,
  };
}

/** Parses the simulator's ready line: `podsentinel-sim ready api=URL metrics=URL kubeconfig=PATH`. */
export function parseSimReady(text: string): { api: string; metrics: string | undefined; kubeconfig: string } | null {
  for (const line of text.split('\n')) {
    if (!line.includes('podsentinel-sim ready')) continue;
    const field = (k: string) => new RegExp(`\\b${k}=(\\S+)`).exec(line)?.[1];
    const api = field('api');
    const kubeconfig = field('kubeconfig');
    if (api && kubeconfig) return { api, metrics: field('metrics'), kubeconfig };
  }
  return null;
}

/** The HTTP API and dashboard (--http-port; on by default with --demo). */
export interface ServerChildOptions {
  root: string;
  dataDir: string;
  logDir: string;
  logLevel: LogLevel;
  host: string;
  port: number;
  /** The write token, handed over in the environment (never on a command line that `ps` shows). */
  token: string;
  configFile?: string | undefined;
}

export function serverChild(o: ServerChildOptions): SupervisedChild {
  const args = serverArgv({
    'data-dir': resolve(o.dataDir),
    host: o.host,
    port: o.port,
    'log-dir': resolve(o.logDir),
    'log-level': o.logLevel,
    config: o.configFile ? resolve(o.configFile) : undefined,
  });
  return {
    spec: {
      name: 'podsentinel-server',
      script: join(o.root, 'server/cli.ts'),
      args,
      env: { [TOKEN_ENV]: o.token, [TOKEN_NAME_ENV]: process.env[TOKEN_NAME_ENV] || 'dashboard' },
      output: { logFile: childLogFile(o.logDir, 'podsentinel-server') },
      cwd: o.root,
    },
    heartbeat: undefined,
    staleAfterMs: 0,
  };
}
