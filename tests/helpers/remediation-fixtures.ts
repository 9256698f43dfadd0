// Shared by the remediation tests: a small scenario for the simulated cluster, analyses and insights
// built from its live pods, and the engine options around a real client-node client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodView, RecordedRequest, SimHandle } from '../../sim/index.ts';
import { loadKubeConfig, kubeClients } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import type { PodAnalysis, PodInsights, RecommendedAction } from '../../lib/schemas.ts';
import { AuditLog } from '../../remediation/audit.ts';
import { RemediationPolicy } from '../../remediation/config.ts';
import type { EngineOptions, PromptFn } from '../../remediation/engine.ts';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'podsentinel-remediation-'));
}

const workload = (namespace: string, name: string, replicas: number, pdb?: Record<string, number>) => ({
  namespace,
  name,
  replicas,
  container: 'app',
  image: `registry.example.com/${namespace}/${name}:1.0.0`,
  cpu: { baseCores: 0.1, limitCores: 1, requestCores: 0.2 },
  memory: { baseMiB: 200, limitMiB: 512, requestMiB: 256 },
  burstProbability: 0,
  ...(pdb ? { pdb } : {}),
});

/** Writes a scenario file: three nodes, a protected kube-system pod, and shop workloads (one under a strict PDB). */
export function writeScenario(dir: string, kind: 'general' | 'drain' | 'single-node'): string {
  const scenario =
    kind === 'general'
      ? {
          name: 'remediation-general',
          nodes: [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }],
          workloads: [
            workload('kube-system', 'coredns', 1),
            workload('shop', 'web', 2),
            workload('shop', 'api', 2, { minAvailable: 2 }),
            workload('shop', 'cart', 1),
            workload('shop', 'search', 2),
          ],
        }
      : kind === 'single-node'
        ? { name: 'remediation-single', nodes: [{ name: 'node-a' }], workloads: [workload('shop', 'api', 2, { maxUnavailable: 1 })] }
        : {
            name: 'remediation-drain',
            nodes: [{ name: 'node-a' }, { name: 'node-b' }],
            workloads: [workload('shop', 'web', 2), workload('shop', 'api', 2, { maxUnavailable: 1 })],
          };
  const file = join(dir, `${kind}.json`);
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

export function podOf(sim: SimHandle, namespace: string, deployment: string): PodView {
  const pod = sim.cluster.pods().find((p) => p.namespace === namespace && p.deployment === deployment);
  if (!pod) throw new Error(`no pod of ${namespace}/${deployment}`);
  return pod;
}

export function analysisFor(pod: PodView, actions: RecommendedAction[], over: Partial<PodAnalysis> = {}): PodAnalysis {
  return {
    id: `anomaly-${pod.namespace}-${pod.name}`,
    namespace: pod.namespace,
    pod: pod.name,
    owner: { kind: pod.kind, name: pod.deployment },
    detected_at: new Date().toISOString(),
    anomaly_probability: 0.92,
    anomaly_type: 'oom_risk',
    severity: 'high',
    root_cause: 'Memory grows steadily towards the limit (leak).',
    explanation: 'Working set rose 3 MB per minute for an hour.',
    evidence: ['Memory Usage (%) 91'],
    recommended_actions: actions,
    source: { type: 'rules' },
    ...(pod.node ? { node: pod.node } : {}),
    ...over,
  };
}

export function act<A extends RecommendedAction['action']>(
  action: A,
  params: Extract<RecommendedAction, { action: A }>['params'],
): RecommendedAction {
  return { action, params, rationale: 'test', risk: 'low' } as RecommendedAction;
}

export function writeInsights(path: string, pods: Array<{ namespace: string; pod: string; anomalous: boolean }>): void {
  const now = new Date().toISOString();
  const file: PodInsights = {
    generated_at: now,
    model: { name: 'lstm', version: 'test', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: 10,
    rows_rejected: 0,
    pods: pods.map((p) => ({
      namespace: p.namespace,
      pod: p.pod,
      timestamp: now,
      anomaly_probability: p.anomalous ? 0.95 : 0.05,
      predicted_anomaly: p.anomalous,
      anomaly_type: p.anomalous ? 'oom_risk' : 'none',
      contributing_metrics: [],
      since: null,
    })),
  };
  writeJsonAtomic(path, file);
}

/** Write requests (not GETs) the simulated cluster received since `mark`. */
export function writesSince(sim: SimHandle, mark: number): RecordedRequest[] {
  return sim.requests.slice(mark).filter((r) => r.method !== 'GET');
}

export interface EngineFixture {
  opts: EngineOptions;
  audit: AuditLog;
  printed: string[];
  prompts: number;
}

export function engineFixture(
  sim: SimHandle,
  dir: string,
  prompt: PromptFn | null,
  over: Omit<Partial<EngineOptions>, 'policy'> & { policy?: unknown } = {},
): EngineFixture {
  const audit = new AuditLog(join(dir, 'remediation_history.jsonl'));
  const printed: string[] = [];
  const fx: EngineFixture = { opts: undefined as unknown as EngineOptions, audit, printed, prompts: 0 };
  const counting: PromptFn | null = prompt
    ? async (req) => {
        fx.prompts++;
        return prompt(req);
      }
    : null;
  const policy = RemediationPolicy.parse(over.policy ?? {});
  fx.opts = {
    clients: kubeClients(loadKubeConfig(sim.kubeconfigPath)),
    protectedNamespaces: policy.protectedNamespaces,
    audit,
    insightsFile: join(dir, 'pod_insights.json'),
    confidenceThreshold: 0.7,
    verifyDelayMs: 50,
    mode: 'manual',
    prompt: counting,
    user: 'alice',
    print: (t) => printed.push(t),
    log: memoryLogger(),
    ...over,
    policy,
  };
  return fx;
}

export function auditEvents(audit: AuditLog, analysisId?: string): string[] {
  return audit
    .all()
    .filter((r) => analysisId === undefined || r.analysis_id === analysisId)
    .map((r) => `${r.event}:${r.result}`);
}
