// Against the simulated cluster: the context builder reads status, events, owner chain and logs through
// client-node (and copes with a deleted pod or a cluster that went away), and on every fault scenario
// the rule-based analyser names the right anomaly type and proposes a sensible first action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from '../../sim/index.ts';
import { buildContext } from '../../agents/analysis/context.ts';
import { kubeClients, loadKubeConfig } from '../../lib/kube.ts';
import { CASES, CONTROLS, runCase } from '../../bench/analysis/sim-scenarios.ts';
import { insight } from '../helpers/analysis-fixtures.ts';

const OPTS = { logLines: 40, maxEvents: 5, timeoutMs: 3000 };

void test('context from the sim: container states, BackOff events, owner chain to the Deployment, previous logs', async () => {
  const sim = await startSim({ scenario: 'crash-loop', seed: 1, manualClock: true });
  try {
    sim.tick(40);
    const fault = sim.cluster.faults()[0]!;
    const clients = kubeClients(loadKubeConfig(sim.kubeconfigPath));
    const ctx = await buildContext(clients, insight({ namespace: fault.namespace, pod: fault.pod }), OPTS);
    assert.equal(ctx.cluster, 'ok');
    assert.deepEqual(
      ctx.ownerChain.map((l) => l.kind),
      ['ReplicaSet', 'Deployment'],
    );
    assert.equal(ctx.ownerChain[1]!.name, 'fraud-check');
    assert.equal(typeof ctx.ownerChain[1]!.replicas, 'number');
    assert.ok(ctx.containers[0]!.restartCount > 0);
    assert.ok(
      ctx.events.some((e) => e.reason === 'BackOff'),
      JSON.stringify(ctx.events),
    );
    assert.ok(
      ctx.logs.previous.some((l) => /Exception|Error/.test(l)),
      'previous container logs read',
    );
    assert.ok(ctx.node);
  } finally {
    await sim.close();
  }
});

void test('context: a deleted pod and an unreachable cluster are said, never thrown', async () => {
  const sim = await startSim({ scenario: 'healthy', seed: 1, manualClock: true });
  const clients = kubeClients(loadKubeConfig(sim.kubeconfigPath));
  let closed = false;
  try {
    sim.tick(2);
    const gone = await buildContext(clients, insight({ namespace: 'shop', pod: 'no-such-pod-12345' }), OPTS);
    assert.equal(gone.cluster, 'gone');
    assert.ok(gone.notes.some((n) => /no longer exists/.test(n)));
    await sim.close();
    closed = true;
    const down = await buildContext(clients, insight({ namespace: 'shop', pod: 'whatever' }), { ...OPTS, timeoutMs: 1500 });
    assert.equal(down.cluster, 'unreachable');
    assert.ok(
      down.notes.some((n) => /cluster unreachable/.test(n)),
      down.notes.join('; '),
    );
    assert.equal(down.metrics.source, 'insight', 'the analysis goes on from the insight');
  } finally {
    if (!closed) await sim.close();
  }
});

for (const c of [...CASES, ...CONTROLS]) {
  void test(`sim ${c.scenario}, ${c.label}: names ${c.expectType}, first action ${c.expectFirst.join(' or ')}`, async () => {
    const r = await runCase(c);
    const why = `\n${r.analysis.explanation}\n${r.analysis.evidence.join('\n')}`;
    assert.equal(r.analysis.anomaly_type, c.expectType, why);
    assert.ok(
      c.expectFirst.includes(r.analysis.recommended_actions[0]?.action ?? '(none)'),
      `first action ${r.analysis.recommended_actions[0]?.action}${why}`,
    );
    for (const a of r.analysis.recommended_actions) {
      const ns = (a.params as { namespace?: string }).namespace;
      if (ns) assert.equal(ns, r.analysis.namespace);
    }
  });
}
