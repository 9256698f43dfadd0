// Remediation logic that needs no cluster: parameter validation and bounds, protected namespaces,
// quantities, the policy file, the audit-derived cool-down and rate-limit state, and verification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAction } from '../../remediation/validate.ts';
import { RemediationPolicy, loadPolicy, PolicyError } from '../../remediation/config.ts';
import { quantityValue } from '../../lib/quantity.ts';
import { AuditLog, proposalKey } from '../../remediation/audit.ts';
import { evaluateInsights, inWorkload } from '../../remediation/verify.ts';
import { readAnalyses } from '../../remediation/analysis-file.ts';
import type { PodInsights } from '../../lib/schemas.ts';

const policy = RemediationPolicy.parse({});
const opts = { bounds: policy.bounds, protectedNamespaces: ['kube-system', 'payments'] };
const analysis = { namespace: 'shop', node: 'node-1' };
const tmp = () => mkdtempSync(join(tmpdir(), 'podsentinel-rem-'));

void test('parseQuantity reads CPU and memory quantities', () => {
  assert.equal(quantityValue('500m'), 0.5);
  assert.equal(quantityValue('2'), 2);
  assert.equal(quantityValue('512Mi'), 512 * 2 ** 20);
  assert.equal(quantityValue('1G'), 1e9);
  assert.equal(quantityValue('1e3'), 1000);
  assert.equal(quantityValue('lots'), null);
});

void test('valid typed parameters pass; unknown actions and extra fields are refused', () => {
  const ok = validateAction('restart_pod', { namespace: 'shop', pod: 'web-1' }, analysis, opts);
  assert.deepEqual(ok, { ok: true, action: 'restart_pod', params: { namespace: 'shop', pod: 'web-1' } });
  const unknown = validateAction('exec_shell', { cmd: 'rm -rf /' }, analysis, opts);
  assert.equal(unknown.ok, false);
  assert.equal(!unknown.ok && unknown.code, 'not_allowed');
  // LLM prose smuggled into params is not a field of the allow-list.
  const extra = validateAction('restart_pod', { namespace: 'shop', pod: 'web-1', command: 'kubectl delete ns shop' }, analysis, opts);
  assert.equal(!extra.ok && extra.code, 'invalid_params');
  const badName = validateAction('restart_pod', { namespace: 'shop', pod: 'web-1; rm -rf /' }, analysis, opts);
  assert.equal(!badName.ok && badName.code, 'invalid_params');
});

void test('protected namespaces are refused, for the target and for the analysed pod', () => {
  const r = validateAction('restart_pod', { namespace: 'kube-system', pod: 'coredns-1' }, { namespace: 'kube-system' }, opts);
  assert.equal(!r.ok && r.code, 'protected_namespace');
  const flag = validateAction(
    'scale',
    { namespace: 'payments', kind: 'Deployment', name: 'api', replicas: 3 },
    { namespace: 'payments' },
    opts,
  );
  assert.equal(!flag.ok && flag.code, 'protected_namespace');
  const node = validateAction('cordon_node', { node: 'node-1' }, { namespace: 'kube-system', node: 'node-1' }, opts);
  assert.equal(!node.ok && node.code, 'protected_namespace');
});

void test('an action on another namespace or node than the anomaly is refused', () => {
  const ns = validateAction('restart_pod', { namespace: 'other', pod: 'x' }, analysis, opts);
  assert.equal(!ns.ok && ns.code, 'wrong_target');
  const node = validateAction('drain_node', { node: 'node-2' }, analysis, opts);
  assert.equal(!node.ok && node.code, 'wrong_target');
  const mine = { ...analysis, pod: 'web-1', owner: { kind: 'Deployment', name: 'web' } };
  const otherPod = validateAction('restart_pod', { namespace: 'shop', pod: 'db-0' }, mine, opts);
  assert.equal(!otherPod.ok && otherPod.code, 'wrong_target');
  const otherWorkload = validateAction('scale', { namespace: 'shop', kind: 'Deployment', name: 'db', replicas: 2 }, mine, opts);
  assert.equal(!otherWorkload.ok && otherWorkload.code, 'wrong_target');
  assert.equal(validateAction('scale', { namespace: 'shop', kind: 'Deployment', name: 'web', replicas: 2 }, mine, opts).ok, true);
});

void test('replica and resource bounds from the policy', () => {
  const base = { namespace: 'shop', kind: 'Deployment', name: 'web' };
  assert.equal(validateAction('scale', { ...base, replicas: 10 }, analysis, opts).ok, true);
  const high = validateAction('scale', { ...base, replicas: 11 }, analysis, opts);
  assert.equal(!high.ok && high.code, 'out_of_bounds');
  const low = validateAction('scale', { ...base, replicas: 0 }, analysis, opts);
  assert.equal(!low.ok && low.code, 'out_of_bounds');
  const res = { ...base, container: 'app' };
  assert.equal(validateAction('set_resources', { ...res, limits: { memory: '4Gi', cpu: '2' } }, analysis, opts).ok, true);
  const mem = validateAction('set_resources', { ...res, limits: { memory: '5Gi' } }, analysis, opts);
  assert.match(!mem.ok ? mem.reason : '', /exceeds the maximum 4Gi/);
  const cpu = validateAction('set_resources', { ...res, requests: { cpu: '2500m' } }, analysis, opts);
  assert.equal(!cpu.ok && cpu.code, 'out_of_bounds');
  const tiny = validateAction('set_resources', { ...res, limits: { memory: '1Mi' } }, analysis, opts);
  assert.match(!tiny.ok ? tiny.reason : '', /below the minimum/);
  const empty = validateAction('set_resources', res, analysis, opts);
  assert.equal(!empty.ok && empty.code, 'invalid_params');
});

void test('policy file: defaults, validation errors, and the "remediation" object of a config file', () => {
  const dir = tmp();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ bounds: { maxReplicas: 'ten' } }));
  assert.throws(
    () => loadPolicy({ policyFile: bad }),
    (e: unknown) => e instanceof PolicyError && /bounds\.maxReplicas/.test(e.message),
  );
  const cfg = join(dir, 'podsentinel.json');
  writeFileSync(
    cfg,
    JSON.stringify({ remediation: { autoApprove: { actions: ['restart_pod'], maxActionsPerHour: 2, cooldownMinutes: 5 } } }),
  );
  const { policy: p } = loadPolicy({ configFile: cfg });
  assert.deepEqual(p.autoApprove, { name: 'policy', actions: ['restart_pod'], maxActionsPerHour: 2, cooldownMinutes: 5 });
  assert.deepEqual(p.protectedNamespaces, ['kube-system']);
  const unknownAction = join(dir, 'u.json');
  writeFileSync(
    unknownAction,
    JSON.stringify({ autoApprove: { actions: ['delete_namespace'], maxActionsPerHour: 1, cooldownMinutes: 1 } }),
  );
  assert.throws(() => loadPolicy({ policyFile: unknownAction }), PolicyError);
});

void test('audit state survives a restart: cool-down, pending per mode, rate limit, workload cool-down', () => {
  const file = join(tmp(), 'history.jsonl');
  const params = { namespace: 'shop', pod: 'web-1' };
  const key = proposalKey('a1', 'restart_pod', params);
  const base = { analysis_id: 'a1', action: 'restart_pod', params, user: 'alice' };
  const log1 = new AuditLog(file);
  log1.append({ ...base, event: 'proposal', result: 'proposed', detail: { key } });
  const hourAgo = new Date(Date.now() - 3_600_000);
  // A proposal with no outcome (the person quit) is asked again.
  assert.equal(log1.settledSince(key, hourAgo, null), undefined);
  log1.append({ ...base, event: 'pending', result: 'pending', detail: { key } });
  assert.equal(log1.settledSince(key, hourAgo, null), undefined, 'a pending record does not stop a person being asked');
  assert.ok(log1.settledSince(key, hourAgo, 'pending'), 'but it is not listed again as pending');
  log1.append({ ...base, event: 'decision', result: 'skipped', detail: { key, workload: 'shop/Deployment/web' } });
  log1.append({ ...base, event: 'execution', result: 'ok', user: 'auto-approve:p', detail: { key, workload: 'shop/Deployment/web' } });
  log1.append({ ...base, event: 'execution', result: 'ok', user: 'alice', detail: { key, workload: 'shop/Deployment/api' } });

  const log2 = new AuditLog(file); // a restart reads the same state back
  assert.equal(log2.settledSince(key, hourAgo, null)?.result, 'skipped');
  assert.equal(log2.settledSince(key, new Date(Date.now() + 1000), null), undefined, 'outside the cool-down');
  assert.equal(
    log2.settledSince(proposalKey('a1', 'restart_pod', { pod: 'web-1', namespace: 'shop' }), hourAgo, null)?.result,
    'skipped',
    'key ignores field order',
  );
  assert.equal(log2.autoExecutionsSince(hourAgo), 1);
  assert.equal(log2.lastExecutionOn('shop/Deployment/web')?.user, 'auto-approve:p');
  assert.equal(log2.lastExecutionOn('shop/Deployment/db'), undefined);
});

void test('verification: fresh evidence only, replacement pods, still anomalous', () => {
  const executedAt = new Date('2026-11-25T05:00:00Z');
  const insight = (pod: string, anomalous: boolean) => ({
    namespace: 'shop',
    pod,
    timestamp: '2026-11-25T05:01:00Z',
    anomaly_probability: anomalous ? 0.95 : 0.1,
    predicted_anomaly: anomalous,
    anomaly_type: anomalous ? ('oom_risk' as const) : ('none' as const),
    contributing_metrics: [],
    since: null,
  });
  const file = (generated_at: string, pods: ReturnType<typeof insight>[]): PodInsights => ({
    generated_at,
    model: { name: 'm', version: '1', trained_at: null, backend: 'cpu' },
    threshold: 0.7,
    rows_read: 1,
    rows_rejected: 0,
    pods,
  });
  const hint = { namespace: 'shop', pods: ['web-abc-new'], workloadPrefix: 'web-', excludePods: ['web-abc-old'], description: '' };
  const stale = evaluateInsights(file('2026-11-25T04:59:00Z', [insight('web-abc-new', false)]), hint, executedAt);
  assert.equal(stale.result, 'FAILED');
  assert.equal(stale.stale, true);
  // The deleted pod's stale anomalous entry is no evidence; its replacement is.
  const ok = evaluateInsights(
    file('2026-11-25T05:02:00Z', [insight('web-abc-old', true), insight('web-abc-new', false)]),
    hint,
    executedAt,
  );
  assert.equal(ok.result, 'RESOLVED');
  assert.deepEqual(ok.checked, ['web-abc-new']);
  const still = evaluateInsights(file('2026-11-25T05:02:00Z', [insight('web-abc-new', true)]), hint, executedAt);
  assert.equal(still.result, 'FAILED');
  assert.match(still.reason, /still anomalous: web-abc-new/);
  // Replacement unknown: pods of the workload (by name prefix) count.
  const byPrefix = evaluateInsights(
    file('2026-11-25T05:02:00Z', [insight('web-5f7c9d8b4-xyz12', false), insight('db-0', true)]),
    { ...hint, pods: [] },
    executedAt,
  );
  assert.equal(byPrefix.result, 'RESOLVED');
  assert.equal(evaluateInsights(null, hint, executedAt).result, 'FAILED');
  // Another workload whose name extends this one's ("web-api") is not part of it.
  assert.equal(inWorkload('web-7d9f8c6b5-x2x9q', 'web-'), true);
  assert.equal(inWorkload('web-0', 'web-'), true);
  assert.equal(inWorkload('web-api-7d9f8c6b5-x2x9q', 'web-'), false);
  const other = evaluateInsights(
    file('2026-11-25T05:02:00Z', [insight('web-api-7d9f8c6b5-x2x9q', true), insight('web-7d9f8c6b5-abcde', false)]),
    { ...hint, pods: [] },
    executedAt,
  );
  assert.equal(other.result, 'RESOLVED');
  // A known replacement not scored yet is no evidence: healthy siblings do not count for it.
  const exact = evaluateInsights(file('2026-11-25T05:02:00Z', [insight('web-abc-sibling', false)]), { ...hint, exact: true }, executedAt);
  assert.equal(exact.result, 'FAILED');
  assert.equal(exact.stale, true);
  // Pods that no longer exist (rolled away) are ignored when the live pod list is known.
  const rolled = { namespace: 'shop', pods: ['web-5f7c9d8b4-old01'], workloadPrefix: 'web-', description: '' };
  const pods = [insight('web-5f7c9d8b4-old01', true), insight('web-5f7c9d8b4-new01', false)];
  assert.equal(evaluateInsights(file('2026-11-25T05:02:00Z', pods), rolled, executedAt).result, 'FAILED');
  assert.equal(
    evaluateInsights(file('2026-11-25T05:02:00Z', pods), rolled, executedAt, new Set(['web-5f7c9d8b4-new01'])).result,
    'RESOLVED',
  );
});

void test('analysis file: a malformed analysis is skipped by name, the others (and their unknown actions) come through', () => {
  const dir = tmp();
  const good = {
    id: 'good',
    namespace: 'shop',
    pod: 'web-1',
    owner: null,
    detected_at: 'now',
    anomaly_probability: 0.9,
    anomaly_type: 'oom_risk',
    severity: 'high',
    root_cause: 'leak',
    explanation: '',
    evidence: [],
    source: { type: 'rules' },
    recommended_actions: [
      { action: 'exec_shell', params: { cmd: 'rm -rf /' }, rationale: 'LLM said so', risk: 'low' },
      { action: 'restart_pod', params: { namespace: 'shop', pod: 'web-1' }, rationale: 'r', risk: 'low' },
    ],
  };
  const path = join(dir, 'pod_analysis.json');
  writeFileSync(path, JSON.stringify({ generated_at: 'now', analyses: [good, { id: 'bad', namespace: 'shop' }] }));
  const read = readAnalyses(path);
  assert.deepEqual(
    read?.analyses.map((a) => a.id),
    ['good'],
  );
  assert.deepEqual(
    read?.analyses[0]?.recommended_actions.map((a) => a.action),
    ['exec_shell', 'restart_pod'],
  );
  assert.equal(read?.rejected.length, 1);
  assert.match(read!.rejected[0]!, /^analysis bad: /);
  assert.equal(readAnalyses(join(dir, 'missing.json')), null);
  writeFileSync(path, '{"analyses": [');
  assert.throws(() => readAnalyses(path), /not valid JSON/);
});
