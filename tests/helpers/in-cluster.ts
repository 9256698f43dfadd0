// The simulated cluster seen from inside a pod: its token, CA and a namespace written as a service-account
// directory, and the environment a pod's processes get (KUBERNETES_SERVICE_HOST/PORT, no kubeconfig, an
// empty home), so lib/kube.ts takes the in-cluster path.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimHandle } from '../../sim/index.ts';
import { SERVICEACCOUNT_DIR_ENV } from '../../lib/kube.ts';

export interface InCluster {
  /** The service-account directory (token, ca.crt, namespace). */
  dir: string;
  /** Environment for the in-cluster path: the test's own without KUBECONFIG, HOME an empty directory. */
  env: NodeJS.ProcessEnv;
}

export function inClusterEnv(sim: SimHandle, namespace = 'podsentinel'): InCluster {
  const root = mkdtempSync(join(tmpdir(), 'podsentinel-incluster-'));
  const dir = join(root, 'serviceaccount');
  const home = join(root, 'home');
  mkdirSync(dir);
  mkdirSync(home);
  writeFileSync(join(dir, 'token'), sim.token);
  writeFileSync(join(dir, 'ca.crt'), sim.caPem);
  writeFileSync(join(dir, 'namespace'), namespace);
  const url = new URL(sim.apiUrl);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.KUBECONFIG;
  Object.assign(env, {
    KUBERNETES_SERVICE_HOST: url.hostname,
    KUBERNETES_SERVICE_PORT: url.port,
    [SERVICEACCOUNT_DIR_ENV]: dir,
  });
  return { dir, env };
}

/** Runs `fn` with process.env replaced by `env` (client-node's loadFromCluster reads process.env). */
export async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T> | T): Promise<T> {
  const saved = process.env;
  process.env = env;
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}
