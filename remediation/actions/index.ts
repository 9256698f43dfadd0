// The registry of remediation actions: exactly the allow-list of lib/schemas.ts, one module per kind.
import type { ActionName } from '../../lib/schemas.ts';
import { cordonNode } from './cordon-node.ts';
import { drainNode } from './drain-node.ts';
import { restartPod } from './restart-pod.ts';
import { rolloutRestart } from './rollout-restart.ts';
import { scale } from './scale.ts';
import { setResources } from './set-resources.ts';
import type { RemediationAction } from './types.ts';
import { uncordonNode } from './uncordon-node.ts';

export const ACTIONS: { [K in ActionName]: RemediationAction<K> } = {
  restart_pod: restartPod,
  rollout_restart: rolloutRestart,
  scale,
  set_resources: setResources,
  cordon_node: cordonNode,
  uncordon_node: uncordonNode,
  drain_node: drainNode,
};

export function actionFor<K extends ActionName>(kind: K): RemediationAction<K> {
  return ACTIONS[kind];
}
