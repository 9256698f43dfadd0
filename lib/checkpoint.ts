// Checkpoints of a tailing agent: where it stands in its input, how long its output files were then,
// and its detector state, written atomically so a restart (even after SIGKILL) resumes exactly.
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicAsync } from './atomic-file.ts';

/**
 * 2: the per-pod state is in a binary state file beside the checkpoint (`state` is a BinaryStateRef).
 * 1: the state is JSON inside the checkpoint (or its ndjson sidecar); still read, and migrated by the next
 * checkpoint written.
 */
export const CHECKPOINT_VERSION = 2;

/** What a version-2 checkpoint's `state` holds: the name, length and pod count of its state file. */
export const BinaryStateRef = z.object({
  format: z.literal('podsentinel-state/1'),
  file: z.string().min(1),
  bytes: z.number().int().positive(),
  pods: z.number().int().nonnegative(),
});
export type BinaryStateRef = z.infer<typeof BinaryStateRef>;

export const Checkpoint = z.object({
  version: z.union([z.literal(1), z.literal(CHECKPOINT_VERSION)]),
  saved_at: z.string(),
  /** The input it belongs to (a checkpoint of another file is ignored). */
  input_file: z.string(),
  /** The detector whose state this is. */
  detector: z.string(),
  position: z.object({ inode: z.number(), offset: z.number().int().nonnegative(), lineNo: z.number().int().nonnegative() }),
  /** Length of the scores file when the position was taken (null without a scores file). */
  scores_bytes: z.number().int().nonnegative().nullable(),
  counters: z.object({ rows_read: z.number().int().nonnegative(), rows_rejected: z.number().int().nonnegative() }),
  /** Opaque state of the scorer and of the agent's per-pod bookkeeping. */
  state: z.unknown(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export type LoadedCheckpoint = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string } | null;

/** The checkpoint at `path`: null when there is none, a reason when it cannot be used. */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { ok: false, reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `${path} is not valid JSON: ${(err as Error).message}` };
  }
  const r = Checkpoint.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, reason: `${path} does not match the checkpoint schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { ok: true, checkpoint: r.data };
}

export function saveCheckpoint(path: string, cp: Checkpoint): void {
  // NaN/Infinity in detector state would become null in JSON: the detectors store them explicitly.
  writeFileAtomic(path, JSON.stringify(cp));
}

/** saveCheckpoint with the write, fsync and rename in the thread pool (off the scoring thread). */
export function saveCheckpointAsync(path: string, cp: Checkpoint): Promise<void> {
  return writeFileAtomicAsync(path, JSON.stringify(cp));
}
