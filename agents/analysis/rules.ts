// The rule-based analyser: names the anomaly from the strongest signals in the context (container
// termination reasons, waiting reasons, warning events, log lines, metric movements, the detector's own
// type) and proposes a sensible first action. It is the analysis with --no-llm or when the LLM fails,
// and the floor the LLM's result is checked against.
import type { AnomalyType, RecommendedAction, Severity } from '../../lib/schemas.ts';
import { podNode, topOwner, type ContainerFacts, type PodContext } from './context-types.ts';
import { cpuMillis, formatCpuMillis, formatMemoryMi, memoryBytes } from '../../lib/quantity.ts';
import { metricLines, typeFacts } from './type-facts.ts';
import { describeForecast } from '../../models/forecast.ts';

/** Evidence lines of the detector's exhaustion forecasts start with this (the approval screen shows them). */
export const FORECAST_EVIDENCE = 'forecast: ';

/** "forecast: memory reaches its limit in ~6 min (confidence 0.82)", soonest first. */
export function forecastEvidence(ctx: PodContext): string[] {
  return (ctx.insight.forecasts ?? []).map((f) => `${FORECAST_EVIDENCE}${describeForecast(f)}`);
}

export interface Judgement {
  anomaly_type: AnomalyType;
  severity: Severity;
  root_cause: string;
  explanation: string;
  evidence: string[];
  /** Unvetted: the guard decides what stays. */
  recommended_actions: unknown[];
}

export interface RulesOptions {
  maxReplicas: number;
  /** Factor a memory or CPU limit is raised by. */
  raiseFactor: number;
  /** OOM kills after which raising the memory limit comes first. */
  repeatedOomKills: number;
}

export const DEFAULT_RULES: RulesOptions = { maxReplicas: 10, raiseFactor: 1.5, repeatedOomKills: 2 };

const OOM_LOG =
  /OutOfMemory|out of memory|\bOOM\b|heap space|Cannot allocate memory|heap usage \d+% of limit|old gen not reclaimed|Pause Full \(Allocation Failure\)/i;
const NET_LOG =
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|connection (reset|refused|timed out|closed)|broken pipe|packet loss|dropped packets|i\/o timeout|no route to host|SocketTimeoutException|timed out after/i;
const IO_LOG =
  /slow (disk|io|i\/o|write|read|fsync)|fsync (of .* )?took|iowait|IO wait|disk (latency|pressure|saturated)|I\/O (latency|wait|timeout)|\bEIO\b/i;
const CPU_LOG = /saturated: \d+\/\d+ threads|threads busy|event loop lag|CPU throttl|latency p\d+ .*exceeds|backlog growing/i;
const CRASH_LOG = /panic|Traceback|Exception|fatal|segmentation fault|exited with/i;

interface Signals {
  oomKills: number;
  oomSeen: boolean;
  crashLoop: boolean;
  restarts: number;
  main: ContainerFacts | undefined;
  logHits: { oom: string[]; net: string[]; io: string[]; cpu: string[]; crash: string[] };
}

function grep(lines: string[], re: RegExp, max = 3): string[] {
  return lines.filter((l) => re.test(l)).slice(-max);
}

function signals(ctx: PodContext): Signals {
  const main = [...ctx.containers].sort((a, b) => b.restartCount - a.restartCount)[0];
  const restarts = Math.max(
    ctx.containers.reduce((s, c) => s + c.restartCount, 0),
    ...metricEnd(ctx, 'Pod Restarts'),
  );
  const oomContainers = ctx.containers.filter((c) => c.lastTerminationReason === 'OOMKilled' || c.state.includes('OOMKilled'));
  const statusOom = ctx.insight.status === 'OOMKilled' || ctx.metrics.statuses.includes('OOMKilled');
  const oomEvent = ctx.events.find((e) => /OOM/i.test(e.reason) || /OOM|out of memory/i.test(e.message));
  // The API keeps only the last termination reason: a container last killed by OOM counts each of its
  // restarts as an OOM kill (the leak scenario), or the OOM event's count when that is higher.
  const oomKills = Math.max(
    oomContainers.reduce((s, c) => s + Math.max(1, c.restartCount), 0),
    oomEvent?.count ?? 0,
    statusOom ? 1 : 0,
  );
  const crashLoop =
    ctx.containers.some((c) => c.waitingReason === 'CrashLoopBackOff') ||
    ctx.insight.status === 'CrashLoopBackOff' ||
    ctx.metrics.statuses.includes('CrashLoopBackOff') ||
    ctx.events.some((e) => e.reason === 'BackOff' && /restart/i.test(e.message));
  const all = [...ctx.logs.previous, ...ctx.logs.current];
  return {
    oomKills,
    oomSeen: oomKills > 0,
    crashLoop,
    restarts,
    main,
    logHits: {
      oom: grep(all, OOM_LOG),
      net: grep(all, NET_LOG),
      io: grep(all, IO_LOG),
      cpu: grep(all, CPU_LOG),
      crash: grep(ctx.logs.previous, CRASH_LOG),
    },
  };
}

function metricEnd(ctx: PodContext, metric: string): number[] {
  const m = ctx.metrics.movements.find((x) => x.metric === metric);
  return m ? [m.to] : [];
}

function moved(ctx: PodContext, metric: string): { from: number; to: number; max: number } | undefined {
  return ctx.metrics.movements.find((x) => x.metric === metric);
}

/** CPU use as a fraction of the main container's CPU limit (CPU Usage (%) is percent of one core). */
function cpuOfLimit(ctx: PodContext, s: Signals): number {
  const cpu = moved(ctx, 'CPU Usage (%)');
  const limit = cpuMillis(s.main?.limits.cpu);
  if (!cpu || !Number.isFinite(limit) || limit <= 0) return NaN;
  return cpu.to / (limit / 10);
}

function classify(ctx: PodContext, s: Signals): { type: AnomalyType; why: string } {
  if (s.oomSeen) return { type: 'oom_risk', why: 'the container was OOM-killed' };
  if (s.crashLoop) return { type: 'crash_loop', why: 'the container is in CrashLoopBackOff' };
  const t = ctx.insight.anomaly_type;
  if (t !== 'unknown' && t !== 'none')
    return { type: t, why: `the detector flagged it as ${t} (probability ${ctx.insight.anomaly_probability.toFixed(2)})` };
  if (s.logHits.oom.length > 0) return { type: 'oom_risk', why: 'the logs report memory exhaustion' };
  const mem = moved(ctx, 'Memory Usage (%)');
  if (mem && mem.to >= 85 && mem.to > mem.from) return { type: 'oom_risk', why: 'memory use is near its limit and rising' };
  const cpuLimit = cpuOfLimit(ctx, s);
  if (cpuLimit >= 0.9) return { type: 'resource_exhaustion', why: `CPU use is at ${Math.round(cpuLimit * 100)}% of its limit` };
  const drops = Math.max(
    moved(ctx, 'Network Receive Packets Dropped (p/s)')?.max ?? 0,
    moved(ctx, 'Network Transmit Packets Dropped (p/s)')?.max ?? 0,
  );
  if (drops > 1 || s.logHits.net.length > 0)
    return {
      type: 'network_issue',
      why: drops > 1 ? `packets are dropped (up to ${Math.round(drops)}/s)` : 'connections fail or time out',
    };
  if (s.logHits.io.length > 0) return { type: 'io_pressure', why: 'the logs report slow disk IO' };
  const fsJump = ['FS Writes Total (MB)', 'FS Reads Total (MB)'].some((m) => {
    const x = moved(ctx, m);
    return !!x && x.to > 3 * Math.max(1, x.from);
  });
  if (fsJump) return { type: 'io_pressure', why: 'filesystem throughput jumped' };
  const cpu = moved(ctx, 'CPU Usage (%)');
  if (cpu && ((cpu.to >= 80 && cpu.to > cpu.from * 1.5) || (s.logHits.cpu.length > 0 && cpuLimit >= 0.5))) {
    return { type: 'resource_exhaustion', why: 'CPU use climbed steeply and work queues up' };
  }
  if (s.restarts > 0 && s.logHits.crash.length > 0) return { type: 'crash_loop', why: 'the container restarts with errors in its logs' };
  return { type: 'unknown', why: 'no single signal explains the anomaly' };
}

function severityOf(type: AnomalyType, s: Signals, ctx: PodContext, o: RulesOptions): Severity {
  switch (type) {
    case 'crash_loop':
      return s.restarts >= 5 ? 'critical' : 'high';
    case 'oom_risk':
      if (s.oomKills >= o.repeatedOomKills) return 'critical';
      return s.oomSeen ? 'high' : 'medium';
    case 'resource_exhaustion':
      return (moved(ctx, 'CPU Usage (%)')?.to ?? 0) >= 95 ? 'high' : 'medium';
    case 'network_issue':
      return ctx.insight.anomaly_probability >= 0.9 ? 'high' : 'medium';
    case 'io_pressure':
      return 'medium';
    default:
      return 'low';
  }
}

function evidenceOf(type: AnomalyType, ctx: PodContext, s: Signals): string[] {
  const ev: string[] = [];
  ev.push(
    `detector: probability ${ctx.insight.anomaly_probability.toFixed(2)}, type ${ctx.insight.anomaly_type}${ctx.insight.since ? `, since ${ctx.insight.since}` : ''}`,
  );
  // Then the forecasts and the metric that drove the type: the status screen shows the first few lines only.
  ev.push(...forecastEvidence(ctx));
  const metrics = metricLines(type, ctx);
  for (const line of metrics.driving.slice(0, 2)) ev.push(`metric ${line}`);
  for (const c of ctx.containers) {
    const last = c.lastTerminationReason
      ? `, last terminated: ${c.lastTerminationReason}${c.lastExitCode !== undefined ? ` (exit ${c.lastExitCode})` : ''}`
      : '';
    ev.push(`container ${c.name}: ${c.state}, restarts ${c.restartCount}${last}`);
  }
  for (const e of ctx.events.slice(0, 3)) ev.push(`event ${e.reason} ×${e.count}: ${e.message.slice(0, 200)}`);
  for (const line of metrics.others.slice(0, Math.max(0, 4 - Math.min(2, metrics.driving.length)))) ev.push(`metric ${line}`);
  const hits = [...s.logHits.oom, ...s.logHits.crash, ...s.logHits.net, ...s.logHits.io, ...s.logHits.cpu];
  for (const l of [...new Set(hits)].slice(0, 3)) ev.push(`log: ${l.slice(0, 200)}`);
  for (const n of ctx.notes) ev.push(`note: ${n}`);
  return ev;
}

type Workload = { kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'; name: string; replicas?: number };

function workloadOf(ctx: PodContext): Workload | null {
  const owner = topOwner(ctx);
  if (owner && (owner.kind === 'Deployment' || owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet')) {
    return { kind: owner.kind, name: owner.name, ...(owner.replicas !== undefined ? { replicas: owner.replicas } : {}) };
  }
  return null;
}

function actionsFor(type: AnomalyType, ctx: PodContext, s: Signals, o: RulesOptions): RecommendedAction[] {
  const namespace = ctx.insight.namespace;
  const pod = ctx.insight.pod;
  const wl = workloadOf(ctx);
  const restart = (rationale: string, risk: 'low' | 'medium' = 'low'): RecommendedAction => ({
    action: 'restart_pod',
    params: { namespace, pod },
    rationale,
    risk,
  });
  const out: RecommendedAction[] = [];
  switch (type) {
    case 'oom_risk': {
      const raise = wl && s.main ? raiseMemory(ctx, s.main, o) : undefined;
      const repeated = s.oomKills >= o.repeatedOomKills;
      const restartIt = restart('A restart frees the leaked memory at once and buys time to find the leak.');
      if (repeated && raise && wl) {
        out.push({
          action: 'set_resources',
          params: { namespace, kind: wl.kind, name: wl.name, container: s.main!.name, limits: { memory: raise.to } },
          rationale: `OOM-killed ${s.oomKills} times: raise the memory limit ${raise.from} → ${raise.to} so the workload survives while the leak is fixed.`,
          risk: 'medium',
        });
      }
      out.push(restartIt);
      break;
    }
    case 'crash_loop':
      if (wl) {
        out.push({
          action: 'rollout_restart',
          params: { namespace, kind: wl.kind, name: wl.name },
          rationale:
            "Inspect the previous container's logs first; a rollout restart recovers from a bad transient state. If the crashes began with a new version, roll back instead (kubectl rollout undo): rollback is advice, not an automated action.",
          risk: 'medium',
        });
      }
      out.push(
        restart('Recreates the pod once its logs are saved; if it crashes again the cause is in the image or its configuration.', 'low'),
      );
      break;
    case 'resource_exhaustion': {
      if (wl && wl.kind !== 'DaemonSet' && wl.replicas !== undefined && wl.replicas + 1 <= o.maxReplicas) {
        out.push({
          action: 'scale',
          params: { namespace, kind: wl.kind, name: wl.name, replicas: wl.replicas + 1 },
          rationale: `CPU-bound: one more replica (${wl.replicas} → ${wl.replicas + 1}) spreads the load.`,
          risk: 'low',
        });
      }
      const c = s.main;
      const limit = c ? cpuMillis(c.limits.cpu) : NaN;
      if (wl && c && Number.isFinite(limit)) {
        out.push({
          action: 'set_resources',
          params: { namespace, kind: wl.kind, name: wl.name, container: c.name, limits: { cpu: formatCpuMillis(limit * o.raiseFactor) } },
          rationale: `Raise the CPU limit ${c.limits.cpu} → ${formatCpuMillis(limit * o.raiseFactor)} if the load is expected to stay.`,
          risk: 'medium',
        });
      }
      if (out.length === 0) out.push(restart('No scalable workload is known: a restart relieves a runaway process.', 'medium'));
      break;
    }
    case 'network_issue': {
      out.push(restart('A new pod gets a fresh network namespace and may land on a healthier node.', 'low'));
      const node = podNode(ctx);
      if (node) {
        out.push({
          action: 'cordon_node',
          params: { node },
          rationale: `Only if other pods on ${node} drop packets too: cordon it so nothing new is scheduled there.`,
          risk: 'high',
        });
      }
      break;
    }
    case 'io_pressure':
      out.push(restart('Investigate the volume and noisy neighbours first; a restart helps when the pod itself is stuck in IO.', 'medium'));
      break;
    default:
      break;
  }
  return out;
}

function raiseMemory(ctx: PodContext, c: ContainerFacts, o: RulesOptions): { from: string; to: string } | undefined {
  const current = memoryBytes(c.limits.memory);
  if (Number.isFinite(current)) return { from: c.limits.memory!, to: formatMemoryMi(current * o.raiseFactor) };
  const mb = ctx.metrics.movements.find((m) => m.metric === 'Memory Usage (MB)')?.max;
  if (mb && mb > 0) return { from: 'unset', to: formatMemoryMi(mb * 1024 * 1024 * o.raiseFactor) };
  return undefined;
}

const CAUSES: Record<AnomalyType, string> = {
  oom_risk: 'Memory grows until the container hits its limit (a leak or an undersized limit).',
  crash_loop: 'The container exits soon after start and Kubernetes backs off restarting it.',
  resource_exhaustion: 'The container is CPU-bound: demand exceeds its limit or its replicas.',
  network_issue: 'The pod drops packets or loses connections.',
  io_pressure: 'The pod waits on slow disk IO.',
  unknown: 'The detector flagged unusual behaviour that no single signal explains.',
  none: 'No anomaly.',
};

export function ruleJudgement(ctx: PodContext, opts: RulesOptions = DEFAULT_RULES): Judgement {
  const s = signals(ctx);
  const { type, why } = classify(ctx, s);
  const severity = severityOf(type, s, ctx, opts);
  const actions = actionsFor(type, ctx, s, opts);
  let root = CAUSES[type];
  if (type === 'oom_risk' && s.oomKills >= opts.repeatedOomKills) root = `Repeated OOM kills (${s.oomKills}): ${root}`;
  if (type === 'crash_loop' && s.logHits.crash[0])
    root = `${root} Last error: ${s.logHits.crash[s.logHits.crash.length - 1]!.slice(0, 160)}`;
  // Name the figures behind the type, not just the type (the detector's type alone explains nothing).
  const facts = typeFacts(type, ctx, s);
  const detectorOnly = why.startsWith('the detector');
  const support = facts.length
    ? `: ${facts.join(', ')}`
    : detectorOnly
      ? '; nothing in the metric window or the container state confirms it'
      : '';
  const parts = [`Classified as ${type} because ${why}${support}.`];
  const soonest = ctx.insight.forecasts?.[0];
  if (soonest && !facts.some((f) => f.includes('reaches its limit'))) parts.push(`At the current trend, ${describeForecast(soonest)}.`);
  if (type === 'crash_loop')
    parts.push("Inspect the previous container's logs (kubectl logs --previous); if the crashes started with a rollout, roll back.");
  if (type === 'io_pressure') parts.push("Investigate the volume, the node's disk and noisy neighbours before restarting.");
  if (ctx.cluster !== 'ok') parts.push(`Cluster facts unavailable (${ctx.cluster}); analysed from the detector's insight alone.`);
  return {
    anomaly_type: type,
    severity,
    root_cause: root,
    explanation: parts.join(' '),
    evidence: evidenceOf(type, ctx, s),
    recommended_actions: actions,
  };
}
