// The dataset agent's side of operator feedback (lib/feedback.ts): run-remediation appends a "not an anomaly"
// record to feedback.jsonl; the agent reads the records it has not applied yet and re-baselines the pod (scope
// pod) or every pod of its workload (scope workload). How many records are applied is kept in the checkpoint
// (SharedState.agent.feedbackApplied), with the pod state it changed, so a restart applies each record once:
// a record applied after the last checkpoint is applied again to the state restored from before it.
import { statSync } from 'node:fs';
import { readFeedback, type FeedbackRecord } from '../../lib/feedback.ts';
import type { Logger } from '../../lib/log.ts';
import { workloadOf } from '../../models/pod-features.ts';
import type { PodEntry } from './pod-entry.ts';

export class FeedbackReader {
  readonly path: string;
  /** Records of the file applied so far (in file order, valid records only). */
  applied: number;
  private readonly log: Logger;
  /** The file's size and modification time when last read: unchanged, nothing to read. */
  private seen = '';

  constructor(path: string, applied: number, log: Logger) {
    this.path = path;
    this.applied = applied;
    this.log = log;
  }

  /** Records not applied yet (the caller applies them, then calls done()); [] when the file has not changed. */
  pending(): FeedbackRecord[] {
    let id: string;
    try {
      const st = statSync(this.path);
      id = `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`cannot read ${this.path}: ${(err as Error).message}`);
      return [];
    }
    if (id === this.seen) return [];
    let records: FeedbackRecord[];
    try {
      const read = readFeedback(this.path);
      records = read.records;
      if (read.rejected > 0) this.log.debug(`${this.path}: ${read.rejected} line(s) not a feedback record (skipped)`);
    } catch (err) {
      this.log.warn(`cannot read ${this.path}: ${(err as Error).message}; retrying next interval`);
      return [];
    }
    this.seen = id;
    if (records.length < this.applied) {
      // replaced or truncated (the writer only appends): what it holds now counts as applied
      this.log.warn(
        `${this.path} holds ${records.length} records, fewer than the ${this.applied} applied: it was replaced; applying only new ones`,
      );
      this.applied = records.length;
      return [];
    }
    return records.slice(this.applied);
  }

  done(n: number): void {
    this.applied += n;
  }
}

/**
 * The pods a record re-baselines: the pod it names (scope pod), or every pod of that pod's workload (scope
 * workload): the agent's workload key (namespace/Kind/name, from pod names) or the record's own (Kind/name).
 * Another LstmDetector design (widening the pod's baseline) would keep the old level as normal too and hide
 * a genuinely new fault; learning the pod again accepts what it does now and nothing more.
 */
export function feedbackTargets(pods: ReadonlyMap<string, PodEntry>, r: FeedbackRecord): PodEntry[] {
  const named = pods.get(`${r.namespace}/${r.pod}`);
  if (r.scope === 'pod') return named ? [named] : [];
  const keys = new Set<string>();
  for (const k of [named?.workload, workloadOf(r.namespace, r.pod), r.workload && `${r.namespace}/${r.workload}`]) if (k) keys.add(k);
  return [...pods.values()].filter((e) => e === named || (e.workload !== undefined && keys.has(e.workload)));
}
