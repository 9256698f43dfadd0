// What every tool needs, built once from the checked options: the pipeline files, the cluster clients
// (lazily: the read-only tools work without a cluster), the analysis settings, the remediation policy.
import type { KubeClients } from '../lib/kube.ts';
import { kubeClients, loadKubeConfig } from '../lib/kube.ts';
import type { Logger } from '../lib/log.ts';
import type { AnalyserDeps } from '../agents/analysis/analyser.ts';
import type { ContextOptions } from '../agents/analysis/context.ts';
import type { RemediationPolicy } from '../remediation/config.ts';

export interface McpPaths {
  insights: string;
  analysis: string;
  metrics: string;
  audit: string;
  decisions: string;
}

export interface McpContext {
  paths: McpPaths;
  kubeconfig: string | undefined;
  analyser: AnalyserDeps;
  contextOptions: ContextOptions;
  policy: RemediationPolicy;
  policySource: string;
  protectedNamespaces: string[];
  maxItems: number;
  allowWrite: boolean;
  /** --client-name; else the MCP client's own name is recorded. */
  clientName: string | undefined;
  applyTimeoutMs: number;
  log: Logger;
  /** The cluster clients, made on first use; throws a clear error when no kubeconfig is usable. */
  clients(): KubeClients;
}

export class ToolError extends Error {}

/** Clients made on first use and kept (the kubeconfig is read once). */
export function lazyClients(kubeconfig: string | undefined): () => KubeClients {
  let made: KubeClients | undefined;
  return () => {
    if (made) return made;
    try {
      made = kubeClients(loadKubeConfig(kubeconfig));
    } catch (err) {
      throw new ToolError(`no Kubernetes cluster available (${(err as Error).message}); pass --kubeconfig or set KUBECONFIG`);
    }
    return made;
  };
}
