// Which children run-monitoring starts, and with which flags: the one place that knows the command
// lines of the simulated cluster, the collector and the two agents.
import { join, resolve } from 'node:path';
import type { ChildSpec } from './supervisor.ts';
import { AGENT_NODE_ARGS } from '../agents/dataset-generator/node-args.ts';

export type Mode = 'all' | 'generator' | 'dataset-agent' | 'anomaly-agent';

export interface PipelineOptions {
  /** Project root: where the command modules live. */
  root: string;
  mode: Mode;
  dataDir: string;
  logDir: string;
  logLevel: string;
  outputFile: string;
  source: 'k8s' | 'prometheus';
  namespace: string | undefined;
  kubeconfig: string | undefined;
  prometheusUrl: string | undefined;
  generatorInterval: number;
  watchInterval: number;
  alertThreshold: number;
  noLlm: boolean;
  llmArgs: string[];
  scoresFile: string | undefined;
  /** Config file passed on to every child (its own section applies there). */
  configFile?: string | undefined;
}

export interface PipelineFiles {
  csv: string;
  insights: string;
  analysis: string;
  audit: string;
}

export function pipelineFiles(o: Pick<PipelineOptions, 'dataDir' | 'outputFile'>): PipelineFiles {
  return {
    csv: resolve(o.outputFile),
    insights: resolve(o.dataDir, 'pod_insights.json'),
    analysis: resolve(o.dataDir, 'pod_analysis.json'),
    audit: resolve(o.dataDir, 'remediation_history.jsonl'),
  };
}

/** A child's heartbeat file: `.heartbeat-<name>.json` beside the file it writes. */
export function heartbeatPath(outputFile: string, name: string): string {
  return join(resolve(outputFile, '..'), `.heartbeat-${name}.json`);
}

export interface SupervisedChild {
  spec: ChildSpec;
  /** Heartbeat file, when the child writes one. */
  heartbeat: string | undefined;
  /** A heartbeat older than this is stale. */
  staleAfterMs: number;
}

const common = (o: PipelineOptions): string[] => [
  '--log-dir', resolve(o.logDir),
  '--log-level', o.logLevel,
  ...(o.configFile ? ['--config', resolve(o.configFile)] : []),
];
const kube = (o: PipelineOptions): string[] => (o.kubeconfig ? ['--kubeconfig', resolve(o.kubeconfig)] : []);
const logFile = (o: PipelineOptions, name: string) => ({ logFile: resolve(o.logDir, `${name}.out.log`) });
// Stale after three missed beats, never sooner than 15 s (model loading, a slow API call).
const staleAfter = (intervalS: number) => Math.max(15_000, intervalS * 3_000);
/** Hung (killed and restarted by the supervisor) after six missed beats, never sooner than 60 s. */
export const hungAfterMs = (intervalS: number): number => Math.max(60_000, intervalS * 6_000);

export function collectorChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild {
  const args = ['--source', o.source, '--interval', String(o.generatorInterval), '--output-file', files.csv, ...kube(o)];
  args.push(...(o.namespace ? ['--namespace', o.namespace] : ['--all-namespaces']));
  if (o.prometheusUrl) args.push('--prometheus-url', o.prometheusUrl);
  return {
    spec: {
      name: 'dataset-generator',
      script: join(o.root, 'collectors/dataset-generator.ts'),
      args: [...args, ...common(o)],
      output: logFile(o, 'dataset-generator'),
      cwd: o.root,
      // No hung check: it beats only after a successful collection, so it would be killed while it waits
      // out an unreachable source.
    },
    heartbeat: heartbeatPath(files.csv, 'dataset-generator'),
    staleAfterMs: staleAfter(o.generatorInterval),
  };
}

export function datasetAgentChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild {
  const args = [
    '--input-file', files.csv,
    '--insights-file', files.insights,
    '--watch-interval', String(o.watchInterval),
    '--alert-threshold', String(o.alertThreshold),
    // Its checkpoint lives with the data it describes, so a restart resumes where the last one stopped.
    '--checkpoint-file', resolve(o.dataDir, '.dataset-agent.checkpoint.json'),
  ];
  if (o.scoresFile) args.push('--scores-file', resolve(o.scoresFile));
  return {
    spec: {
      name: 'dataset-generator-agent',
      script: join(o.root, 'agents/dataset-generator-agent.ts'),
      nodeArgs: AGENT_NODE_ARGS,
      args: [...args, ...common(o)],
      output: logFile(o, 'dataset-generator-agent'),
      cwd: o.root,
      heartbeat: { file: heartbeatPath(files.insights, 'dataset-generator-agent'), hungAfterMs: hungAfterMs(o.watchInterval) },
    },
    heartbeat: heartbeatPath(files.insights, 'dataset-generator-agent'),
    staleAfterMs: staleAfter(o.watchInterval),
  };
}

export function anomalyAgentChild(o: PipelineOptions, files: PipelineFiles): SupervisedChild {
  const args = [
    '--insights-file', files.insights,
    '--analysis-file', files.analysis,
    '--input-file', files.csv,
    '--interval', String(o.watchInterval),
    ...kube(o),
  ];
  if (o.noLlm) args.push('--no-llm');
  args.push(...o.llmArgs);
  return {
    spec: {
      name: 'anomaly-detection-agent',
      script: join(o.root, 'agents/anomaly-detection-agent.ts'),
      args: [...args, ...common(o)],
      output: logFile(o, 'anomaly-detection-agent'),
      cwd: o.root,
      heartbeat: { file: heartbeatPath(files.analysis, 'anomaly-detection-agent'), hungAfterMs: hungAfterMs(o.watchInterval) },
    },
    heartbeat: heartbeatPath(files.analysis, 'anomaly-detection-agent'),
    staleAfterMs: staleAfter(o.watchInterval),
  };
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
    default:
      return [collectorChild(o, files), datasetAgentChild(o, files), anomalyAgentChild(o, files)];
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
  const kubeconfigOut = resolve(o.dataDir, 'sim-kubeconfig');
  const logFile = resolve(o.logDir, 'podsentinel-sim.out.log');
  const args = [
    '--port', '0',
    '--metrics-port', '0',
    '--kubeconfig-out', kubeconfigOut,
    '--scenario', o.scenario,
    '--speed', String(o.speed),
    '--log-dir', resolve(o.logDir),
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
