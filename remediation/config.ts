// The remediation policy: bounds on what an action may do, protected namespaces, cool-downs, and the
// auto-approve policy. Read from --policy FILE, else the top-level "remediation" object of the --config
// file, else config/remediation.json, else built-in defaults (which never auto-approve).
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ACTION_NAMES, type ActionName } from '../lib/schemas.ts';
import { CpuQuantity, MemoryQuantity } from '../lib/quantity.ts';

export const DEFAULT_POLICY_FILE = 'config/remediation.json';

const cpu = CpuQuantity;
const memory = MemoryQuantity;

export const Bounds = z
  .object({
    minReplicas: z.number().int().min(0).default(1),
    maxReplicas: z.number().int().min(1).default(10),
    /** Largest change of replicas one scale action may make, up or down. */
    maxScaleStep: z.number().int().min(1).default(3),
    /** Per-container ceilings (and floors) for set_resources, requests and limits alike. */
    maxCpu: cpu.default('2'),
    maxMemory: memory.default('4Gi'),
    minCpu: cpu.default('10m'),
    minMemory: memory.default('16Mi'),
  })
  .strict()
  .refine((b) => b.minReplicas <= b.maxReplicas, 'minReplicas must not exceed maxReplicas');
export type Bounds = z.infer<typeof Bounds>;

export const AutoApprovePolicy = z
  .object({
    /** Named in the audit log as the approving "user": auto-approve:<name>. */
    name: z.string().min(1).default('policy'),
    actions: z.array(z.enum(ACTION_NAMES as [ActionName, ...ActionName[]])).min(1),
    maxActionsPerHour: z.number().int().min(1),
    /** No second automatic action on the same workload (or node) within this many minutes. */
    cooldownMinutes: z.number().min(0),
  })
  .strict();
export type AutoApprovePolicy = z.infer<typeof AutoApprovePolicy>;

export const RemediationPolicy = z
  .object({
    bounds: Bounds.default(Bounds.parse({})),
    protectedNamespaces: z.array(z.string().min(1)).default(['kube-system']),
    /** An action is not proposed again for the same anomaly within this many minutes of its outcome. */
    proposalCooldownMinutes: z.number().min(0).default(30),
    autoApprove: AutoApprovePolicy.optional(),
  })
  .strict();
export type RemediationPolicy = z.infer<typeof RemediationPolicy>;

export class PolicyError extends Error {}

function parsePolicy(data: unknown, source: string): RemediationPolicy {
  const r = RemediationPolicy.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PolicyError(`remediation policy in ${source} is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return r.data;
}

function readJson(file: string): Record<string, unknown> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('not a JSON object');
    return data as Record<string, unknown>;
  } catch (err) {
    throw new PolicyError(`cannot read remediation policy ${file}: ${(err as Error).message}`);
  }
}

/** Finds and validates the policy; `source` says where it came from (for the banner and the audit). */
export function loadPolicy(opts: { policyFile?: string | undefined; configFile?: string | undefined }): {
  policy: RemediationPolicy;
  source: string;
} {
  if (opts.policyFile) return { policy: parsePolicy(readJson(opts.policyFile), opts.policyFile), source: opts.policyFile };
  if (opts.configFile && existsSync(opts.configFile)) {
    const data = readJson(opts.configFile);
    if (data.remediation !== undefined) {
      return { policy: parsePolicy(data.remediation, `${opts.configFile} ("remediation")`), source: opts.configFile };
    }
  }
  if (existsSync(DEFAULT_POLICY_FILE)) {
    return { policy: parsePolicy(readJson(DEFAULT_POLICY_FILE), DEFAULT_POLICY_FILE), source: DEFAULT_POLICY_FILE };
  }
  return { policy: RemediationPolicy.parse({}), source: 'built-in defaults' };
}
