// lib/kube.ts's in-cluster path: with no kubeconfig anywhere and KUBERNETES_SERVICE_HOST/PORT set, the
// client reads the service-account token, CA and namespace (from KUBERNETES_SERVICEACCOUNT_DIR in tests,
// the kubelet's mount by default), talks to the simulated cluster over verified TLS, and picks up a
// rotated token. A kubeconfig, when there is one, still wins.
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { kubeErrorMessage, loadKubeConfig, SERVICEACCOUNT_DIR, SERVICEACCOUNT_DIR_ENV } from '../../lib/kube.ts';
import { inClusterEnv, withEnv } from '../helpers/in-cluster.ts';

let sim: SimHandle;
before(async () => {
  sim = await startSim({ scenario: 'healthy', seed: 1, manualClock: true });
  sim.tick(2);
});
after(async () => {
  await sim?.close();
});

void test('no kubeconfig + KUBERNETES_SERVICE_HOST: in-cluster config from the service-account directory', async () => {
  const { dir, env } = inClusterEnv(sim, 'shop');
  const kc = await withEnv(env, () => loadKubeConfig());
  const cluster = kc.getCurrentCluster()!;
  assert.equal(cluster.server, sim.apiUrl);
  assert.equal(cluster.caFile, join(dir, 'ca.crt'));
  assert.equal(cluster.skipTLSVerify, false);
  assert.equal(kc.getCurrentUser()?.authProvider?.config?.tokenFile, join(dir, 'token'));
  assert.equal(kc.getContextObject(kc.currentContext)?.namespace, 'shop');
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'shop' });
  assert.ok(pods.items.length > 0);
  const last = sim.requests.at(-1)!;
  assert.equal(last.status, 200);
  assert.equal(last.attributes.verb, 'list');
});

void test('the production service-account path is the default; a missing token is a clear error', async () => {
  const { env } = inClusterEnv(sim);
  delete env[SERVICEACCOUNT_DIR_ENV];
  assert.equal(SERVICEACCOUNT_DIR, '/var/run/secrets/kubernetes.io/serviceaccount');
  if (existsSync(join(SERVICEACCOUNT_DIR, 'token'))) {
    // This test itself runs in a pod: the kubelet's mount is the one taken.
    const kc = await withEnv(env, () => loadKubeConfig());
    assert.equal(kc.getCurrentCluster()?.caFile, join(SERVICEACCOUNT_DIR, 'ca.crt'));
    return;
  }
  await withEnv(env, () =>
    assert.throws(() => loadKubeConfig(), /no service-account token at \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token/),
  );
});

void test('KUBECONFIG and --kubeconfig win over the in-cluster environment', async () => {
  const { env } = inClusterEnv(sim);
  const viaEnv = await withEnv({ ...env, KUBECONFIG: sim.kubeconfigPath }, () => loadKubeConfig());
  assert.equal(viaEnv.getCurrentCluster()?.name, 'podsentinel-sim');
  const viaFlag = await withEnv(env, () => loadKubeConfig(sim.kubeconfigPath));
  assert.equal(viaFlag.getCurrentCluster()?.name, 'podsentinel-sim');
});

void test('a rotated token file is read again (client-node re-reads it after 60 s)', async () => {
  const { dir, env } = inClusterEnv(sim);
  writeFileSync(join(dir, 'token'), 'expired-token');
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    const kc = await withEnv(env, () => loadKubeConfig());
    const core = kc.makeApiClient(CoreV1Api);
    await assert.rejects(core.listNamespace(), (err: unknown) => /HTTP 401/.test(kubeErrorMessage(err)));
    writeFileSync(join(dir, 'token'), sim.token); // the kubelet rotates the projected token
    await assert.rejects(core.listNamespace(), 'still the cached token within the minute');
    mock.timers.tick(61_000);
    const ns = await core.listNamespace();
    assert.ok(ns.items.some((n) => n.metadata?.name === 'shop'));
  } finally {
    mock.timers.reset();
  }
});
