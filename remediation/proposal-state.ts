// The state of one proposal (a recommended action of an analysis) as the audit log tells it, for the
// readers that show proposals (podsentinel-server's anomaly view, podsentinel-mcp):
// recommended (nothing recorded), pending (proposed, waiting for a decision), refused, approved,
// declined, executed, failed, resolved, not_resolved.
import type { AuditRecord, RecommendedAction } from '../lib/schemas.ts';
import { stableJson } from './audit.ts';

export const PROPOSAL_STATES = [
  'recommended',
  'pending',
  'refused',
  'approved',
  'declined',
  'executed',
  'failed',
  'resolved',
  'not_resolved',
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** The audit records of one proposal among an analysis's records, oldest first. */
export function proposalRecords(byAnalysis: readonly AuditRecord[], action: Pick<RecommendedAction, 'action' | 'params'>): AuditRecord[] {
  const same = byAnalysis.filter((r) => r.action === action.action);
  const p = stableJson(action.params);
  const exact = same.filter((r) => stableJson(r.params) === p);
  // run-remediation records the validated params, which may be normalised; the action name alone then decides.
  return exact.length ? exact : same;
}

export function proposalState(recs: readonly AuditRecord[]): ProposalState {
  const last = (event: AuditRecord['event']) => recs.findLast((r) => r.event === event);
  const v = last('verification');
  const ex = last('execution');
  const dec = last('decision');
  const newest = recs.at(-1);
  if (v && ex && v.ts >= ex.ts) return v.result === 'RESOLVED' ? 'resolved' : 'not_resolved';
  if (ex && (!dec || ex.ts >= dec.ts)) return ex.result === 'ok' ? 'executed' : 'failed';
  if (dec && newest === dec) return dec.result === 'approved' ? 'approved' : 'declined';
  if (newest?.event === 'refusal') return 'refused';
  if (newest?.event === 'pending' || newest?.event === 'dry_run' || newest?.event === 'proposal') {
    const dry = last('dry_run');
    return dry && dry.result !== 'ok' ? 'refused' : 'pending';
  }
  if (dec) return dec.result === 'approved' ? 'approved' : 'declined';
  return 'recommended';
}
