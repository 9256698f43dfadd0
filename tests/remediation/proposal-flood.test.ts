// Regression tests: a flood of analyses for one pod must not turn into a flood of proposals and
// server-side dry runs; proposals are deduplicated per pod and action and capped per cycle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { RemediationSession } from '../../remediation/engine.ts';
import { memoryLogger } from '../../lib/log.ts';
import { act, analysisFor, engineFixture, podOf, tempDir, writeScenario, writesSince } from '../helpers/remediation-fixtures.ts';

let sim: SimHandle;

before(async () => {
  const dir = tempDir();
  sim = await startSim({ scenario: writeScenario(dir, 'general'), seed: 7, manualClock: true });
  sim.tick(3);
});
after(async () => {
  await sim?.close();
});

void test('20,000 analyses of one pod: one proposal and one dry run per action, the rest logged as duplicates', async () => {
  const pod = podOf(sim, 'shop', 'web');
  const log = memoryLogger();
  const fx = engineFixture(sim, tempDir(), null, { mode: 'dry-run', log });
  const analyses = Array.from({ length: 20_000 }, (_, i) =>
    analysisFor(
      pod,
      [
        act('restart_pod', { namespace: 'shop', pod: pod.name }),
        act('rollout_restart', { namespace: 'shop', kind: 'Deployment', name: 'web' }),
      ],
      {
        id: `anomaly-${i}`,
      },
    ),
  );
  const mark = sim.requests.length;
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({ analyses });
  assert.equal(session.counts.proposed, 2);
  assert.equal(writesSince(sim, mark).length, 2, 'one server-side dry run per pod and action');
  assert.equal(session.counts.duplicates, 2 * 19_999);
  assert.ok(log.records.some((r) => /duplicate/.test(r.msg) && r.fields?.duplicates === 2 * 19_999));

  // The next cycle over the same file: each pod and action was settled within the cool-down.
  const again = new RemediationSession(fx.opts);
  await again.processAnalyses({ analyses });
  assert.equal(again.counts.proposed, 0);
  assert.equal(writesSince(sim, mark).length, 2);
});

void test('proposals are capped per cycle; the rest are deferred (logged) and picked up by the next cycle', async () => {
  const pods = ['web', 'search', 'cart', 'api'].map((d) => podOf(sim, 'shop', d));
  const log = memoryLogger();
  const fx = engineFixture(sim, tempDir(), null, { mode: 'dry-run', log, maxProposalsPerCycle: 3 });
  const analyses = pods.map((p) => analysisFor(p, [act('restart_pod', { namespace: 'shop', pod: p.name })]));
  const first = new RemediationSession(fx.opts);
  await first.processAnalyses({ analyses });
  assert.equal(first.counts.proposed + first.counts.refused, 3);
  assert.equal(first.counts.deferred, 1);
  assert.ok(log.records.some((r) => /deferred/.test(r.msg) && r.fields?.deferred === 1));
  const second = new RemediationSession(fx.opts);
  await second.processAnalyses({ analyses });
  assert.equal(second.counts.proposed + second.counts.refused, 1);
  assert.equal(second.counts.deferred, 0);
  const proposedPods = fx.audit
    .all()
    .filter((r) => r.event === 'proposal' || r.event === 'refusal')
    .map((r) => r.pod);
  assert.deepEqual([...new Set(proposedPods)].sort(), pods.map((p) => p.name).sort());
});

void test('the default cap is 20 proposals per cycle', async () => {
  const fx = engineFixture(sim, tempDir(), null, { mode: 'dry-run' });
  const live = sim.cluster.pods().filter((p) => p.namespace === 'shop');
  // Three actions for each pod, each recommended twice: more than 20 pod-and-action pairs.
  const analyses = live.flatMap((p) =>
    [0, 1].map((k) =>
      analysisFor(
        p,
        [
          act('restart_pod', { namespace: 'shop', pod: p.name }),
          act('rollout_restart', { namespace: 'shop', kind: 'Deployment', name: p.deployment }),
          act('scale', { namespace: 'shop', kind: 'Deployment', name: p.deployment, replicas: 2 }),
        ],
        { id: `a-${p.name}-${k}` },
      ),
    ),
  );
  const pairs = live.length * 3;
  assert.ok(pairs > 20);
  const session = new RemediationSession(fx.opts);
  await session.processAnalyses({ analyses });
  assert.equal(session.counts.proposed + session.counts.refused, 20);
  assert.equal(session.counts.deferred, pairs - 20);
  assert.equal(session.counts.duplicates, pairs);
});
