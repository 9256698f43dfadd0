// Remediation in a sharded replica, against the simulated cluster's Leases: run-remediation proposes only
// for pods its replica owns, and asks again right before applying, so a takeover while a proposal waits
// for a person leaves the pod to its new owner (refused, audited, nothing written to the cluster).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { LeaseMembership } from '../../lib/shard-membership.ts';
import { RemediationSession } from '../../remediation/engine.ts';
import { leaseOwnership } from '../../remediation/shard-owner.ts';
import { act, analysisFor, auditEvents, engineFixture, tempDir, writeScenario, writesSince } from '../helpers/remediation-fixtures.ts';

let sim: SimHandle;
before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 11, manualClock: true });
  sim.tick(3);
});
after(async () => {
  await sim?.close();
});

/** Replicas of one group on a shared fake clock (their leases are real objects in the sim). */
function group(name: string) {
  let clock = Date.now();
  const now = () => clock;
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const replica = (identity: string) =>
    new LeaseMembership({ kc, namespace: 'default', group: name, identity, leaseDurationSeconds: 9, renewSeconds: 3, now });
  const ownership = (identity: string) =>
    leaseOwnership({ kc, group: name, identity, namespace: 'default', leaseDurationSeconds: 9, now, maxAgeMs: 0 });
  /** Lets `ms` pass while the given replicas renew every 3 s, as their timers would. */
  const pass = async (ms: number, ...renewing: LeaseMembership[]) => {
    for (let t = 0; t < ms; t += 3000) {
      clock += Math.min(3000, ms - t);
      for (const r of renewing) await r.renew();
    }
  };
  return { now, pass, replica, ownership };
}

const restart = (p: { namespace: string; name: string }) =>
  analysisFor(p as never, [act('restart_pod', { namespace: p.namespace, pod: p.name })]);

void test("a replica proposes and applies only for its own pods; another replica's pods are left alone", async () => {
  const g = group('own');
  const [a, b] = [g.replica('a'), g.replica('b')];
  await a.renew();
  await b.renew();
  await g.pass(6000, a, b); // both settled
  await a.refresh();
  const pods = sim.cluster.pods().filter((p) => p.namespace !== 'kube-system' && p.phase === 'Running');
  const mine = pods.find((p) => a.ownerOf(p.namespace, p.name) === 'a');
  const theirs = pods.find((p) => a.ownerOf(p.namespace, p.name) === 'b');
  assert.ok(mine && theirs, 'the two replicas split the pods');

  const fx = engineFixture(sim, tempDir(), async () => 'approve', { ownership: g.ownership('a') });
  const session = new RemediationSession(fx.opts);
  const [am, at] = [restart(mine), restart(theirs)];
  const mark = sim.requests.length;
  await session.processAnalyses({ analyses: [am, at] });
  assert.deepEqual(auditEvents(fx.audit, at.id), [], "the other replica's pod gets no proposal, no dry run");
  assert.deepEqual(auditEvents(fx.audit, am.id).slice(0, 4), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'execution:ok']);
  const deleted = writesSince(sim, mark).filter((r) => r.method === 'DELETE' && !r.dryRun);
  assert.deepEqual(
    deleted.map((r) => r.path.split('/').pop()),
    [mine.name],
  );
  await session.settle();
});

void test('a takeover while the proposal waits for a person: refused as not_owner before anything is applied', async () => {
  const g = group('takeover');
  const a = g.replica('a');
  await a.renew();
  await g.pass(6000, a);
  // Alone, replica a owns every pod; pick one that moves to b once b has joined and settled.
  const b = g.replica('b');
  const probe = g.replica('probe-view');
  const pods = sim.cluster.pods().filter((p) => p.namespace !== 'kube-system' && p.phase === 'Running');
  const fx = engineFixture(
    sim,
    tempDir(),
    async () => {
      // The person takes their time; meanwhile replica b joins and settles.
      await b.renew();
      await g.pass(6000, a, b);
      return 'approve';
    },
    { ownership: g.ownership('a') },
  );
  await b.renew();
  await g.pass(6000, a, b);
  await probe.refresh();
  const moving = pods.find((p) => probe.ownerOf(p.namespace, p.name) === 'b');
  assert.ok(moving, 'some pod moves to b');
  // Back to a alone for the proposal: b's lease runs out.
  await g.pass(12_000, a);
  const analysis = restart(moving);
  const mark = sim.requests.length;
  await new RemediationSession(fx.opts).processAnalyses({ analyses: [analysis] });
  assert.equal(fx.prompts, 1, 'proposed while a owned the pod');
  assert.deepEqual(auditEvents(fx.audit, analysis.id), ['proposal:proposed', 'dry_run:ok', 'decision:approved', 'refusal:not_owner']);
  const refusal = fx.audit.all().find((r) => r.event === 'refusal')!;
  assert.match(String((refusal.detail as { reason?: string }).reason), /belongs to replica b of shard group takeover/);
  assert.equal(writesSince(sim, mark).filter((r) => r.method === 'DELETE' && !r.dryRun).length, 0, 'nothing applied');
});
