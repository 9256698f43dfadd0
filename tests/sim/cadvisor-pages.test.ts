// The simulator's per-node cAdvisor pages (sim/prometheus.ts cadvisorPage): each page holds its node's
// running pods only, and a page kept for the cluster's version follows every change: a tick moves the
// counters and the sample timestamps, a deleted pod leaves its node's page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';

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

void describe('the simulator serves each node its own cAdvisor page', () => {
  let sim: SimHandle;
  let k: KubeClients;

  before(async () => {
    sim = await startSim({ scenario: 'demo', seed: 7, manualClock: true, startTime: '2026-11-25T00:00:00Z' });
    k = kubeClients(loadKubeConfig(sim.kubeconfigPath));
  });
  after(async () => {
    await sim?.close();
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
