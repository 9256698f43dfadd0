// A demo starts from a clean slate: the simulated cluster begins again at its first tick (same seed,
// same pod names, earlier timestamps), so files of an earlier demo in the data directory would make
// the agents reject its rows as going back in time and replay old analyses. They are moved, not
// deleted, to <data-dir>/demo-archive/<time>/ (the audit log included: rotated, never rewritten).
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';

const PIPELINE_FILES = new Set([
  'pod_metrics.csv',
  'pod_insights.json',
  'pod_analysis.json',
  'remediation_history.jsonl',
  '.dataset-agent.checkpoint.json',
  '.anomaly-detection-state.json',
  'sim-kubeconfig',
]);

/** Moves an earlier demo's files out of the way; returns the archive directory, or null when clean. */
export function archiveEarlierDemo(dataDir: string, extraFiles: string[] = [], now = new Date()): string | null {
  if (!existsSync(dataDir)) return null;
  const extra = new Set(extraFiles.map((f) => basename(f)));
  const names = readdirSync(dataDir).filter(
    (n) =>
      PIPELINE_FILES.has(n) ||
      extra.has(n) ||
      /^\.heartbeat-.*\.json$/.test(n) ||
      // the checkpoint's state files (agents/dataset-generator/state-file.ts; old ndjson sidecars) go with it
      n.startsWith('.dataset-agent.checkpoint.json.state-'),
  );
  if (names.length === 0) return null;
  const dir = join(dataDir, 'demo-archive', now.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const n of names) renameSync(join(dataDir, n), join(dir, n));
  return dir;
}
