// dataset-generator-agent's options: declared here, apart from the command, so run-monitoring can build
// the agent's command line from them without loading the detector.
import {
  alertThresholdOption,
  COMMON_OPTIONS,
  intervalOptionWithAlias,
  METRICS_OPTIONS,
  toArgv,
  type ArgvValues,
} from '../../lib/options.ts';
import { defaultPipelineFile } from '../../lib/pipeline-files.ts';

/** Beyond this many pods, pod_insights.json details only the pods near or above the threshold. */
export const INSIGHTS_DETAIL_MAX = 5000;

export const DATASET_AGENT_OPTIONS = {
  'input-file': { type: 'string', default: defaultPipelineFile('metrics'), describe: 'Metrics CSV to tail' },
  'insights-file': { type: 'string', default: defaultPipelineFile('insights'), describe: 'Insights JSON, written atomically' },
  interval: intervalOptionWithAlias(10, 'Seconds between insights/checkpoint writes'),
  'alert-threshold': alertThresholdOption(
    'Alert score (0..1) at which a pod becomes anomalous and an alert is printed; it stays anomalous until its probability has stayed below 3/4 of this for 3 ticks',
  ),
  'scores-file': {
    type: 'string',
    describe: 'Append one line per scored row (timestamp,namespace,pod,anomaly_probability,predicted_anomaly,anomaly_type)',
  },
  once: { type: 'boolean', default: false, describe: 'Read the whole file, score it, write the outputs and exit' },
  'from-start': {
    type: 'boolean',
    default: false,
    describe:
      'Score (and alert on) the rows already in the file, ignoring any checkpoint; default: learn from them and alert only on new rows',
  },
  test: { type: 'boolean', default: false, describe: 'Check that the model loads and the input is readable, print a summary, exit' },
  /** The command adds the registered detectors' names to this help line. */
  detector: { type: 'string', default: 'lstm', describe: 'Detector; baselines are for benchmarks' },
  'model-dir': { type: 'string', describe: 'Model artifact directory (default models/artifacts/default)' },
  'checkpoint-file': {
    type: 'string',
    default: defaultPipelineFile('datasetCheckpoint'),
    describe: 'Checkpoint of position and per-pod state',
  },
  'forget-after': { type: 'number', default: 600, describe: 'Seconds without a row after which a pod is forgotten' },
  'checkpoint-interval': {
    type: 'number',
    describe:
      'Seconds between checkpoints while following (default: --interval); at 150,000 pods a checkpoint copies ~1 GB of state, so e.g. 60 keeps its cost near 1% of the scoring thread',
  },
  'insights-detail-max': {
    type: 'number',
    default: INSIGHTS_DETAIL_MAX,
    describe:
      'Beyond this many pods, pod_insights.json details only pods at or above half the threshold (every anomalous pod) and lists the rest compactly in other_pods',
  },
  'feedback-file': {
    type: 'string',
    describe: '"Not an anomaly" feedback to apply (re-baselines the pod or its workload); default: feedback.jsonl beside --insights-file',
  },
  shard: {
    type: 'string',
    describe: 'K/N: score only the pods whose name hashes to shard K of N (run N agents, each with its own insights and checkpoint files)',
  },
  ...METRICS_OPTIONS,
} as const;

const ALL = { ...DATASET_AGENT_OPTIONS, ...COMMON_OPTIONS };
export type DatasetAgentArgv = ArgvValues<typeof ALL>;

/** The agent's command line from typed values (run-monitoring). */
export function datasetAgentArgv(values: DatasetAgentArgv): string[] {
  return toArgv(ALL, values);
}
