// Properties of reading pod_analysis.json on the remediation side: any JSON is either read or refused with
// a ContractError (never another exception); valid analyses always come through; an analysis with a field
// broken is skipped with a reason naming it; and no action outside the allow-list, in a protected namespace
// or off the analysed pod survives the engine's validation of what was read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ContractError } from '../../lib/atomic-file.ts';
import { ACTION_NAMES, ANOMALY_TYPES, ActionParams, type ActionName } from '../../lib/schemas.ts';
import { readAnalyses } from '../../remediation/analysis-file.ts';
import { Bounds } from '../../remediation/config.ts';
import { validateAction } from '../../remediation/validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'analysis-file-props-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function fileWith(text: string): string {
  const path = join(dir, `pod_analysis-${n++}.json`);
  writeFileSync(path, text);
  return path;
}

const k8sName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const cpu = fc.constantFrom('100m', '250m', '1', '1.5', '2');
const mem = fc.constantFrom('64Mi', '256Mi', '1Gi', '2Gi');
const res = fc.record({ cpu, memory: mem }, { requiredKeys: [] });
const validParams: { [K in ActionName]: fc.Arbitrary<unknown> } = {
  restart_pod: fc.record({ namespace: k8sName, pod: k8sName }),
  rollout_restart: fc.record({ namespace: k8sName, kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet'), name: k8sName }),
  scale: fc.record({
    namespace: k8sName,
    kind: fc.constantFrom('Deployment', 'StatefulSet'),
    name: k8sName,
    replicas: fc.integer({ min: 0, max: 50 }),
  }),
  set_resources: fc.record(
    {
      namespace: k8sName,
      kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet'),
      name: k8sName,
      container: k8sName,
      requests: res,
      limits: res,
    },
    { requiredKeys: ['namespace', 'kind', 'name', 'container'] },
  ),
  cordon_node: fc.record({ node: k8sName }),
  uncordon_node: fc.record({ node: k8sName }),
  drain_node: fc.record({ node: k8sName }),
};
const validAction = fc.constantFrom(...ACTION_NAMES).chain((action) =>
  fc.record({
    action: fc.constant(action),
    params: validParams[action],
    rationale: fc.string(),
    risk: fc.constantFrom('low', 'medium', 'high'),
  }),
);

const validAnalysis = fc.record(
  {
    id: fc.string(),
    namespace: k8sName,
    pod: k8sName,
    owner: fc.option(fc.record({ kind: fc.string(), name: fc.string() }), { nil: null }),
    detected_at: fc.string(),
    anomaly_probability: fc.double({ min: 0, max: 1, noNaN: true }),
    anomaly_type: fc.constantFrom(...ANOMALY_TYPES),
    severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
    root_cause: fc.string(),
    explanation: fc.string(),
    evidence: fc.array(fc.string(), { maxLength: 3 }),
    recommended_actions: fc.array(validAction, { maxLength: 4 }),
    source: fc.oneof(fc.constant({ type: 'rules' }), fc.record({ type: fc.constant('llm'), model: fc.string() })),
    analyzed_at: fc.string(),
    node: k8sName,
  },
  {
    requiredKeys: [
      'id',
      'namespace',
      'pod',
      'owner',
      'detected_at',
      'anomaly_probability',
      'anomaly_type',
      'severity',
      'root_cause',
      'explanation',
      'evidence',
      'recommended_actions',
      'source',
    ],
  },
);

/** Per required field: values of the wrong type or out of range (undefined: the field is removed). */
const BREAKS: Record<string, unknown[]> = {
  id: [undefined, 7, null],
  namespace: [undefined, 1, ['shop']],
  pod: [undefined, false],
  owner: [undefined, 'Deployment/checkout', { kind: 'Deployment' }],
  detected_at: [undefined, 0],
  anomaly_probability: [undefined, 1.5, -0.1, '0.9'],
  anomaly_type: [undefined, 'apocalypse', 3],
  severity: [undefined, 'extreme', null],
  root_cause: [undefined, 42],
  explanation: [undefined, {}],
  evidence: [undefined, 'one line', [1]],
  recommended_actions: [undefined, {}, [{ params: {} }], [{ action: 5, params: {} }]],
  source: [undefined, 'llm', { type: 'oracle' }, { type: 'llm' }],
};
const breakArb = fc.constantFrom(...Object.entries(BREAKS).flatMap(([k, vs]) => vs.map((v) => [k, v] as const)));

const file = (analyses: unknown[]) => JSON.stringify({ generated_at: new Date(0).toISOString(), analyses });

void test('property: any JSON (or text) is read or refused with a ContractError naming the file, never another exception', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.json(),
        fc.string(),
        fc.jsonValue().map((v) => file([v])),
        fc.jsonValue().map((v) => JSON.stringify({ analyses: v })),
        fc.array(fc.jsonValue(), { maxLength: 3 }).map((vs) => file(vs)),
      ),
      (text) => {
        const path = fileWith(text);
        try {
          const r = readAnalyses(path);
          assert.ok(r && Array.isArray(r.analyses) && Array.isArray(r.rejected));
        } catch (err) {
          assert.ok(err instanceof ContractError, `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
          assert.ok(err.message.includes(path));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

void test('property: valid analyses are all read, unchanged, with nothing rejected', () => {
  fc.assert(
    fc.property(fc.array(validAnalysis, { maxLength: 4 }), (analyses) => {
      const r = readAnalyses(fileWith(file(analyses)));
      assert.deepEqual(r?.rejected, []);
      assert.deepEqual(r?.analyses, JSON.parse(JSON.stringify(analyses)));
    }),
    { numRuns: 300 },
  );
});

void test('property: an analysis with one field broken is skipped with a reason naming it and the field; the others are read', () => {
  fc.assert(
    fc.property(validAnalysis, validAnalysis, breakArb, (good, bad, [field, value]) => {
      const broken: Record<string, unknown> = { ...bad, id: field === 'id' ? bad.id : `broken-${bad.id}` };
      if (value === undefined) delete broken[field];
      else broken[field] = value;
      const r = readAnalyses(fileWith(file([good, broken])))!;
      assert.equal(r.analyses.length, 1);
      assert.equal(r.analyses[0]!.id, good.id);
      assert.equal(r.rejected.length, 1);
      const who = field === 'id' ? 'analysis #1' : `analysis broken-${bad.id}`;
      assert.ok(r.rejected[0]!.startsWith(`${who}: ${field}`), r.rejected[0]);
    }),
    { numRuns: 300 },
  );
});

void test('property: whatever actions an analysis carries, only allow-listed ones on the pod itself pass validation', () => {
  const anyAction = fc.record(
    {
      action: fc.oneof(
        fc.constantFrom(...ACTION_NAMES),
        fc.constantFrom('delete_namespace', 'exec_shell', '__proto__', 'constructor', 'Restart_pod'),
        fc.string(),
      ),
      params: fc.oneof(
        fc.constantFrom(...ACTION_NAMES).chain((a) => validParams[a]),
        fc.dictionary(
          fc.constantFrom('namespace', 'pod', 'node', 'kind', 'name', '__proto__', 'replicas'),
          fc.oneof(k8sName, fc.jsonValue()),
        ),
        fc.jsonValue(),
      ),
      rationale: fc.jsonValue(),
      risk: fc.jsonValue(),
    },
    { requiredKeys: ['action'] },
  );
  const bounds = Bounds.parse({});
  fc.assert(
    fc.property(
      validAnalysis,
      fc.option(fc.constantFrom('shop', 'kube-system')),
      fc.array(anyAction, { maxLength: 6 }),
      fc.constantFrom<string[]>(['kube-system'], ['kube-system', 'shop']),
      (a, ns, actions, protectedNamespaces) => {
        const r = readAnalyses(fileWith(file([{ ...a, namespace: ns ?? a.namespace, recommended_actions: actions }])))!;
        for (const analysis of r.analyses) {
          for (const act of analysis.recommended_actions) {
            const v = validateAction(act.action, act.params, analysis, { bounds, protectedNamespaces });
            if (!v.ok) continue;
            assert.ok((ACTION_NAMES as string[]).includes(v.action));
            assert.ok(ActionParams[v.action].safeParse(v.params).success);
            assert.ok(!protectedNamespaces.includes(analysis.namespace));
            if ('namespace' in v.params) assert.equal(v.params.namespace, analysis.namespace);
            if (v.action === 'restart_pod') assert.equal(v.params.pod, analysis.pod);
            if ('node' in v.params && analysis.node) assert.equal(v.params.node, analysis.node);
          }
        }
      },
    ),
    { numRuns: 500 },
  );
});

// Found by the first property: a file that is not an analysis file threw a plain Error, and one holding
// `null` was taken for a missing file ("no analyses yet").
void test('a file holding {} or null is refused with a ContractError; only a missing file reads as null', () => {
  for (const text of ['{}', 'null', '[]', '{"analyses": {}}']) {
    assert.throws(
      () => readAnalyses(fileWith(text)),
      (err: unknown) => err instanceof ContractError && /is not an analysis file/.test(err.message),
      text,
    );
  }
  assert.equal(readAnalyses(join(dir, 'missing.json')), null);
});
