// anomaly-detection-agent's options: declared here, apart from the command, so run-monitoring can build
// the agent's command line from them without loading the LLM client.
import { COMMON_OPTIONS, intervalOption, METRICS_OPTIONS, toArgv, type ArgvValues } from '../../lib/options.ts';
import { defaultPipelineFile } from '../../lib/pipeline-files.ts';

export const DEFAULT_LLM_BASE_URL = 'https://integrate.api.nvidia.com/v1';
export const DEFAULT_LLM_MODEL = 'nvidia/llama-3.1-nemotron-70b-instruct';

export const ANOMALY_AGENT_OPTIONS = {
  'insights-file': {
    type: 'string',
    default: defaultPipelineFile('insights'),
    describe: 'pod_insights.json to watch (written by dataset-generator-agent)',
  },
  'analysis-file': { type: 'string', default: defaultPipelineFile('analysis'), describe: 'pod_analysis.json to write (atomically)' },
  'input-file': {
    type: 'string',
    default: defaultPipelineFile('metrics'),
    describe: 'pod_metrics.csv for the recent metric window of each pod',
  },
  kubeconfig: { type: 'string', describe: 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)' },
  llm: { type: 'boolean', default: true, describe: 'Use the LLM; --no-llm: rule-based analysis only' },
  'llm-base-url': { type: 'string', default: DEFAULT_LLM_BASE_URL, describe: 'OpenAI-compatible endpoint' },
  'llm-model': { type: 'string', default: DEFAULT_LLM_MODEL, describe: 'Model name' },
  'llm-timeout-ms': { type: 'number', default: 60_000, describe: 'Timeout of one LLM request' },
  'llm-max-retries': { type: 'number', default: 2, describe: 'Retries on 429, 5xx, timeouts and connection errors (Retry-After honoured)' },
  'llm-concurrency': { type: 'number', default: 2, describe: 'LLM requests in flight at most' },
  'llm-calls-per-minute': {
    type: 'number',
    default: 20,
    describe: 'LLM request budget per minute; over it, the rules answer and the LLM is retried later',
  },
  'llm-retry-after-s': {
    type: 'number',
    default: 300,
    describe: 'After a transient LLM failure, ask again for the same anomaly after this many seconds',
  },
  'mask-names': {
    type: 'boolean',
    default: false,
    describe: 'Mask pod, namespace, node and workload names before sending (unmasked in the result)',
  },
  'protected-namespace': {
    type: 'string',
    array: true,
    default: ['kube-system'],
    describe: 'Namespace that never gets actions (repeatable)',
  },
  'min-replicas': { type: 'number', default: 1, describe: 'Lowest replica count a scale action may set' },
  'max-replicas': { type: 'number', default: 10, describe: 'Highest replica count a scale action may set' },
  'log-lines': { type: 'number', default: 40, describe: 'Log lines read per container (current and previous)' },
  'kube-timeout-ms': { type: 'number', default: 5000, describe: 'Timeout of one Kubernetes API call' },
  interval: intervalOption(30, 'Seconds between cycles when the insights file does not change (refreshes events, heartbeat)'),
  'resolved-limit': { type: 'number', default: 200, describe: 'Resolved anomalies kept in the file' },
  once: { type: 'boolean', default: false, describe: 'Process the current insights once and exit' },
  ...METRICS_OPTIONS,
} as const;

const ALL = { ...ANOMALY_AGENT_OPTIONS, ...COMMON_OPTIONS };
export type AnomalyAgentArgv = ArgvValues<typeof ALL>;

/** The agent's command line from typed values (run-monitoring). */
export function anomalyAgentArgv(values: AnomalyAgentArgv): string[] {
  return toArgv(ALL, values);
}
