// podsentinel-sim: each fault kind shows in what is served (status, events, logs, metrics.k8s.io,
// Prometheus text), served values agree with cluster.truth(), counters are monotonic, and the cluster
// reacts to remediation writes (delete, evict + PDB, scale, rollout restart, limits, dry run).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { kubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { loadScenario, parseScenario, scaleScenario, totalReplicas } from '../../sim/scenario.ts';

const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-simtest-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const START = '2026-11-25T00:00:00Z';

async function withSim(opts: Parameters<typeof startSim>[0], fn: (sim: SimHandle, k: KubeClients) => Promise<void>): Promise<void> {
  const sim = await startSim({ manualClock: true, startTime: START, ...opts });
  try {
    await fn(sim, kubeClients(loadKubeConfig(sim.kubeconfigPath)));
  } finally {
    await sim.close();
  }
}

/** Prometheus text → map "name{labels}" → value, plus a lookup by metric name and pod. */
function parseProm(text: string): { name: string; labels: Record<string, string>; value: number; timestampMs?: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number; timestampMs?: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    assert.ok(m, `bad exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]), ...(m[4] ? { timestampMs: Number(m[4]) } : {}) });
  }
  return out;
}

function series(samples: ReturnType<typeof parseProm>, name: string, pod: string, extra: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && s.labels.pod === pod && Object.entries(extra).every(([k, v]) => s.labels[k] === v))?.value;
}

async function metricsText(sim: SimHandle): Promise<string> {
  const res = await fetch(sim.metricsUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The pod a pod-scope fault will pick: number `replica` of the deployment, oldest first. */
function oldest(sim: SimHandle, deployment: string, replica: number): string {
  const pods = sim.cluster.pods().filter((p) => p.deployment === deployment);
  pods.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.name < b.name ? -1 : 1));
  return pods[replica]!.name;
}

function faultPod(sim: SimHandle): string {
  const f = sim.cluster.faults()[0];
  assert.ok(f, 'a fault was injected');
  return f.pod;
}

function scenarioFile(name: string, patch: (s: Record<string, unknown>) => void): string {
  const s = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'sim', 'scenarios', 'healthy.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  s.name = name;
  s.churn = [];
  patch(s);
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}

void describe('faults show in what is served', () => {
  void it('memory_leak: memory climbs, OOMKilled (exit 137) with an event and OutOfMemoryError logs, restart, leak continues; delete ends it', async () => {
    await withSim({ scenario: 'memory-leak', seed: 2 }, async (sim, k) => {
      sim.tick(6);
      const name = faultPod(sim);
      const mem: number[] = [];
      let oomSeen = false;
      for (let i = 0; i < 150 && !sim.cluster.faults()[0]!.firstOomKilledAt; i++) {
        sim.tick();
        const t = sim.cluster.truth('monitoring', name)!;
        if (t.status === 'OOMKilled') oomSeen = true;
        else mem.push(t.memoryBytes);
      }
      const f = sim.cluster.faults()[0]!;
      assert.ok(f.firstOomKilledAt, 'the leak ends in an OOM kill');
      assert.ok(f.firstOomKilledAt.tick > 40 && f.firstOomKilledAt.tick < 100, `OOM at tick ${f.firstOomKilledAt.tick}`);
      assert.ok(oomSeen, 'the pod status read OOMKilled for a tick');
      assert.ok(mem.at(-1)! > mem[0]! * 1.6, `memory grew from ${mem[0]} to ${mem.at(-1)}`);
      const limit = sim.cluster.truth('monitoring', name)!.memoryLimitBytes;
      assert.ok(mem.at(-1)! > limit * 0.8);

      // Before the kill the logs warn about the heap; the previous container's logs end in OutOfMemoryError.
      sim.tick(2);
      const pod = await k.core.readNamespacedPod({ namespace: 'monitoring', name });
      const cs = pod.status!.containerStatuses![0]!;
      assert.equal(cs.restartCount, 1);
      assert.equal(cs.lastState!.terminated!.reason, 'OOMKilled');
      assert.equal(cs.lastState!.terminated!.exitCode, 137);
      assert.ok(cs.state!.running);
      const prev = await k.core.readNamespacedPodLog({ namespace: 'monitoring', name, previous: true, tailLines: 30 });
      assert.match(prev, /java\.lang\.OutOfMemoryError: Java heap space/);
      assert.match(prev, /Pause Full|heap usage/);
      const events = await k.core.listNamespacedEvent({ namespace: 'monitoring', fieldSelector: `involvedObject.name=${name}` });
      const oom = events.items.find((e) => e.reason === 'OOMKilling');
      assert.ok(oom && oom.type === 'Warning' && oom.involvedObject.kind === 'Pod');
      const prom = parseProm(await metricsText(sim));
      assert.equal(series(prom, 'kube_pod_container_status_last_terminated_reason', name, { reason: 'OOMKilled' }), 1);
      assert.equal(series(prom, 'kube_pod_container_status_restarts_total', name), 1);

      // The leak goes on in the restarted container...
      const m0 = sim.cluster.truth('monitoring', name)!.memoryBytes;
      sim.tick(25);
      assert.ok(sim.cluster.truth('monitoring', name)!.memoryBytes > m0 + 100 * 2 ** 20);
      // ...until the pod is deleted: the replacement has a new name and no leak.
      await k.core.deleteNamespacedPod({ namespace: 'monitoring', name });
      assert.equal(sim.cluster.truth('monitoring', name), undefined);
      const after = sim.cluster.faults()[0]!;
      assert.equal(after.active, false);
      assert.match(after.endedAt!.reason, /deleted/);
      const fresh = sim.cluster.pods().filter((p) => p.deployment === 'log-aggregator');
      assert.equal(fresh.length, 2);
      assert.ok(fresh.every((p) => p.name !== name && p.fault === undefined));
      const creating = fresh.find((p) => p.status === 'ContainerCreating');
      assert.ok(creating);
      let prom2 = parseProm(await metricsText(sim));
      assert.equal(series(prom2, 'kube_pod_container_status_waiting_reason', creating.name, { reason: 'ContainerCreating' }), 1);
      assert.equal(series(prom2, 'kube_pod_status_phase', creating.name, { phase: 'Pending' }), 1);
      assert.equal(
        series(prom2, 'container_memory_working_set_bytes', creating.name),
        undefined,
        'no cAdvisor series before the container runs',
      );
      sim.tick(4);
      prom2 = parseProm(await metricsText(sim));
      assert.equal(sim.cluster.truth('monitoring', creating.name)!.ready, true);
      assert.equal(series(prom2, 'kube_pod_container_status_waiting_reason', creating.name, { reason: 'ContainerCreating' }), undefined);
      assert.equal(series(prom2, 'kube_pod_container_status_ready', creating.name), 1);
      assert.equal(series(prom2, 'kube_pod_status_phase', creating.name, { phase: 'Running' }), 1);
    });
  });

  void it('crash_loop: CrashLoopBackOff with growing back-off and restarts, never ready, BackOff events, stack trace; a new image ends it', async () => {
    await withSim({ scenario: 'crash-loop', seed: 3 }, async (sim, k) => {
      sim.tick(15);
      const name = faultPod(sim);
      const restartTicks: number[] = [];
      let last = 0;
      let sawBackoff = false;
      for (let i = 0; i < 120; i++) {
        sim.tick();
        const t = sim.cluster.truth('payments', name)!;
        assert.equal(t.ready, false);
        if (t.status === 'CrashLoopBackOff') sawBackoff = true;
        if (t.restarts > last) restartTicks.push(sim.cluster.tickCount);
        last = t.restarts;
      }
      assert.ok(sawBackoff);
      assert.ok(restartTicks.length >= 4, `restarts at ${restartTicks.join(',')}`);
      const gaps = restartTicks.slice(1).map((t, i) => t - restartTicks[i]!);
      assert.ok(gaps.at(-1)! > gaps[0]!, `back-off grows: gaps ${gaps.join(',')}`);
      const pod = await k.core.readNamespacedPod({ namespace: 'payments', name });
      const cs = pod.status!.containerStatuses![0]!;
      assert.equal(cs.lastState!.terminated!.reason, 'Error');
      assert.equal(cs.lastState!.terminated!.exitCode, 1);
      const prev = await k.core.readNamespacedPodLog({ namespace: 'payments', name, previous: true });
      assert.match(prev, /Exception/);
      assert.match(prev, /\tat com\.example/);
      assert.match(prev, /exit status 1/);
      const ev = (await k.core.listNamespacedEvent({ namespace: 'payments', fieldSelector: `involvedObject.name=${name},reason=BackOff` }))
        .items;
      assert.equal(ev.length, 1);
      assert.ok(ev[0]!.count! > 3);
      const prom = parseProm(await metricsText(sim));
      assert.equal(series(prom, 'kube_pod_container_status_ready', name), 0);

      // Deployment scope: a replaced pod crash-loops as well; a new image (rollback) ends it.
      await k.core.deleteNamespacedPod({ namespace: 'payments', name });
      sim.tick(4);
      assert.ok(
        sim.cluster
          .pods()
          .filter((p) => p.deployment === 'fraud-check')
          .every((p) => p.fault === 'crash_loop'),
      );
      await k.apps.patchNamespacedDeployment(
        {
          namespace: 'payments',
          name: 'fraud-check',
          body: {
            spec: {
              template: { spec: { containers: [{ name: 'fraud-check', image: 'registry.example.com/payments/fraud-check:0.9.3' }] } },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      assert.equal(sim.cluster.faults()[0]!.active, false);
      sim.tick(15);
      const pods = sim.cluster.pods().filter((p) => p.deployment === 'fraud-check');
      assert.equal(pods.length, 2);
      assert.ok(
        pods.every((p) => p.ready && p.status === 'Running'),
        JSON.stringify(pods.map((p) => [p.name, p.status, p.ready])),
      );
    });
  });

  void it('network_drops: dropped packets/s high and throughput down on the faulty pod; logs show resets and timeouts', async () => {
    await withSim({ scenario: 'network-drops', seed: 4 }, async (sim, k) => {
      sim.tick(19);
      const name = oldest(sim, 'frontend', 1);
      const before = sim.cluster.truth('shop', name)!;
      const promBefore = parseProm(await metricsText(sim));
      sim.tick(10);
      assert.equal(faultPod(sim), name);
      const t = sim.cluster.truth('shop', name)!;
      assert.equal(t.fault, 'network_drops');
      assert.ok(t.netRxDroppedPerSec > 50, `rx drops ${t.netRxDroppedPerSec}`);
      assert.ok(t.netRxBytesPerSec < before.netRxBytesPerSec * 0.6);
      const other = sim.cluster.pods().find((p) => p.deployment === 'frontend' && p.name !== name)!;
      assert.ok(sim.cluster.truth('shop', other.name)!.netRxDroppedPerSec < 1);
      const promAfter = parseProm(await metricsText(sim));
      const d0 = series(promBefore, 'container_network_receive_packets_dropped_total', name)!;
      const d1 = series(promAfter, 'container_network_receive_packets_dropped_total', name)!;
      assert.ok((d1 - d0) / 50 > 50, `drop counter rate ${(d1 - d0) / 50}/s`);
      const log = await k.core.readNamespacedPodLog({ namespace: 'shop', name, tailLines: 40 });
      assert.match(log, /connection reset|timed out|i\/o timeout|ECONNRESET/);
    });
  });

  void it('io_pressure: filesystem counters surge; logs warn about slow IO', async () => {
    await withSim({ scenario: 'io-pressure', seed: 5 }, async (sim, k) => {
      sim.tick(10);
      const name = oldest(sim, 'postgres', 0);
      const a = sim.cluster.truth('payments', name)!;
      sim.tick(5);
      const b = sim.cluster.truth('payments', name)!;
      sim.tick(10);
      const c = sim.cluster.truth('payments', name)!;
      sim.tick(5);
      const d = sim.cluster.truth('payments', name)!;
      assert.equal(faultPod(sim), name);
      const normal = b.fsWriteBytesTotal - a.fsWriteBytesTotal;
      const surge = d.fsWriteBytesTotal - c.fsWriteBytesTotal;
      assert.ok(surge > normal * 10, `writes ${normal} → ${surge} bytes per 5 ticks`);
      assert.ok(d.fsReadBytesTotal - c.fsReadBytesTotal > (b.fsReadBytesTotal - a.fsReadBytesTotal) * 10);
      assert.match(
        await k.core.readNamespacedPodLog({ namespace: 'payments', name, tailLines: 20 }),
        /slow disk write|IO wait|disk saturated/,
      );
    });
  });

  void it('cpu_creep: about +1% of a core per tick until the limit', async () => {
    await withSim({ scenario: 'cpu-creep', seed: 6 }, async (sim) => {
      sim.tick(10);
      const name = faultPod(sim);
      const cpu: number[] = [];
      for (let i = 0; i < 60; i++) {
        sim.tick();
        cpu.push(sim.cluster.truth('shop', name)!.cpuCores);
      }
      const first = cpu.slice(0, 5).reduce((a, b) => a + b) / 5;
      const last = cpu.slice(-5).reduce((a, b) => a + b) / 5;
      assert.ok(last - first > 0.4 && last - first < 0.8, `cpu ${first.toFixed(3)} → ${last.toFixed(3)}`);
    });
  });

  void it('cpu_exhaustion: CPU pinned at the limit; scaling out spreads the load below it', async () => {
    await withSim({ scenario: 'cpu-exhaustion', seed: 7 }, async (sim, k) => {
      sim.tick(25);
      const orders = () => sim.cluster.pods().filter((p) => p.deployment === 'orders');
      for (const p of orders()) {
        const t = sim.cluster.truth('shop', p.name)!;
        assert.ok(t.cpuCores >= t.cpuLimitCores * 0.95, `${p.name} cpu ${t.cpuCores}`);
      }
      await k.apps.replaceNamespacedDeploymentScale({
        namespace: 'shop',
        name: 'orders',
        body: { metadata: { name: 'orders', namespace: 'shop' }, spec: { replicas: 5 } },
      });
      sim.tick(6);
      assert.equal(orders().length, 5);
      const usage = orders().map((p) => sim.cluster.truth('shop', p.name)!);
      assert.ok(usage.every((t) => t.ready));
      const mean = usage.reduce((a, t) => a + t.cpuCores / t.cpuLimitCores, 0) / usage.length;
      assert.ok(mean < 0.85, `mean CPU after scale-out ${mean.toFixed(2)} of the limit`);
    });
  });
});

void describe('served values agree with the truth', () => {
  void it('metrics.k8s.io, Prometheus /metrics and the cAdvisor node proxy match cluster.truth(); counters are monotonic and consistent with rates', async () => {
    await withSim({ scenario: 'healthy', seed: 8 }, async (sim, k) => {
      sim.tick(1);
      let prev = parseProm(await metricsText(sim));
      for (let step = 0; step < 12; step++) {
        sim.tick(1);
        const prom = parseProm(await metricsText(sim));
        const pm = (await k.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' })) as {
          items: { metadata: { name: string; namespace: string }; containers: { usage: { cpu: string; memory: string } }[] }[];
        };
        const byName = new Map(pm.items.map((m) => [m.metadata.name, m]));
        for (const p of sim.cluster.pods()) {
          const t = sim.cluster.truth(p.namespace, p.name)!;
          const m = byName.get(p.name);
          assert.equal(m !== undefined, t.metricsServed, `${p.name}: PodMetrics served iff running`);
          if (!t.metricsServed) continue;
          assert.equal(m!.containers[0]!.usage.cpu, `${Math.round(t.cpuCores * 1e9)}n`);
          assert.equal(m!.containers[0]!.usage.memory, `${Math.round(t.memoryBytes / 1024)}Ki`);
          assert.equal(series(prom, 'container_memory_working_set_bytes', p.name), t.memoryBytes);
          assert.equal(series(prom, 'container_spec_memory_limit_bytes', p.name), t.memoryLimitBytes);
          assert.equal(series(prom, 'kube_pod_container_status_restarts_total', p.name), t.restarts);
          assert.equal(series(prom, 'kube_pod_container_status_ready', p.name), t.ready ? 1 : 0);
          assert.equal(series(prom, 'kube_pod_status_phase', p.name, { phase: 'Running' }), 1);
          const info = prom.find((s) => s.name === 'kube_pod_info' && s.labels.pod === p.name)!;
          assert.equal(info.labels.node, p.node);
          assert.equal(info.labels.created_by_name, p.replicaSet);
          const cpu1 = series(prom, 'container_cpu_usage_seconds_total', p.name)!;
          const cpu0 = series(prev, 'container_cpu_usage_seconds_total', p.name);
          const rx1 = series(prom, 'container_network_receive_bytes_total', p.name)!;
          const rx0 = series(prev, 'container_network_receive_bytes_total', p.name);
          const restarted = p.restarts !== series(prev, 'kube_pod_container_status_restarts_total', p.name);
          if (cpu0 !== undefined && !restarted) {
            assert.ok(cpu1 >= cpu0, `${p.name}: cpu counter monotonic`);
            assert.ok(Math.abs((cpu1 - cpu0) / 5 - t.cpuCores) < 1e-6 + t.cpuCores * 1e-6, `${p.name}: cpu counter rate = served cpu`);
          }
          if (rx0 !== undefined) {
            assert.ok(rx1 >= rx0);
            assert.ok(Math.abs((rx1 - rx0) / 5 - t.netRxBytesPerSec) <= 1, `${p.name}: rx counter rate = served rate`);
          }
        }
        prev = prom;
      }
      const node = sim.cluster.nodes()[0]!.name;
      const cad = await k.core.connectGetNodeProxyWithPath({ name: node, path: 'metrics/cadvisor' });
      const samples = parseProm(String(cad));
      const pods = new Set(samples.filter((s) => s.name === 'container_memory_working_set_bytes').map((s) => s.labels.pod));
      const expected = sim.cluster.pods().filter((p) => p.node === node && sim.cluster.truth(p.namespace, p.name)!.metricsServed);
      assert.deepEqual([...pods].sort(), expected.map((p) => p.name).sort());
      for (const s of samples.filter((x) => x.name === 'container_memory_working_set_bytes')) {
        assert.equal(s.value, sim.cluster.truth(s.labels.namespace!, s.labels.pod!)!.memoryBytes);
      }
      // As a kubelet's page does, every sample carries its time (the simulated sample time), so a reader
      // can time counters exactly even when a tick falls between two of its reads.
      assert.ok(samples.length > 0 && samples.every((s) => s.timestampMs === sim.now().getTime()));
    });
  });

  void it('is deterministic: same seed and scenario give the same series; another seed does not', async () => {
    const run = async (seed: number) => {
      const sim = await startSim({ scenario: 'demo', seed, manualClock: true, startTime: START });
      try {
        const out: string[] = [];
        for (let i = 0; i < 30; i++) {
          sim.tick();
          for (const p of sim.cluster.pods()) {
            const t = sim.cluster.truth(p.namespace, p.name)!;
            out.push(`${p.name}:${t.cpuCores.toFixed(9)}:${t.memoryBytes}:${t.status}`);
          }
        }
        return out;
      } finally {
        await sim.close();
      }
    };
    const a = await run(11);
    assert.deepEqual(await run(11), a);
    assert.notDeepEqual(await run(12), a);
  });
});

void describe('reactions to writes', () => {
  void it('eviction honours PDBs (429), dry runs change nothing and are recorded, rollout restart replaces the pods', async () => {
    await withSim({ scenario: 'healthy', seed: 9 }, async (sim, k) => {
      sim.tick(2);
      const frontend = () => sim.cluster.pods().filter((p) => p.deployment === 'frontend');
      const [a, b] = frontend();
      const evict = (name: string, dryRun?: boolean) =>
        k.core.createNamespacedPodEviction({
          namespace: 'shop',
          name,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name, namespace: 'shop' },
            ...(dryRun ? { deleteOptions: { dryRun: ['All'] } } : {}),
          },
        });
      // Dry-run delete and eviction: recorded, nothing changes.
      const names = frontend().map((p) => p.name);
      await k.core.deleteNamespacedPod({ namespace: 'shop', name: a!.name, dryRun: 'All' });
      await evict(a!.name, true);
      assert.deepEqual(
        frontend().map((p) => p.name),
        names,
      );
      const dry = sim.requests.filter((r) => r.dryRun);
      assert.equal(dry.length, 2);
      assert.deepEqual(
        dry.map((r) => r.method),
        ['DELETE', 'POST'],
      );
      assert.match(dry[1]!.path, /\/pods\/.+\/eviction$/);

      // minAvailable 2 of 3: the first eviction passes, the second (replacement not ready yet) is refused.
      await evict(a!.name);
      assert.ok(!frontend().some((p) => p.name === a!.name));
      assert.equal(frontend().length, 3);
      let code = 0;
      try {
        await evict(b!.name);
      } catch (err) {
        assert.ok(err instanceof ApiException);
        code = err.code;
        assert.match(String(err.body), /disruption budget/);
      }
      assert.equal(code, 429);
      assert.ok(frontend().some((p) => p.name === b!.name));
      const pdb = (await k.policy.listNamespacedPodDisruptionBudget({ namespace: 'shop' })).items.find(
        (p) => p.metadata!.name === 'frontend',
      )!;
      assert.equal(pdb.status!.disruptionsAllowed, 0);
      sim.tick(4);
      await evict(b!.name);

      // Rollout restart (what `kubectl rollout restart` sends): all pods replaced, one surge at a time.
      sim.tick(4);
      const old = new Set(frontend().map((p) => p.name));
      await k.apps.patchNamespacedDeployment(
        {
          namespace: 'shop',
          name: 'frontend',
          body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': sim.now().toISOString() } } } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      let maxPods = 0;
      for (let i = 0; i < 20; i++) {
        sim.tick();
        maxPods = Math.max(maxPods, frontend().length);
        assert.ok(frontend().filter((p) => p.ready).length >= 2, 'rolling update keeps availability');
      }
      assert.equal(frontend().length, 3);
      assert.ok(frontend().every((p) => !old.has(p.name) && p.ready));
      assert.ok(maxPods <= 4);
      const dep = await k.apps.readNamespacedDeployment({ namespace: 'shop', name: 'frontend' });
      assert.equal(dep.status!.updatedReplicas, 3);
      assert.ok(dep.spec!.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']);
    });
  });

  void it('a raised memory limit takes effect: a deployment-wide leak then stays below it and the OOM kills stop', async () => {
    const file = scenarioFile('leak-limit', (s) => {
      s.faults = [
        {
          kind: 'memory_leak',
          namespace: 'shop',
          deployment: 'cart',
          scope: 'deployment',
          startTick: 1,
          oomAfterTicks: 20,
          plateauMiB: 1400,
        },
      ];
    });
    await withSim({ scenario: file, seed: 10 }, async (sim, k) => {
      let backoffAfterOom = false;
      for (let i = 0; i < 60; i++) {
        sim.tick();
        for (const p of sim.cluster.pods().filter((x) => x.deployment === 'cart' && x.status === 'CrashLoopBackOff')) {
          const cs = (await k.core.readNamespacedPod({ namespace: 'shop', name: p.name })).status!.containerStatuses![0]!;
          assert.equal(cs.state!.waiting!.reason, 'CrashLoopBackOff');
          assert.equal(cs.lastState!.terminated!.reason, 'OOMKilled');
          backoffAfterOom = true;
        }
      }
      const f0 = sim.cluster.faults()[0]!;
      assert.ok(f0.oomKills >= 2, `OOM kills with the 1Gi limit: ${f0.oomKills}`);
      assert.ok(backoffAfterOom, 'repeated OOM kills within ten minutes back off in CrashLoopBackOff');
      // A dry run of the patch returns the would-be object and changes nothing.
      const body = { spec: { template: { spec: { containers: [{ name: 'cart', resources: { limits: { memory: '2Gi' } } }] } } } };
      const preview = await k.apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'cart', body, dryRun: 'All' },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      assert.equal(preview.spec!.template.spec!.containers[0]!.resources!.limits!.memory, '2Gi');
      assert.equal(sim.cluster.deployments().find((d) => d.name === 'cart')!.memoryLimitBytes, 2 ** 30);
      await k.apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'cart', body },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      sim.tick(10);
      const killsAfterRollout = sim.cluster.faults()[0]!.oomKills;
      sim.tick(80);
      const pods = sim.cluster.pods().filter((p) => p.deployment === 'cart');
      assert.ok(pods.every((p) => p.memoryLimitBytes === 2 * 2 ** 30 && p.fault === 'memory_leak'));
      assert.equal(sim.cluster.faults()[0]!.oomKills, killsAfterRollout, 'no OOM kill once the limit is above the plateau');
      for (const p of pods) {
        const t = sim.cluster.truth('shop', p.name)!;
        assert.ok(t.memoryBytes > 1200 * 2 ** 20 && t.memoryBytes < t.memoryLimitBytes, `${p.name} at plateau ${t.memoryBytes}`);
      }
    });
  });

  void it('cordon marks the node unschedulable and new pods avoid it; a merge patch without image is refused (422)', async () => {
    await withSim({ scenario: 'healthy', seed: 12 }, async (sim, k) => {
      for (const n of ['node-a', 'node-b']) {
        await k.core.patchNode(
          { name: n, body: { spec: { unschedulable: true } } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
      }
      assert.deepEqual(
        sim.cluster.nodes().map((n) => n.unschedulable),
        [true, true, false],
      );
      await k.apps.patchNamespacedDeploymentScale(
        { namespace: 'shop', name: 'cart', body: { spec: { replicas: 5 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      sim.tick(3);
      const cart = sim.cluster.pods().filter((p) => p.deployment === 'cart');
      assert.equal(cart.length, 5);
      const newer = cart.filter((p) => p.createdAt >= new Date(START).toISOString());
      assert.equal(newer.length, 3);
      assert.ok(newer.every((p) => p.node === 'node-c'));
      let code = 0;
      try {
        await k.apps.patchNamespacedDeployment(
          {
            namespace: 'shop',
            name: 'cart',
            body: { spec: { template: { spec: { containers: [{ name: 'cart', resources: { limits: { memory: '2Gi' } } }] } } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (err) {
        code = (err as ApiException<unknown>).code;
      }
      assert.equal(code, 422);
      assert.equal(sim.cluster.deployments().find((d) => d.name === 'cart')!.image, 'registry.example.com/shop/cart:1.19.2');
    });
  });

  void it('a rollback (JSON patch of the old ReplicaSet template, as kubectl rollout undo sends) returns to the old ReplicaSet', async () => {
    await withSim({ scenario: 'healthy', seed: 15 }, async (sim, k) => {
      const rsOf = () =>
        new Set(
          sim.cluster
            .pods()
            .filter((p) => p.deployment === 'cart')
            .map((p) => p.replicaSet),
        );
      const [original] = [...rsOf()];
      const oldRs = await k.apps.readNamespacedReplicaSet({ namespace: 'shop', name: original! });
      await k.apps.patchNamespacedDeployment(
        {
          namespace: 'shop',
          name: 'cart',
          body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example.com/shop/cart:1.20.0' }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      sim.tick(12);
      assert.equal(rsOf().size, 1);
      assert.notEqual([...rsOf()][0], original);
      const template = structuredClone(oldRs.spec!.template!);
      // The ObjectSerializer's shape, with the RS's pod-template-hash label left in (a careless client).
      await k.apps.patchNamespacedDeployment(
        {
          namespace: 'shop',
          name: 'cart',
          body: [{ op: 'replace', path: '/spec/template', value: JSON.parse(JSON.stringify(template)) as unknown }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      sim.tick(12);
      assert.deepEqual([...rsOf()], [original]);
      const dep = await k.apps.readNamespacedDeployment({ namespace: 'shop', name: 'cart' });
      assert.equal(dep.spec!.template.spec!.containers[0]!.image, 'registry.example.com/shop/cart:1.19.2');
      assert.equal(dep.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    });
  });

  void it('pod logs: 400 while ContainerCreating and without a previous container; container name checked', async () => {
    await withSim({ scenario: 'healthy', seed: 16 }, async (sim, k) => {
      const pod = sim.cluster.pods().find((p) => p.deployment === 'orders')!;
      const code = async (p: Promise<unknown>) => {
        try {
          await p;
          return 200;
        } catch (err) {
          return (err as ApiException<unknown>).code;
        }
      };
      assert.equal(await code(k.core.readNamespacedPodLog({ namespace: 'shop', name: pod.name, previous: true })), 400);
      assert.equal(await code(k.core.readNamespacedPodLog({ namespace: 'shop', name: pod.name, container: 'nope' })), 400);
      const log = await k.core.readNamespacedPodLog({
        namespace: 'shop',
        name: pod.name,
        container: 'orders',
        tailLines: 4,
        timestamps: true,
      });
      assert.equal(log.trimEnd().split('\n').length, 4);
      assert.ok(
        log
          .split('\n')
          .filter(Boolean)
          .every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(l)),
      );
      await k.core.deleteNamespacedPod({ namespace: 'shop', name: pod.name });
      const fresh = sim.cluster.pods().find((p) => p.deployment === 'orders' && p.status === 'ContainerCreating')!;
      assert.equal(await code(k.core.readNamespacedPodLog({ namespace: 'shop', name: fresh.name })), 400);
      sim.tick(2);
      assert.match(await k.core.readNamespacedPodLog({ namespace: 'shop', name: fresh.name }), /starting orders/);
    });
  });

  void it('answers unknown paths with a 404 Status and unsupported methods with 405; discovery lists the groups', async () => {
    await withSim({ scenario: 'healthy', seed: 13 }, async (sim) => {
      const call = async (method: string, path: string) => {
        const { request } = await import('node:https');
        return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
          const u = new URL(path, sim.apiUrl);
          const req = request(
            { host: u.hostname, port: u.port, path: u.pathname, method, ca: sim.caPem, headers: { Authorization: `Bearer ${sim.token}` } },
            (res) => {
              let s = '';
              res.on('data', (c: Buffer) => (s += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(s) as Record<string, unknown> }));
            },
          );
          req.on('error', reject);
          req.end();
        });
      };
      assert.equal((await call('GET', '/api/v1/namespaces/%E0%A4%A/pods')).status, 400, 'a malformed path is a 400, not a crash');
      const nf = await call('GET', '/api/v1/widgets');
      assert.equal(nf.status, 404);
      assert.deepEqual([nf.body.kind, nf.body.reason, nf.body.code], ['Status', 'NotFound', 404]);
      assert.equal((await call('GET', '/openapi/v2')).status, 404);
      assert.equal((await call('PUT', '/api/v1/pods')).status, 405);
      assert.equal((await call('OPTIONS', '/api/v1/pods')).status, 405);
      const groups = await call('GET', '/apis');
      assert.deepEqual(
        (groups.body.groups as { name: string }[]).map((g) => g.name),
        ['apps', 'policy', 'coordination.k8s.io', 'metrics.k8s.io'],
      );
      const v1 = await call('GET', '/api/v1');
      assert.ok((v1.body.resources as { name: string }[]).some((r) => r.name === 'pods/eviction'));
    });
  });
});

void describe('scenarios', () => {
  void it('built-ins load; bad files give a clear error; --pods scales to 1,000 and 10,000', () => {
    for (const n of ['demo', 'healthy', 'memory-leak', 'cpu-exhaustion', 'crash-loop', 'network-drops', 'io-pressure', 'cpu-creep']) {
      const s = loadScenario(n);
      assert.ok(totalReplicas(s) >= 20 && totalReplicas(s) <= 40);
    }
    const demo = loadScenario('demo');
    assert.ok(demo.faults.some((f) => f.kind === 'memory_leak' && f.namespace === 'monitoring'));
    assert.throws(() => loadScenario('no-such-scenario'), /unknown scenario "no-such-scenario" \(built-in: .*demo/);
    assert.throws(
      () => parseScenario({ ...demo, faults: [{ kind: 'memory_leak', namespace: 'shop', deployment: 'ghost', startTick: 1 }] }, 'x.json'),
      /fault names unknown workload shop\/ghost/,
    );
    assert.throws(() => parseScenario({ name: 'x', nodes: [], workloads: [] }, 'x.json'), /invalid scenario x\.json: nodes/);
    for (const n of [1000, 10000]) {
      const big = scaleScenario(demo, n);
      assert.equal(totalReplicas(big), n);
      assert.ok(big.nodes.length >= n / 110, 'at most 110 pods per node');
      assert.equal(new Set(big.workloads.map((w) => `${w.namespace}/${w.name}`)).size, big.workloads.length);
    }
  });

  void it('serves a 1,000-pod cluster: paginated pod list and PodMetrics cover every pod', async () => {
    await withSim({ scenario: 'healthy', seed: 17, pods: 1000 }, async (sim, k) => {
      sim.tick(1);
      let n = 0;
      let cont: string | undefined;
      const names = new Set<string>();
      do {
        const page = await k.core.listPodForAllNamespaces({ limit: 250, ...(cont ? { _continue: cont } : {}) });
        for (const p of page.items) names.add(`${p.metadata!.namespace}/${p.metadata!.name}`);
        n += page.items.length;
        cont = page.metadata?._continue;
      } while (cont);
      assert.equal(n, 1000);
      assert.equal(names.size, 1000);
      const pm = (await k.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' })) as {
        items: unknown[];
      };
      assert.equal(pm.items.length, sim.cluster.pods().filter((p) => p.status === 'Running').length);
      assert.ok(sim.cluster.nodes().length >= 10);
    });
  });

  void it('writes the ground truth file on every tick', async () => {
    const truthOut = join(tmp, 'truth.json');
    await withSim({ scenario: 'memory-leak', seed: 14, truthOut }, async (sim) => {
      sim.tick(8);
      const truth = JSON.parse(readFileSync(truthOut, 'utf8')) as {
        tick: number;
        scenario: string;
        faults: { kind: string; pod: string; startedAt: { tick: number } }[];
      };
      assert.equal(truth.tick, 8);
      assert.equal(truth.scenario, 'memory-leak');
      assert.deepEqual(
        truth.faults.map((f) => [f.kind, f.pod, f.startedAt.tick]),
        [['memory_leak', sim.cluster.faults()[0]!.pod, 5]],
      );
    });
  });
});
