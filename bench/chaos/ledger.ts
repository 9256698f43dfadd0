// "Every CSV row scored exactly once": the collector's CSV against the dataset agent's --scores-file,
// compared by row key (timestamp,namespace,pod), the way tests/e2e-agent-restart.test.ts checks it.
import { existsSync, readFileSync } from 'node:fs';
import { MetricsCsvSchema } from '../../lib/metrics-csv.ts';

export interface LedgerCheck {
  /** Valid CSV rows after the header. */
  rows_appended: number;
  /** Rows the agent is to score: from its first scored row on (earlier ones it learns from at its first start). */
  rows_expected: number;
  rows_learned_before_first_score: number;
  /** Lines in the scores file. */
  rows_scored: number;
  rows_lost: number;
  rows_double_scored: number;
  /** Scored keys that are no CSV row at all. */
  rows_scored_unknown: number;
  /** CSV lines that do not parse (a torn line the collector left and did not repair). */
  csv_invalid_lines: number;
  /** Rows a pod already had a newer-or-equal row for: rejected by contract, not expected. */
  csv_rows_not_newer: number;
  /** Up to 20 lost and double-scored keys, for the report. */
  lost_sample: string[];
  double_sample: string[];
}

export function scoredKeys(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => l.split(',').slice(0, 3).join(','));
}

/** CSV row keys in file order, less the rows the agent rejects by contract (not newer than the pod's last). */
export function csvKeys(path: string): { keys: string[]; invalid: number; notNewer: number; valid: number } {
  if (!existsSync(path)) return { keys: [], invalid: 0, notNewer: 0, valid: 0 };
  const lines = readFileSync(path, 'utf8').split('\n');
  if (!lines[0]) return { keys: [], invalid: 0, notNewer: 0, valid: 0 };
  const schema = new MetricsCsvSchema(lines[0]);
  const keys: string[] = [];
  const newest = new Map<string, number>();
  let invalid = 0;
  let notNewer = 0;
  let valid = 0;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const r = schema.parseLine(line);
    if (!r.ok) {
      invalid++;
      continue;
    }
    valid++;
    const pod = `${r.row.namespace}/${r.row.pod}`;
    if (r.row.time <= (newest.get(pod) ?? -Infinity)) {
      notNewer++;
      continue;
    }
    newest.set(pod, r.row.time);
    keys.push(`${r.row.timestamp},${r.row.namespace},${r.row.pod}`);
  }
  return { keys, invalid, notNewer, valid };
}

export function checkLedger(csvPath: string, scoresPath: string): LedgerCheck {
  const csv = csvKeys(csvPath);
  const scored = scoredKeys(scoresPath);
  const counts = new Map<string, number>();
  for (const k of scored) counts.set(k, (counts.get(k) ?? 0) + 1);
  const csvSet = new Set(csv.keys);
  // The agent's first start learns from the rows already there: expected rows start at its first score.
  const first = scored.length ? csv.keys.indexOf(scored[0]!) : csv.keys.length;
  const expected = first >= 0 ? csv.keys.slice(first) : csv.keys;
  const lost = expected.filter((k) => !counts.has(k));
  const doubles = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
  return {
    rows_appended: csv.valid,
    rows_expected: expected.length,
    rows_learned_before_first_score: Math.max(0, first),
    rows_scored: scored.length,
    rows_lost: lost.length,
    rows_double_scored: doubles.length,
    rows_scored_unknown: scored.filter((k) => !csvSet.has(k)).length,
    csv_invalid_lines: csv.invalid,
    csv_rows_not_newer: csv.notNewer,
    lost_sample: lost.slice(0, 20),
    double_sample: doubles.slice(0, 20),
  };
}

/** Rows expected but not yet scored (the drain at the end waits for this to reach 0). */
export function unscoredCount(csvPath: string, scoresPath: string): number {
  const c = checkLedger(csvPath, scoresPath);
  return c.rows_lost;
}
