// The simulator's RBAC view of a request (the attributes the API server's authorizer sees) and its
// optional enforcement: a 403 with a Kubernetes Status body, as a real API server answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { startSim, requestAttributes } from '../../sim/index.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { tempDir } from '../helpers/remediation-fixtures.ts';

const attrs = (method: string, path: string, query: Record<string, string> = {}) => {
  const a = requestAttributes(method, path.split('/').filter(Boolean), query, path);
  return [a.verb, a.apiGroup, a.resource, a.subresource, a.namespace, a.name].join('|');
};

void test('request attributes: verbs, groups, subresources and namespaces as RBAC sees them', () => {
  assert.equal(attrs('GET', '/api/v1/pods'), 'list||pods|||');
  assert.equal(attrs('GET', '/api/v1/namespaces/shop/pods', { watch: 'true' }), 'watch||pods||shop|');
  assert.equal(attrs('GET', '/api/v1/watch/namespaces/shop/pods'), 'watch||pods||shop|');
  assert.equal(attrs('GET', '/api/v1/namespaces/shop/pods/web-1/log'), 'get||pods|log|shop|web-1');
  assert.equal(attrs('DELETE', '/api/v1/namespaces/shop/pods/web-1', { dryRun: 'All' }), 'delete||pods||shop|web-1');
  assert.equal(attrs('DELETE', '/api/v1/namespaces/shop/pods'), 'deletecollection||pods||shop|');
  assert.equal(attrs('POST', '/api/v1/namespaces/shop/pods/web-1/eviction'), 'create||pods|eviction|shop|web-1');
  assert.equal(attrs('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web/scale'), 'patch|apps|deployments|scale|shop|web');
  assert.equal(attrs('PUT', '/apis/apps/v1/namespaces/shop/statefulsets/db'), 'update|apps|statefulsets||shop|db');
  assert.equal(attrs('GET', '/api/v1/nodes/node-a/proxy/metrics/cadvisor'), 'get||nodes|proxy||node-a');
  assert.equal(attrs('GET', '/apis/metrics.k8s.io/v1beta1/pods'), 'list|metrics.k8s.io|pods|||');
  assert.equal(attrs('GET', '/api/v1/namespaces/shop'), 'get||namespaces||shop|shop');
  const discovery = requestAttributes('GET', ['apis', 'apps', 'v1'], {}, '/apis/apps/v1');
  assert.equal(discovery.resourceRequest, false);
});

void test('an RBAC file (as --rbac-rules) is enforced; denied requests get 403 with a Status body; discovery stays open', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rbac.yaml');
  writeFileSync(
    rules,
    [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: Role',
      'metadata: {name: reader, namespace: shop}',
      'rules:',
      "- apiGroups: ['']",
      '  resources: [pods]',
      '  verbs: [get, list]',
      '---',
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: RoleBinding',
      'metadata: {name: reader, namespace: shop}',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}',
      'subjects: [{kind: ServiceAccount, name: podsentinel, namespace: podsentinel}]',
      '',
    ].join('\n'),
  );
  const sim = await startSim({ scenario: 'healthy', seed: 1, manualClock: true, rbac: rules });
  try {
    sim.tick(2);
    const core = loadKubeConfig(sim.kubeconfigPath).makeApiClient(CoreV1Api);
    assert.ok((await core.listNamespacedPod({ namespace: 'shop' })).items.length > 0);
    await assert.rejects(core.listNode(), (err: { code?: number; body?: string }) => {
      assert.equal(err.code, 403);
      const status = JSON.parse(String(err.body)) as Record<string, unknown>;
      assert.deepEqual(
        { kind: status.kind, status: status.status, reason: status.reason, code: status.code },
        { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 },
      );
      assert.equal(
        status.message,
        'nodes is forbidden: User "system:serviceaccount:podsentinel:podsentinel" cannot list resource "nodes" in API group "" at the cluster scope',
      );
      return true;
    });
    await assert.rejects(
      core.deleteNamespacedPod({ namespace: 'shop', name: sim.cluster.pods().find((p) => p.namespace === 'shop')!.name }),
      {
        code: 403,
      },
    );
    await assert.rejects(core.listNamespacedPod({ namespace: 'default' }), { code: 403 });
    await core.getAPIResources(); // discovery: allowed for every authenticated user
    const last = sim.requests.at(-1)!;
    assert.equal(last.status, 200);
    sim.setRbac(undefined);
    assert.ok((await core.listNode()).items.length > 0, 'lifted');
  } finally {
    await sim.close();
  }
});
