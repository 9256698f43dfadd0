// Kubernetes client configuration: --kubeconfig, else KUBECONFIG / ~/.kube/config, else in-cluster.
// The simulated cluster writes an ordinary kubeconfig (HTTPS, CA data, bearer token), so nothing here
// knows whether the cluster is real.
import { KubeConfig, CoreV1Api, AppsV1Api, CustomObjectsApi, PolicyV1Api } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`kubeconfig ${path} does not exist`);
    kc.loadFromFile(path);
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured (give --kubeconfig, set KUBECONFIG, or run in a cluster)');
  return kc;
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  policy: PolicyV1Api;
}

export function kubeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    policy: kc.makeApiClient(PolicyV1Api),
  };
}

/** The short message of a client-node failure (ApiException or network error). */
export function kubeErrorMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  if (typeof e?.code === 'number') {
    let reason: string;
    try {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      reason = (body as { message?: string })?.message ?? '';
    } catch {
      reason = String(e.body ?? '');
    }
    return `HTTP ${e.code}${reason ? `: ${reason}` : ''}`;
  }
  return e?.cause?.code ? `${e.message} (${e.cause.code})` : (e?.message ?? String(err));
}
