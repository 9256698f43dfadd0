// Kubernetes client configuration: --kubeconfig, else KUBECONFIG / ~/.kube/config, else in-cluster.
// The simulated cluster writes an ordinary kubeconfig (HTTPS, CA data, bearer token), so nothing here
// knows whether the cluster is real.
import { KubeConfig, CoreV1Api, AppsV1Api, CustomObjectsApi, PolicyV1Api } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the kubelet mounts the pod's service-account token, CA and namespace. */
export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Points the in-cluster configuration at another service-account directory (tests). */
export const SERVICEACCOUNT_DIR_ENV = 'KUBERNETES_SERVICEACCOUNT_DIR';

export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`kubeconfig ${path} does not exist`);
    kc.loadFromFile(path);
  } else if (!env.KUBECONFIG && !existsSync(join(env.HOME || homedir(), '.kube', 'config')) && env.KUBERNETES_SERVICE_HOST) {
    loadInCluster(kc, env);
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured (give --kubeconfig, set KUBECONFIG, or run in a cluster)');
  return kc;
}

/**
 * In-cluster configuration: client-node's loadFromCluster() (KUBERNETES_SERVICE_HOST/PORT, the CA file, and
 * the token file, which client-node re-reads every 60 s so a rotated projected token is picked up), with
 * the service-account directory taken from KUBERNETES_SERVICEACCOUNT_DIR when set (not a PODSENTINEL_ variable: those are
 * command options to lib/cli.ts, and an unknown one is a usage error).
 */
export function loadInCluster(kc: KubeConfig, env: NodeJS.ProcessEnv = process.env): void {
  if (!env.KUBERNETES_SERVICE_PORT) throw new Error('KUBERNETES_SERVICE_HOST is set but KUBERNETES_SERVICE_PORT is not');
  const dir = env[SERVICEACCOUNT_DIR_ENV] || SERVICEACCOUNT_DIR;
  const token = join(dir, 'token');
  if (!existsSync(token))
    throw new Error(`in-cluster configuration: no service-account token at ${token} (is automountServiceAccountToken off?)`);
  kc.loadFromCluster();
  if (dir === SERVICEACCOUNT_DIR) return;
  // loadFromCluster() only takes a prefix before the fixed path; point its three files at `dir` instead.
  const namespace = serviceAccountNamespace(env);
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, caFile: join(dir, 'ca.crt') })),
    users: kc.users.map((u) => ({ ...u, authProvider: { name: 'tokenFile', config: { tokenFile: token } } })),
    contexts: kc.contexts.map((c) => ({ ...c, ...(namespace ? { namespace } : {}) })),
    currentContext: kc.currentContext,
  });
}

/** The pod's own namespace when running in a cluster (the service account's namespace file), else undefined. */
export function serviceAccountNamespace(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return readFileSync(join(env[SERVICEACCOUNT_DIR_ENV] || SERVICEACCOUNT_DIR, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
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
