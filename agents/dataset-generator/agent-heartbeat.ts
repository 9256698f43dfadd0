// The agent's heartbeat beside pod_insights.json: its counters and where its time goes, after each insights
// write (in the thread pool: a sync fsync can wait on other writes).
import { heartbeat, writeHeartbeatAsync } from '../../lib/heartbeat.ts';
import type { Logger } from '../../lib/log.ts';
import { heartbeatFileName, heartbeatPath } from '../../lib/pipeline-files.ts';
import type { AgentPerf } from './perf.ts';

export const HEARTBEAT_NAME = heartbeatFileName('dataset-generator-agent');

export interface AgentCounters {
  rows_read: number;
  rows_rejected: number;
  lag_bytes: number;
  pods: number;
  anomalies: number;
}

/** Writes the heartbeat ('stopped' once the last outputs are being written); a failure is logged. */
export async function writeAgentHeartbeat(
  insightsFile: string,
  counters: AgentCounters,
  perf: AgentPerf,
  stopped: boolean,
  log: Logger,
): Promise<void> {
  const hb = heartbeat(
    'dataset-generator-agent',
    { ...counters, perf: { ...perf, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) } },
    stopped ? 'stopped' : 'running',
  );
  try {
    await writeHeartbeatAsync(heartbeatPath(insightsFile, 'dataset-generator-agent'), hb);
  } catch (err) {
    log.error(`cannot write the heartbeat: ${(err as Error).message}`);
  }
}
