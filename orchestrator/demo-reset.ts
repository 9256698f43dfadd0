// A demo starts from a clean slate: the simulated cluster begins again at its first tick (same seed,
// same pod names, earlier timestamps), so files of an earlier demo in the data directory would make
// the agents reject its rows as going back in time and replay old analyses. They are moved, not
// deleted, to <data-dir>/demo-archive/<time>/ (the audit log included: rotated, never rewritten).
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkpointStatePrefix, isHeartbeatFileName, PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';

// Everything a run leaves in the data directory but the lock and the status file (run-monitoring's own).
const PIPELINE_FILES = new Set<string>(
  (['metrics', 'insights', 'analysis', 'audit', 'datasetCheckpoint', 'analysisState', 'notifyState', 'simKubeconfig'] as const).map(
    (k) => PIPELINE_FILE_NAMES[k],
  ),
);
const CHECKPOINT_STATE_PREFIX = checkpointStatePrefix(PIPELINE_FILE_NAMES.datasetCheckpoint);

/** Moves an earlier demo's files out of the way; returns the archive directory, or null when clean. */
export function archiveEarlierDemo(dataDir: string, extraFiles: string[] = [], now = new Date()): string | null {
  if (!existsSync(dataDir)) return null;
  const extra = new Set(extraFiles.map((f) => basename(f)));
  const names = readdirSync(dataDir).filter(
    (n) =>
      PIPELINE_FILES.has(n) ||
      extra.has(n) ||
      isHeartbeatFileName(n) ||
      // the checkpoint's state files (agents/dataset-generator/state-file.ts; old ndjson sidecars) go with it
      n.startsWith(CHECKPOINT_STATE_PREFIX),
  );
  if (names.length === 0) return null;
  const dir = join(dataDir, 'demo-archive', now.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const n of names) renameSync(join(dataDir, n), join(dir, n));
  return dir;
}
