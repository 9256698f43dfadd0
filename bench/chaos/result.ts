// What a chaos run reports (the --json file) and its printed summary.
import type { LedgerCheck } from './ledger.ts';

export interface KillRecord {
  n: number;
  /** Seconds after the first kill's pause began. */
  at_s: number;
  victim: string;
  pid: number;
  /** run-monitoring kills: restarts refused before one was accepted, and how long that took. */
  refusals?: number;
  restart_ms?: number;
}

export interface ChaosResult extends LedgerCheck {
  /** No loss counter is non-zero. */
  ok: boolean;
  duration_s: number;
  pods: number;
  speed: number;
  kills: number;
  kills_by_victim: Record<string, number>;
  /** Child restarts run-monitoring's supervisors reported. */
  restarts_seen: number;
  remediation_restarts: number;
  orchestrator_refusals: number;
  /** run-monitoring restarts accepted while a child of the killed one still ran. */
  lock_violations: number;
  invalid_file_reads: number;
  invalid_by_file: Record<string, number>;
  json_reads: number;
  invalid_lock_reads: number;
  audit_lines: number;
  invalid_audit_lines: number;
  audit_shrinks: number;
  orphans: number;
  orphan_cmdlines: string[];
  stop_exit: number | null;
  final_pass_exit: number | null;
  notes: string[];
  kill_log: KillRecord[];
  /** The kept temp directory (--keep). */
  dir: string | null;
}

export function summarise(r: ChaosResult): string {
  const lines = [
    `chaos ${r.ok ? 'PASSED' : 'FAILED'}: ${r.kills} kills (${Object.entries(r.kills_by_victim)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}) in ${r.duration_s} s, ${r.pods} pods`,
    `  restarts seen ${r.restarts_seen} (+ run-remediation ${r.remediation_restarts}); run-monitoring restarts refused ${r.orchestrator_refusals}, accepted too early ${r.lock_violations}`,
    `  CSV rows ${r.rows_appended} (${r.rows_learned_before_first_score} learned before the first score, ${r.csv_rows_not_newer} not newer, ${r.csv_invalid_lines} invalid lines); expected ${r.rows_expected}, scored ${r.rows_scored}`,
    `  rows lost ${r.rows_lost}, double-scored ${r.rows_double_scored}, scored but not in the CSV ${r.rows_scored_unknown}`,
    `  JSON reads ${r.json_reads}, invalid ${r.invalid_file_reads}${r.invalid_file_reads ? ` ${JSON.stringify(r.invalid_by_file)}` : ''} (lock file: ${r.invalid_lock_reads}); audit lines ${r.audit_lines}, invalid ${r.invalid_audit_lines}, shrinks ${r.audit_shrinks}`,
    `  orphans ${r.orphans}; run-monitoring stop exit ${r.stop_exit}, final --once pass exit ${r.final_pass_exit}`,
  ];
  if (r.rows_lost) lines.push(`  lost (first ${r.lost_sample.length}): ${r.lost_sample.join(' | ')}`);
  if (r.rows_double_scored) lines.push(`  double-scored (first ${r.double_sample.length}): ${r.double_sample.join(' | ')}`);
  for (const o of r.orphan_cmdlines) lines.push(`  orphan: ${o}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}
