// podsentinel-sim through the real @kubernetes/client-node: TLS with the generated CA, bearer token,
// list/paginate/get, pod metrics, logs, and the writes remediation uses (delete, scale, patch, cordon,
// evict) with their dry runs, and each node's cAdvisor page (its running pods; it follows the cluster's
// changes). Manual clock: time moves only through tick().
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { ApiException, PatchStrategy, Watch, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { kubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';

interface PodMetrics {
  metadata: { name: string; namespace: string };
  timestamp: string;
  window: string;
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

const nanocores = (q: string) => {
  assert.match(q, /^\d+n$/);
  return Number(q.slice(0, -1)) / 1e9;
};
const ki = (q: string) => {
  assert.match(q, /^\d+Ki$/);
  return Number(q.slice(0, -2)) * 1024;
};

function rawGet(
  sim: SimHandle,
  path: string,
  token?: string,
  ca: string | undefined = sim.caPem,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, sim.apiUrl);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'GET',
        ...(ca ? { ca } : {}),
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The pods ("namespace/pod") a cAdvisor page names, and its sample timestamps. */
function read(page: string): { pods: Set<string>; stamps: Set<string> } {
  const pods = new Set<string>();
  const stamps = new Set<string>();
  for (const line of page.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const ns = /namespace="([^"]*)"/.exec(line)?.[1];
    const pod = /pod="([^"]*)"/.exec(line)?.[1];
    assert.ok(ns && pod, `a sample without namespace and pod: ${line}`);
    pods.add(`${ns}/${pod}`);
    stamps.add(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { pods, stamps };
}

async function apiCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
    return err.code;
  }
}

void describe('podsentinel-sim through @kubernetes/client-node', () => {
  let sim: SimHandle;
  let k: KubeClients;

  before(async () => {
    sim = await startSim({ scenario: 'demo', seed: 7, manualClock: true, startTime: '2026-11-25T00:00:00Z' });
    k = kubeClients(loadKubeConfig(sim.kubeconfigPath));
  });
  after(async () => {
    await sim?.close();
  });

  void it('writes a kubeconfig with the CA and token, and refuses requests without the token', async () => {
    const kc = readFileSync(sim.kubeconfigPath, 'utf8');
    assert.ok(kc.includes(Buffer.from(sim.caPem).toString('base64')));
    assert.ok(kc.includes(sim.token));
    assert.match(sim.apiUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await rawGet(sim, '/api/v1/pods')).status, 401);
    assert.equal((await rawGet(sim, '/api/v1/pods', 'wrong-token')).status, 401);
    const unauth = JSON.parse((await rawGet(sim, '/api/v1/pods')).body) as { kind: string; reason: string };
    assert.deepEqual([unauth.kind, unauth.reason], ['Status', 'Unauthorized']);
    assert.equal((await rawGet(sim, '/api/v1/pods', sim.token)).status, 200);
    // Without the generated CA the server certificate does not verify.
    await assert.rejects(rawGet(sim, '/api/v1/pods', sim.token, ''), (err: NodeJS.ErrnoException) =>
      /CERT|SIGNATURE|ISSUER/.test(String(err.code)),
    );
    assert.equal(sim.requests.filter((r) => r.status === 401).length, 3);
  });

  void it('lists pods in all namespaces with limit/continue pagination, and per namespace with selectors', async () => {
    const all = await k.core.listPodForAllNamespaces();
    assert.equal(all.items.length, sim.cluster.pods().length);
    assert.ok(all.items.length >= 20);
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await k.core.listPodForAllNamespaces({ limit: 6, ...(cont ? { _continue: cont } : {}) });
      assert.ok(page.items.length <= 6);
      seen.push(...page.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`));
      cont = page.metadata?._continue;
      pages++;
    } while (cont);
    assert.ok(pages >= 4);
    assert.deepEqual(
      seen,
      all.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`),
    );
    assert.equal(new Set(seen).size, seen.length);

    const shop = await k.core.listNamespacedPod({ namespace: 'shop' });
    assert.ok(shop.items.length > 0 && shop.items.every((p) => p.metadata!.namespace === 'shop'));
    const frontend = await k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=frontend' });
    assert.equal(frontend.items.length, 3);
    const node = all.items[0]!.spec!.nodeName!;
    const onNode = await k.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    assert.ok(onNode.items.length > 0 && onNode.items.every((p) => p.spec!.nodeName === node));
  });

  void it('serves pods in the real shape: owner chain Pod → ReplicaSet → Deployment, container status, resources', async () => {
    const pods = await k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=orders' });
    const pod = pods.items[0]!;
    const owner = pod.metadata!.ownerReferences![0]!;
    assert.equal(owner.kind, 'ReplicaSet');
    const rs = await k.apps.readNamespacedReplicaSet({ namespace: 'shop', name: owner.name });
    assert.equal(rs.metadata!.uid, owner.uid);
    const depRef = rs.metadata!.ownerReferences![0]!;
    assert.deepEqual([depRef.kind, depRef.name], ['Deployment', 'orders']);
    const dep = await k.apps.readNamespacedDeployment({ namespace: 'shop', name: 'orders' });
    assert.equal(dep.metadata!.uid, depRef.uid);
    const cs = pod.status!.containerStatuses![0]!;
    assert.equal(pod.status!.phase, 'Running');
    assert.equal(cs.ready, true);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state!.running?.startedAt instanceof Date);
    assert.equal(pod.spec!.containers[0]!.resources!.limits!.memory, '1Gi');
    const got = await k.core.readNamespacedPod({ namespace: 'shop', name: pod.metadata!.name! });
    assert.equal(got.metadata!.uid, pod.metadata!.uid);
    assert.equal(await apiCode(k.core.readNamespacedPod({ namespace: 'shop', name: 'nope' })), 404);
  });

  void it('serves PodMetrics through CustomObjectsApi that agree with cluster.truth()', async () => {
    sim.tick(2);
    const list = (await k.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' })) as {
      kind: string;
      items: PodMetrics[];
    };
    assert.equal(list.kind, 'PodMetricsList');
    assert.equal(list.items.length, sim.cluster.pods().filter((p) => p.status === 'Running').length);
    for (const m of list.items) {
      const t = sim.cluster.truth(m.metadata.namespace, m.metadata.name)!;
      assert.equal(m.timestamp, sim.now().toISOString().replace('.000Z', 'Z'));
      assert.equal(m.window, '5s');
      const u = m.containers[0]!.usage;
      assert.ok(Math.abs(nanocores(u.cpu) - t.cpuCores) < 1e-6);
      assert.ok(Math.abs(ki(u.memory) - t.memoryBytes) <= 1024);
    }
    const one = list.items[0]!;
    const single = (await k.custom.getNamespacedCustomObject({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      namespace: one.metadata.namespace,
      plural: 'pods',
      name: one.metadata.name,
    })) as PodMetrics;
    assert.equal(single.containers[0]!.usage.cpu, one.containers[0]!.usage.cpu);
  });

  void it('lists nodes and events, and reads pod logs with tailLines', async () => {
    const nodes = await k.core.listNode();
    assert.equal(nodes.items.length, 3);
    assert.ok(nodes.items.every((n) => n.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True')));
    const pod = (await k.core.listNamespacedPod({ namespace: 'shop' })).items[0]!;
    await k.core.deleteNamespacedPod({ namespace: 'shop', name: pod.metadata!.name! });
    sim.tick(1);
    const events = await k.core.listNamespacedEvent({ namespace: 'shop' });
    const reasons = new Set(events.items.map((e) => e.reason));
    assert.ok(reasons.has('Killing') && reasons.has('Scheduled'), [...reasons].join(','));
    const allEvents = await k.core.listEventForAllNamespaces();
    assert.ok(allEvents.items.length >= events.items.length);
    const log = await k.core.readNamespacedPodLog({
      namespace: 'payments',
      name: sim.cluster.pods().find((p) => p.namespace === 'payments')!.name,
      tailLines: 5,
    });
    assert.equal(log.trimEnd().split('\n').length, 5);
  });

  void it('watches a list: ADDED for the current pods, then DELETED and ADDED when a pod is replaced', async () => {
    const seen: [string, string][] = [];
    const watch = new Watch(loadKubeConfig(sim.kubeconfigPath));
    let ended = false;
    const ctl = await watch.watch(
      '/api/v1/namespaces/payments/pods',
      { labelSelector: 'app=postgres' },
      (phase, obj: V1Pod) => seen.push([phase, obj.metadata!.name!]),
      () => (ended = true),
    );
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(pred(), JSON.stringify(seen));
    };
    const [pg] = sim.cluster.pods().filter((p) => p.deployment === 'postgres');
    await waitFor(() => seen.some(([ph, n]) => ph === 'ADDED' && n === pg!.name));
    await k.core.deleteNamespacedPod({ namespace: 'payments', name: pg!.name });
    await waitFor(
      () => seen.some(([ph, n]) => ph === 'DELETED' && n === pg!.name) && seen.some(([ph, n]) => ph === 'ADDED' && n !== pg!.name),
    );
    sim.tick(3);
    await waitFor(() => seen.some(([ph, n]) => ph === 'MODIFIED' && n !== pg!.name));
    ctl.abort();
    await waitFor(() => ended);
  });

  void it('writes: scale through the scale subresource, patch limits (strategic merge), cordon (merge patch), dry runs recorded', async () => {
    const before = sim.cluster.deployments().find((d) => d.name === 'catalog')!.replicas;
    await k.apps.patchNamespacedDeploymentScale(
      { namespace: 'shop', name: 'catalog', body: { spec: { replicas: before + 2 } }, dryRun: 'All' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(sim.cluster.deployments().find((d) => d.name === 'catalog')!.replicas, before);
    const dry = sim.requests.at(-1)!;
    assert.equal(dry.dryRun, true);
    assert.equal(dry.method, 'PATCH');
    assert.deepEqual(dry.body, { spec: { replicas: before + 2 } });
    await k.apps.patchNamespacedDeploymentScale(
      { namespace: 'shop', name: 'catalog', body: { spec: { replicas: before + 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal((await k.apps.readNamespacedDeploymentScale({ namespace: 'shop', name: 'catalog' })).spec!.replicas, before + 2);
    assert.equal((await k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=catalog' })).items.length, before + 2);

    await k.apps.patchNamespacedDeployment(
      {
        namespace: 'shop',
        name: 'cart',
        body: { spec: { template: { spec: { containers: [{ name: 'cart', resources: { limits: { memory: '2Gi' } } }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    for (let i = 0; i < 8; i++) sim.tick(1);
    const cartPods = (await k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=cart' })).items;
    assert.ok(cartPods.every((p: V1Pod) => p.spec!.containers[0]!.resources!.limits!.memory === '2Gi'));
    assert.ok(cartPods.every((p: V1Pod) => p.spec!.containers[0]!.image === 'registry.example.com/shop/cart:1.19.2'));
    const t = sim.cluster.truth('shop', cartPods[0]!.metadata!.name!)!;
    assert.equal(t.memoryLimitBytes, 2 * 2 ** 30);

    await k.core.patchNode(
      { name: 'node-a', body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const node = await k.core.readNode({ name: 'node-a' });
    assert.equal(node.spec!.unschedulable, true);
    assert.ok(node.spec!.taints!.some((x) => x.key === 'node.kubernetes.io/unschedulable'));
  });

  const page = async (node: string) => String(await k.core.connectGetNodeProxyWithPath({ name: node, path: 'metrics/cadvisor' }));

  void it("holds exactly the node's running pods, and every node's pages together hold every running pod once", async () => {
    const running = sim.cluster.sortedPodList().filter((p) => p.sample.running && p.node);
    assert.ok(running.length >= 10);
    const seen = new Set<string>();
    for (const node of sim.cluster.nodeList().map((n) => n.name)) {
      const { pods } = read(await page(node));
      const expected = running.filter((p) => p.node === node).map((p) => `${p.namespace}/${p.name}`);
      assert.deepEqual([...pods].sort(), expected.sort(), `node ${node}`);
      for (const p of pods) {
        assert.ok(!seen.has(p), `${p} is on two pages`);
        seen.add(p);
      }
    }
    assert.equal(seen.size, running.length);
  });

  void it('follows the cluster: a tick brings new samples, a deleted pod leaves the page', async () => {
    const node = sim.cluster.sortedPodList().find((p) => p.sample.running && p.node)!.node!;
    const before = await page(node);
    assert.equal(await page(node), before, 'unchanged between changes');
    sim.tick();
    const ticked = await page(node);
    assert.notEqual(ticked, before);
    assert.equal([...read(ticked).stamps].length, 1);
    assert.notDeepEqual([...read(ticked).stamps], [...read(before).stamps]);
    const victim = [...read(ticked).pods][0]!;
    const [ns, name] = victim.split('/') as [string, string];
    await k.core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
    assert.ok(!read(await page(node)).pods.has(victim), `${victim} is still on ${node}'s page`);
  });
});
