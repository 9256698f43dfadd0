// Decisions on remediation proposals taken away from the terminal: in the browser (podsentinel-server),
// by an assistant (podsentinel-mcp --allow-write). Each decision is one small JSON file created exclusively
// in the decisions directory, so every file has exactly one writer (whoever decided) and a crash never
// leaves half a decision. run-remediation, the only writer of the audit log, is the only executor: it reads
// the directory, runs the decided proposal through the same policy, dry run, verification and audit as a
// terminal answer, and records the decision's id in the audit record. A decision whose id is in the audit
// log is done; the files are kept (small) so that who decided what stays inspectable.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from './atomic-file.ts';

/** What a person can answer to a proposal, wherever they answer it. */
export const DECISION_VERDICTS = ['approve', 'decline', 'not-an-anomaly'] as const;
export const DecisionVerdict = z.enum(DECISION_VERDICTS);
export type DecisionVerdict = z.infer<typeof DecisionVerdict>;

/** Where a decision was taken: recorded in the audit log beside who took it. */
export const DECISION_CHANNELS = ['terminal', 'web', 'mcp', 'auto'] as const;
export const DecisionChannel = z.enum(DECISION_CHANNELS);
export type DecisionChannel = z.infer<typeof DecisionChannel>;

/** The body a client sends (POST /api/anomalies/{id}/decision). */
export const DecisionRequest = z
  .object({
    decision: DecisionVerdict,
    /** Index into the analysis's recommended_actions; required to approve. */
    action: z.number().int().min(0).optional(),
  })
  .strict();
export type DecisionRequest = z.infer<typeof DecisionRequest>;

export const DecisionRecord = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,120}$/),
    ts: z.string(),
    analysis_id: z.string(),
    decision: DecisionVerdict,
    action_index: z.number().int().min(0).optional(),
    /** The action name at that index when the decision was taken: the executor refuses a mismatch. */
    action: z.string().optional(),
    /** Who decided: the API token's name, the MCP client, the user at the terminal. */
    by: z.string().min(1),
    via: DecisionChannel,
  })
  .strict();
export type DecisionRecord = z.infer<typeof DecisionRecord>;

export function newDecisionId(via: DecisionChannel, now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${via}-${randomBytes(4).toString('hex')}`;
}

/** Writes a decision as a new file (exclusive create, fsynced); returns its path. */
export function writeDecision(dir: string, record: DecisionRecord): string {
  const parsed = DecisionRecord.parse(record);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${parsed.id}.json`);
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, JSON.stringify(parsed) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Every well-formed decision in the directory, oldest first; malformed or torn files are counted, not thrown. */
export function readDecisions(dir: string): { decisions: DecisionRecord[]; rejected: number } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { decisions: [], rejected: 0 };
    throw err;
  }
  const decisions: DecisionRecord[] = [];
  let rejected = 0;
  for (const name of names.sort()) {
    try {
      const d = readJsonFile(join(dir, name), DecisionRecord);
      if (d) decisions.push(d);
    } catch {
      rejected++;
    }
  }
  decisions.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return { decisions, rejected };
}
