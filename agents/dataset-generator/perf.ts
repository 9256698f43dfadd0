// The agent's own timing counters (reported in its heartbeat) and the note of a stall of scoring.
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { Logger } from '../../lib/log.ts';

/**
 * Where the agent's time goes (milliseconds, cumulative), reported in the heartbeat for `npm run bench:perf`.
 * parse_ms: reading, decoding and parsing the CSV (the tailer); score_ms: features, detector and the
 * agent's per-row bookkeeping, alerts and score lines; insights/checkpoint: the periodic writes.
 */
export interface AgentPerf {
  parse_ms: number;
  score_ms: number;
  /**
   * The same two, counted in CPU time of the scoring thread (process.threadCpuUsage): what a core gives
   * the agent, whatever else shares it. Wall time on a busy machine also counts the time others ran.
   */
  parse_cpu_ms: number;
  score_cpu_ms: number;
  rows_scored: number;
  insights_writes: number;
  insights_write_ms: number;
  insights_write_last_ms: number;
  insights_write_max_ms: number;
  /** Building and serialising the last pod_insights.json on the scoring thread (the write itself is not). */
  insights_build_last_ms: number;
  checkpoint_write_ms: number;
  checkpoint_write_last_ms: number;
  /** Of those, time on the scoring thread (taking the checkpoint and copying its pods). */
  checkpoint_thread_ms: number;
  checkpoint_thread_last_ms: number;
  checkpoints: number;
  /** Intervals whose checkpoint was not started because the previous one was still being written. */
  checkpoints_skipped: number;
  /** Largest single stall of the scoring thread by a periodic write (insights build, checkpoint start or slice). */
  output_stall_max_ms: number;
  /** Garbage-collection pauses of the scoring thread (V8 'gc' performance entries). */
  gc_pause_max_ms: number;
  gc_pause_ms: number;
}

export function newAgentPerf(): AgentPerf {
  return {
    parse_ms: 0,
    score_ms: 0,
    parse_cpu_ms: 0,
    score_cpu_ms: 0,
    rows_scored: 0,
    insights_writes: 0,
    insights_write_ms: 0,
    insights_write_last_ms: 0,
    insights_write_max_ms: 0,
    insights_build_last_ms: 0,
    checkpoint_write_ms: 0,
    checkpoint_write_last_ms: 0,
    checkpoint_thread_ms: 0,
    checkpoint_thread_last_ms: 0,
    checkpoints: 0,
    checkpoints_skipped: 0,
    output_stall_max_ms: 0,
    gc_pause_max_ms: 0,
    gc_pause_ms: 0,
  };
}

/** Scoring stood still since `t0` for a periodic write: counts it to `job` and to the largest stall. */
export function noteStall(perf: AgentPerf, log: Logger, t0: number, what: string, job?: { threadMs: number }): void {
  const ms = performance.now() - t0;
  if (job) job.threadMs += ms;
  if (ms > perf.output_stall_max_ms) {
    perf.output_stall_max_ms = ms;
    if (ms > 50) log.debug(`scoring stalled ${Math.round(ms)} ms ${what}`);
  }
}

/** Counts the garbage-collection pauses of this thread into `perf` until disconnected. */
export function observeGc(perf: AgentPerf): PerformanceObserver {
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      perf.gc_pause_ms += e.duration;
      if (e.duration > perf.gc_pause_max_ms) perf.gc_pause_max_ms = e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return observer;
}

/** CPU time of the calling thread, ms (user + system). */
export function threadCpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}
