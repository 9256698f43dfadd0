// The pod informer and the collector's watch mode against the simulated cluster over HTTPS (client-node's
// Watch and the raw client, no mocks): the paged first list, then no pod request per tick; adds, deletes
// and a crash reaching the store and the rows; a 410 on resume listing again without losing pods; a cut
// connection resuming from where it was; rows equal to list mode's tick after tick; RBAC without `watch`
// falling back to listing; and nothing left open after close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-informer-'));

/** Two namespaces, three workloads, eight pods on two nodes; optionally a crash loop on shop/web from tick 3. */
function scenario(name: string, crash = false): string {
  const file = join(tmp, `${name}.json`);
  const w = (namespace: string, wl: string, replicas: number) => ({
    namespace,
    name: wl,
    replicas,
    image: `${wl}:1`,
    cpu: { baseCores: 0.2, limitCores: 1 },
    memory: { baseMiB: 100, limitMiB: 256 },
  });
  writeFileSync(
    file,
    JSON.stringify({
      name,
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      workloads: [w('shop', 'web', 3), w('data', 'db', 2), w('ops', 'agent', 3)],
      faults: crash ? [{ kind: 'crash_loop', namespace: 'shop', deployment: 'web', startTick: 3 }] : [],
    }),
  );
  return file;
}

const collector = (sim: SimHandle, podSource: 'watch' | 'list' = 'watch', pageSize = 500) =>
  new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: memoryLogger(), podSource, pageSize });

const names = (pods: { namespace: string; name: string }[]) => pods.map((p) => `${p.namespace}/${p.name}`).sort();

async function until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

void test('first tick lists page by page, then the watch runs from the list and no pod request is made per tick', async () => {
  const sim = await startSim({ scenario: scenario('paged'), seed: 3, manualClock: true });
  const c = collector(sim, 'watch', 3);
  try {
    sim.tick();
    const mark = sim.requests.length;
    await c.collectOnce();
    const pods = sim.requests.slice(mark).filter((r) => r.path === '/api/v1/pods');
    const pages = pods.filter((r) => r.query.watch === undefined);
    assert.equal(pages.length, Math.ceil(sim.cluster.pods().length / 3), 'one request per page of 3');
    assert.ok(pages.every((r) => r.query.limit === '3') && pages.slice(1).every((r) => r.query.continue));
    await until('the watch', () => sim.requests.some((r) => r.path === '/api/v1/pods' && r.query.watch === 'true'));
    const watch = sim.requests.find((r) => r.query.watch === 'true')!;
    assert.equal(watch.query.allowWatchBookmarks, 'true');
    assert.ok(Number(watch.query.resourceVersion) > 0, 'from the list resourceVersion');

    const after = sim.requests.length;
    for (let i = 0; i < 3; i++) {
      sim.tick();
      assert.equal((await c.collectOnce()).length, sim.cluster.pods().length);
    }
    assert.deepEqual(
      sim.requests.slice(after).filter((r) => r.path.endsWith('/pods') && !r.path.startsWith('/apis/metrics')),
      [],
      'no pod list or new watch while the watch runs',
    );
    assert.equal(c.informer!.stats.lists, 1);
  } finally {
    c.close();
    await sim.close();
  }
});

void test('a scale-up, a deleted pod and a crash loop reach the store and the rows', async () => {
  const sim = await startSim({ scenario: scenario('changes', true), seed: 5, manualClock: true });
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const c = collector(sim);
  try {
    sim.tick();
    await c.collectOnce();
    await apps.patchNamespacedDeploymentScale(
      { namespace: 'data', name: 'db', body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const victim = sim.cluster.pods().find((p) => p.deployment === 'agent')!;
    await core.deleteNamespacedPod({ namespace: 'ops', name: victim.name });
    sim.tick(5); // the new pods start; web's crash loop begins at tick 3
    const rows = await c.collectOnce();
    const live = sim.cluster.pods();
    assert.deepEqual(names(c.informer!.pods()), names(live), 'the store holds exactly the live pods');
    assert.equal(live.filter((p) => p.deployment === 'db').length, 4);
    assert.ok(!rows.some((r) => r.pod === victim.name), 'no row for the deleted pod');
    assert.deepEqual(new Set(rows.map((r) => r.pod)), new Set(live.map((p) => p.name)));
    for (const r of rows) {
      const t = sim.cluster.truth(r.namespace, r.pod)!;
      assert.equal(r.status, t.status, `${r.pod} status`);
      assert.equal(r.restarts, t.restarts, `${r.pod} restarts`);
      assert.equal(r.readyContainers, t.ready ? 1 : 0, `${r.pod} ready`);
    }
    assert.ok(
      rows.some((r) => r.pod.startsWith('web-') && (r.restarts > 0 || /CrashLoopBackOff|Error/.test(r.status))),
      `the crash shows: ${JSON.stringify(rows.filter((r) => r.pod.startsWith('web-')).map((r) => [r.status, r.restarts]))}`,
    );
    assert.equal(c.informer!.stats.lists, 1, 'all of it through the watch');
  } finally {
    c.close();
    await sim.close();
  }
});

void test('410 Gone on resume: the informer lists again and loses no pod', async () => {
  const sim = await startSim({ scenario: scenario('gone'), seed: 6, manualClock: true });
  const c = collector(sim);
  try {
    sim.tick();
    await c.collectOnce();
    const informer = c.informer!;
    await until('the watch', () => informer.state === 'watching' && informer.stats.watches === 1);
    // the request is out once the informer says 'watching'; the server holds it a moment later
    await until('the server to hold the watch', () => sim.podWatches() === 1);
    assert.equal(sim.dropWatches(), 1);
    const victim = sim.cluster.pods().find((p) => p.namespace === 'ops')!;
    sim.cluster.deletePod('ops', victim.name, false); // the resourceVersion moves on while nobody watches
    sim.tick(3);
    sim.expireWatchHistory();
    await until('a second list', () => informer.stats.lists === 2 && informer.state === 'watching');
    assert.ok(informer.stats.gone >= 1);
    assert.deepEqual(names(informer.pods()), names(sim.cluster.pods()));
    sim.tick();
    assert.equal((await c.collectOnce()).length, sim.cluster.pods().length);
  } finally {
    c.close();
    await sim.close();
  }
});

void test('a cut watch connection resumes from its resourceVersion without listing again', async () => {
  const sim = await startSim({ scenario: scenario('drop'), seed: 7, manualClock: true });
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const c = collector(sim);
  try {
    sim.tick();
    await c.collectOnce();
    const informer = c.informer!;
    await until('the watch', () => informer.state === 'watching' && informer.stats.watches === 1);
    await until('the server to hold the watch', () => sim.podWatches() === 1);
    assert.equal(sim.dropWatches(), 1);
    const victim = sim.cluster.pods().find((p) => p.namespace === 'shop')!;
    await core.deleteNamespacedPod({ namespace: 'shop', name: victim.name });
    sim.tick(2);
    await until('the resumed watch', () => informer.stats.watches === 2 && informer.state === 'watching');
    const resumed = sim.requests.filter((r) => r.query.watch === 'true').at(-1)!;
    assert.ok(Number(resumed.query.resourceVersion) > 0);
    await until('the deletion', () => !informer.pods().some((p) => p.name === victim.name));
    assert.equal(informer.stats.lists, 1, 'resumed, not listed again');
    assert.equal(informer.stats.gone, 0);
    assert.deepEqual(names(informer.pods()), names(sim.cluster.pods()));
  } finally {
    c.close();
    await sim.close();
  }
});

void test('watch mode writes the same rows as list mode, tick after tick, through churn', async () => {
  const sim = await startSim({ scenario: 'demo', seed: 11, manualClock: true });
  const core = loadKubeConfig(sim.kubeconfigPath).makeApiClient(CoreV1Api);
  const list = collector(sim, 'list', 50);
  const watch = collector(sim, 'watch', 50);
  try {
    for (let t = 1; t <= 12; t++) {
      sim.tick();
      if (t === 5) {
        const p = sim.cluster.pods()[3]!;
        await core.deleteNamespacedPod({ namespace: p.namespace, name: p.name });
      }
      const a = await list.collectOnce();
      const b = await watch.collectOnce();
      assert.deepEqual(b, a, `tick ${t}`);
      assert.ok(a.length > 0);
    }
  } finally {
    list.close();
    watch.close();
    await sim.close();
  }
});

void test('without RBAC to watch pods the collector lists every tick, warning once', async () => {
  const sim = await startSim({ scenario: scenario('nowatch'), seed: 8, manualClock: true });
  const rule = (resources: string[], verbs: string[], apiGroups = ['']) => ({ apiGroups, resources, verbs });
  sim.setRbac([
    {
      rules: [
        rule(['pods', 'events', 'nodes'], ['get', 'list']),
        rule(['nodes/proxy'], ['get']),
        rule(['pods'], ['get', 'list'], ['metrics.k8s.io']),
      ],
    },
  ]);
  const log = memoryLogger();
  const c = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: log });
  try {
    sim.tick();
    await c.collectOnce();
    await until('the refused watch', () => c.informer!.state === 'unsupported');
    for (let i = 0; i < 2; i++) {
      sim.tick();
      const mark = sim.requests.length;
      assert.equal((await c.collectOnce()).length, sim.cluster.pods().length);
      assert.ok(sim.requests.slice(mark).some((r) => r.path === '/api/v1/pods' && r.query.watch === undefined));
    }
    const warned = log.records.filter((l) => l.level === 'warn' && /does not watch pods/.test(l.msg));
    assert.equal(warned.length, 1);
  } finally {
    c.close();
    await sim.close();
  }
});

void test('close() leaves no watch open on the server', async () => {
  const sim = await startSim({ scenario: scenario('close'), seed: 9, manualClock: true });
  const c = collector(sim);
  try {
    sim.tick();
    await c.collectOnce();
    await until('the watch', () => c.informer!.state === 'watching' && c.informer!.stats.watches === 1);
    await until('the server to hold the watch', () => sim.podWatches() === 1);
    c.close();
    assert.equal(c.informer!.state, 'closed');
    await until('the server to see it closed', () => sim.podWatches() === 0);
  } finally {
    await sim.close();
  }
});
