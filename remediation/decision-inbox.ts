// The decisions run-remediation has still to carry out: the files in the decisions directory
// (lib/decisions.ts) whose id no audit record names yet. Read anew on every question (the files are few
// and small), so a decision written while a terminal prompt is open is seen within a poll.
import { readDecisions, type DecisionRecord } from '../lib/decisions.ts';
import { sleep } from '../lib/backoff.ts';
import type { AuditLog } from './audit.ts';

export class DecisionInbox {
  readonly dir: string;
  private readonly audit: AuditLog;
  private readonly pollMs: number;
  /** Taken by this process but not in the audit log yet (between reading and recording). */
  private readonly taken = new Set<string>();

  constructor(dir: string, audit: AuditLog, pollMs = 250) {
    this.dir = dir;
    this.audit = audit;
    this.pollMs = pollMs;
  }

  /** Decisions not carried out yet, oldest first. */
  pending(): DecisionRecord[] {
    const done = new Set<string>();
    for (const r of this.audit.all()) if (r.decision_id) done.add(r.decision_id);
    return readDecisions(this.dir).decisions.filter((d) => !done.has(d.id) && !this.taken.has(d.id));
  }

  /** Marks a decision as being carried out (until its audit record is written). */
  take(d: DecisionRecord): DecisionRecord {
    this.taken.add(d.id);
    return d;
  }

  /** A waiting decision on this proposal (or, for not-an-anomaly, on the anomaly as a whole). */
  find(analysisId: string, actionIndex: number): DecisionRecord | undefined {
    return this.pending().find(
      (d) =>
        d.analysis_id === analysisId &&
        (d.action_index === actionIndex || (d.decision === 'not-an-anomaly' && d.action_index === undefined)),
    );
  }

  /** Resolves with the first decision on this proposal to arrive; rejects when `signal` aborts. */
  async wait(analysisId: string, actionIndex: number, signal: AbortSignal): Promise<DecisionRecord> {
    while (!signal.aborted) {
      const d = this.find(analysisId, actionIndex);
      if (d) return d;
      await sleep(this.pollMs, signal);
    }
    throw signal.reason ?? new Error('aborted');
  }
}
