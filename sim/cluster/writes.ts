// The writes the HTTP layer serves (and tests call directly): delete and evict a pod (PDBs checked),
// patch a node (cordon), patch or replace a workload. dryRun: check and return the would-be object,
// change nothing.
import { ApiError, invalid, notFound } from '../errors.ts';
import { applyPatch, type Json } from '../patch.ts';
import { parseQuantity } from '../quantity.ts';
import type { SimWorkload, SimNode, SimPod } from '../model.ts';
import { workloadChanged, reconcile, updateReadyCount } from './controllers.ts';
import { event } from './events.ts';
import { isReady, removePod } from './pods.ts';
import { canonical, isObj, type ClusterState, type Obj } from './state.ts';
import { pdbStatus } from './views.ts';

export function deletePod(s: ClusterState, namespace: string, name: string, dryRun: boolean): SimPod {
  const pod = s.podsByKey.get(`${namespace}/${name}`);
  if (!pod) throw notFound('pods', name);
  if (!dryRun) {
    removePod(s, pod, 'deleted');
    reconcile(s, pod.workload);
    updateReadyCount(s, pod.workload);
  }
  return pod;
}

/** policy/v1 Eviction: refused with 429 when a PodDisruptionBudget would be violated. */
export function evictPod(s: ClusterState, namespace: string, name: string, dryRun: boolean): SimPod {
  const pod = s.podsByKey.get(`${namespace}/${name}`);
  if (!pod) throw notFound('pods', name);
  if (isReady(s, pod)) {
    for (const pdb of s.pdbList) {
      if (pdb.workload !== pod.workload) continue;
      const st = pdbStatus(s, pdb);
      if (st.disruptionsAllowed < 1) {
        throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: `The disruption budget ${pdb.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`,
            },
          ],
        });
      }
    }
  }
  return deletePod(s, namespace, name, dryRun);
}

/** Patches a node's labels/annotations/spec (cordon = spec.unschedulable). Returns the (would-be) node. */
export function patchNode(s: ClusterState, name: string, contentType: string | undefined, body: unknown, dryRun: boolean): SimNode {
  const node = s.nodesByName.get(name);
  if (!node) throw notFound('nodes', name);
  const patched = applyPatch(contentType, { metadata: node.obj.metadata, spec: node.obj.spec } as unknown as Json, body) as Obj;
  const meta = isObj(patched.metadata) ? patched.metadata : {};
  const spec = isObj(patched.spec) ? patched.spec : {};
  if (spec.unschedulable !== undefined && typeof spec.unschedulable !== 'boolean')
    throw invalid('Node', name, 'spec.unschedulable', 'must be a boolean');
  const next: SimNode = {
    ...node,
    obj: {
      metadata: { labels: (meta.labels ?? {}) as Record<string, string>, annotations: (meta.annotations ?? {}) as Record<string, string> },
      spec,
    },
  };
  if (dryRun) return next;
  const wasUnschedulable = node.obj.spec.unschedulable === true;
  node.obj = next.obj;
  node.resourceVersion = s.nextRv();
  const nowUnschedulable = node.obj.spec.unschedulable === true;
  if (wasUnschedulable !== nowUnschedulable) {
    event(
      s,
      { kind: 'Node', name, namespace: '', uid: node.uid, apiVersion: 'v1' },
      nowUnschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable',
      `Node ${name} status is now: ${nowUnschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable'}`,
      'Normal',
      'kubelet',
      name,
    );
  }
  s.version++;
  return node;
}

/** Patches (or, with replace, puts) a workload of any kind; returns the (would-be) workload. */
export function patchWorkload(
  s: ClusterState,
  wl: SimWorkload,
  contentType: string | undefined,
  body: unknown,
  dryRun: boolean,
  replace: boolean,
): SimWorkload {
  const name = wl.name;
  const isDeployment = wl.kind === 'Deployment';
  let patched: Obj;
  if (replace) {
    if (!isObj(body)) throw new ApiError(400, 'BadRequest', `the body must be a ${wl.kind} object`);
    patched = body;
  } else {
    patched = applyPatch(contentType, { metadata: wl.obj.metadata, spec: wl.obj.spec } as unknown as Json, body) as Obj;
  }
  const meta = isObj(patched.metadata) ? patched.metadata : {};
  const spec = isObj(patched.spec) ? patched.spec : {};
  validateWorkloadSpec(`${wl.kind}.apps`, name, spec);
  // A template copied back from a ReplicaSet (a rollback) carries its pod-template-hash label: drop it.
  const tmplLabels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  if (isObj(tmplLabels)) delete tmplLabels['pod-template-hash'];
  const nextObj: SimWorkload['obj'] = {
    metadata: {
      labels: (meta.labels ?? wl.obj.metadata.labels) as Record<string, string>,
      annotations: { ...((meta.annotations ?? {}) as Record<string, string>) },
    },
    spec: { ...wl.obj.spec, ...spec, selector: wl.obj.spec.selector as Json },
  };
  const templateChanged = canonical(nextObj.spec.template) !== canonical(wl.obj.spec.template);
  const specChanged = templateChanged || nextObj.spec.replicas !== wl.obj.spec.replicas;
  if (dryRun) {
    const preview: SimWorkload = { ...wl, obj: nextObj, generation: wl.generation + (specChanged ? 1 : 0) };
    if (!isDeployment) return preview;
    if (templateChanged) preview.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(wl.revision + 1);
    else preview.obj.metadata.annotations['deployment.kubernetes.io/revision'] = String(wl.revision);
    return preview;
  }
  const oldTemplate = wl.obj.spec.template;
  const revisionAnnotation = wl.obj.metadata.annotations['deployment.kubernetes.io/revision'];
  wl.obj = nextObj;
  if (revisionAnnotation && isDeployment) wl.obj.metadata.annotations['deployment.kubernetes.io/revision'] = revisionAnnotation;
  if (specChanged) wl.generation++;
  wl.resourceVersion = s.nextRv();
  workloadChanged(s, wl, { replicas: nextObj.spec.replicas as number, template: oldTemplate });
  return wl;
}

function validateWorkloadSpec(kind: string, name: string, spec: Obj): void {
  const replicas = spec.replicas;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw invalid(kind, name, 'spec.replicas', 'must be a non-negative integer');
  }
  const tmpl = spec.template;
  if (tmpl === undefined) return;
  const pspec = isObj(tmpl) && isObj(tmpl.spec) ? tmpl.spec : undefined;
  const containers = pspec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw invalid(kind, name, 'spec.template.spec.containers', 'Required value');
  containers.forEach((c, i) => {
    const field = `spec.template.spec.containers[${i}]`;
    if (!isObj(c) || typeof c.name !== 'string' || !c.name) throw invalid(kind, name, `${field}.name`, 'Required value');
    if (typeof c.image !== 'string' || !c.image) throw invalid(kind, name, `${field}.image`, 'Required value');
    const res = c.resources;
    if (res === undefined) return;
    if (!isObj(res)) throw invalid(kind, name, `${field}.resources`, 'must be an object');
    const values: Record<string, Record<string, number>> = {};
    for (const kind of ['limits', 'requests'] as const) {
      const m = res[kind];
      if (m === undefined || m === null) continue;
      if (!isObj(m)) throw invalid(kind, name, `${field}.resources.${kind}`, 'must be an object');
      values[kind] = {};
      for (const [r, v] of Object.entries(m)) {
        try {
          values[kind][r] = parseQuantity(v as string | number);
        } catch {
          throw invalid(
            kind,
            name,
            `${field}.resources.${kind}[${r}]`,
            `Invalid value: "${String(v)}": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
          );
        }
      }
    }
    for (const r of ['cpu', 'memory']) {
      const req = values.requests?.[r];
      const lim = values.limits?.[r];
      if (req !== undefined && lim !== undefined && req > lim) {
        throw invalid(kind, name, `${field}.resources.requests`, `Invalid value: "${r}": must be less than or equal to ${r} limit`);
      }
    }
  });
}
