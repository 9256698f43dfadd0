// Builds the PodContext of one anomalous pod through @kubernetes/client-node: status and container
// states, latest warning events, the owner chain, log tails (the previous container's after a restart)
// and the metric window. Each call has a timeout; any part that fails becomes a note, never a throw.
import { BatchV1Api, type V1ContainerStatus, type V1Pod, type V1OwnerReference, type CoreV1Event } from '@kubernetes/client-node';
import { kubeErrorMessage, type KubeClients } from '../../lib/kube.ts';
import type { PodInsight } from '../../lib/schemas.ts';
import type { ContainerFacts, OwnerLink, PodContext, WarningEvent } from './context-types.ts';
import { metricWindow } from './metric-window.ts';

export interface ContextOptions {
  /** pod_metrics.csv, for the metric window. */
  csvPath?: string | undefined;
  logLines: number;
  maxEvents: number;
  timeoutMs: number;
}

export const DEFAULT_CONTEXT: ContextOptions = { logLines: 40, maxEvents: 5, timeoutMs: 5000 };

const MAX_LINE = 400;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number })?.code === 404;
}

function containerFacts(pod: V1Pod): ContainerFacts[] {
  const statuses = new Map<string, V1ContainerStatus>((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return (pod.spec?.containers ?? []).map((c) => {
    const s = statuses.get(c.name);
    let state = 'unknown';
    let waitingReason: string | undefined;
    if (s?.state?.running) state = 'running';
    else if (s?.state?.waiting) {
      waitingReason = s.state.waiting.reason;
      state = `waiting: ${waitingReason ?? 'unknown'}`;
    } else if (s?.state?.terminated) {
      state = `terminated: ${s.state.terminated.reason ?? 'unknown'} (exit ${s.state.terminated.exitCode})`;
    }
    const last = s?.lastState?.terminated;
    const res = c.resources ?? {};
    const pick = (m: Record<string, unknown> | undefined) => ({
      ...(m?.cpu !== undefined ? { cpu: String(m.cpu) } : {}),
      ...(m?.memory !== undefined ? { memory: String(m.memory) } : {}),
    });
    return {
      name: c.name,
      ready: s?.ready ?? false,
      restartCount: s?.restartCount ?? 0,
      state,
      ...(waitingReason ? { waitingReason } : {}),
      ...(last?.reason ? { lastTerminationReason: last.reason } : {}),
      ...(last ? { lastExitCode: last.exitCode } : {}),
      limits: pick(res.limits as Record<string, unknown> | undefined),
      requests: pick(res.requests as Record<string, unknown> | undefined),
    };
  });
}

function eventTime(e: CoreV1Event): string {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t as unknown as string).toISOString() : '';
}

function warningEvents(items: CoreV1Event[], pod: string, max: number): WarningEvent[] {
  return items
    .filter((e) => e.type === 'Warning' && (e.involvedObject?.name ?? pod) === pod)
    .map((e) => ({
      key: e.metadata?.uid ?? `${e.reason}|${e.message}`,
      reason: e.reason ?? 'Unknown',
      message: (e.message ?? '').slice(0, MAX_LINE),
      count: e.count ?? e.series?.count ?? 1,
      lastSeen: eventTime(e),
    }))
    .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
    .slice(0, max);
}

function controllerOf(refs: V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return refs?.find((r) => r.controller) ?? refs?.[0];
}

async function ownerChain(k: KubeClients, namespace: string, pod: V1Pod, o: ContextOptions, notes: string[]): Promise<OwnerLink[]> {
  const chain: OwnerLink[] = [];
  let ref = controllerOf(pod.metadata?.ownerReferences);
  for (let depth = 0; ref && depth < 4; depth++) {
    const link: OwnerLink = { kind: ref.kind, name: ref.name };
    chain.push(link);
    try {
      let refs: V1OwnerReference[] | undefined;
      const name = ref.name;
      switch (ref.kind) {
        case 'ReplicaSet':
          refs = (await withTimeout(k.apps.readNamespacedReplicaSet({ name, namespace }), o.timeoutMs, 'read ReplicaSet')).metadata
            ?.ownerReferences;
          break;
        case 'Deployment': {
          const d = await withTimeout(k.apps.readNamespacedDeployment({ name, namespace }), o.timeoutMs, 'read Deployment');
          if (d.spec?.replicas !== undefined) link.replicas = d.spec.replicas;
          break;
        }
        case 'StatefulSet': {
          const s = await withTimeout(k.apps.readNamespacedStatefulSet({ name, namespace }), o.timeoutMs, 'read StatefulSet');
          if (s.spec?.replicas !== undefined) link.replicas = s.spec.replicas;
          break;
        }
        case 'Job':
          refs = (await withTimeout(k.kc.makeApiClient(BatchV1Api).readNamespacedJob({ name, namespace }), o.timeoutMs, 'read Job'))
            .metadata?.ownerReferences;
          break;
        default:
          break;
      }
      ref = controllerOf(refs);
    } catch (err) {
      notes.push(`owner ${link.kind}/${link.name} not readable: ${kubeErrorMessage(err)}`);
      break;
    }
  }
  return chain;
}

async function logTail(
  k: KubeClients,
  namespace: string,
  name: string,
  container: string,
  previous: boolean,
  o: ContextOptions,
): Promise<string[]> {
  const text = await withTimeout(
    k.core.readNamespacedPodLog({ name, namespace, container, previous, tailLines: o.logLines, limitBytes: 64 * 1024 }),
    o.timeoutMs,
    'read pod log',
  );
  return String(text ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-o.logLines)
    .map((l) => (l.length > MAX_LINE ? l.slice(0, MAX_LINE) + '…' : l));
}

/** The context of one anomalous pod; `clients` null means no cluster is configured. */
export async function buildContext(
  clients: KubeClients | null,
  insight: PodInsight,
  o: ContextOptions = DEFAULT_CONTEXT,
): Promise<PodContext> {
  const ctx: PodContext = {
    insight,
    cluster: clients ? 'ok' : 'unconfigured',
    containers: [],
    events: [],
    ownerChain: [],
    logs: { current: [], previous: [] },
    metrics: metricWindow(o.csvPath, insight),
    notes: [],
  };
  if (ctx.metrics.source === 'insight') ctx.notes.push("metric window from the detector's contributing metrics (no CSV rows)");
  if (!clients) {
    ctx.notes.push('no Kubernetes cluster configured');
    return ctx;
  }
  const { namespace, pod: name } = insight;
  let pod: V1Pod;
  try {
    pod = await withTimeout(clients.core.readNamespacedPod({ name, namespace }), o.timeoutMs, 'read pod');
  } catch (err) {
    ctx.cluster = isNotFound(err) ? 'gone' : 'unreachable';
    ctx.notes.push(isNotFound(err) ? `pod ${namespace}/${name} no longer exists` : `cluster unreachable: ${kubeErrorMessage(err)}`);
    if (isNotFound(err)) await addEvents(clients, ctx, o);
    return ctx;
  }
  if (pod.status?.phase) ctx.phase = pod.status.phase;
  if (pod.spec?.nodeName) ctx.node = pod.spec.nodeName;
  ctx.containers = containerFacts(pod);
  await addEvents(clients, ctx, o);
  ctx.ownerChain = await ownerChain(clients, namespace, pod, o, ctx.notes);
  const main = [...ctx.containers].sort((a, b) => b.restartCount - a.restartCount)[0];
  if (main) {
    try {
      ctx.logs.current = await logTail(clients, namespace, name, main.name, false, o);
    } catch (err) {
      ctx.notes.push(`current logs not readable: ${kubeErrorMessage(err)}`);
    }
    if (main.restartCount > 0 || main.lastTerminationReason) {
      try {
        ctx.logs.previous = await logTail(clients, namespace, name, main.name, true, o);
      } catch (err) {
        ctx.notes.push(`previous container's logs not readable: ${kubeErrorMessage(err)}`);
      }
    }
  }
  return ctx;
}

async function addEvents(clients: KubeClients, ctx: PodContext, o: ContextOptions): Promise<void> {
  const { namespace, pod } = ctx.insight;
  try {
    const list = await withTimeout(
      clients.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` }),
      o.timeoutMs,
      'list events',
    );
    ctx.events = warningEvents(list.items ?? [], pod, o.maxEvents);
  } catch (err) {
    ctx.notes.push(`events not readable: ${kubeErrorMessage(err)}`);
  }
}
