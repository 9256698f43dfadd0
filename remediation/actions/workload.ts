// Reading a Deployment/StatefulSet/DaemonSet by kind, for the actions that change a pod template.
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { kubeErrorMessage } from '../../lib/kube.ts';
import { Refusal, type ActionContext, type PatchTarget } from './types.ts';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

export const PATCH_TARGET: Record<WorkloadKind, PatchTarget> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
};

export const RESOURCE_NAME: Record<WorkloadKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

export async function readWorkload(ctx: ActionContext, kind: WorkloadKind, namespace: string, name: string): Promise<Workload> {
  try {
    switch (kind) {
      case 'Deployment':
        return await ctx.clients.apps.readNamespacedDeployment({ namespace, name });
      case 'StatefulSet':
        return await ctx.clients.apps.readNamespacedStatefulSet({ namespace, name });
      case 'DaemonSet':
        return await ctx.clients.apps.readNamespacedDaemonSet({ namespace, name });
    }
  } catch (err) {
    throw new Refusal('not_found', `cannot read ${RESOURCE_NAME[kind]}/${name} in ${namespace}: ${kubeErrorMessage(err)}`);
  }
}

export function describeWorkload(kind: WorkloadKind, namespace: string, name: string): string {
  return `${RESOURCE_NAME[kind]}/${name} in namespace ${namespace}`;
}
