// Drives run-monitoring's approval prompt in an e2e session: follows the prompts through the audit log and
// answers each with one key; finds the prompt that restarts the memory-leak scenario's leaking workload.
import { join } from 'node:path';
import { readJsonLines } from '../../lib/atomic-file.ts';
import { AuditRecord } from '../../lib/schemas.ts';
import type { MonitorSession } from './e2e-support.ts';

export const PROMPT_TIMEOUT_MS = 150_000;

// Fast enough that the leak is detected within the tests' bounds, slow enough for 2 shared cores.
const SPEED = process.env.E2E_SPEED ?? '5';

/** run-monitoring on the memory-leak demo (fixed seed, rules only, a short verification delay), plus `extra`. */
export const leakDemoArgs = (extra: string[] = []): string[] => [
  '--demo',
  '--scenario',
  'memory-leak',
  '--speed',
  SPEED,
  '--seed',
  '7',
  '--no-llm',
  '--verify-delay',
  '20',
  ...extra,
];
export const RESTART_ACTIONS = ['restart_pod', 'rollout_restart'];
/** The workload the memory-leak scenario makes leak (sim/scenarios/memory-leak.json). */
export const LEAKING = { namespace: 'monitoring', workload: 'log-aggregator' };
export const targetsLeak = (r: AuditRecord) =>
  String(r.params.namespace) === LEAKING.namespace && String(r.params.pod ?? r.params.name ?? '').startsWith(LEAKING.workload);

export const audit = (s: MonitorSession) => readJsonLines(join(s.dataDir, 'remediation_history.jsonl'), AuditRecord).records;

export const sameStep = (r: AuditRecord, p: AuditRecord) => r.analysis_id === p.analysis_id && r.action === p.action && r.ts >= p.ts;

/**
 * The prompts are followed through the audit log, so that each gets exactly one key: a proposal whose
 * dry run is recorded and that has no decision yet is the open prompt (keys typed ahead would answer the
 * next prompt, and inquirer redraws a prompt's line several times).
 */
export class PromptDriver {
  private readonly s: MonitorSession;
  private readonly answered = new Set<string>();
  /**
   * Screen offset just before the last key was typed: the end of the approval step and the next prompt
   * can only be drawn after it. (A late redraw of the answered prompt may match too; the key typed for
   * the next prompt then waits in the terminal's buffer until that prompt reads it.)
   */
  private mark = 0;
  constructor(s: MonitorSession) {
    this.s = s;
  }

  private open(): AuditRecord | undefined {
    const recs = audit(this.s);
    return recs.find(
      (r) =>
        r.event === 'proposal' &&
        !this.answered.has(`${r.ts}|${r.analysis_id}|${r.action}`) &&
        recs.some((d) => d.event === 'dry_run' && sameStep(d, r)) &&
        !recs.some((d) => (d.event === 'decision' || d.event === 'pending') && sameStep(d, r)),
    );
  }

  private async onScreen(p: AuditRecord): Promise<AuditRecord> {
    await this.s.waitFor(
      new RegExp(`Apply ${p.action} to [^\\n]*\\? \\(ynaxqH\\)`),
      `the prompt for ${p.action} on the screen`,
      30_000,
      this.mark,
    );
    return p;
  }

  /** Waits for the next open prompt; returns its proposal record. */
  async next(timeoutMs: number): Promise<AuditRecord> {
    return this.onScreen(
      await this.s.until('an approval prompt (a proposal with its dry run and no decision yet)', () => this.open(), timeoutMs),
    );
  }

  /** The next open prompt, or null when the approval step ends first. */
  async nextInStep(timeoutMs: number): Promise<AuditRecord | null> {
    const found = await this.s.until(
      'the next prompt or the end of the approval step',
      () => this.open() ?? (this.s.text().slice(this.mark).includes('approval step ended') ? 'ended' : null),
      timeoutMs,
    );
    return found === 'ended' ? null : this.onScreen(found);
  }

  /** Answers the open prompt with one key and waits for its decision in the audit log. */
  async answer(p: AuditRecord, key: 'y' | 'n'): Promise<AuditRecord> {
    this.answered.add(`${p.ts}|${p.analysis_id}|${p.action}`);
    this.mark = this.s.text().length;
    this.s.type(`${key}\r`);
    return this.s.until(`the decision on ${p.action}`, () => audit(this.s).find((d) => d.event === 'decision' && sameStep(d, p)), 30_000);
  }
}

/**
 * Answers prompts until one proposes a restart of the leaking workload: every other proposal (another
 * action, or a detector's false positive elsewhere) is declined.
 */
export async function untilRestartPrompt(s: MonitorSession, prompts: PromptDriver): Promise<AuditRecord> {
  for (let i = 0; i < 8; i++) {
    const p = await prompts.next(PROMPT_TIMEOUT_MS);
    if (RESTART_ACTIONS.includes(p.action) && targetsLeak(p)) return p;
    await prompts.answer(p, 'n');
  }
  throw new Error(`no restart of ${LEAKING.namespace}/${LEAKING.workload} was proposed in eight prompts\n${s.diagnostics()}`);
}
