// The sharded overlay: a StatefulSet of monitors with --shard-group instead of the one-replica Deployment,
// and a Role that allows exactly the membership Lease calls, in the monitors' own namespace. With those
// rules enforced by the simulated API server, replicas join, renew, list and leave; with the read-only
// rules alone, joining is refused with a readable 403.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { grantsFromObjects, startSim, type SimHandle } from '../../sim/index.ts';
import { kubeErrorMessage, loadKubeConfig } from '../../lib/kube.ts';
import { LeaseMembership } from '../../lib/shard-membership.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

function render(overlay: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy/overlays', overlay)], { encoding: 'utf8' });
  return JSON.parse(JSON.stringify(loadAllYaml(yaml).filter(Boolean))) as K8sObject[];
}

let sim: SimHandle;
before(async () => {
  sim = await startSim({ scenario: 'healthy', manualClock: true });
});
after(async () => {
  await sim.close();
});

void test('the sharded overlay runs a StatefulSet of monitors with --shard-group, one data volume each', () => {
  const objects = render('sharded');
  assert.equal(objects.filter((o) => o.kind === 'Deployment').length, 0);
  assert.equal(objects.filter((o) => o.kind === 'PersistentVolumeClaim').length, 0);
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  assert.ok(sts, 'a StatefulSet');
  const spec = sts.spec as {
    replicas: number;
    volumeClaimTemplates: { metadata: { name: string } }[];
    template: { spec: { containers: { args: string[] }[] } };
  };
  assert.ok(spec.replicas >= 2);
  assert.deepEqual(
    spec.volumeClaimTemplates.map((v) => v.metadata.name),
    ['data'],
  );
  const args = spec.template.spec.containers[0]!.args;
  assert.equal(args[0], 'run-monitoring');
  assert.equal(args[args.indexOf('--shard-group') + 1], 'podsentinel');
});

void test('with the sharded rules enforced, replicas join, renew, list and leave; read-only rules refuse the lease', async () => {
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const member = (identity: string) =>
    new LeaseMembership({ kc, namespace: 'podsentinel', group: 'podsentinel', identity, leaseDurationSeconds: 9, renewSeconds: 3 });
  sim.setRbac(grantsFromObjects(render('sharded')));
  try {
    const a = member('podsentinel-0');
    const b = member('podsentinel-1');
    await a.renew();
    await b.renew();
    await a.renew(); // an update of an existing lease
    await a.refresh();
    await a.stop();
    await b.stop();
    const denied = sim.requests.filter((r) => r.status === 403);
    assert.deepEqual(denied, [], 'no lease call refused');
    sim.setRbac(grantsFromObjects(render('default')));
    await assert.rejects(member('podsentinel-2').renew(), (err: unknown) => {
      assert.match(kubeErrorMessage(err), /HTTP 403: .*leases/);
      return true;
    });
  } finally {
    sim.setRbac(undefined);
  }
});
