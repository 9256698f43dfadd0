// The append-only audit log (remediation_history.jsonl) and the state derived from it: cool-downs and
// the auto-approve rate limit are computed from what was recorded, so they survive a restart.
import { appendJsonLine, readJsonLines } from '../lib/atomic-file.ts';
import { AuditRecord } from '../lib/schemas.ts';

export type AuditEventName = AuditRecord['event'];

/** A stable key for "this action with these params for this anomaly". */
export function proposalKey(analysisId: string, action: string, params: Record<string, unknown>): string {
  return `${analysisId}|${action}|${stableJson(params)}`;
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface Detail {
  key?: string;
  workload?: string;
}

function detailOf(r: AuditRecord): Detail {
  return r.detail && typeof r.detail === 'object' ? (r.detail as Detail) : {};
}

export class AuditLog {
  readonly path: string;
  private readonly records: AuditRecord[];
  readonly rejectedLines: number;

  constructor(path: string) {
    this.path = path;
    const { records, rejected } = readJsonLines(path, AuditRecord);
    this.records = records;
    this.rejectedLines = rejected;
  }

  append(record: Omit<AuditRecord, 'ts'> & { ts?: string }): AuditRecord {
    const full = AuditRecord.parse({ ...record, ts: record.ts ?? new Date().toISOString() });
    appendJsonLine(this.path, full, AuditRecord);
    this.records.push(full);
    return full;
  }

  all(): readonly AuditRecord[] {
    return this.records;
  }

  /**
   * True when this proposal already had an outcome within the cool-down: a decision (approved, skipped,
   * auto-approved, rate-limited), a refusal, or, for the same non-interactive mode, a pending record.
   * A proposal with no outcome (the person quit, the process died) is asked again.
   */
  settledSince(key: string, since: Date, pendingResult: string | null): AuditRecord | undefined {
    return this.settled((r) => detailOf(r).key === key, since, pendingResult);
  }

  /** Like settledSince, for this action with these params on this pod, whichever analysis proposed it (duplicates). */
  settledForPodSince(
    namespace: string,
    pod: string,
    action: string,
    params: Record<string, unknown>,
    since: Date,
    pendingResult: string | null,
  ): AuditRecord | undefined {
    const p = stableJson(params);
    return this.settled(
      (r) => r.pod === pod && r.action === action && r.namespace === namespace && stableJson(r.params) === p,
      since,
      pendingResult,
    );
  }

  private settled(match: (r: AuditRecord) => boolean, since: Date, pendingResult: string | null): AuditRecord | undefined {
    const t = since.toISOString();
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (r.ts < t) continue;
      if (!match(r)) continue;
      if (r.event === 'decision') return r;
      // A refusal settles it, except a transient error (the API unreachable): that is tried again.
      if (r.event === 'refusal' && r.result !== 'error') return r;
      if (r.event === 'pending' && pendingResult !== null && r.result === pendingResult) return r;
    }
    return undefined;
  }

  /**
   * An execution for this anomaly since `since` that is still being verified or that resolved it:
   * while one exists, no further action is proposed for the anomaly (one change at a time).
   * A failed execution or verification lets the next recommended action through.
   */
  openExecutionFor(analysisId: string, since: Date): AuditRecord | undefined {
    const t = since.toISOString();
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (r.ts < t) break;
      if (r.analysis_id !== analysisId) continue;
      if (r.event === 'verification') return r.result === 'RESOLVED' ? r : undefined;
      if (r.event === 'execution') return r.result === 'ok' ? r : undefined;
    }
    return undefined;
  }

  /** Executions approved by the auto-approve policy since `since` (the rate limit counts these). */
  autoExecutionsSince(since: Date): number {
    const t = since.toISOString();
    return this.records.filter((r) => r.event === 'execution' && r.ts >= t && r.user.startsWith('auto-approve:')).length;
  }

  /** The latest execution on a workload (or node), for the per-workload cool-down. */
  lastExecutionOn(workload: string): AuditRecord | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (r.event === 'execution' && detailOf(r).workload === workload) return r;
    }
    return undefined;
  }
}
