// Decisions taken away from the terminal, carried out by run-remediation's engine against the simulated
// cluster (real @kubernetes/client-node over HTTPS): an approval POSTed to podsentinel-server becomes a
// decision file, then an executed, verified action audited with via web; a web decision closes the open
// terminal prompt (the real inquirer prompt) and is applied; "not an anomaly" from the browser and from the
// terminal writes feedback; a decision on an anomaly that is gone is refused once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { newDecisionId, writeDecision } from '../../lib/decisions.ts';
import { readFeedback } from '../../lib/feedback.ts';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import { pipelineFile } from '../../lib/pipeline-files.ts';
import { RemediationSession } from '../../remediation/engine.ts';
import { DecisionInbox } from '../../remediation/decision-inbox.ts';
import { inquirerPrompt } from '../../remediation/prompt.ts';
import * as S from '../../server/api-schemas.ts';
import {
  act,
  analysisFor,
  auditEvents,
  engineFixture,
  podOf,
  tempDir,
  writeInsights,
  writeScenario,
} from '../helpers/remediation-fixtures.ts';
import { auth, startServer } from '../helpers/server-fixtures.ts';

let sim: SimHandle;

before(async () => {
  sim = await startSim({ scenario: writeScenario(tempDir(), 'general'), seed: 11, manualClock: true });
  sim.tick(3);
});
after(async () => {
  await sim?.close();
});

function fixture(prompt: Parameters<typeof engineFixture>[2]) {
  const dir = tempDir();
  const fx = engineFixture(sim, dir, prompt, { insightsFile: pipelineFile(dir, 'insights') });
  fx.opts.decisions = new DecisionInbox(pipelineFile(dir, 'decisions'), fx.audit, 50);
  fx.opts.feedbackFile = pipelineFile(dir, 'feedback');
  return { dir, fx };
}

void test('approve in the browser: POST → decision file → executed on the sim, verified, audited via web; visible in the API', async () => {
  const { dir, fx } = fixture(null); // no terminal: proposals would be pending
  const pod = podOf(sim, 'shop', 'web');
  const a = analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })]);
  writeJsonAtomic(pipelineFile(dir, 'analysis'), { generated_at: new Date().toISOString(), analyses: [a], resolved: [] });
  const srv = await startServer(dir);
  try {
    // Nobody at a terminal: the proposal is recorded as pending, with its dry run, for the browser.
    const session = new RemediationSession(fx.opts);
    await session.processAnalyses({ analyses: [a] });
    assert.deepEqual(auditEvents(fx.audit, a.id), ['proposal:proposed', 'dry_run:ok', 'pending:pending']);
    srv.state.loadAudit();
    const before = S.AnomalyDetailResponse.parse((await srv.app.inject({ method: 'GET', url: `/api/anomalies/${a.id}` })).json());
    assert.equal(before.proposals[0]!.state, 'pending');
    assert.equal(before.proposals[0]!.dry_run?.result, 'ok');

    const res = await srv.app.inject({
      method: 'POST',
      url: `/api/anomalies/${a.id}/decision`,
      headers: auth,
      payload: { decision: 'approve', action: 0 },
    });
    assert.equal(res.statusCode, 202, res.body);
    const { decision_id } = S.DecisionResponse.parse(res.json());

    const mark = sim.requests.length;
    assert.equal(await session.processDecisions({ analyses: [a] }), 1);
    const deletes = sim.requests.slice(mark).filter((r) => r.method === 'DELETE');
    assert.deepEqual(
      deletes.map((r) => r.dryRun),
      [true, false],
      'dry run, then the real delete',
    );
    const replacements = sim.cluster.pods().filter((p) => p.deployment === 'web' && p.name !== pod.name);
    writeInsights(fx.opts.insightsFile, [
      { namespace: 'shop', pod: pod.name, anomalous: true },
      ...replacements.map((p) => ({ namespace: 'shop', pod: p.name, anomalous: false })),
    ]);
    const [v] = await session.settle();
    assert.equal(v?.result, 'RESOLVED', v?.reason);
    const decision = fx.audit.all().find((r) => r.event === 'decision');
    assert.deepEqual(
      { user: decision?.user, via: decision?.via, id: decision?.decision_id, result: decision?.result },
      {
        user: 'ops-alice',
        via: 'web',
        id: decision_id,
        result: 'approved',
      },
    );
    // The execution and the verification name who approved it, where, and which decision.
    for (const event of ['execution', 'verification'] as const) {
      const r = fx.audit.all().find((x) => x.event === event);
      assert.deepEqual({ user: r?.user, via: r?.via, id: r?.decision_id }, { user: 'ops-alice', via: 'web', id: decision_id }, event);
    }
    // Carried out once: a second pass finds nothing left to do.
    assert.equal(await session.processDecisions({ analyses: [a] }), 0);

    srv.state.loadAudit();
    const after = S.AnomalyDetailResponse.parse((await srv.app.inject({ method: 'GET', url: `/api/anomalies/${a.id}` })).json());
    assert.equal(after.proposals[0]!.state, 'resolved');
    assert.equal(after.proposals[0]!.decision?.via, 'web');
    assert.equal(after.proposals[0]!.decision?.by, 'ops-alice');
    assert.equal(after.proposals[0]!.queued_decisions, 0);
  } finally {
    await srv.close();
  }
});

void test('a web decision closes the open terminal prompt and is applied, saying who decided', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  const { dir, fx } = fixture(inquirerPrompt({ input, output }));
  const pod = podOf(sim, 'shop', 'search');
  const a = analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })]);
  const session = new RemediationSession(fx.opts);
  const pass = session.processAnalyses({ analyses: [a] });
  // The prompt is open once the dry run is recorded; nobody types anything.
  while (!fx.audit.all().some((r) => r.event === 'dry_run' && r.analysis_id === a.id)) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fx.prompts, 1);
  const id = newDecisionId('web');
  writeDecision(pipelineFile(dir, 'decisions'), {
    id,
    ts: new Date().toISOString(),
    analysis_id: a.id,
    decision: 'approve',
    action_index: 0,
    action: 'restart_pod',
    by: 'ops-bob',
    via: 'web',
  });
  await pass;
  const decision = fx.audit.all().find((r) => r.event === 'decision');
  assert.deepEqual({ user: decision?.user, via: decision?.via, id: decision?.decision_id }, { user: 'ops-bob', via: 'web', id });
  assert.equal(fx.audit.all().find((r) => r.event === 'execution')?.result, 'ok');
  assert.ok(
    fx.printed.some((t) => t.includes('Decided by ops-bob (web)')),
    fx.printed.join('\n'),
  );
  assert.ok(!session.quit, 'closing the prompt is not a quit');
  await session.settle();
});

void test('not an anomaly: from the browser and from the terminal (x), a decision and a feedback record each; nothing changed', async () => {
  const { dir, fx } = fixture(async () => 'not_anomaly');
  const cart = podOf(sim, 'shop', 'cart');
  const web = podOf(sim, 'shop', 'web');
  const a1 = analysisFor(cart, [act('restart_pod', { namespace: 'shop', pod: cart.name })]);
  const a2 = analysisFor(web, [act('restart_pod', { namespace: 'shop', pod: web.name })]);
  writeDecision(pipelineFile(dir, 'decisions'), {
    id: newDecisionId('web'),
    ts: new Date().toISOString(),
    analysis_id: a1.id,
    decision: 'not-an-anomaly',
    by: 'ops-alice',
    via: 'web',
  });
  const mark = sim.requests.length;
  const session = new RemediationSession(fx.opts);
  await session.processDecisions({ analyses: [a1, a2] });
  await session.processAnalyses({ analyses: [a2] });
  // The terminal asks after the server-side dry run; nothing beyond it reaches the cluster.
  assert.deepEqual(
    sim.requests
      .slice(mark)
      .filter((r) => r.method !== 'GET')
      .map((r) => r.dryRun),
    [true],
    'only the dry run of the proposal asked at the terminal',
  );
  const notAnomaly = fx.audit.all().filter((r) => r.event === 'decision' && r.result === 'not_an_anomaly');
  assert.deepEqual(
    notAnomaly.map((r) => [r.analysis_id, r.via, r.user]),
    [
      [a1.id, 'web', 'ops-alice'],
      [a2.id, 'terminal', 'alice'],
    ],
  );
  const { records } = readFeedback(pipelineFile(dir, 'feedback'));
  assert.deepEqual(
    records.map((r) => [r.pod, r.scope, r.workload, r.via, r.by]),
    [
      [cart.name, 'pod', `${cart.kind}/cart`, 'web', 'ops-alice'],
      [web.name, 'pod', `${web.kind}/web`, 'terminal', 'alice'],
    ],
  );
});

void test('a decision on an anomaly that is gone, or on an action the analysis no longer recommends, is refused once', async () => {
  const { dir, fx } = fixture(null);
  const pod = podOf(sim, 'shop', 'cart');
  const a = analysisFor(pod, [act('restart_pod', { namespace: 'shop', pod: pod.name })]);
  const decisions = pipelineFile(dir, 'decisions');
  const base = { ts: new Date().toISOString(), decision: 'approve' as const, by: 'ops-alice', via: 'web' as const };
  writeDecision(decisions, { ...base, id: newDecisionId('web'), analysis_id: 'an-gone', action_index: 0, action: 'restart_pod' });
  writeDecision(decisions, { ...base, id: newDecisionId('web'), analysis_id: a.id, action_index: 0, action: 'scale' });
  const session = new RemediationSession(fx.opts);
  assert.equal(await session.processDecisions({ analyses: [a] }), 2);
  assert.deepEqual(
    fx.audit.all().map((r) => `${r.event}:${r.result}:${r.via}`),
    ['refusal:stale_decision:web', 'refusal:action_mismatch:web'],
  );
  assert.ok(fx.audit.all().every((r) => r.decision_id));
  assert.equal(await session.processDecisions({ analyses: [a] }), 0);
});
