// The sim's pod watch as an API server's: a watch from a list's resourceVersion gets only what changed
// after it (a readiness change with a resourceVersion of its own), BOOKMARKs when asked, 410 Gone as an
// ERROR event for a resourceVersion older than its history; and kubectl's `get pods -w -o json` (a list,
// then this watch) shows a deleted pod and its replacement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CoreV1Api, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../lib/kube.ts';
import { startSim } from '../../sim/index.ts';

type Event = { type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } };

async function until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

void test('a watch from a resourceVersion gets only later changes, with bookmarks; an expired one gets 410', async () => {
  const sim = await startSim({ scenario: 'demo', seed: 2, manualClock: true });
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const events: Event[] = [];
  let ctl: AbortController | undefined;
  try {
    sim.tick();
    const list = await core.listNamespacedPod({ namespace: 'payments' });
    const rv = list.metadata!.resourceVersion!;
    ctl = await new Watch(kc).watch(
      '/api/v1/namespaces/payments/pods',
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type, object: Event['object']) => events.push({ type, object }),
      () => {},
    );
    const victim = list.items[0]!.metadata!.name!;
    await core.deleteNamespacedPod({ namespace: 'payments', name: victim });
    sim.tick(3); // the replacement is created, starts, turns ready
    await until(
      'the deletion and the replacement',
      () => events.some((e) => e.type === 'DELETED') && events.some((e) => e.type === 'ADDED'),
    );
    // A change elsewhere moves the resourceVersion past the pods' latest: a bookmark says so.
    await core.patchNode(
      { name: sim.cluster.nodes()[0]!.name, body: { metadata: { labels: { 'podsentinel.io/test': 'bookmark' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await until('a bookmark', () => events.some((e) => e.type === 'BOOKMARK'));
    const changes = events.filter((e) => e.type !== 'BOOKMARK');
    assert.equal(changes.find((e) => e.type === 'DELETED')!.object.metadata!.name, victim);
    assert.ok(
      !changes.some((e) => e.type === 'ADDED' && e.object.metadata!.name === list.items[1]!.metadata!.name),
      'no replay of the list',
    );
    const rvs = changes.map((e) => Number(e.object.metadata!.resourceVersion));
    assert.ok(
      rvs.every((x) => x > Number(rv)),
      'every event is newer than the list',
    );
    assert.deepEqual(
      rvs,
      [...rvs].sort((a, b) => a - b),
      'in resourceVersion order',
    );
    assert.equal(new Set(rvs).size, rvs.length, 'each change has its own resourceVersion');
    const mark = Number(events.filter((e) => e.type === 'BOOKMARK').at(-1)!.object.metadata!.resourceVersion);
    assert.ok(mark >= Math.max(...rvs));

    // A list of the pods now matches what the watch said, resourceVersions included.
    const now = await core.listNamespacedPod({ namespace: 'payments' });
    const last = new Map<string, string>();
    for (const e of changes) if (e.type !== 'DELETED') last.set(e.object.metadata!.name!, e.object.metadata!.resourceVersion!);
    for (const p of now.items) if (last.has(p.metadata!.name!)) assert.equal(p.metadata!.resourceVersion, last.get(p.metadata!.name!));

    // Too old: an ERROR event with a 410 Status, then the end of the stream.
    sim.tick();
    sim.expireWatchHistory();
    const gone: Event[] = [];
    let ended = false;
    await new Watch(kc).watch(
      '/api/v1/namespaces/payments/pods',
      { resourceVersion: rv },
      (type, object: Event['object']) => gone.push({ type, object }),
      () => (ended = true),
    );
    await until('the end of the expired watch', () => ended);
    assert.equal(gone.length, 1);
    assert.equal(gone[0]!.type, 'ERROR');
    assert.equal(gone[0]!.object.code, 410);
  } finally {
    ctl?.abort();
    await sim.close();
  }
});

void test('kubectl get pods -w -o json sees a deleted pod and its replacement', async () => {
  const sim = await startSim({ scenario: 'demo', seed: 4, manualClock: true });
  const core = loadKubeConfig(sim.kubeconfigPath).makeApiClient(CoreV1Api);
  sim.tick();
  const child = spawn('kubectl', ['--kubeconfig', sim.kubeconfigPath, 'get', 'pods', '-n', 'payments', '-w', '-o', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const victim = sim.cluster.pods().find((p) => p.namespace === 'payments')!.name;
    await until('the first list', () => out.includes(victim));
    const before = sim.cluster
      .pods()
      .filter((p) => p.namespace === 'payments')
      .map((p) => p.name);
    await core.deleteNamespacedPod({ namespace: 'payments', name: victim });
    sim.tick(2);
    const replacement = sim.cluster.pods().find((p) => p.namespace === 'payments' && !before.includes(p.name))!;
    assert.ok(replacement, 'the controller made a replacement');
    await until(`kubectl to show ${replacement.name} (${err})`, () => out.includes(replacement.name));
    assert.ok(
      sim.requests.some((r) => r.path === '/api/v1/namespaces/payments/pods' && r.query.watch === 'true' && r.query.resourceVersion),
    );
  } finally {
    child.kill('SIGTERM');
    await sim.close();
  }
});
