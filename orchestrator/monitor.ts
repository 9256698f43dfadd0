// run-monitoring's body: takes the data directory's lock, starts the simulated cluster (--demo) and
// the pipeline's children under the supervisor, draws the status, runs the approval step, and on
// SIGINT/SIGTERM stops everything and exits 0.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../lib/atomic-file.ts';
import type { Logger } from '../lib/log.ts';
import {
  parseSimReady,
  pipelineChildren,
  pipelineFiles,
  simChild,
  type PipelineOptions,
  type SupervisedChild,
} from './child-specs.ts';
import { hbNumber, judgeHeartbeat, RateMeter } from './heartbeat.ts';
import { archiveEarlierDemo } from './demo-reset.ts';
import { acquireInstanceLock } from './lock.ts';
import { PipelineWatch } from './pipeline-watch.ts';
import { RemediationStep } from './remediation-step.ts';
import { StatusView, type ChildLine, type Output } from './status-view.ts';
import { Supervisor, type SupervisorOptions } from './supervisor.ts';

export interface MonitorConfig extends PipelineOptions {
  demo: { scenario: string; speed: number; seed: number | undefined } | null;
  remediation: boolean;
  /** Extra flags for run-remediation (e.g. --dry-run). */
  remediationArgs: string[];
  /** Analyses below this probability are not offered for approval (run-remediation's threshold too). */
  confidenceThreshold: number;
  /** Seconds after an action before run-remediation verifies it. */
  verifyDelay: number;
  /** Plain mode: seconds between status lines. */
  statusInterval: number;
  supervisor?: SupervisorOptions;
  /** Seconds to wait for children after SIGTERM before SIGKILL. */
  stopTimeout: number;
}

export const STATUS_FILE_NAME = '.run-monitoring-status.json';

export interface MonitorIO {
  out: Output;
  log: Logger;
  /** Resolves when the monitor should stop (signal), with the signal's name. */
  stopSignal: Promise<string>;
  /** Resolves when the person insists: children are SIGKILLed without waiting. */
  forceStop?: Promise<void>;
}

const fmtBytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`);
const fmtAge = (ms: number | null): string => (ms === null ? 'no heartbeat' : `beat ${Math.round(ms / 1000)}s ago`);

async function waitForSimReady(
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
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('--- '));
  const line = lines.at(-1) ?? '';
  return line.length > 200 ? line.slice(0, 199) + '…' : line;
}

function fileSize(path: string): number {
  try {
    return readFileSync(path).length;
  } catch {
    return 0;
  }
}

export async function runMonitoring(cfg: MonitorConfig, io: MonitorIO): Promise<number> {
  const { out, log } = io;
  const lock = acquireInstanceLock(cfg.dataDir);
  if (lock.tookOver) log.warn('took over a stale lock', { path: lock.path });
  const statusFile = join(cfg.dataDir, STATUS_FILE_NAME);
  const view = new StatusView(out);
  const supervisor = new Supervisor(cfg.supervisor);
  let stopReason: string | null = null;
  let wake: () => void = () => {};
  const stopRequested = new Promise<string>((r) => {
    void io.stopSignal.then(r);
  }).then((s) => {
    stopReason = s;
    wake();
    return s;
  });

  void io.forceStop?.then(() => {
    stopReason ??= 'forced';
    wake();
    supervisor.killAll();
  });
  // The lock names every process that writes to the data directory (see lock.ts).
  let remediationPid: () => number | null = () => null;
  const recordChildren = () => {
    const kids = supervisor.status().flatMap((c) => (c.pid ? [{ name: c.name, pid: c.pid }] : []));
    const rem = remediationPid();
    try {
      lock.recordChildren(rem ? [...kids, { name: 'run-remediation', pid: rem }] : kids);
    } catch (err) {
      log.warn('cannot record the children in the lock file', { err: err as Error });
    }
  };
  supervisor.on('spawn', (name, pid) => {
    log.info('child started', { child: name, pid });
    recordChildren();
  });
  supervisor.on('exit', (name, code, signal, expected) => {
    recordChildren();
    log[expected ? 'info' : 'warn']('child exited', { child: name, code, signal });
    if (!expected) {
      const logFile = resolve(cfg.logDir, `${name}.out.log`);
      const last = lastLine(logFile);
      view.event(`${name} exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''} — see ${logFile}`);
    }
  });
  supervisor.on('restart', (name, delay, attempt) => {
    log.warn('restarting child', { child: name, delayMs: Math.round(delay), attempt });
    view.event(`${name}: restarting in ${(delay / 1000).toFixed(1)}s (attempt ${attempt})`);
  });
  supervisor.on('gave-up', (name, crashes, windowMs) => {
    log.error('child keeps crashing; gave up', { child: name, crashes, windowMs });
    view.event(`ERROR ${name} crashed ${crashes} times in ${Math.round(windowMs / 1000)}s: not restarted; the rest go on. See ${resolve(cfg.logDir, `${name}.out.log`)}`);
  });
  supervisor.on('hung', (name, ageMs, limitMs) => {
    log.error('child is hung (heartbeat stopped); killing it to restart it', { child: name, heartbeatAgeMs: Math.round(ageMs), limitMs });
    view.event(`ERROR ${name} is hung: no heartbeat for ${Math.round(ageMs / 1000)}s (limit ${Math.round(limitMs / 1000)}s); killed, restarting`);
  });
  supervisor.on('error', (name, err) => log.error('child error', { child: name, err }));

  const title = cfg.demo
    ? `podsentinel run-monitoring · demo: simulated cluster, scenario ${cfg.demo.scenario}, speed ×${cfg.demo.speed} · data ${cfg.dataDir}`
    : `podsentinel run-monitoring · ${cfg.source}${cfg.namespace ? ` namespace ${cfg.namespace}` : ' all namespaces'} · data ${cfg.dataDir}`;
  const opts: PipelineOptions = { ...cfg };
  let exitCode = 0;
  try {
    if (cfg.demo) {
      // Only files inside the data directory are archived (a --output-file elsewhere is the user's).
      const archived = archiveEarlierDemo(cfg.dataDir, [cfg.outputFile, ...(cfg.scoresFile ? [cfg.scoresFile] : [])].filter((f) => resolve(f, '..') === resolve(cfg.dataDir)));
      if (archived) view.event(`files of an earlier demo moved to ${archived}`);
      const sim = simChild({ root: cfg.root, dataDir: cfg.dataDir, logDir: cfg.logDir, ...cfg.demo });
      rmSync(sim.kubeconfigOut, { force: true });
      const offset = fileSize(sim.logFile);
      view.event(`starting the simulated cluster (scenario ${cfg.demo.scenario}, speed ×${cfg.demo.speed})...`);
      supervisor.add(sim.spec);
      const ready = await Promise.race([
        waitForSimReady(sim.logFile, offset, () => supervisor.get(sim.spec.name)?.state === 'running', 60_000),
        stopRequested.then(() => null),
      ]);
      if (stopReason) return 0;
      if (!ready) {
        view.event(`ERROR the simulated cluster did not start; see ${sim.logFile}`);
        exitCode = 1;
        return exitCode;
      }
      view.event(`simulated cluster ready: api ${ready.api}, kubeconfig ${ready.kubeconfig}`);
      opts.kubeconfig = ready.kubeconfig;
      opts.source = 'k8s';
    }
    const children: SupervisedChild[] = pipelineChildren(opts);
    for (const c of children) supervisor.add(c.spec);
    const files = pipelineFiles(opts);
    const watch = new PipelineWatch(files.insights, files.analysis, files.audit);
    const rowsMeter = new RateMeter(60_000);

    const remediation =
      cfg.mode === 'all' && cfg.remediation
        ? new RemediationStep({
            script: join(cfg.root, 'run-remediation.ts'),
            confidenceThreshold: cfg.confidenceThreshold,
            cwd: cfg.root,
            args: [
              '--once',
              '--confidence-threshold', String(cfg.confidenceThreshold),
              '--verify-delay', String(cfg.verifyDelay),
              '--analysis-file', files.analysis,
              '--insights-file', files.insights,
              '--audit-file', files.audit,
              ...(opts.kubeconfig ? ['--kubeconfig', resolve(opts.kubeconfig)] : []),
              '--log-dir', resolve(cfg.logDir),
              ...(cfg.configFile ? ['--config', resolve(cfg.configFile)] : []),
              ...cfg.remediationArgs,
            ],
            onStart: (ids) => {
              log.info('remediation started', { analyses: ids });
              view.pause();
              out.write(`\n── approval: ${ids.length} analysis(es) with recommended actions (status paused) ──\n`);
            },
            onEnd: (r) => {
              log.info('remediation ended', { ...r });
              out.write(`── approval step ended (${r.signal ?? `exit ${r.code}`}); monitoring continues ──\n`);
              view.resume();
            },
          })
        : null;
    if (remediation) remediationPid = () => remediation.pid;

    const childLines = (): ChildLine[] => {
      const lines: ChildLine[] = [];
      for (const st of supervisor.status()) {
        const sc = children.find((c) => c.spec.name === st.name);
        let health: string = st.state === 'failed' ? 'failed' : st.state === 'stopped' ? 'stopped' : 'unknown';
        let detail = '';
        if (st.state === 'backoff') detail = `restart at ${st.nextRestartAt?.slice(11, 19)}`;
        if (sc?.heartbeat && (st.state === 'running' || st.state === 'backoff')) {
          const hb = judgeHeartbeat(sc.heartbeat, {
            staleAfterMs: sc.staleAfterMs,
            graceMs: Math.max(60_000, sc.staleAfterMs * 2),
            childStartedAt: st.startedAt ? Date.parse(st.startedAt) : null,
          });
          if (st.state === 'running') health = hb.health;
          const parts = [fmtAge(hb.ageMs)];
          const lag = hbNumber(hb.data, 'lag_bytes');
          if (lag !== undefined) parts.push(`lag ${fmtBytes(lag)}`);
          const rows = hbNumber(hb.data, 'rows_total', 'rows_read');
          if (rows !== undefined) parts.push(`rows ${rows.toLocaleString('en-US')}`);
          const anomalies = hbNumber(hb.data, 'anomalies', 'analyses', 'open');
          if (anomalies !== undefined) parts.push(`anomalies ${anomalies}`);
          detail = [detail, ...parts].filter(Boolean).join(' · ');
        } else if (st.state === 'running' && !sc) health = 'ok'; // the simulator has no heartbeat
        lines.push({ name: st.name, state: st.state, health, pid: st.pid, restarts: st.restarts, detail });
      }
      return lines;
    };

    let lastSummary = 0;
    const collector = children.find((c) => c.spec.name === 'dataset-generator');
    const tick = () => {
      const { snapshot, events } = watch.poll();
      for (const l of events.lines) log.info('pipeline event', { line: l });
      for (const l of condense(events.lines)) view.event(l);
      const collectorHb = collector?.heartbeat ? judgeHeartbeat(collector.heartbeat, { staleAfterMs: 1, graceMs: 0, childStartedAt: null }).data : null;
      const rowsTotal = hbNumber(collectorHb, 'rows_total');
      if (rowsTotal !== undefined) rowsMeter.add(rowsTotal);
      const podsFromCollector = hbNumber(collectorHb, 'pods');
      const kids = childLines();
      view.update({
        title,
        pods: podsFromCollector ?? snapshot.pods,
        rowsPerMinute: rowsMeter.perMinute(),
        rowsTotal: rowsTotal ?? snapshot.rowsRead,
        anomaliesFlagged: snapshot.flagged,
        anomaliesOpen: snapshot.openAnalyses,
        children: kids,
        footer: remediation ? 'Ctrl-C stops everything · approval prompts appear here when an analysis recommends an action' : 'Ctrl-C stops everything',
      });
      if (Date.now() - lastSummary >= cfg.statusInterval * 1000) {
        view.summary();
        lastSummary = Date.now();
      }
      try {
        writeJsonAtomic(statusFile, {
          pid: process.pid,
          updated_at: new Date().toISOString(),
          mode: cfg.mode,
          demo: cfg.demo,
          kubeconfig: opts.kubeconfig ?? null,
          files,
          children: supervisor.status(),
          remediation: remediation ? { busy: remediation.busy, runs: remediation.runs } : null,
        });
      } catch (err) {
        log.warn('cannot write the status file', { err: err as Error });
      }
      const states = supervisor.status().map((c) => c.state);
      if (states.length && states.every((st) => st === 'failed' || st === 'exited')) {
        view.event('ERROR every child has stopped or was given up on: nothing left to supervise; exiting with status 1');
        exitCode = 1;
        stopReason = 'no child left';
        return;
      }
      if (remediation) {
        remediation.offer(events.newAnalyses);
        const run = remediation.maybeRun();
        if (run) recordChildren();
        if (run)
          void run.then((r) => {
            recordChildren();
            if (r.interrupted && !stopReason) {
              stopReason = 'SIGINT (from the approval prompt)';
              wake();
            }
          });
      }
    };

    tick();
    while (!stopReason) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (!stopReason) tick();
    }
    await remediation?.close(Math.min(5_000, cfg.stopTimeout * 1000));
    return exitCode;
  } finally {
    view.resume();
    log.info('stopping', { reason: stopReason });
    view.event(`stopping${stopReason ? ` (${stopReason})` : ''}: waiting for children to exit...`);
    // The pipeline first, then the simulated cluster it talks to.
    const pipeline = supervisor.status().map((c) => c.name).filter((n) => n !== 'podsentinel-sim');
    const killed = await supervisor.stop('SIGTERM', cfg.stopTimeout * 1000, pipeline);
    killed.push(...(await supervisor.stop('SIGTERM', cfg.stopTimeout * 1000)));
    if (killed.length) {
      log.warn('children killed after the stop timeout', { killed });
      view.event(`killed after ${cfg.stopTimeout}s: ${killed.join(', ')}`);
    }
    try {
      writeJsonAtomic(statusFile, { pid: process.pid, updated_at: new Date().toISOString(), stopped: true, children: supervisor.status() });
    } catch {
      // the data directory may be gone
    }
    view.close();
    out.write('run-monitoring stopped; all children exited.\n');
    lock.release();
    log.info('stopped', { killed });
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
  if (moreAnalyses.length) out.push(`... and ${moreAnalyses.length} more analyses: ${moreAnalyses.join(', ')} (see pod_analysis.json)`);
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
