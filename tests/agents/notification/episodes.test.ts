// The episode tracker on hand-written observations with a clock of its own: one message per kind and
// episode, dedup on the key and never on text, grouping of a workload's pods, the cooldown, the hold of
// a resolve until a remediation's verification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpisodeTracker, type Observation } from '../../../agents/notification/episodes.ts';
import type { AuditRecord, PodAnalysis, PodAnalysisFile, PodInsight } from '../../../lib/schemas.ts';
import { anomalousPod, auditRecord, insightsOf, leakAnalysis, normalPod } from '../../helpers/notify-support.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const S = 1000;

function tracker(over: Partial<ConstructorParameters<typeof EpisodeTracker>[1]> = {}) {
  return new EpisodeTracker([], { cluster: 'c1', cooldownMs: 600 * S, groupWindowMs: 10 * S, verifyHoldMs: 300 * S, ...over });
}

const file = (analyses: PodAnalysis[]): PodAnalysisFile => ({ generated_at: 'x', analyses, resolved: [] });

function obs(now: number, pods: PodInsight[] | null, analyses: PodAnalysis[] | null = null, audit: AuditRecord[] = []): Observation {
  return { now, insights: pods ? insightsOf(pods) : null, analyses: analyses ? file(analyses) : null, audit };
}

void test('one leak episode: exactly one open, one analysis update, one verified remediation, one resolve', () => {
  const t = tracker();
  const pod = 'payments-1';
  const an = leakAnalysis(pod);
  const kinds: string[] = [];
  const run = (o: Observation) => kinds.push(...t.observe(o).map((e) => e.kind));
  run(obs(T0, [anomalousPod(pod)]));
  assert.deepEqual(kinds, [], 'nothing inside the grouping window');
  run(obs(T0 + 11 * S, [anomalousPod(pod)]));
  run(obs(T0 + 12 * S, [anomalousPod(pod)], [an]));
  // The LLM rewords its analysis cycle after cycle: not news.
  for (let i = 0; i < 5; i++)
    run(
      obs(T0 + (13 + i) * S, [anomalousPod(pod)], [{ ...an, root_cause: `Reworded #${i}: the heap keeps growing.`, explanation: `v${i}` }]),
    );
  run(obs(T0 + 20 * S, [anomalousPod(pod)], [an], [auditRecord(an, 'execution', 'ok')]));
  // The pod clears before the verification is written: the resolve waits for it.
  run(obs(T0 + 25 * S, [normalPod(pod)], [an]));
  assert.deepEqual(kinds, ['open', 'analysis']);
  run(obs(T0 + 60 * S, [normalPod(pod)], [an], [auditRecord(an, 'verification', 'RESOLVED')]));
  run(obs(T0 + 61 * S, [normalPod(pod)], [an]));
  run(obs(T0 + 62 * S, [normalPod(pod)], [an]));
  assert.deepEqual(kinds, ['open', 'analysis', 'remediated', 'resolved']);
});

void test('the messages carry the key, the analysis, the forecast and the remediation', () => {
  const t = tracker({ groupWindowMs: 0 });
  const an = leakAnalysis('payments-1');
  const [open] = t.observe(obs(T0, [anomalousPod('payments-1')]));
  assert.equal(open?.kind, 'open');
  assert.deepEqual(
    { cluster: open.episode.cluster, namespace: open.episode.namespace, workload: open.episode.workload, type: open.episode.anomaly_type },
    { cluster: 'c1', namespace: 'shop', workload: 'Deployment/payments', type: 'oom_risk' },
  );
  assert.equal(open.forecast, 'memory reaches its limit in ~6 min');
  const [upd] = t.observe(obs(T0 + S, [anomalousPod('payments-1')], [an]));
  assert.equal(upd?.kind, 'analysis');
  assert.equal(upd.episode.id, open.episode.id);
  assert.equal(upd.root_cause, an.root_cause);
  assert.equal(upd.recommended_action, 'restart_pod(namespace=shop, pod=payments-1)');
  const [rem] = t.observe(
    obs(T0 + 2 * S, [anomalousPod('payments-1')], [an], [auditRecord(an, 'execution', 'ok'), auditRecord(an, 'verification', 'RESOLVED')]),
  );
  assert.equal(rem?.kind, 'remediated');
  assert.equal(rem.remediation?.summary, 'deleted pod shop/payments-1');
  assert.equal(rem.remediation?.user, 'alice');
});

void test('pods of one workload going anomalous within the grouping window make one message listing them', () => {
  const t = tracker();
  const events = [
    ...t.observe(obs(T0, [anomalousPod('payments-1')])),
    ...t.observe(obs(T0 + 4 * S, [anomalousPod('payments-1'), anomalousPod('payments-2')])),
    ...t.observe(obs(T0 + 8 * S, [anomalousPod('payments-1'), anomalousPod('payments-2'), anomalousPod('payments-3')])),
    ...t.observe(obs(T0 + 10 * S, [anomalousPod('payments-1'), anomalousPod('payments-2'), anomalousPod('payments-3')])),
  ];
  assert.equal(events.length, 1);
  assert.deepEqual(events[0]?.episode.pods, ['payments-1', 'payments-2', 'payments-3']);
  assert.match(events[0]!.summary, /3 pods anomalous \(payments-1, payments-2, payments-3\)/);
  // Another workload, or another anomaly type of the same workload, is another key.
  const more = [
    ...t.observe(
      obs(T0 + 11 * S, [
        anomalousPod('payments-1'),
        anomalousPod('cart-1', { workload: 'shop/Deployment/cart' }),
        anomalousPod('payments-9', { anomaly_type: 'crash_loop' }),
      ]),
    ),
    ...t.observe(
      obs(T0 + 30 * S, [
        anomalousPod('payments-1'),
        anomalousPod('cart-1', { workload: 'shop/Deployment/cart' }),
        anomalousPod('payments-9', { anomaly_type: 'crash_loop' }),
      ]),
    ),
  ];
  assert.deepEqual(more.map((e) => `${e.kind} ${e.episode.workload} ${e.episode.anomaly_type}`).sort(), [
    'open Deployment/cart oom_risk',
    'open Deployment/payments crash_loop',
  ]);
});

void test('a key re-opens as a new episode only after its cooldown; a blip inside the window is not announced', () => {
  const t = tracker({ groupWindowMs: 0, cooldownMs: 600 * S });
  const a = anomalousPod('payments-1');
  const n = normalPod('payments-1');
  const first = t.observe(obs(T0, [a]));
  assert.deepEqual(
    first.map((e) => e.kind),
    ['open'],
  );
  assert.deepEqual(
    t.observe(obs(T0 + 60 * S, [n])).map((e) => e.kind),
    ['resolved'],
  );
  // Anomalous again within the cooldown: suppressed, however often.
  for (let i = 1; i <= 5; i++) assert.deepEqual(t.observe(obs(T0 + (60 + i * 60) * S, [i % 2 ? a : n])), []);
  assert.ok(t.suppressed >= 3);
  const again = t.observe(obs(T0 + 700 * S, [a]));
  assert.deepEqual(
    again.map((e) => e.kind),
    ['open'],
  );
  assert.notEqual(again[0]?.episode.id, first[0]?.episode.id, 'a new episode');

  const w = tracker({ groupWindowMs: 10 * S });
  assert.deepEqual(w.observe(obs(T0, [a])), []);
  assert.deepEqual(w.observe(obs(T0 + 5 * S, [n])), []);
  assert.deepEqual(w.observe(obs(T0 + 20 * S, [n])), []);
  assert.equal(w.episodes.length, 0);
});

void test('the workload comes from the analysis owner when the insight has none, else the pod', () => {
  const t = tracker({ groupWindowMs: 0 });
  const an = leakAnalysis('solo-1', { owner: { kind: 'Deployment', name: 'solo' } });
  const [e1] = t.observe(obs(T0, [anomalousPod('solo-1', { workload: undefined })], [an]));
  assert.equal(e1?.episode.workload, 'Deployment/solo');
  const e2 = t.observe(obs(T0 + S, [anomalousPod('solo-1', { workload: undefined }), anomalousPod('bare', { workload: undefined })], [an]));
  assert.deepEqual(
    e2.map((e) => `${e.kind} ${e.episode.workload}`),
    ['analysis Deployment/solo', 'open bare'],
  );
});
