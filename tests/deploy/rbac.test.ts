// Least privilege, proven against the simulated cluster: the RBAC rules of the rendered manifests
// (kubectl kustomize deploy/overlays/<name>) allow every request the pipeline makes and nothing it does
// not need. The collector, the analysis context (pod, logs, previous logs, events, owner chain) and every
// remediation action run against a recording sim; each recorded request (verb, group, resource,
// subresource, namespace) is checked against the read-only rules, and the remediation writes against the
// remediation overlay, each of whose rules is used. Scoring reads only files, so it sends no request.
// With the read-only rules enforced, a remediation write is a readable, audited failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import {
  startSim,
  grantsAllow,
  grantsFromObjects,
  type PodView,
  type RbacGrant,
  type RecordedRequest,
  type SimHandle,
} from '../../sim/index.ts';
import { ruleAllows } from '../../sim/rbac.ts';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { buildContext } from '../../agents/analysis/context.ts';
import { API_KEY_ENV } from '../../agents/analysis/llm-client.ts';
import { kubeClients, loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { processAnalyses } from '../../remediation/engine.ts';
import type { RecommendedAction } from '../../lib/schemas.ts';
import { act, analysisFor, auditEvents, engineFixture, tempDir } from '../helpers/remediation-fixtures.ts';
import { insight } from '../helpers/analysis-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', '*'];

type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

function render(overlay: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy/overlays', overlay)], { encoding: 'utf8' });
  // Plain objects (loadAllYaml builds client-node model classes).
  return JSON.parse(JSON.stringify(loadAllYaml(yaml).filter(Boolean))) as K8sObject[];
}

const describe = (r: RecordedRequest) => {
  const a = r.attributes;
  return `${a.verb} ${a.apiGroup || 'core'}/${a.resource}${a.subresource ? `/${a.subresource}` : ''} ns=${a.namespace || '-'} (${r.method} ${r.path})`;
};

function scenario(dir: string): string {
  const w = (name: string, replicas: number, extra: Record<string, unknown> = {}) => ({
    namespace: 'shop',
    name,
    replicas,
    container: 'app',
    image: `registry.example.com/shop/${name}:1.0.0`,
    cpu: { baseCores: 0.1, limitCores: 1, requestCores: 0.2 },
    memory: { baseMiB: 200, limitMiB: 512, requestMiB: 256 },
    burstProbability: 0,
    ...extra,
  });
  const file = join(dir, 'rbac.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'rbac',
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      workloads: [
        w('web', 2),
        w('api', 2, { pdb: { maxUnavailable: 1 } }),
        w('db', 2, { kind: 'StatefulSet' }),
        w('agent', 0, { kind: 'DaemonSet' }),
        w('checkout', 1),
        w('pay', 1, { pdb: { minAvailable: 1 } }),
      ],
      faults: [
        { kind: 'crash_loop', namespace: 'shop', deployment: 'checkout', scope: 'deployment', startTick: 1, clearedBy: 'image-change' },
      ],
    }),
  );
  return file;
}

/** The rules the remediation overlay grants beyond the read-only ones. */
const addedRules = () =>
  remediation.flatMap((g) => g.rules).filter((r) => !readOnly.some((g) => g.rules.some((x) => JSON.stringify(x) === JSON.stringify(r))));

let sim: SimHandle;
let readOnly: RbacGrant[];
let remediation: RbacGrant[];
before(async () => {
  readOnly = grantsFromObjects(render('default'));
  remediation = grantsFromObjects(render('remediation'));
  sim = await startSim({ scenario: scenario(tempDir()), seed: 9, manualClock: true });
  sim.tick(12);
});
after(async () => {
  await sim?.close();
});

void test('the rendered overlays: read-only rules hold no write verb and no secrets; remediation adds exactly writes', () => {
  assert.ok(readOnly.length > 0 && readOnly.every((g) => g.namespace === undefined), 'read-only: a ClusterRoleBinding');
  for (const rule of readOnly.flatMap((g) => g.rules)) {
    assert.deepEqual(
      rule.verbs.filter((v) => WRITE_VERBS.includes(v)),
      [],
      `no write verb in ${JSON.stringify(rule)}`,
    );
    for (const r of rule.resources ?? []) assert.ok(!/^(secrets|configmaps|\*)(\/|$)/.test(r), `no ${r} in the read-only role`);
    assert.ok(!(rule.apiGroups ?? []).includes('*'), 'no wildcard API group');
  }
  const added = addedRules();
  assert.ok(added.length > 0);
  for (const r of added) {
    for (const res of r.resources ?? []) assert.ok(!/^(secrets|configmaps|\*)(\/|$)/.test(res), `no ${res} in the remediation role`);
    assert.ok(!r.verbs.includes('*'));
  }

  const ns = render('namespaced');
  assert.ok(!ns.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'), 'namespaced: no cluster-scoped grants');
  const role = ns.find((o) => o.kind === 'Role');
  assert.ok(role?.metadata.namespace, 'a Role in the watched namespace');
  const nsArgs = (ns.find((o) => o.kind === 'Deployment') as unknown as Deployment).spec.template.spec.containers[0]!.args;
  assert.equal(nsArgs[nsArgs.indexOf('--namespace') + 1], role.metadata.namespace, 'the collector watches the Role namespace');

  const sm = render('prometheus-operator').find((o) => o.kind === 'ServiceMonitor');
  assert.ok(sm, 'prometheus-operator adds a ServiceMonitor');
});

interface Deployment {
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        securityContext: Record<string, unknown>;
        containers: Array<{
          args: string[];
          env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
          securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
          readinessProbe: { httpGet: { path: string } };
          livenessProbe: { httpGet: { path: string } };
          volumeMounts: Array<{ name: string; mountPath: string }>;
          resources: { requests: unknown; limits: unknown };
        }>;
        volumes: Array<{ name: string; persistentVolumeClaim?: unknown; emptyDir?: unknown; configMap?: { name: string } }>;
      };
    };
  };
}

void test('the Deployment: non-root, read-only root, no capabilities, probes, data on a PVC, the LLM key from a Secret', () => {
  const objs = render('default');
  const d = objs.find((o) => o.kind === 'Deployment') as unknown as Deployment;
  const pod = d.spec.template.spec;
  const c = pod.containers[0]!;
  assert.equal(pod.serviceAccountName, 'podsentinel');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.args[0], 'run-monitoring');
  assert.ok(!c.args.includes('--kubeconfig'), 'in-cluster configuration');
  assert.equal(c.livenessProbe.httpGet.path, '/api/health');
  assert.equal(c.readinessProbe.httpGet.path, '/api/ready');
  assert.ok(c.resources.requests && c.resources.limits);
  const mount = (path: string) => pod.volumes.find((v) => v.name === c.volumeMounts.find((m) => m.mountPath === path)?.name);
  assert.ok(mount('/app/data')?.persistentVolumeClaim, 'data on the PVC');
  assert.ok(mount('/app/logs')?.emptyDir && mount('/tmp')?.emptyDir, 'logs and tmp writable');
  const config = mount('/app/config')?.configMap?.name;
  assert.ok(
    objs.some((o) => o.kind === 'ConfigMap' && o.metadata.name === config && (o.data as Record<string, string>)['podsentinel.json']),
  );
  const key = c.env.find((e) => e.valueFrom?.secretKeyRef);
  assert.ok(key && (API_KEY_ENV as readonly string[]).includes(key.name), `the LLM key is one the agent reads (${API_KEY_ENV.join(', ')})`);
  assert.ok(objs.some((o) => o.kind === 'Service'));
  const remediationArgs = (render('remediation').find((o) => o.kind === 'Deployment') as unknown as Deployment).spec.template.spec
    .containers[0]!.args;
  assert.ok(
    c.args.includes('--no-remediation') && !remediationArgs.includes('--no-remediation'),
    'only the remediation overlay runs the approval step',
  );
});

const approve = async () => 'approve' as const;

/** Every remediation action kind, each on behalf of an anomaly of a pod it may act on (validate.ts). */
async function runEveryAction(): Promise<string[]> {
  const live = (match: (p: PodView) => boolean) => {
    const found = sim.cluster.pods().find((p) => p.namespace === 'shop' && p.ready && match(p));
    assert.ok(found, 'a ready pod for the action');
    return found;
  };
  const web = live((p) => p.deployment === 'web');
  const payNode = live((p) => p.deployment === 'pay').node!;
  const otherNode = payNode === 'node-a' ? 'node-b' : 'node-a';
  const actions: Array<[string, RecommendedAction]> = [
    ['restart', act('restart_pod', { namespace: 'shop', pod: web.name })],
    ['rr-deploy', act('rollout_restart', { namespace: 'shop', kind: 'Deployment', name: 'web' })],
    ['rr-sts', act('rollout_restart', { namespace: 'shop', kind: 'StatefulSet', name: 'db' })],
    ['rr-ds', act('rollout_restart', { namespace: 'shop', kind: 'DaemonSet', name: 'agent' })],
    ['scale-deploy', act('scale', { namespace: 'shop', kind: 'Deployment', name: 'web', replicas: 3 })],
    ['scale-sts', act('scale', { namespace: 'shop', kind: 'StatefulSet', name: 'db', replicas: 3 })],
    ['res-sts', act('set_resources', { namespace: 'shop', kind: 'StatefulSet', name: 'db', container: 'app', limits: { memory: '1Gi' } })],
    ['res-ds', act('set_resources', { namespace: 'shop', kind: 'DaemonSet', name: 'agent', container: 'app', limits: { memory: '1Gi' } })],
    ['cordon', act('cordon_node', { node: 'node-b' })],
    ['uncordon', act('uncordon_node', { node: 'node-b' })],
    // A budget that allows no disruption refuses the eviction: drain_node reads the PDBs to name it.
    ['drain-blocked', act('drain_node', { node: payNode })],
    ['drain', act('drain_node', { node: otherNode })],
  ];
  const outcomes: string[] = [];
  for (const [id, action] of actions) {
    const p = action.params as { pod?: string; name?: string; node?: string };
    const target = p.pod ? web : p.name ? live((x) => x.deployment === p.name) : live((x) => x.node === p.node);
    const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
    await processAnalyses({ analyses: [analysisFor(target, [action], { id })] }, fx.opts);
    outcomes.push(`${id}: ${auditEvents(fx.audit).join(' ')}`);
    sim.tick(3);
  }
  return outcomes;
}

void test('every request of collection, analysis and remediation is allowed; remediation writes only by the remediation overlay', async () => {
  const start = sim.requests.length;
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const collector = new K8sCollector(kc, { logger: memoryLogger() });
  try {
    for (let i = 0; i < 2; i++) {
      assert.ok((await collector.collectOnce()).length > 0);
      sim.tick(1);
    }
  } finally {
    collector.close();
  }
  const crashing = sim.cluster.pods().find((p) => p.deployment === 'checkout')!;
  const ctx = await buildContext(kubeClients(kc), insight({ namespace: 'shop', pod: crashing.name }), {
    logLines: 20,
    maxEvents: 5,
    timeoutMs: 5000,
  });
  assert.equal(ctx.cluster, 'ok');
  assert.ok(
    ctx.logs.previous.length > 0 && ctx.events.length > 0 && ctx.ownerChain.length === 2,
    'logs, events and the owner chain were read',
  );
  const readPhase = sim.requests.slice(start);

  const outcomes = await runEveryAction();
  for (const o of outcomes)
    assert.match(o, /^drain-blocked: .*refusal:dry_run_failed|^(?!drain-blocked).*execution:ok/, outcomes.join('\n'));
  const writePhase = sim.requests.slice(start + readPhase.length);

  const seen = new Set(readPhase.map((r) => `${r.attributes.resource}/${r.attributes.subresource}`));
  for (const k of ['pods/', 'pods/log', 'events/', 'nodes/', 'nodes/proxy', 'replicasets/', 'deployments/'])
    assert.ok(seen.has(k), `the read phase read ${k}`);
  const deniedReads = readPhase.filter((r) => !grantsAllow(readOnly, r.attributes));
  assert.deepEqual(deniedReads.map(describe), [], 'collection and analysis need only the read-only rules');

  const notAllowed = writePhase.filter((r) => !grantsAllow(remediation, r.attributes));
  assert.deepEqual(notAllowed.map(describe), [], 'the remediation overlay allows every request of every action');
  const beyondReadOnly = writePhase.filter((r) => !grantsAllow(readOnly, r.attributes));
  const writes = writePhase.filter((r) => r.method !== 'GET');
  assert.ok(writes.length > 20);
  assert.deepEqual(
    writes.filter((r) => grantsAllow(readOnly, r.attributes)).map(describe),
    [],
    'no write (dry run included) is allowed by the read-only rules',
  );
  // Each rule the remediation overlay adds is used by some request the read-only rules do not allow.
  const added = addedRules();
  for (const rule of added) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const used = beyondReadOnly.some((r) => ruleAllows({ ...rule, resources: [resource], verbs: [verb] }, r.attributes));
        assert.ok(used, `remediation grants ${verb} ${resource} (${(rule.apiGroups ?? []).join()}) but no action used it`);
      }
    }
  }
});

void test('read-only rules enforced: a remediation write is refused by the API server (403) and audited, not a crash', async () => {
  sim.setRbac(readOnly);
  try {
    const collector = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: memoryLogger() });
    const mark = sim.requests.length;
    try {
      assert.ok((await collector.collectOnce()).length > 0);
    } finally {
      collector.close();
    }
    assert.deepEqual(
      sim.requests
        .slice(mark)
        .filter((r) => r.status === 403)
        .map(describe),
      [],
    );
    const target = sim.cluster.pods().find((p) => p.deployment === 'web')!;
    const fx = engineFixture(sim, tempDir(), approve, { verifyDelayMs: 0 });
    const before = sim.requests.length;
    await processAnalyses({ analyses: [analysisFor(target, [act('restart_pod', { namespace: 'shop', pod: target.name })])] }, fx.opts);
    const refused = sim.requests.slice(before).filter((r) => r.method === 'DELETE');
    assert.deepEqual(
      refused.map((r) => [r.status, r.dryRun]),
      [[403, true]],
      'the dry run is refused and nothing is sent for real',
    );
    assert.deepEqual(auditEvents(fx.audit), ['proposal:proposed', 'dry_run:failed', 'refusal:dry_run_failed']);
    const dry = JSON.stringify(fx.audit.all().find((r) => r.event === 'dry_run')?.detail);
    assert.match(
      dry,
      /HTTP 403: pods \\"[^"\\]+\\" is forbidden: User \\"system:serviceaccount:podsentinel:podsentinel\\" cannot delete resource \\"pods\\" in API group \\"\\" in the namespace \\"shop\\"/,
    );
    assert.ok(
      fx.printed.some((t) => /forbidden/.test(t)),
      fx.printed.join('\n'),
    );
    assert.ok(
      sim.cluster.pods().some((p) => p.name === target.name),
      'the pod is still there',
    );
  } finally {
    sim.setRbac(undefined);
  }
});

void test('namespaced overlay enforced: the collector and the analysis work in the namespace; only the cluster-scoped node reads are refused', async () => {
  // The overlay's Role sits in "default"; the same rules in the scenario's namespace.
  const grants = grantsFromObjects(render('namespaced')).map((g) => ({ ...g, namespace: 'shop' }));
  sim.setRbac(grants);
  try {
    const kc = loadKubeConfig(sim.kubeconfigPath);
    const collector = new K8sCollector(kc, { namespace: 'shop', logger: memoryLogger() });
    const mark = sim.requests.length;
    let rows;
    try {
      rows = await collector.collectOnce();
    } finally {
      collector.close();
    }
    assert.ok(rows.length > 0 && rows.every((r) => r.namespace === 'shop'));
    const ctx = await buildContext(kubeClients(kc), insight({ namespace: 'shop', pod: rows[0]!.pod }), {
      logLines: 10,
      maxEvents: 5,
      timeoutMs: 5000,
    });
    assert.equal(ctx.cluster, 'ok');
    const refused = sim.requests.slice(mark).filter((r) => r.status === 403);
    assert.ok(refused.length > 0);
    assert.deepEqual([...new Set(refused.map((r) => `${r.attributes.verb} ${r.attributes.resource}/${r.attributes.subresource}`))].sort(), [
      'get nodes/proxy',
      'list nodes/',
    ]);
  } finally {
    sim.setRbac(undefined);
  }
});
