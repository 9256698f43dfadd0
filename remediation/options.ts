// run-remediation's options: declared here, apart from the command, so run-monitoring can build the
// approval step's command line from them without loading the remediation engine.
import { COMMON_OPTIONS, confidenceThresholdOption, dataDirOption, SHARD_OPTIONS, toArgv, type ArgvValues } from '../lib/options.ts';
import { PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';
import { DEFAULT_POLICY_FILE } from './config.ts';

export const REMEDIATION_OPTIONS = {
  kubeconfig: { type: 'string', describe: 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)' },
  'data-dir': dataDirOption,
  'analysis-file': { type: 'string', describe: `Analyses to act on (default <data-dir>/${PIPELINE_FILE_NAMES.analysis})` },
  'insights-file': { type: 'string', describe: `Insights used to verify (default <data-dir>/${PIPELINE_FILE_NAMES.insights})` },
  'audit-file': { type: 'string', describe: `Append-only audit log (default <data-dir>/${PIPELINE_FILE_NAMES.audit})` },
  policy: {
    type: 'string',
    describe: `Remediation policy file (bounds, protected namespaces, auto-approve; default ${DEFAULT_POLICY_FILE})`,
  },
  'confidence-threshold': confidenceThresholdOption('Only analyses with anomaly_probability at or above this'),
  'verify-delay': { type: 'number', default: 60, describe: 'Seconds after an action before verifying that the anomaly cleared' },
  'protected-namespace': {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: "Namespace never touched (repeatable; adds to the policy's list, kube-system by default)",
  },
  'dry-run': { type: 'boolean', default: false, describe: 'Show and record proposals (with the server-side dry run) but execute nothing' },
  'auto-approve': {
    type: 'boolean',
    default: false,
    describe:
      "Execute without asking the action kinds the policy's autoApprove allows (rate-limited; refuses to start without that policy)",
  },
  once: {
    type: 'boolean',
    default: false,
    describe: 'Process the current analyses, wait for verifications, and exit (default: keep watching the analysis file)',
  },
  'max-proposals-per-cycle': {
    type: 'number',
    default: 20,
    describe: 'Proposals (each with a server-side dry run) per pass over the analyses; the rest wait for the next pass',
  },
  // A sharded replica acts only on the pods its replica owns when it proposes and again when it applies.
  ...SHARD_OPTIONS,
} as const;

const ALL = { ...REMEDIATION_OPTIONS, ...COMMON_OPTIONS };
export type RemediationArgv = ArgvValues<typeof ALL>;

/** run-remediation's command line from typed values (run-monitoring's approval step). */
export function remediationArgv(values: RemediationArgv): string[] {
  return toArgv(ALL, values);
}
