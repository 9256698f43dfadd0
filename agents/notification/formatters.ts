// Message bodies: Slack incoming-webhook ({text, blocks}), our JSON event, and Alertmanager's v2 alerts.
import type { AlertRecord, Episode, NotifyEvent } from './events.ts';
import type { NotifyFormat } from './options.ts';
import { duration } from './text.ts';

const ICONS = { open: ':rotating_light:', analysis: ':mag:', remediated: ':wrench:', resolved: ':white_check_mark:' } as const;

function headline(e: NotifyEvent): string {
  const what = `episode ${e.episode.id} (${e.episode.anomaly_type} in ${e.episode.namespace}/${e.episode.workload}, cluster ${e.episode.cluster})`;
  switch (e.kind) {
    case 'open':
      return `New anomaly ${what}`;
    case 'analysis':
      return `Update on ${what}: analysis`;
    case 'remediated':
      return `Update on ${what}: remediation applied and verified`;
    case 'resolved': {
      const took =
        e.episode.opened_at && e.resolved_at
          ? ` after ${duration((Date.parse(e.resolved_at) - Date.parse(e.episode.opened_at)) / 1000)}`
          : '';
      return `Resolved ${what}${took}`;
    }
  }
}

function details(e: NotifyEvent): string[] {
  const lines: string[] = [];
  if (e.kind === 'open' || e.kind === 'resolved') lines.push(e.summary);
  if (e.kind === 'open' && e.forecast) lines.push(`Forecast: ${e.forecast}`);
  if (e.kind === 'analysis') {
    if (e.severity) lines.push(`Severity: ${e.severity}`);
    if (e.root_cause) lines.push(`Root cause: ${e.root_cause}`);
    if (e.recommended_action) lines.push(`Recommended: \`${e.recommended_action}\``);
    if (e.forecast) lines.push(`Forecast: ${e.forecast}`);
  }
  if (e.kind === 'remediated' && e.remediation) {
    const r = e.remediation;
    lines.push(`${r.action} on ${r.target} by ${r.user}: ${r.result}${r.summary ? ` (${r.summary})` : ''}`);
  }
  return lines;
}

/** A Slack incoming-webhook message: the text (notifications, fallbacks) and the same as blocks. */
export function slackMessage(e: NotifyEvent): { text: string; blocks: unknown[] } {
  const head = `${ICONS[e.kind]} ${headline(e)}`;
  const body = details(e);
  return {
    text: [head, ...body].join('\n'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${head}*` } },
      ...(body.length ? [{ type: 'section', text: { type: 'mrkdwn', text: body.join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `podsentinel · ${e.episode.id} · ${e.kind} · ${e.at}` }] },
    ],
  };
}

export function webhookBody(e: NotifyEvent, format: NotifyFormat): unknown {
  return format === 'slack' ? slackMessage(e) : e;
}

/** The alert labels of one pod of an episode: its identity in Alertmanager (so fixed for the episode). */
export function alertLabels(ep: Episode, pod: string): Record<string, string> {
  return {
    alertname: 'PodAnomaly',
    cluster: ep.key.cluster,
    namespace: ep.key.namespace,
    workload: ep.key.workload,
    pod,
    anomaly_type: ep.key.anomaly_type,
    severity: ep.severity_label,
  };
}

export function alertAnnotations(ep: Episode, summary: string): Record<string, string> {
  const out: Record<string, string> = { summary, episode: ep.id };
  if (ep.analysis) {
    out.root_cause = ep.analysis.root_cause;
    if (ep.analysis.recommended_action) out.recommended_action = ep.analysis.recommended_action;
    if (ep.analysis.severity !== ep.severity_label) out.analysis_severity = ep.analysis.severity;
  }
  if (ep.forecast) out.forecast = ep.forecast;
  return out;
}

/** Alertmanager's POST /api/v2/alerts body; open alerts expire by themselves if we stop re-sending. */
export function alertmanagerBody(alerts: readonly AlertRecord[], now: number, expireAfterMs: number): unknown[] {
  return alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.starts_at,
    endsAt: a.ends_at ?? new Date(now + expireAfterMs).toISOString(),
  }));
}
