// Sends the write requests of a plan through @kubernetes/client-node, as a server-side dry run
// (dryRun=All: the API server validates and admits, persists nothing) or for real.
import { PatchStrategy, setHeaderOptions, type V1Eviction } from '@kubernetes/client-node';
import { kubeErrorMessage, type KubeClients } from '../../lib/kube.ts';
import type { KubeOp, OpOutcome, StepOutcome } from './types.ts';

export function describeOp(op: KubeOp): string {
  switch (op.verb) {
    case 'delete_pod':
      return `DELETE pod ${op.namespace}/${op.name}`;
    case 'evict_pod':
      return `EVICT pod ${op.namespace}/${op.name}`;
    case 'patch': {
      const where = op.namespace ? `${op.namespace}/${op.name}` : op.name;
      return `PATCH ${op.target.replace('_', '/')} ${where} (${op.strategy === 'strategic' ? 'strategic merge' : 'merge'}) ${JSON.stringify(op.body)}`;
    }
  }
}

function patchOptions(strategy: 'strategic' | 'merge') {
  return setHeaderOptions('Content-Type', strategy === 'strategic' ? PatchStrategy.StrategicMergePatch : PatchStrategy.MergePatch);
}

/** Sends one operation; throws the client's ApiException on failure. */
export async function sendOp(clients: KubeClients, op: KubeOp, dryRun: boolean): Promise<void> {
  const dry = dryRun ? { dryRun: 'All' } : {};
  switch (op.verb) {
    case 'delete_pod':
      await clients.core.deleteNamespacedPod({ namespace: op.namespace, name: op.name, ...dry });
      return;
    case 'evict_pod': {
      const body: V1Eviction = {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: op.name, namespace: op.namespace },
        ...(dryRun ? { deleteOptions: { dryRun: ['All'] } } : {}),
      };
      await clients.core.createNamespacedPodEviction({ namespace: op.namespace, name: op.name, body, ...dry });
      return;
    }
    case 'patch': {
      const opts = patchOptions(op.strategy);
      const ns = op.namespace ?? '';
      const base = { name: op.name, namespace: ns, body: op.body, ...dry };
      switch (op.target) {
        case 'deployment':
          await clients.apps.patchNamespacedDeployment(base, opts);
          return;
        case 'statefulset':
          await clients.apps.patchNamespacedStatefulSet(base, opts);
          return;
        case 'daemonset':
          await clients.apps.patchNamespacedDaemonSet(base, opts);
          return;
        case 'deployment_scale':
          await clients.apps.patchNamespacedDeploymentScale(base, opts);
          return;
        case 'statefulset_scale':
          await clients.apps.patchNamespacedStatefulSetScale(base, opts);
          return;
        case 'node':
          await clients.core.patchNode({ name: op.name, body: op.body, ...dry }, opts);
          return;
      }
    }
  }
}

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Runs the operations in order, stopping at the first failure (later ones depend on earlier ones). */
export async function runOps(clients: KubeClients, ops: KubeOp[], dryRun: boolean): Promise<StepOutcome> {
  const outcomes: OpOutcome[] = [];
  for (const op of ops) {
    try {
      await sendOp(clients, op, dryRun);
      outcomes.push({ op: describeOp(op), ok: true });
    } catch (err) {
      const status = statusOf(err);
      outcomes.push({ op: describeOp(op), ok: false, message: kubeErrorMessage(err), ...(status ? { status } : {}) });
      return { ok: false, summary: `${describeOp(op)} failed: ${kubeErrorMessage(err)}`, ops: outcomes };
    }
  }
  const what = dryRun ? 'server-side dry run accepted' : 'applied';
  return { ok: true, summary: `${what}: ${outcomes.length} request${outcomes.length === 1 ? '' : 's'}`, ops: outcomes };
}
