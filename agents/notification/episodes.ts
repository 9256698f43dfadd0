// Episodes: an anomaly of one key (cluster, namespace, workload-or-pod, anomaly_type) from the moment it
// is seen until it clears. The tracker turns the pipeline's files into at most one message of each kind
// per episode: open (after a grouping window, listing the pods of the workload that went anomalous
// together), the first analysis (an update; a reworded analysis is not news), each verified remediation,
// and the resolve. After a resolve the key rests for a cooldown before it can open a new episode.
import { createHash } from 'node:crypto';
import type { AuditRecord, PodAnalysis, PodAnalysisFile, PodInsight, PodInsights, Severity } from '../../lib/schemas.ts';
import { keyString, type Episode, type EpisodeKey, type NotifyEvent, type NotifyKind, type RemediationSummary } from './events.ts';
import { episodeSummary, forecastText, recommendedText } from './text.ts';

export interface TrackerOptions {
  cluster: string;
  cooldownMs: number;
  groupWindowMs: number;
  /** How long a resolve waits for the verification of a remediation applied to the episode. */
  verifyHoldMs: number;
}

export interface Observation {
  insights: PodInsights | null;
  analyses: PodAnalysisFile | null;
  /** Audit records not seen before. */
  audit: readonly AuditRecord[];
  now: number;
}

interface Anomalous {
  key: EpisodeKey;
  pods: string[];
  maxProbability: number;
  forecast: string | null;
}

const auditKey = (r: AuditRecord) => `${r.analysis_id}|${r.action}|${JSON.stringify(r.params)}`;

/** A severity from the score alone, for an episode that opens before its analysis. */
function severityFromScore(p: number): Severity {
  return p >= 0.95 ? 'high' : 'medium';
}

export class EpisodeTracker {
  /** Suppressed observations since the start (a key in its cooldown). */
  suppressed = 0;
  /** Executions seen in the audit log (their summary goes with the verification's message). */
  private readonly executions = new Map<string, AuditRecord>();

  readonly episodes: Episode[];
  private readonly opts: TrackerOptions;

  constructor(episodes: Episode[], opts: TrackerOptions) {
    this.episodes = episodes;
    this.opts = opts;
  }

  get openCount(): number {
    return this.episodes.filter((e) => e.state === 'open').length;
  }

  /** The events this observation calls for, in the order they should be delivered. */
  observe(o: Observation): NotifyEvent[] {
    const events: NotifyEvent[] = [];
    const at = new Date(o.now).toISOString();
    const emit = (ep: Episode, kind: NotifyKind, remediation: RemediationSummary | null = null, n = 0) =>
      events.push(this.event(ep, kind, at, remediation, n));

    // Resolved episodes are kept through their cooldown only.
    for (let i = this.episodes.length - 1; i >= 0; i--) {
      const ep = this.episodes[i]!;
      if (ep.state === 'resolved' && o.now - Date.parse(ep.resolved_at!) > this.opts.cooldownMs) this.episodes.splice(i, 1);
    }
    // Analyses and remediations before the insights: an episode's verified remediation is told before
    // its resolve when both show up in one cycle.
    if (o.analyses) this.applyAnalyses(o.analyses, emit);
    this.applyAudit(o.audit, emit);
    if (o.insights) this.applyInsights(o.insights, o.analyses, o.now, at, emit);
    for (const ep of this.episodes)
      if (ep.state === 'pending' && o.now - Date.parse(ep.first_seen) >= this.opts.groupWindowMs) this.open(ep, o.analyses, at, emit);
    return events;
  }

  private anomalousByKey(insights: PodInsights, analyses: PodAnalysisFile | null): Map<string, Anomalous> {
    const owners = new Map<string, string>();
    for (const a of analyses?.analyses ?? []) if (a.owner) owners.set(`${a.namespace}/${a.pod}`, `${a.owner.kind}/${a.owner.name}`);
    const out = new Map<string, Anomalous>();
    for (const p of insights.pods) {
      if (!p.predicted_anomaly || p.anomaly_type === 'none') continue;
      const key: EpisodeKey = {
        cluster: this.opts.cluster,
        namespace: p.namespace,
        workload: (p.workload && workloadName(p.namespace, p.workload)) || owners.get(`${p.namespace}/${p.pod}`) || p.pod,
        anomaly_type: p.anomaly_type,
      };
      const ks = keyString(key);
      const cur = out.get(ks) ?? { key, pods: [], maxProbability: 0, forecast: null };
      cur.pods.push(p.pod);
      cur.maxProbability = Math.max(cur.maxProbability, p.anomaly_probability);
      cur.forecast = soonest(cur.forecast, p);
      out.set(ks, cur);
    }
    return out;
  }

  private applyInsights(insights: PodInsights, analyses: PodAnalysisFile | null, now: number, at: string, emit: Emit): void {
    const anomalous = this.anomalousByKey(insights, analyses);
    const live = new Map<string, Episode>();
    for (const ep of this.episodes) if (ep.state !== 'resolved') live.set(keyString(ep.key), ep);

    for (const [ks, a] of anomalous) {
      const ep = live.get(ks);
      if (ep) {
        ep.active_pods = a.pods.slice().sort();
        for (const p of a.pods) if (!ep.pods.includes(p)) ep.pods.push(p);
        ep.max_probability = Math.max(ep.max_probability, a.maxProbability);
        ep.forecast = a.forecast;
        ep.cleared_at = null;
        continue;
      }
      const resting = this.episodes.some((e) => e.state === 'resolved' && keyString(e.key) === ks);
      if (resting) {
        this.suppressed++;
        continue;
      }
      this.episodes.push({
        id: episodeId(a.key, at),
        key: a.key,
        state: 'pending',
        first_seen: at,
        opened_at: null,
        resolved_at: null,
        cleared_at: null,
        pods: a.pods.slice().sort(),
        active_pods: a.pods.slice().sort(),
        max_probability: a.maxProbability,
        forecast: a.forecast,
        severity_label: severityFromScore(a.maxProbability),
        analysis: null,
        analysis_ids: [],
        awaiting_verification: [],
        remediations: [],
      });
    }

    for (const [ks, ep] of live) {
      if (anomalous.has(ks)) continue;
      ep.active_pods = [];
      if (ep.state === 'pending') {
        // Cleared within its grouping window: a blip, never announced.
        this.episodes.splice(this.episodes.indexOf(ep), 1);
        continue;
      }
      // A remediation applied and not verified yet: its verification comes before the resolve.
      if (ep.awaiting_verification.length) {
        ep.cleared_at ??= at;
        if (now - Date.parse(ep.cleared_at) < this.opts.verifyHoldMs) continue;
      }
      ep.state = 'resolved';
      ep.resolved_at = at;
      emit(ep, 'resolved');
    }
  }

  private open(ep: Episode, analyses: PodAnalysisFile | null, at: string, emit: Emit): void {
    ep.state = 'open';
    ep.opened_at = at;
    const an = analysisFor(ep, analyses);
    if (an) ep.severity_label = an.severity;
    emit(ep, 'open');
  }

  private applyAnalyses(file: PodAnalysisFile, emit: Emit): void {
    for (const ep of this.episodes) {
      if (ep.state === 'pending') continue;
      for (const a of [...file.analyses, ...file.resolved])
        if (a.namespace === ep.key.namespace && ep.pods.includes(a.pod) && !ep.analysis_ids.includes(a.id)) ep.analysis_ids.push(a.id);
      if (ep.analysis || ep.state !== 'open') continue;
      const an = analysisFor(ep, file);
      if (!an) continue;
      ep.analysis = {
        id: an.id,
        severity: an.severity,
        root_cause: an.root_cause,
        recommended_action: recommendedText(an),
        source: an.source.type === 'llm' ? `LLM ${an.source.model}` : 'rules',
      };
      emit(ep, 'analysis');
    }
  }

  private episodeOf(r: AuditRecord): Episode | undefined {
    const mine = (e: Episode) =>
      e.analysis_ids.includes(r.analysis_id) || (r.namespace === e.key.namespace && r.pod !== undefined && e.pods.includes(r.pod));
    // The most recent episode that knows the analysis or the pod.
    return this.episodes.filter((e) => e.state !== 'pending' && mine(e)).at(-1);
  }

  private applyAudit(records: readonly AuditRecord[], emit: Emit): void {
    for (const r of records) {
      const k = auditKey(r);
      if (r.event === 'execution' && r.result === 'ok') {
        this.executions.set(k, r);
        const ep = this.episodeOf(r);
        if (ep && ep.state === 'open' && !ep.awaiting_verification.includes(k)) ep.awaiting_verification.push(k);
        continue;
      }
      if (r.event !== 'verification') continue;
      const ep = this.episodeOf(r);
      if (!ep) continue;
      ep.awaiting_verification = ep.awaiting_verification.filter((x) => x !== k);
      if (r.result !== 'RESOLVED' || ep.remediations.includes(k)) continue;
      ep.remediations.push(k);
      const exec = this.executions.get(k);
      const summary = (exec?.detail as { summary?: unknown } | undefined)?.summary;
      emit(
        ep,
        'remediated',
        {
          action: r.action,
          target: Object.values(r.params)
            .filter((v) => typeof v === 'string')
            .join('/'),
          result: r.result,
          summary: typeof summary === 'string' ? summary : null,
          user: exec?.user ?? r.user,
        },
        ep.remediations.length,
      );
    }
  }

  private event(ep: Episode, kind: NotifyKind, at: string, remediation: RemediationSummary | null, n: number): NotifyEvent {
    return {
      schema: 'podsentinel.notification/v1',
      message_id: `${ep.id}:${kind}${kind === 'remediated' ? `:${n}` : ''}`,
      kind,
      at,
      episode: { id: ep.id, ...ep.key, opened_at: ep.opened_at, pods: ep.pods.slice() },
      summary: episodeSummary(ep),
      severity: ep.analysis?.severity ?? null,
      root_cause: ep.analysis?.root_cause ?? null,
      recommended_action: ep.analysis?.recommended_action ?? null,
      forecast: ep.forecast,
      remediation,
      resolved_at: ep.resolved_at,
    };
  }
}

type Emit = (ep: Episode, kind: NotifyKind, remediation?: RemediationSummary | null, n?: number) => void;

function soonest(cur: string | null, p: PodInsight): string | null {
  return forecastText(p.forecasts) ?? cur;
}

function analysisFor(ep: Episode, file: PodAnalysisFile | null): PodAnalysis | undefined {
  const mine = (file?.analyses ?? []).filter((a) => a.namespace === ep.key.namespace && ep.pods.includes(a.pod));
  return mine.sort((a, b) => a.detected_at.localeCompare(b.detected_at))[0] as PodAnalysis | undefined;
}

/** "Kind/name" of an insight's workload ("<namespace>/Kind/name"), as an analysis names its owner. */
export function workloadName(namespace: string, workload: string): string {
  return workload.startsWith(`${namespace}/`) ? workload.slice(namespace.length + 1) : workload;
}

/** Stable for the episode, short enough to name in a message: "ep-" and 10 hex digits. */
export function episodeId(key: EpisodeKey, firstSeen: string): string {
  return `ep-${createHash('sha256')
    .update(`${keyString(key)}@${firstSeen}`)
    .digest('hex')
    .slice(0, 10)}`;
}
