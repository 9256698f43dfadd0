// The remediation flow, one proposal at a time: validate → plan (read the live object) → record the
// proposal → server-side dry run → decide (person, session approval, or auto-approve policy) → apply →
// verify after a delay. Every step is appended to the audit log. Driven by run-remediation.ts, by the
// orchestrator and by tests, with the prompt injected.
// A pass over the analyses (a cycle) handles each pod and action once (later analyses recommending it
// again are duplicates), and at most maxProposalsPerCycle of them; the rest wait for the next cycle.
import {
  ACTION_NAMES,
  type ActionName,
  type AuditRecord,
  type PodAnalysis,
  type PodAnalysisFile,
  type RecommendedAction,
} from '../lib/schemas.ts';
import type { KubeClients } from '../lib/kube.ts';
import { kubeErrorMessage } from '../lib/kube.ts';
import type { Logger } from '../lib/log.ts';
import { sleep } from '../lib/backoff.ts';
import { actionFor } from './actions/index.ts';
import { Refusal, type ActionContext, type Plan, type StepOutcome, type VerifyHint } from './actions/types.ts';
import { AuditLog, proposalKey } from './audit.ts';
import type { RemediationPolicy } from './config.ts';
import { renderDryRun, renderProposal } from './render.ts';
import { validateAction } from './validate.ts';
import type { DecisionInbox } from './decision-inbox.ts';
import type { OwnershipCheck } from './shard-owner.ts';
import { decisionRecordFields, feedbackFor, terminalDecision, type Forced } from './decision-exec.ts';
import type { DecisionRecord } from '../lib/decisions.ts';
import { evaluateInsights, readInsights, type VerifyResult } from './verify.ts';

/**
 * 'interrupt' is Ctrl-C at the prompt: a quit that also asks the caller (run-monitoring) to stop.
 * 'not_anomaly' skips the action and records feedback (lib/feedback.ts) so the pattern stops alerting.
 */
export type Decision = 'approve' | 'skip' | 'approve_kind' | 'not_anomaly' | 'quit' | 'interrupt';
export type Mode = 'manual' | 'dry-run' | 'auto-approve';

export interface ApprovalRequest {
  analysis: PodAnalysis;
  action: RecommendedAction;
  plan: Plan;
  dryRun: StepOutcome;
  /** Aborts when the proposal was decided elsewhere (a decision file arrived): the prompt closes. */
  signal?: AbortSignal;
}
export type PromptFn = (req: ApprovalRequest) => Promise<Decision>;

export interface EngineOptions {
  clients: KubeClients;
  policy: RemediationPolicy;
  /** Config's protected namespaces plus --protected-namespace. */
  protectedNamespaces: readonly string[];
  audit: AuditLog;
  insightsFile: string;
  confidenceThreshold: number;
  verifyDelayMs: number;
  mode: Mode;
  /** null when nobody can answer (stdin is not a terminal): proposals are recorded as pending. */
  prompt: PromptFn | null;
  /** The person running the command (recorded as the approver). */
  user: string;
  /** Human-readable output (the terminal). */
  print: (text: string) => void;
  log: Logger;
  now?: () => Date;
  signal?: AbortSignal;
  /** Proposals (and refusals) per pass over the analyses; the rest are deferred to the next pass. Default 20. */
  maxProposalsPerCycle?: number;
  /** Decisions taken in the browser or over MCP (lib/decisions.ts): carried out, and they close an open prompt. */
  decisions?: DecisionInbox;
  /** Where "not an anomaly" feedback goes (lib/feedback.ts); without it, none is written. */
  feedbackFile?: string;
  /** In a sharded replica (remediation/shard-owner.ts): acts only on pods it owns, checked when proposing and before applying. */
  ownership?: OwnershipCheck;
}

export const DEFAULT_MAX_PROPOSALS_PER_CYCLE = 20;

export interface Counts {
  considered: number;
  proposed: number;
  refused: number;
  pending: number;
  approved: number;
  skipped: number;
  executed: number;
  executionFailed: number;
  resolved: number;
  failedVerification: number;
  /** Recommendations of a pod and action already handled in the same pass. */
  duplicates: number;
  /** Recommendations left for the next pass by the per-cycle cap. */
  deferred: number;
}

/** Who approved an action and where: carried onto its execution and verification records. */
interface Approval {
  by: string;
  via: NonNullable<AuditRecord['via']>;
  decision_id?: string;
}

function approvalFields(a: Approval) {
  return { user: a.by, via: a.via, ...(a.decision_id ? { decision_id: a.decision_id } : {}) };
}

export interface VerificationOutcome extends VerifyResult {
  analysisId: string;
  action: ActionName;
}

function emptyCounts(): Counts {
  return {
    considered: 0,
    proposed: 0,
    refused: 0,
    pending: 0,
    approved: 0,
    skipped: 0,
    executed: 0,
    executionFailed: 0,
    resolved: 0,
    failedVerification: 0,
    duplicates: 0,
    deferred: 0,
  };
}

/** The workload (or node) an action touches: the unit of the auto-approve cool-down. */
export function workloadOf(analysis: PodAnalysis, action: ActionName, params: Record<string, unknown>): string {
  if (typeof params.node === 'string') return `node/${params.node}`;
  const ns = (params.namespace as string | undefined) ?? analysis.namespace;
  if (typeof params.kind === 'string' && typeof params.name === 'string') return `${ns}/${params.kind}/${params.name}`;
  if (action === 'restart_pod' && analysis.owner) return `${ns}/${analysis.owner.kind}/${analysis.owner.name}`;
  return `${ns}/Pod/${(params.pod as string | undefined) ?? analysis.pod}`;
}

export class RemediationSession {
  readonly counts: Counts = emptyCounts();
  readonly verifications: Promise<VerificationOutcome>[] = [];
  private readonly approvedKinds = new Set<ActionName>();
  private readonly opts: EngineOptions;
  private readonly now: () => Date;
  private promptActive = false;
  private held: string[] = [];
  /** The current pass: pod|action handled, recommendations attempted, duplicates and deferred. */
  private cycle = { seen: new Set<string>(), attempts: 0, duplicates: 0, deferred: 0 };
  quit = false;
  interrupted = false;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
  }

  /** Output that arrives during a prompt (a verification result) waits until the prompt is answered. */
  private say(text: string): void {
    if (this.promptActive) this.held.push(text);
    else this.opts.print(text);
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = [];
    for (const t of held) this.opts.print(t);
  }

  /** Goes through the current analyses once; returns when every proposal has been decided (not verified). */
  async processAnalyses(file: PodAnalysisFile | { analyses: PodAnalysis[] }): Promise<Counts> {
    this.cycle = { seen: new Set(), attempts: 0, duplicates: 0, deferred: 0 };
    try {
      await this.processEach(file.analyses as PodAnalysis[]);
    } finally {
      this.endCycle();
    }
    return this.counts;
  }

  /** Recommendations deferred by the cap in the last pass: another pass should follow. */
  get deferredLastCycle(): number {
    return this.cycle.deferred;
  }

  private endCycle(): void {
    const { duplicates, deferred } = this.cycle;
    this.counts.duplicates += duplicates;
    this.counts.deferred += deferred;
    if (duplicates > 0) {
      this.opts.log.info(
        `${duplicates} duplicate recommendations skipped (a pod and action an earlier analysis in this pass already recommended)`,
        { duplicates },
      );
    }
    if (deferred > 0) {
      const max = this.maxPerCycle();
      this.opts.log.warn(`${deferred} recommendations deferred to the next pass (at most ${max} proposals per pass)`, { deferred, max });
      this.say(`\n  ${deferred} more recommendation(s) deferred to the next pass (at most ${max} proposals per pass).`);
    }
  }

  private maxPerCycle(): number {
    return this.opts.maxProposalsPerCycle ?? DEFAULT_MAX_PROPOSALS_PER_CYCLE;
  }

  private async processEach(analyses: PodAnalysis[]): Promise<void> {
    for (const analysis of analyses) {
      if (this.quit || this.opts.signal?.aborted) break;
      if (analysis.anomaly_probability < this.opts.confidenceThreshold) {
        this.opts.log.debug('below the confidence threshold', { id: analysis.id, p: analysis.anomaly_probability });
        continue;
      }
      if (analysis.recommended_actions.length === 0) continue;
      this.counts.considered++;
      await this.processAnalysis(analysis);
    }
  }

  /** Waits for the scheduled verifications (for --once and tests). */
  async settle(): Promise<VerificationOutcome[]> {
    return Promise.all(this.verifications);
  }

  private pendingResult(): string | null {
    if (this.opts.mode === 'dry-run') return 'dry-run';
    return this.opts.prompt ? null : 'pending';
  }

  private async processAnalysis(analysis: PodAnalysis): Promise<void> {
    const open = this.openExecution(analysis);
    if (open) {
      this.opts.log.debug('an action for this anomaly is applied; waiting for it', { id: analysis.id, action: open.action, at: open.ts });
      return;
    }
    // Another replica's pod since a takeover: its owner analyses it from its own rows and proposes there.
    const notOurs = await this.opts.ownership?.(analysis.namespace, analysis.pod);
    if (notOurs) {
      this.opts.log.debug("not proposed: the pod is not this replica's", { id: analysis.id, reason: notOurs });
      return;
    }
    for (const [index, action] of analysis.recommended_actions.entries()) {
      if (this.quit || this.opts.signal?.aborted) return;
      const podAction = `${analysis.namespace}/${analysis.pod}|${action.action}`;
      if (this.cycle.seen.has(podAction)) {
        this.cycle.duplicates++;
        continue;
      }
      this.cycle.seen.add(podAction);
      if ((await this.handleAction(analysis, action, index, null)) === 'stop') return;
    }
  }

  private openExecution(analysis: PodAnalysis) {
    const cooldownStart = new Date(this.now().getTime() - this.opts.policy.proposalCooldownMinutes * 60_000);
    return this.opts.audit.openExecutionFor(analysis.id, cooldownStart);
  }

  /**
   * Carries out the decisions taken in the browser or over MCP that are not in the audit log yet: each
   * through the same validation, plan, dry run, decision record, apply and verification as a terminal
   * answer. A decision on an anomaly that is gone, or whose action changed, is recorded as refused.
   */
  async processDecisions(file: PodAnalysisFile | { analyses: PodAnalysis[] }): Promise<number> {
    const inbox = this.opts.decisions;
    if (!inbox) return 0;
    let n = 0;
    for (const d of inbox.pending()) {
      if (this.quit || this.opts.signal?.aborted) break;
      inbox.take(d);
      n++;
      const analysis = (file.analyses as PodAnalysis[]).find((a) => a.id === d.analysis_id);
      const index = d.action_index;
      const action = analysis && index !== undefined ? analysis.recommended_actions[index] : undefined;
      const forced: Forced = { record: d };
      const base = {
        analysis_id: d.analysis_id,
        action: action?.action ?? d.action ?? 'none',
        params: (action?.params as Record<string, unknown> | undefined) ?? {},
        ...(analysis ? { namespace: analysis.namespace, pod: analysis.pod } : {}),
      };
      const refuse = (code: string, reason: string) => {
        this.counts.refused++;
        this.opts.audit.append({
          ...base,
          event: 'refusal',
          user: d.by,
          result: code,
          ...decisionRecordFields(forced),
          detail: { reason },
        });
        this.say(`\n  Decision ${d.id} by ${d.by} (${d.via}) not carried out: ${reason}`);
      };
      if (!analysis) {
        refuse('stale_decision', `anomaly ${d.analysis_id} is not open any more`);
        continue;
      }
      if (d.decision === 'not-an-anomaly' && !action) {
        this.recordNotAnomaly(analysis, base, forced, {});
        continue;
      }
      if (!action || index === undefined || (d.action !== undefined && d.action !== action.action)) {
        refuse('action_mismatch', `the analysis no longer recommends ${d.action ?? 'that action'} at index ${index}`);
        continue;
      }
      if (d.decision === 'approve') {
        const open = this.openExecution(analysis);
        if (open) {
          refuse('execution_open', `${open.action} was applied at ${open.ts} and is being verified; one change at a time`);
          continue;
        }
      }
      await this.handleAction(analysis, action, index, forced);
    }
    return n;
  }

  /** One recommended action: validate, plan, dry run, decide, apply, verify. 'stop' ends the anomaly's actions. */
  private async handleAction(
    analysis: PodAnalysis,
    action: RecommendedAction,
    index: number,
    forced: Forced | null,
  ): Promise<'next' | 'stop'> {
    const { audit, policy } = this.opts;
    const cooldownStart = new Date(this.now().getTime() - policy.proposalCooldownMinutes * 60_000);
    const raw: Record<string, unknown> =
      action.params && typeof action.params === 'object' && !Array.isArray(action.params)
        ? (action.params as Record<string, unknown>)
        : { value: action.params };
    const checked = validateAction(action.action, raw, analysis, {
      bounds: policy.bounds,
      protectedNamespaces: this.opts.protectedNamespaces,
    });
    const params = checked.ok ? checked.params : raw;
    const key = proposalKey(analysis.id, action.action, params);
    if (!forced) {
      const earlier =
        audit.settledSince(key, cooldownStart, this.pendingResult()) ??
        audit.settledForPodSince(analysis.namespace, analysis.pod, action.action, params, cooldownStart, this.pendingResult());
      if (earlier) {
        this.opts.log.debug('already handled within the cool-down', {
          id: analysis.id,
          action: action.action,
          at: earlier.ts,
          event: earlier.event,
        });
        return 'next';
      }
      if (this.cycle.attempts >= this.maxPerCycle()) {
        this.cycle.deferred++;
        return 'next';
      }
      this.cycle.attempts++;
    }
    const workload = workloadOf(analysis, action.action, params);
    const base = { analysis_id: analysis.id, action: action.action, params, namespace: analysis.namespace, pod: analysis.pod };
    const detail = (extra: Record<string, unknown>) => ({ key, workload, mode: this.opts.mode, action_index: index, ...extra });

    // Declining needs no plan: the decision is recorded as a terminal "n" (or "x") would be.
    if (forced && forced.record.decision !== 'approve') {
      const d = forced.record;
      this.recordForced(
        forced,
        base,
        detail,
        analysis,
        `\n  ${action.action} for ${analysis.namespace}/${analysis.pod} declined by ${d.by} (${d.via}).`,
      );
      return 'next';
    }

    if (!checked.ok) {
      this.refuse(base, detail, checked.code, checked.reason, analysis, forced);
      return 'next';
    }

    const ctx: ActionContext = {
      clients: this.opts.clients,
      bounds: policy.bounds,
      protectedNamespaces: this.opts.protectedNamespaces,
      analysis,
      now: this.now,
    };
    const impl = actionFor(checked.action);
    let plan: Plan;
    try {
      plan = await impl.plan(params as never, ctx);
    } catch (err) {
      if (err instanceof Refusal) this.refuse(base, detail, err.code, err.message, analysis, forced);
      else this.refuse(base, detail, 'error', `could not plan ${action.action}: ${kubeErrorMessage(err)}`, analysis, forced);
      return 'next';
    }

    this.counts.proposed++;
    audit.append({
      ...base,
      event: 'proposal',
      user: this.opts.user,
      result: 'proposed',
      detail: detail({
        resource: plan.resource,
        changes: plan.changes,
        anomaly_type: analysis.anomaly_type,
        anomaly_probability: analysis.anomaly_probability,
        root_cause: analysis.root_cause,
        rationale: action.rationale,
        risk: action.risk,
      }),
    });
    this.say(renderProposal(analysis, action, plan));

    const dry = await impl.dryRun(plan, ctx);
    audit.append({
      ...base,
      event: 'dry_run',
      user: this.opts.user,
      result: dry.ok ? 'ok' : 'failed',
      detail: detail({ summary: dry.summary, ops: dry.ops }),
    });
    this.say(renderDryRun(dry));
    if (!dry.ok) {
      this.refuse(base, detail, 'dry_run_failed', `the server-side dry run failed: ${dry.summary}`, analysis, forced);
      return 'next';
    }

    if (this.opts.mode === 'dry-run') {
      this.counts.pending++;
      audit.append({
        ...base,
        event: 'pending',
        user: this.opts.user,
        result: 'dry-run',
        ...(forced ? decisionRecordFields(forced) : {}),
        detail: detail({ reason: '--dry-run: not executed' }),
      });
      this.say('  Not executed (--dry-run).');
      return 'next';
    }

    const decided = forced
      ? this.recordForced(forced, base, detail, analysis)
      : await this.decide(analysis, action, index, plan, dry, workload, base, detail);
    if (decided === 'quit') {
      this.quit = true;
      this.say('Quit: nothing more is changed in this session.');
      return 'stop';
    }
    if (decided === null) return 'next';
    // Asked again right before acting: a takeover while the proposal waited for a person moves the pod away.
    const notOurs = await this.opts.ownership?.(analysis.namespace, analysis.pod);
    if (notOurs) {
      this.refuse(base, detail, 'not_owner', notOurs, analysis, forced);
      return 'stop';
    }

    const executedAt = this.now();
    let applied: StepOutcome;
    try {
      applied = await impl.apply(plan, ctx);
    } catch (err) {
      applied = { ok: false, summary: `apply failed: ${kubeErrorMessage(err)}`, ops: [] };
    }
    audit.append({
      ...base,
      event: 'execution',
      ...approvalFields(decided),
      result: applied.ok ? 'ok' : 'failed',
      detail: detail({ summary: applied.summary, ops: applied.ops, ...(applied.facts ? { facts: applied.facts } : {}) }),
    });
    if (!applied.ok) {
      this.counts.executionFailed++;
      this.opts.log.warn('remediation failed', { id: analysis.id, action: action.action, summary: applied.summary });
      this.say(`  EXECUTION FAILED: ${applied.summary}`);
      return 'stop'; // do not pile further actions on a half-applied one
    }
    this.counts.executed++;
    this.say(`  Executed: ${applied.summary}. Verifying in ${Math.round(this.opts.verifyDelayMs / 1000)} s.`);
    const hint = impl.verifyHint(plan, applied, ctx);
    this.verifications.push(this.verifyLater(analysis, checked.action, hint, executedAt, base, detail, decided));
    return 'stop'; // one change per anomaly at a time; the next waits for verification
  }

  /**
   * A decision taken elsewhere (browser, MCP): recorded with who and where; returns the approver, or null when
   * it declined (`declined`: what to print then) or said "not an anomaly".
   */
  private recordForced(
    forced: Forced,
    base: { analysis_id: string; action: string; params: Record<string, unknown>; namespace: string; pod: string },
    detail: (extra: Record<string, unknown>) => Record<string, unknown>,
    analysis: PodAnalysis,
    declined = `  Declined by ${forced.record.by} (${forced.record.via}).`,
  ): Approval | null {
    const d = forced.record;
    if (d.decision === 'not-an-anomaly') {
      this.recordNotAnomaly(analysis, base, forced, detail({}));
      return null;
    }
    const approved = d.decision === 'approve';
    if (approved) this.counts.approved++;
    else this.counts.skipped++;
    this.opts.audit.append({
      ...base,
      event: 'decision',
      user: d.by,
      result: approved ? 'approved' : 'skipped',
      ...decisionRecordFields(forced),
      detail: detail({}),
    });
    this.say(approved ? `  Approved by ${d.by} (${d.via}).` : declined);
    return approved ? { by: d.by, ...decisionRecordFields(forced) } : null;
  }

  /** "Not an anomaly": the decision (no action taken) and the feedback the dataset agent re-baselines from. */
  private recordNotAnomaly(
    analysis: PodAnalysis | null,
    base: { analysis_id: string; action: string; params: Record<string, unknown>; namespace?: string; pod?: string },
    forced: Forced,
    detail: Record<string, unknown>,
  ): void {
    const d = forced.record;
    this.counts.skipped++;
    this.opts.audit.append({ ...base, event: 'decision', user: d.by, result: 'not_an_anomaly', ...decisionRecordFields(forced), detail });
    const target = analysis ?? { namespace: base.namespace ?? '', pod: base.pod ?? '', id: base.analysis_id };
    if (this.opts.feedbackFile && analysis) feedbackFor(this.opts.feedbackFile, analysis, this.opts.insightsFile, d);
    this.say(`  ${target.namespace}/${target.pod} marked "not an anomaly" by ${d.by} (${d.via}); nothing is changed.`);
  }

  private refuse(
    base: Record<string, unknown> & { analysis_id: string; action: string; params: Record<string, unknown> },
    detail: (extra: Record<string, unknown>) => Record<string, unknown>,
    code: string,
    reason: string,
    analysis: PodAnalysis,
    forced: Forced | null = null,
  ): void {
    this.counts.refused++;
    this.opts.audit.append({
      ...base,
      event: 'refusal',
      user: forced?.record.by ?? this.opts.user,
      result: code,
      ...(forced ? decisionRecordFields(forced) : {}),
      detail: detail({ reason }),
    });
    this.opts.log.info('remediation refused', { id: analysis.id, action: base.action, code, reason });
    this.say(
      code === 'error'
        ? `\n  Cannot propose ${base.action} for ${analysis.namespace}/${analysis.pod} now (tried again later): ${reason}`
        : `\n  Refused ${base.action} for ${analysis.namespace}/${analysis.pod}: ${reason}`,
    );
  }

  /** The approving user, or null when the action is not executed (skipped, pending, deferred); 'quit' stops. */
  private async decide(
    analysis: PodAnalysis,
    action: RecommendedAction,
    index: number,
    plan: Plan,
    dry: StepOutcome,
    workload: string,
    base: { analysis_id: string; action: string; params: Record<string, unknown>; namespace: string; pod: string },
    detail: (extra: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<Approval | 'quit' | null> {
    const { audit, policy, user } = this.opts;
    const kind = action.action;
    const auto = this.opts.mode === 'auto-approve' ? policy.autoApprove : undefined;
    const inbox = this.opts.decisions;
    // Decided elsewhere already (the browser, MCP): that decision is carried out instead of asking.
    const waiting = inbox?.find(analysis.id, index);
    if (waiting) return this.recordForced({ record: inbox!.take(waiting) }, base, detail, analysis);
    if (auto && auto.actions.includes(kind)) {
      const hourAgo = new Date(this.now().getTime() - 3_600_000);
      const used = audit.autoExecutionsSince(hourAgo);
      const last = audit.lastExecutionOn(workload);
      const coolUntil = last ? Date.parse(last.ts) + auto.cooldownMinutes * 60_000 : 0;
      const approver = `auto-approve:${auto.name}`;
      if (used >= auto.maxActionsPerHour) {
        audit.append({
          ...base,
          event: 'decision',
          user: approver,
          result: 'rate_limited',
          via: 'auto',
          detail: detail({ reason: `${used} automatic actions in the last hour (limit ${auto.maxActionsPerHour})` }),
        });
        this.say(`  Not executed: the auto-approve rate limit (${auto.maxActionsPerHour}/hour) is reached.`);
        this.counts.skipped++;
        return null;
      }
      if (coolUntil > this.now().getTime()) {
        audit.append({
          ...base,
          event: 'decision',
          user: approver,
          result: 'cooldown',
          via: 'auto',
          detail: detail({ reason: `${workload} was changed at ${last!.ts}; cool-down ${auto.cooldownMinutes} min` }),
        });
        this.say(`  Not executed: ${workload} is in its cool-down until ${new Date(coolUntil).toISOString()}.`);
        this.counts.skipped++;
        return null;
      }
      audit.append({
        ...base,
        event: 'decision',
        user: approver,
        result: 'approved',
        via: 'auto',
        detail: detail({ via: 'auto-approve policy' }),
      });
      this.counts.approved++;
      this.say(`  Approved by the auto-approve policy "${auto.name}".`);
      return { by: approver, via: 'auto' };
    }
    if (this.approvedKinds.has(kind)) {
      audit.append({
        ...base,
        event: 'decision',
        user,
        result: 'approved',
        via: 'terminal',
        detail: detail({ via: `session approval of ${kind}` }),
      });
      this.counts.approved++;
      this.say(`  Approved: ${kind} was approved for this session.`);
      return { by: user, via: 'terminal' };
    }
    if (!this.opts.prompt) {
      this.counts.pending++;
      audit.append({ ...base, event: 'pending', user, result: 'pending', detail: detail({ reason: 'no terminal to ask for approval' }) });
      this.say('  Pending: needs approval (stdin is not a terminal; decide it in run-remediation on a terminal or in the dashboard).');
      return null;
    }
    this.flushHeld();
    this.promptActive = true;
    let answer: Decision;
    let elsewhere: DecisionRecord | null = null;
    const closePrompt = new AbortController();
    try {
      const asked = this.opts.prompt({ analysis, action, plan, dryRun: dry, signal: closePrompt.signal });
      if (inbox) {
        // Whichever comes first: the person at the terminal, or a decision file on this proposal.
        const arrived = inbox.wait(analysis.id, index, closePrompt.signal).then(
          (d) => d,
          () => null,
        );
        const first = await Promise.race([asked.then((a) => ({ a })), arrived.then((d) => ({ d }))]);
        if ('d' in first && first.d) {
          elsewhere = inbox.take(first.d);
          closePrompt.abort();
          await asked.catch(() => undefined);
          answer = 'skip';
        } else {
          answer = (first as { a: Decision }).a;
          closePrompt.abort();
        }
      } else {
        answer = await asked;
      }
    } finally {
      this.promptActive = false;
    }
    this.flushHeld();
    if (elsewhere) {
      this.say(`  Decided by ${elsewhere.by} (${elsewhere.via}): ${elsewhere.decision}.`);
      return this.recordForced({ record: elsewhere }, base, detail, analysis);
    }
    if (answer === 'interrupt') this.interrupted = true;
    if (answer === 'quit' || answer === 'interrupt') return 'quit';
    if (answer === 'skip') {
      this.counts.skipped++;
      audit.append({ ...base, event: 'decision', user, result: 'skipped', via: 'terminal', detail: detail({}) });
      this.say('  Skipped.');
      return null;
    }
    if (answer === 'not_anomaly') {
      this.recordNotAnomaly(analysis, base, { record: terminalDecision(analysis, index, kind, user) }, detail({}));
      return null;
    }
    if (answer === 'approve_kind') this.approvedKinds.add(kind);
    this.counts.approved++;
    audit.append({
      ...base,
      event: 'decision',
      user,
      result: 'approved',
      via: 'terminal',
      detail: detail({ via: answer === 'approve_kind' ? `approve ${kind} for the session` : 'prompt' }),
    });
    return { by: user, via: 'terminal' };
  }

  /** The pods that exist now, or undefined when the cluster cannot be asked (then the file alone decides). */
  private async livePods(namespace: string): Promise<Set<string> | undefined> {
    try {
      const list = await this.opts.clients.core.listNamespacedPod({ namespace });
      return new Set(list.items.map((p) => p.metadata?.name ?? ''));
    } catch (err) {
      this.opts.log.debug('cannot list pods for verification', { error: kubeErrorMessage(err) });
      return undefined;
    }
  }

  private async verifyLater(
    analysis: PodAnalysis,
    action: ActionName,
    hint: VerifyHint,
    executedAt: Date,
    base: { analysis_id: string; action: string; params: Record<string, unknown>; namespace: string; pod: string },
    detail: (extra: Record<string, unknown>) => Record<string, unknown>,
    approver: Approval,
  ): Promise<VerificationOutcome> {
    const delay = this.opts.verifyDelayMs;
    await sleep(delay, this.opts.signal);
    if (this.opts.signal?.aborted) {
      const reason = 'run-remediation stopped before the verify delay ended';
      this.opts.audit.append({
        ...base,
        event: 'verification',
        ...approvalFields(approver),
        result: 'UNVERIFIED',
        detail: detail({ reason, expected: hint.description }),
      });
      this.say(`? ${action} on ${analysis.namespace}/${analysis.pod} not verified: ${reason}.`);
      return { result: 'FAILED', reason, stale: true, checked: [], analysisId: analysis.id, action };
    }
    const check = async () => evaluateInsights(readInsights(this.opts.insightsFile), hint, executedAt, await this.livePods(hint.namespace));
    let v = await check();
    // No fresh evidence yet (the insights lag): allow one more delay, checking each second.
    const graceEnd = Date.now() + delay;
    while (v.stale && Date.now() < graceEnd && !this.opts.signal?.aborted) {
      await sleep(Math.min(1000, Math.max(50, delay / 4)), this.opts.signal);
      v = await check();
    }
    this.opts.audit.append({
      ...base,
      event: 'verification',
      ...approvalFields(approver),
      result: v.result,
      detail: detail({ reason: v.reason, checked: v.checked, expected: hint.description }),
    });
    if (v.result === 'RESOLVED') {
      this.counts.resolved++;
      this.say(`✔ Verified ${action} on ${analysis.namespace}/${analysis.pod}: RESOLVED (${v.reason}).`);
    } else {
      this.counts.failedVerification++;
      this.opts.log.warn('remediation did not clear the anomaly', { id: analysis.id, action, reason: v.reason });
      this.say(`✘ ${action} on ${analysis.namespace}/${analysis.pod} marked FAILED: ${v.reason}. The anomaly needs a person's attention.`);
    }
    return { ...v, analysisId: analysis.id, action };
  }
}

/** Convenience for tests and the orchestrator: one pass over the analyses, then wait for verifications. */
export async function processAnalyses(
  file: PodAnalysisFile | { analyses: PodAnalysis[] },
  opts: EngineOptions,
): Promise<{ counts: Counts; verifications: VerificationOutcome[]; quit: boolean }> {
  const session = new RemediationSession(opts);
  await session.processAnalyses(file);
  const verifications = await session.settle();
  return { counts: session.counts, verifications, quit: session.quit };
}

export function isActionName(s: string): s is ActionName {
  return (ACTION_NAMES as string[]).includes(s);
}
