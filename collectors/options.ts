// dataset-generator's options (the collector): declared here, apart from the command, so run-monitoring
// can build the collector's command line from them without loading the collectors.
import { toArgv, intervalOption, type ArgvValues, COMMON_OPTIONS, METRICS_OPTIONS, SHARD_OPTIONS } from '../lib/options.ts';
import { defaultPipelineFile } from '../lib/pipeline-files.ts';

export const COLLECTOR_OPTIONS = {
  source: { choices: ['k8s', 'prometheus'] as const, default: 'k8s' as 'k8s' | 'prometheus', describe: 'Where metrics come from' },
  namespace: { alias: 'n', type: 'string', describe: 'Namespace to collect (default: "default")' },
  'all-namespaces': { alias: 'A', type: 'boolean', default: false, describe: 'Collect every namespace' },
  interval: intervalOption(5, 'Seconds between collection ticks'),
  'output-file': { alias: 'o', type: 'string', default: defaultPipelineFile('metrics'), describe: 'CSV file to append to' },
  'pod-source': {
    choices: ['watch', 'list'] as const,
    default: 'watch' as 'watch' | 'list',
    describe: 'With --source k8s: pods from one list then a watch (an informer; no pod request per tick), or a full paged list every tick',
  },
  'prometheus-url': {
    type: 'string',
    describe: 'Prometheus base URL (for --source prometheus or --extra-metric), e.g. http://localhost:9090',
  },
  'prometheus-window': { type: 'string', default: '1m', describe: 'rate() window of the PromQL queries (span at least two scrapes)' },
  kubeconfig: {
    type: 'string',
    describe: 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster); with --source prometheus it adds event columns',
  },
  'extra-metric': {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: "Extra per-pod column from PromQL, 'Column Name=PROMQL' (repeatable; needs --prometheus-url, with either source)",
  },
  ...SHARD_OPTIONS,
  once: { type: 'boolean', default: false, describe: 'Collect one tick, append it, and exit' },
  ticks: { type: 'number', describe: 'Collect this many ticks, then exit' },
  test: {
    type: 'boolean',
    default: false,
    describe: 'Check the connection, print what the source serves, and exit (non-zero when unreachable)',
  },
  ...METRICS_OPTIONS,
} as const;

const ALL = { ...COLLECTOR_OPTIONS, ...COMMON_OPTIONS };
export type CollectorArgv = ArgvValues<typeof ALL>;

/** The collector's command line from typed values (run-monitoring). */
export function collectorArgv(values: CollectorArgv): string[] {
  return toArgv(ALL, values);
}
