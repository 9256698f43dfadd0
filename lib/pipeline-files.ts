// The names of the files the pipeline's processes share, and the helpers that place them: one place, so a
// renamed file cannot leave a writer or a reader behind. The data directory holds the pipeline files;
// heartbeats and checkpoint state files sit beside the file they describe; child output goes to the log
// directory.
import { basename, dirname, join, resolve } from 'node:path';

export const DEFAULT_DATA_DIR = 'data';
export const DEFAULT_LOG_DIR = 'logs';

export const PIPELINE_FILE_NAMES = {
  /** The collector's output, the dataset agent's input (lib/metrics-csv.ts). */
  metrics: 'pod_metrics.csv',
  /** The dataset agent's output, the anomaly agent's input (lib/schemas.ts PodInsights). */
  insights: 'pod_insights.json',
  /** The anomaly agent's output, run-remediation's input (lib/schemas.ts PodAnalysisFile). */
  analysis: 'pod_analysis.json',
  /** run-remediation's append-only audit log (lib/schemas.ts AuditRecord). */
  audit: 'remediation_history.jsonl',
  /** The dataset agent's checkpoint (lib/checkpoint.ts); its state files are named after it. */
  datasetCheckpoint: '.dataset-agent.checkpoint.json',
  /** Decisions taken in the browser or over MCP, one file each (lib/decisions.ts); run-remediation executes them. */
  decisions: 'decisions',
  /** "Not an anomaly" feedback, appended by run-remediation, read by the dataset agent (lib/feedback.ts). */
  feedback: 'feedback.jsonl',
  /** Alertmanager alerts naming a pod, appended by podsentinel-server, investigated by the anomaly agent. */
  alertRequests: 'alert_requests.jsonl',
  /** The notification agent's outbox and episode state (its only writer). */
  notifyState: '.notification-agent.state.json',
  /** The anomaly agent's dedup state, beside pod_analysis.json. */
  analysisState: '.anomaly-detection-state.json',
  /** The simulated cluster's kubeconfig (run-monitoring --demo). */
  simKubeconfig: 'sim-kubeconfig',
  /** One run-monitoring per data directory. */
  lock: '.run-monitoring.lock',
  /** run-monitoring's status, for tests and tools. */
  status: '.run-monitoring-status.json',
} as const;
export type PipelineFileKey = keyof typeof PIPELINE_FILE_NAMES;

/** A pipeline file in `dataDir` (relative when dataDir is relative). */
export function pipelineFile(dataDir: string, key: PipelineFileKey): string {
  return join(dataDir, PIPELINE_FILE_NAMES[key]);
}

/** A pipeline file in the default data directory: the commands' option defaults, e.g. data/pod_metrics.csv. */
export function defaultPipelineFile(key: PipelineFileKey): string {
  return pipelineFile(DEFAULT_DATA_DIR, key);
}

/** The absolute paths run-monitoring hands its children and reads back. */
export interface PipelineFiles {
  csv: string;
  insights: string;
  analysis: string;
  audit: string;
}

/** The pipeline's files in `dataDir`; the CSV may live elsewhere (--output-file). */
export function pipelineFiles(dataDir: string, csv: string = pipelineFile(dataDir, 'metrics')): PipelineFiles {
  return {
    csv: resolve(csv),
    insights: resolve(dataDir, PIPELINE_FILE_NAMES.insights),
    analysis: resolve(dataDir, PIPELINE_FILE_NAMES.analysis),
    audit: resolve(dataDir, PIPELINE_FILE_NAMES.audit),
  };
}

/** The processes that write a heartbeat, each beside its own output file. */
export const HEARTBEAT_WRITERS = ['dataset-generator', 'dataset-generator-agent', 'anomaly-detection-agent', 'notification-agent'] as const;
export type HeartbeatWriter = (typeof HEARTBEAT_WRITERS)[number];

export function heartbeatFileName(name: HeartbeatWriter): string {
  return `.heartbeat-${name}.json`;
}

/** A heartbeat file: `.heartbeat-<name>.json` in the directory of the file its writer produces. */
export function heartbeatPath(besideFile: string, name: HeartbeatWriter): string {
  return join(dirname(besideFile), heartbeatFileName(name));
}

/** Whether a directory entry is a heartbeat file (of any writer). */
export function isHeartbeatFileName(name: string): boolean {
  return /^\.heartbeat-.+\.json$/.test(name);
}

/**
 * Where a pipeline's writer keeps its heartbeat, for the readers that know the pipeline's files
 * (run-monitoring, podsentinel-server): the collector beside the CSV, the analysis agent beside the
 * analysis file, the dataset and notification agents beside the insights.
 */
export function pipelineHeartbeat(files: Pick<PipelineFiles, 'csv' | 'insights' | 'analysis'>, name: HeartbeatWriter): string {
  const beside = name === 'dataset-generator' ? files.csv : name === 'anomaly-detection-agent' ? files.analysis : files.insights;
  return heartbeatPath(beside, name);
}

/** Names of a checkpoint's state files start with this (`<checkpoint>.state-<time>-<pid>-<seq>.bin`). */
export function checkpointStatePrefix(checkpointPath: string): string {
  return `${basename(checkpointPath)}.state-`;
}

/** A new state file name for a checkpoint: unique per process and call. */
export function checkpointStateFileName(checkpointPath: string, pid: number, seq: number, ext: 'bin' | 'ndjson', now = Date.now()): string {
  return `${checkpointStatePrefix(checkpointPath)}${now}-${pid}-${seq}.${ext}`;
}

/** A supervised child's stdout and stderr: `<log-dir>/<child>.out.log`. */
export function childLogFile(logDir: string, child: string): string {
  return resolve(logDir, `${child}.out.log`);
}
