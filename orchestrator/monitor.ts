// run-monitoring's configuration and the small helpers its run uses (the run itself, step by step, is
// monitor-run.ts): the simulator's ready line, a child's last words, and condensed event bursts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';
import { parseSimReady, type PipelineOptions } from './child-specs.ts';
import type { Output } from './status-view.ts';
import type { SupervisorOptions } from './supervisor.ts';

export interface MonitorConfig extends PipelineOptions {
  demo: { scenario: string; speed: number; seed: number | undefined } | null;
  remediation: boolean;
  /** run-remediation --dry-run: show and record, change nothing. */
  remediationDryRun: boolean;
  /** Analyses below this probability are not offered for approval (run-remediation's threshold too). */
  confidenceThreshold: number;
  /** Seconds after an action before run-remediation verifies it. */
  verifyDelay: number;
  /** Plain mode: seconds between status lines. */
  statusInterval: number;
  supervisor?: SupervisorOptions;
  /** Seconds to wait for children after SIGTERM before SIGKILL. */
  stopTimeout: number;
  /** podsentinel-server as a child (--http-port; --demo: 8080 or the next free port). */
  http?: { host: string; port: number; /** false: the next free port from `port` up */ exactPort: boolean } | null;
}

export const STATUS_FILE_NAME = PIPELINE_FILE_NAMES.status;

export interface MonitorIO {
  out: Output;
  log: Logger;
  /** Resolves when the monitor should stop (signal), with the signal's name. */
  stopSignal: Promise<string>;
  /** Resolves when the person insists: children are SIGKILLed without waiting. */
  forceStop?: Promise<void>;
}

/** Waits for the simulator's ready line in its log (after `offset`), while it lives; null on timeout or exit. */
export async function waitForSimReady(
  logFile: string,
  offset: number,
  alive: () => boolean,
  timeoutMs: number,
): Promise<ReturnType<typeof parseSimReady>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8').slice(offset);
    } catch {
      // not created yet
    }
    const ready = parseSimReady(text);
    if (ready) return ready;
    if (!alive()) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** The child's last words: the last non-empty line of its output log (bounded read). */
export function lastLine(path: string, maxBytes = 4096): string {
  let text: string;
  try {
    const buf = readFileSync(path);
    text = buf.subarray(Math.max(0, buf.length - maxBytes)).toString('utf8');
  } catch {
    return '';
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('--- '));
  const line = lines.at(-1) ?? '';
  return line.length > 200 ? line.slice(0, 199) + '…' : line;
}

export function fileSize(path: string): number {
  try {
    return readFileSync(path).length;
  } catch {
    return 0;
  }
}

/**
 * Keeps a burst of events readable: at most 5 anomaly lines and 3 analysis blocks per tick, the rest
 * counted in one line (all of them are in the log and the files).
 */
export function condense(lines: string[], maxAnomalies = 5, maxAnalyses = 3): string[] {
  const out: string[] = [];
  const moreAnomalies: string[] = [];
  const moreAnalyses: string[] = [];
  let anomalies = 0;
  let analyses = 0;
  const pod = (l: string) => /^(?:ANOMALY|ANALYSIS) (\S+?):?\s/.exec(l)?.[1] ?? '?';
  for (const l of lines) {
    if (l.startsWith('ANOMALY ') && ++anomalies > maxAnomalies) moreAnomalies.push(pod(l));
    else if (l.startsWith('ANALYSIS ') && ++analyses > maxAnalyses) moreAnalyses.push(pod(l));
    else out.push(l);
  }
  if (moreAnomalies.length) out.push(`... and ${moreAnomalies.length} more anomalies: ${moreAnomalies.join(', ')}`);
  if (moreAnalyses.length)
    out.push(`... and ${moreAnalyses.length} more analyses: ${moreAnalyses.join(', ')} (see ${PIPELINE_FILE_NAMES.analysis})`);
  return out;
}

/** The status file of a running instance (tests and tools), or null. */
export function readStatusFile(dataDir: string): Record<string, unknown> | null {
  const path = join(dataDir, STATUS_FILE_NAME);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}
