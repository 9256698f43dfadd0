// podsentinel-mcp's options, declared once: the data files (as the other commands name them), the
// analysis settings shared with anomaly-detection-agent (LLM, guard, context), the remediation policy
// shared with run-remediation, and the server's own (transport, writes).
import { COMMON_OPTIONS, dataDirOption } from '../lib/options.ts';
import { PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';
import { ANOMALY_AGENT_OPTIONS } from '../agents/analysis/options.ts';
import { REMEDIATION_OPTIONS } from '../remediation/options.ts';

const A = ANOMALY_AGENT_OPTIONS;

export const MCP_OPTIONS = {
  'data-dir': dataDirOption,
  'insights-file': { type: 'string', describe: `pod_insights.json (default <data-dir>/${PIPELINE_FILE_NAMES.insights})` },
  'analysis-file': { type: 'string', describe: `pod_analysis.json (default <data-dir>/${PIPELINE_FILE_NAMES.analysis})` },
  'input-file': { type: 'string', describe: `pod_metrics.csv, for metric windows (default <data-dir>/${PIPELINE_FILE_NAMES.metrics})` },
  'audit-file': { type: 'string', describe: `remediation_history.jsonl, read only (default <data-dir>/${PIPELINE_FILE_NAMES.audit})` },
  kubeconfig: {
    type: 'string',
    describe: 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster); explain and propose read the cluster',
  },
  policy: REMEDIATION_OPTIONS.policy,
  'protected-namespace': REMEDIATION_OPTIONS['protected-namespace'],
  llm: A.llm,
  'llm-base-url': A['llm-base-url'],
  'llm-model': A['llm-model'],
  'llm-timeout-ms': A['llm-timeout-ms'],
  'llm-max-retries': A['llm-max-retries'],
  'mask-names': A['mask-names'],
  'min-replicas': A['min-replicas'],
  'max-replicas': A['max-replicas'],
  'log-lines': A['log-lines'],
  'kube-timeout-ms': A['kube-timeout-ms'],
  'http-port': { type: 'number', describe: 'Serve Streamable HTTP at http://<http-host>:<port>/mcp instead of stdio' },
  'http-host': { type: 'string', default: '127.0.0.1', describe: 'Address to bind with --http-port (loopback by default)' },
  'allow-write': {
    type: 'boolean',
    default: false,
    describe: 'Register apply_remediation: it queues an approval for run-remediation (which executes and audits it)',
  },
  'client-name': { type: 'string', describe: "Who decides, in the audit log (default: the MCP client's name)" },
  'apply-timeout': {
    type: 'number',
    default: 60,
    describe: 'Seconds apply_remediation waits for run-remediation to execute and verify before answering "queued"',
  },
  'max-items': { type: 'number', default: 200, describe: 'Most items one list answer holds' },
} as const;

export const ALL_MCP_OPTIONS = { ...MCP_OPTIONS, ...COMMON_OPTIONS };
