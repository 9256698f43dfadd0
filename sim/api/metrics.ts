// metrics.k8s.io/v1beta1: PodMetrics and NodeMetrics as metrics-server serves them (running containers
// only; a node's usage is its pods' plus system overhead).
import type { SimPod } from '../cluster.ts';
import { notFound } from '../errors.ts';
import { listOf, renderNodeMetrics, renderPodMetrics } from '../render.ts';
import { fieldMatcher, labelMatcher } from '../selectors.ts';
import { get, notFoundPath, objectKey, paginate, rvString, type Ctx, type Reply, type ResourceRoute, type Target } from './request.ts';

const GV = 'metrics.k8s.io/v1beta1';

function podMetrics(ctx: Ctx, { ns, name }: Target): Reply {
  const c = ctx.cluster;
  if (!name) {
    const labelOk = labelMatcher(ctx.query.labelSelector);
    const fieldOk = fieldMatcher(ctx.query.fieldSelector, ['metadata.name', 'metadata.namespace']);
    let pods = c.sortedPodList().filter((p) => p.sample.running);
    if (ns) pods = pods.filter((p) => p.namespace === ns);
    if (ctx.query.labelSelector) pods = pods.filter((p) => labelOk(p.labels));
    let items = pods.map((p) => renderPodMetrics(c, p));
    if (ctx.query.fieldSelector) items = items.filter((o) => fieldOk(o));
    const { page, cont, remaining } = paginate(items, objectKey, ctx.query, rvString(ctx));
    return get(ctx, () => listOf('PodMetricsList', GV, page, '', cont, remaining));
  }
  if (!ns) throw notFoundPath(ctx);
  const pod = c.getPod(ns, name);
  if (!pod || !pod.sample.running) throw notFound('pods', name, 'metrics.k8s.io');
  return get(ctx, () => renderPodMetrics(c, pod));
}

/** NodeMetrics; nodes have no namespace, so a namespaced path gets the cluster-wide answer. */
function nodeMetrics(ctx: Ctx, { name }: Target): Reply {
  const c = ctx.cluster;
  const byNode = new Map<string, SimPod[]>();
  for (const p of c.sortedPodList()) {
    if (!p.node || !p.sample.running) continue;
    const list = byNode.get(p.node) ?? [];
    list.push(p);
    byNode.set(p.node, list);
  }
  if (!name)
    return get(ctx, () =>
      listOf(
        'NodeMetricsList',
        GV,
        c.nodeList().map((n) => renderNodeMetrics(c, n, byNode.get(n.name) ?? [])),
        '',
      ),
    );
  const node = c.getNode(name);
  if (!node) throw notFound('nodes', name, 'metrics.k8s.io');
  return get(ctx, () => renderNodeMetrics(c, node, byNode.get(name) ?? []));
}

export const metricsRoutes: ResourceRoute[] = [
  { groupVersion: GV, resource: 'pods', handle: podMetrics },
  { groupVersion: GV, resource: 'nodes', handle: nodeMetrics },
];
