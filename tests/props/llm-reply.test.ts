// Properties of the LLM-reply path: parseReply never throws on any text, and whatever a model answers
// (any JSON, any action list, any params), the analysis built from it is schema-valid and carries only
// allow-listed actions on the analysed pod's own namespace, pod, workload and node, never in a protected
// namespace, within the replica and raise bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyse, type AnalyserDeps } from '../../agents/analysis/analyser.ts';
import type { PodContext } from '../../agents/analysis/context-types.ts';
import { podNode, topOwner } from '../../agents/analysis/context-types.ts';
import { vetActions, type GuardOptions } from '../../agents/analysis/guard.ts';
import type { LlmClient } from '../../agents/analysis/llm-client.ts';
import { parseReply, REPLY_LIMITS } from '../../agents/analysis/prompt.ts';
import { cpuMillis, memoryBytes } from '../../lib/quantity.ts';
import { memoryLogger } from '../../lib/log.ts';
import { ACTION_NAMES, ActionParams, PodAnalysis, type RecommendedAction } from '../../lib/schemas.ts';
import { container, context, deps, insight } from '../helpers/analysis-fixtures.ts';

const POD = 'checkout-7d9f8c6b5-x2x9q';
const PROTECTED = ['kube-system', 'payments'];
const GUARD: GuardOptions = { protectedNamespaces: PROTECTED, minReplicas: 1, maxReplicas: 6, maxRaiseFactor: 4 };

/** Mostly the right value, sometimes a wrong one. */
const mostly = <T>(right: T, ...wrong: T[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: fc.constantFrom(...wrong) });

/** Pod contexts: own or protected namespace, with or without owner, node and container facts. */
const ctxArb: fc.Arbitrary<PodContext> = fc
  .record({
    namespace: mostly('shop', 'kube-system', 'payments'),
    owner: fc.boolean(),
    workloadHint: fc.boolean(),
    node: fc.boolean(),
    containers: mostly('one', 'none', 'unlimited'),
    type: fc.constantFrom('unknown', 'oom_risk', 'crash_loop', 'resource_exhaustion', 'network_issue', 'io_pressure'),
  })
  .map((c) => {
    const ins = insight({ namespace: c.namespace, anomaly_type: c.type, ...(c.workloadHint ? { workload: 'checkout' } : {}) });
    return context(
      {
        ownerChain: c.owner
          ? [
              { kind: 'ReplicaSet', name: 'checkout-7d9f8c6b5' },
              { kind: 'Deployment', name: 'checkout', replicas: 2 },
            ]
          : [],
        containers: c.containers === 'none' ? [] : [container(c.containers === 'unlimited' ? { limits: {}, requests: {} } : {})],
        ...(c.node ? {} : { node: undefined }),
      },
      ins,
    );
  });

const nsArb = mostly('shop', 'kube-system', 'payments', 'other', '', 'Shop', 'shop ');
const nameArb = fc.constantFrom(POD, 'checkout', 'checkout-7d9f8c6b5', 'coredns', 'node-a', 'node-b', 'app', 'sidecar', '*', '');
const podArb = mostly(POD, 'checkout', 'coredns-5d78c9869d-abcde', '');
const workloadNameArb = mostly('checkout', 'checkout-7d9f8c6b5', 'coredns', POD);
const nodeArb = mostly('node-a', 'node-b', 'control-plane-1', '*');
const containerArb = mostly('app', 'sidecar', 'istio-proxy', '');
const quantityArb = fc.constantFrom(
  '250m',
  '500m',
  '2',
  '64',
  '0.1',
  '128Mi',
  '512Mi',
  '1Gi',
  '2Gi',
  '64Gi',
  '1000Ti',
  '0',
  '-1',
  '1e3',
  'lots',
);
const resourcesArb = fc.option(fc.record({ cpu: quantityArb, memory: quantityArb }, { requiredKeys: [] }), { nil: undefined });
const replicasArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -3, max: 20 }) }, fc.double(), fc.constantFrom(1e9, '3', null));

const kindArb = mostly('Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet');
const workload = { namespace: nsArb, kind: kindArb, name: workloadNameArb };

/** Actions shaped like the allow-list's (exact keys), with values that are right, nearly right or wrong. */
const shapedActionArb = fc.oneof(
  fc.record({ action: fc.constant('restart_pod'), params: fc.record({ namespace: nsArb, pod: podArb }) }),
  fc.record({ action: fc.constant('rollout_restart'), params: fc.record(workload) }),
  fc.record({ action: fc.constant('scale'), params: fc.record({ ...workload, replicas: replicasArb }) }),
  fc.record({
    action: fc.constant('set_resources'),
    params: fc.record(
      { ...workload, container: containerArb, requests: resourcesArb, limits: resourcesArb },
      { requiredKeys: ['namespace', 'kind', 'name', 'container'] },
    ),
  }),
  fc.record({ action: fc.constantFrom('cordon_node', 'uncordon_node', 'drain_node'), params: fc.record({ node: nodeArb }) }),
);

/** Params of any shape. */
const paramsArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'namespace', 'node', 'toString', 'pod', 'name', 'kind'),
    fc.oneof(nsArb, nameArb, fc.jsonValue()),
  ),
  fc.object(),
  fc.jsonValue(),
);

const actionNameArb = fc.oneof(
  fc.constantFrom(...ACTION_NAMES),
  fc.constantFrom('delete_namespace', 'exec', 'RESTART_POD', 'restart_pod ', '__proto__', 'constructor', 'toString', 'drain_nodes', ''),
  fc.string(),
);

const actionArb = fc.oneof(
  fc
    .tuple(shapedActionArb, fc.constantFrom('low', 'medium', 'high', 'none'), fc.string())
    .map(([a, risk, rationale]) => ({ ...a, risk, rationale })),
  fc.record(
    {
      action: fc.oneof(actionNameArb, fc.jsonValue()),
      params: paramsArb,
      rationale: fc.oneof(fc.string(), fc.jsonValue()),
      risk: fc.constantFrom('low', 'medium', 'high', 'none', 7),
    },
    { requiredKeys: ['action', 'params'] },
  ),
);

const replyArb = fc.record(
  {
    anomaly_type: mostly('oom_risk', 'crash_loop', 'none', 'unknown', 'apocalypse'),
    severity: mostly('high', 'low', 'medium', 'critical', 'extreme'),
    root_cause: fc.string(),
    explanation: fc.string(),
    evidence: fc.oneof({ weight: 4, arbitrary: fc.array(fc.string(), { maxLength: 3 }) }, fc.jsonValue()),
    recommended_actions: fc.oneof({ weight: 4, arbitrary: fc.array(actionArb, { maxLength: 8 }) }, fc.jsonValue()),
  },
  { requiredKeys: ['severity', 'root_cause', 'recommended_actions'] },
);

/** How a reply may be dressed: bare, fenced, after a think block, inside prose, or truncated. */
const replyText = fc.tuple(replyArb, mostly('bare', 'fence', 'think', 'prose', 'cut'), fc.nat()).map(([r, dress, n]) => {
  const json = JSON.stringify(r);
  switch (dress) {
    case 'fence':
      return '```json\n' + json + '\n```';
    case 'think':
      return `<think>{"recommended_actions":[{"action":"drain_node"}]}</think>${json}`;
    case 'prose':
      return `Here is the analysis: ${json} Hope it helps.`;
    case 'cut':
      return json.slice(0, n % (json.length + 1));
    default:
      return json;
  }
});

/** The oracle: what every action in an analysis of `ctx` must satisfy, written independently of the guard. */
function assertSafe(actions: readonly RecommendedAction[], ctx: PodContext, guard: GuardOptions): void {
  const ns = ctx.insight.namespace;
  if (guard.protectedNamespaces.includes(ns)) assert.deepEqual(actions, [], 'no actions in a protected namespace');
  for (const a of actions) {
    assert.ok((ACTION_NAMES as string[]).includes(a.action), `${a.action} is on the allow-list`);
    assert.ok(ActionParams[a.action].safeParse(a.params).success, `${a.action} params are typed`);
    const p = a.params as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(p), Object.prototype, 'params are a plain object');
    if ('namespace' in p) {
      assert.equal(p.namespace, ns);
      assert.ok(!guard.protectedNamespaces.includes(p.namespace as string));
    }
    if (a.action === 'restart_pod') assert.equal(a.params.pod, ctx.insight.pod);
    if ('kind' in p) {
      const owner = topOwner(ctx);
      assert.equal(p.name, owner ? owner.name : ctx.insight.workload);
      if (owner) assert.equal(p.kind, owner.kind);
    }
    if ('node' in p) assert.equal(p.node, podNode(ctx));
    if (a.action === 'scale') assert.ok(a.params.replicas >= guard.minReplicas && a.params.replicas <= guard.maxReplicas);
    if (a.action === 'drain_node' || a.action === 'cordon_node') assert.equal(a.risk, 'high');
    if (a.action === 'set_resources') {
      const c = ctx.containers.find((x) => x.name === a.params.container);
      if (ctx.containers.length > 0) assert.ok(c, 'the container is in the pod');
      assert.ok(a.params.limits || a.params.requests);
      for (const [section, field, parse] of [
        ['limits', 'memory', memoryBytes],
        ['limits', 'cpu', cpuMillis],
        ['requests', 'memory', memoryBytes],
        ['requests', 'cpu', cpuMillis],
      ] as const) {
        const next = parse(a.params[section]?.[field]);
        const current = parse(c?.[section][field]);
        if (!Number.isFinite(next) || !Number.isFinite(current)) continue;
        assert.ok(next <= current * guard.maxRaiseFactor, `${section}.${field} raised at most ${guard.maxRaiseFactor}×`);
        if (section === 'limits') assert.ok(next >= current, `${section}.${field} not lowered`);
      }
      for (const [field, parse] of [
        ['memory', memoryBytes],
        ['cpu', cpuMillis],
      ] as const) {
        const request = parse(a.params.requests?.[field]);
        const limit = parse(a.params.limits?.[field] ?? c?.limits[field]);
        if (Number.isFinite(request) && Number.isFinite(limit)) assert.ok(request <= limit, `requests.${field} within the limit`);
      }
    }
  }
}

/** An LlmClient stand-in answering from a list (the HTTP side is the fault matrix's business). */
function scriptedLlm(replies: string[]): LlmClient {
  let i = 0;
  return {
    model: 'prop-model',
    stats: { calls: 0, failures: 0 },
    complete: async () => replies[Math.min(i++, replies.length - 1)]!,
  } as unknown as LlmClient;
}

void test('property: parseReply never throws, on any text', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json(), replyText), (text) => {
      const r = parseReply(text);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) return assert.equal(typeof r.problem, 'string');
      assert.ok(r.reply.root_cause.length <= REPLY_LIMITS.rootCause && r.reply.explanation.length <= REPLY_LIMITS.explanation);
      assert.ok(r.reply.evidence.length <= REPLY_LIMITS.evidence && r.reply.evidence.every((l) => l.length <= REPLY_LIMITS.line));
      assert.ok(r.reply.recommended_actions.length <= REPLY_LIMITS.actions);
    }),
    { numRuns: 2000 },
  );
});

void test('property: vetted actions of any reply stay on the allow-list, on the pod itself, within bounds', () => {
  fc.assert(
    fc.property(ctxArb, fc.array(fc.oneof(actionArb, fc.jsonValue()), { maxLength: 10 }), (ctx, raw) => {
      const { kept, dropped } = vetActions(raw, ctx, GUARD);
      assert.ok(kept.length + dropped.length <= raw.length);
      assertSafe(kept, ctx, GUARD);
    }),
    { numRuns: 2000 },
  );
});

void test('property: any model answer (and its repair) ends in a schema-valid analysis with only safe actions', async () => {
  await fc.assert(
    fc.asyncProperty(ctxArb, replyText, replyText, fc.boolean(), async (ctx, first, second, maskNames) => {
      const log = memoryLogger();
      const d: AnalyserDeps = deps(log, { llm: scriptedLlm([first, second]), guard: GUARD, maskNames });
      const out = await analyse(ctx, 'an-prop', d);
      const parsed = PodAnalysis.safeParse(out.analysis);
      assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues[0]));
      assert.equal(out.analysis.namespace, ctx.insight.namespace);
      assert.equal(out.analysis.pod, ctx.insight.pod);
      assertSafe(out.analysis.recommended_actions, ctx, GUARD);
    }),
    { numRuns: 500 },
  );
});

// Found by the property above: requests were not bounded at all (only limits were).
void test('guard: a request raised more than the raise factor, or above the limit, is dropped; a modest one is kept', () => {
  const ctx = context();
  const setRequests = (requests: Record<string, string>, limits?: Record<string, string>) => ({
    action: 'set_resources',
    params: { namespace: 'shop', kind: 'Deployment', name: 'checkout', container: 'app', requests, ...(limits ? { limits } : {}) },
    rationale: '',
    risk: 'low',
  });
  const { kept, dropped } = vetActions(
    [
      setRequests({ memory: '2Gi' }),
      setRequests({ cpu: '64' }),
      setRequests({ cpu: '750m' }, { cpu: '600m' }),
      setRequests({ memory: '384Mi', cpu: '400m' }),
    ],
    ctx,
    GUARD,
  );
  assert.deepEqual(
    dropped.map((d) => d.reason),
    ['memory request raised more than 4×', 'cpu request raised more than 4×', 'cpu request would exceed the limit'],
  );
  assert.deepEqual(
    kept.map((a) => a.action === 'set_resources' && a.params.requests),
    [{ memory: '384Mi', cpu: '400m' }],
  );
  // Without container facts (cluster unreachable) a request above the limit set in the same action still goes.
  const blind = vetActions([setRequests({ cpu: '64' }, { cpu: '250m' })], context({ containers: [] }), GUARD);
  assert.deepEqual(
    blind.dropped.map((d) => d.reason),
    ['cpu request would exceed the limit'],
  );
});

// Found by the fault matrix (a reply ten times the token budget): the reply's text and actions were unbounded.
void test('parseReply: an over-long reply is clipped to the reply limits, not refused', () => {
  const r = parseReply(
    JSON.stringify({
      severity: 'high',
      root_cause: 'r'.repeat(5000),
      explanation: 'e'.repeat(50_000),
      evidence: Array.from({ length: 100 }, () => 'v'.repeat(1000)),
      recommended_actions: Array.from({ length: 100 }, () => ({ action: 'restart_pod', params: {}, rationale: 'x'.repeat(5000) })),
    }),
  );
  assert.ok(r.ok);
  assert.equal(r.reply.root_cause.length, REPLY_LIMITS.rootCause);
  assert.ok(r.reply.root_cause.endsWith('…'));
  assert.equal(r.reply.explanation.length, REPLY_LIMITS.explanation);
  assert.equal(r.reply.evidence.length, REPLY_LIMITS.evidence);
  assert.equal(r.reply.recommended_actions.length, REPLY_LIMITS.actions);
  assert.equal(r.reply.recommended_actions[0]!.rationale.length, REPLY_LIMITS.line);
});
