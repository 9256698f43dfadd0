// The notification agent's loop: each check reads what changed (insights, analyses, new audit lines),
// lets the episode tracker decide what is news, queues it for every webhook and brings Alertmanager's
// alerts in line, then persists the state before anything is sent. Delivery runs beside the checks.
import { existsSync } from 'node:fs';
import { readJsonFile, writeFileAtomic } from '../../lib/atomic-file.ts';
import { heartbeat, writeHeartbeat } from '../../lib/heartbeat.ts';
import type { Logger } from '../../lib/log.ts';
import { PodAnalysisFile, PodInsights } from '../../lib/schemas.ts';
import { forgetResolved, reconcileAlerts } from './alerts.ts';
import { emptyState, newCounters, NotifyState, type NotifyCounters } from './events.ts';
import { EpisodeTracker } from './episodes.ts';
import { CachedJsonFile, readAuditFrom } from './inputs.ts';
import type { NotifyFormat } from './options.ts';
import { Outbox } from './outbox.ts';
import { AlertmanagerSender, WebhookSender } from './sender.ts';
import type { WebhookTarget } from './targets.ts';

/** How long a cleared episode waits for the verification of a remediation applied to it. */
export const VERIFY_HOLD_MS = 5 * 60_000;

export interface NotificationAgentConfig {
  insightsFile: string;
  analysisFile: string;
  auditFile: string;
  stateFile: string;
  heartbeatFile: string;
  cluster: string;
  alertmanagerUrl: string | undefined;
  resendMs: number;
  webhooks: WebhookTarget[];
  format: NotifyFormat;
  cooldownMs: number;
  groupWindowMs: number;
  outboxMax: number;
  retryMaxMs: number;
  timeoutMs: number;
  log: Logger;
}

export class NotificationAgent {
  readonly counters: NotifyCounters = newCounters();
  private readonly state: NotifyState;
  private readonly tracker: EpisodeTracker;
  private readonly outbox: Outbox;
  private readonly webhooks: WebhookSender;
  private readonly alertmanager: AlertmanagerSender | null;
  private readonly insights: CachedJsonFile<typeof PodInsights>;
  private readonly analyses: CachedJsonFile<typeof PodAnalysisFile>;
  private savedText = '';
  private readonly log: Logger;

  private readonly c: NotificationAgentConfig;

  constructor(c: NotificationAgentConfig) {
    this.c = c;
    this.log = c.log;
    this.state = this.load();
    this.tracker = new EpisodeTracker(this.state.episodes, {
      cluster: c.cluster,
      cooldownMs: c.cooldownMs,
      groupWindowMs: c.groupWindowMs,
      verifyHoldMs: VERIFY_HOLD_MS,
    });
    this.outbox = new Outbox(this.state, c.outboxMax, c.log);
    const lost = this.outbox.retainTargets(new Set(c.webhooks.map((t) => t.id)));
    if (lost) this.log.warn('pending messages for webhooks no longer configured were dropped', { dropped: lost });
    const sender = { timeoutMs: c.timeoutMs, retryMaxMs: c.retryMaxMs, log: c.log, counters: this.counters, changed: () => this.save() };
    this.webhooks = new WebhookSender(c.webhooks, this.outbox, c.format, sender);
    this.alertmanager = c.alertmanagerUrl
      ? new AlertmanagerSender(c.alertmanagerUrl, () => this.state.alerts, c.resendMs, {
          ...sender,
          forget: (sent) => forgetResolved(this.state, sent),
        })
      : null;
    this.insights = new CachedJsonFile(c.insightsFile, PodInsights);
    this.analyses = new CachedJsonFile(c.analysisFile, PodAnalysisFile);
  }

  private load(): NotifyState {
    if (!existsSync(this.c.stateFile)) return emptyState();
    try {
      const s = readJsonFile(this.c.stateFile, NotifyState) ?? emptyState();
      this.log.info('state restored', { episodes: s.episodes.length, outbox: s.outbox.length, alerts: s.alerts.length });
      return s;
    } catch (err) {
      this.log.error('state file unreadable: starting afresh (open episodes may be announced again)', { reason: (err as Error).message });
      return emptyState();
    }
  }

  /** Writes the state when it changed: atomically, so a kill leaves the last complete one. */
  save(): void {
    const text = JSON.stringify(NotifyState.parse(this.state)) + '\n';
    if (text === this.savedText) return;
    writeFileAtomic(this.c.stateFile, text);
    this.savedText = text;
  }

  get outboxSize(): number {
    return this.outbox.size;
  }

  /** One check of the inputs; what it decides is persisted before delivery starts. */
  cycle(now = Date.now()): void {
    const read = <T>(f: { path: string; read(): { value: T | null } }): T | null | undefined => {
      try {
        return f.read().value;
      } catch (err) {
        this.log.error('input unreadable; skipped this check', { file: f.path, reason: (err as Error).message });
        return undefined;
      }
    };
    const insights = read(this.insights);
    const analyses = read(this.analyses);
    const audit = readAuditFrom(this.c.auditFile, this.state.audit_offset);
    if (audit.rejected) this.log.warn('audit lines skipped (not audit records)', { count: audit.rejected });
    const suppressedBefore = this.tracker.suppressed;
    const events = this.tracker.observe({ insights: insights ?? null, analyses: analyses ?? null, audit: audit.records, now });
    this.state.audit_offset = audit.offset;
    this.counters.suppressed += this.tracker.suppressed - suppressedBefore;
    const targets = this.c.webhooks.map((t) => t.id);
    for (const e of events) {
      this.log.info('notification', {
        kind: e.kind,
        episode: e.episode.id,
        namespace: e.episode.namespace,
        workload: e.episode.workload,
        anomaly_type: e.episode.anomaly_type,
      });
      this.outbox.add(e, targets, now);
    }
    const alertsChanged = this.alertmanager ? reconcileAlerts(this.state, this.state.episodes, now) : false;
    this.counters.dropped = this.state.dropped_total;
    this.save();
    this.webhooks.kick();
    this.alertmanager?.tick(now, alertsChanged);
  }

  beat(state: 'running' | 'stopped' = 'running'): void {
    try {
      const c = this.counters;
      writeHeartbeat(
        this.c.heartbeatFile,
        heartbeat(
          'notification-agent',
          {
            open: this.tracker.openCount,
            outbox: this.outbox.size,
            sent_total: c.sent.webhook + c.sent.alertmanager,
            failed_total: c.failed.webhook + c.failed.alertmanager,
          },
          state,
        ),
      );
    } catch (err) {
      this.log.warn('heartbeat not written', { reason: (err as Error).message });
    }
  }

  async close(): Promise<void> {
    await this.webhooks.close();
    await this.alertmanager?.close();
    this.save();
  }
}
