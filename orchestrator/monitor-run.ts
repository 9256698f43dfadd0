// One run of run-monitoring, in named steps: take the lock and wire the supervisor's events; start the
// simulated cluster (--demo); start the pipeline's children and the approval step; tick the status once
// a second until a stop; then stop the pipeline, the simulator last, and release the lock.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../lib/atomic-file.ts';
import { heartbeatSummary, readHeartbeat } from '../lib/heartbeat.ts';
import { childLogFile, pipelineFile, PIPELINE_FILE_NAMES } from '../lib/pipeline-files.ts';
import { dashboardToken, freePort } from './http-server.ts';
import { childLines } from './child-lines.ts';
import {
  pipelineChildren,
  pipelineFiles,
  remediationStepArgv,
  serverChild,
  simChild,
  type PipelineOptions,
  type SupervisedChild,
} from './child-specs.ts';
import { RateMeter } from './heartbeat.ts';
import { archiveEarlierDemo } from './demo-reset.ts';
import { acquireInstanceLock, type InstanceLock } from './lock.ts';
import { condense, fileSize, lastLine, waitForSimReady, type MonitorConfig, type MonitorIO } from './monitor.ts';
import { PipelineWatch } from './pipeline-watch.ts';
import { PipelineMetrics } from './pipeline-metrics.ts';
import { initMetrics, M, onCollect } from '../lib/metrics.ts';
import { serveMetrics, type MetricsServer } from '../lib/metrics-server.ts';
import { RemediationStep } from './remediation-step.ts';
import { StatusView } from './status-view.ts';
import { Supervisor } from './supervisor.ts';

export async function runMonitoring(cfg: MonitorConfig, io: MonitorIO): Promise<number> {
  const run = new MonitorRun(cfg, io);
  try {
    return await run.start();
  } finally {
    await run.shutdown();
  }
}

type Files = ReturnType<typeof pipelineFiles>;

class MonitorRun {
  private readonly lock: InstanceLock;
  private readonly statusFile: string;
  private readonly view: StatusView;
  private readonly supervisor: Supervisor;
  private readonly opts: PipelineOptions;
  private readonly stopRequested: Promise<string>;
  private stopReason: string | null = null;
  private exitCode = 0;
  private wake: () => void = () => {};
  private remediation: RemediationStep | null = null;
  private metricsServer: MetricsServer | null = null;
  /** The children whose metrics the endpoint merges (the pipeline's, not the simulator). */
  private pipelineNames: string[] = [];

  private readonly cfg: MonitorConfig;
  private readonly io: MonitorIO;

  constructor(cfg: MonitorConfig, io: MonitorIO) {
    this.cfg = cfg;
    this.io = io;
    this.lock = acquireInstanceLock(cfg.dataDir);
    if (this.lock.tookOver) io.log.warn('took over a stale lock', { path: this.lock.path });
    this.statusFile = join(cfg.dataDir, PIPELINE_FILE_NAMES.status);
    this.view = new StatusView(io.out);
    this.supervisor = new Supervisor(cfg.supervisor);
    this.opts = { ...cfg };
    this.stopRequested = io.stopSignal.then((s) => {
      this.stopReason = s;
      this.wake();
      return s;
    });
    void io.forceStop?.then(() => {
      this.stopReason ??= 'forced';
      this.wake();
      this.supervisor.killAll();
    });
    this.wireSupervisor();
  }

  async start(): Promise<number> {
    if (this.cfg.metrics && !(await this.startMetricsEndpoint(this.cfg.metrics))) return this.exitCode;
    if (this.cfg.demo && !(await this.startDemoCluster())) return this.exitCode;
    const { children, files } = this.startPipeline();
    this.pipelineNames = children.map((c) => c.spec.name);
    if (this.cfg.http && !(await this.startServer(this.cfg.http))) return this.exitCode;
    this.remediation = this.approvalStep(files);
    await this.tickUntilStopped(children, files);
    await this.remediation?.close(Math.min(5_000, this.cfg.stopTimeout * 1000));
    return this.exitCode;
  }

  /** --metrics-port: this process's series and its children's on one endpoint; false when the port cannot be bound. */
  private async startMetricsEndpoint(m: { port: number; host: string }): Promise<boolean> {
    const { supervisor, view } = this;
    initMetrics('run-monitoring');
    const restarts = new Map<string, number>();
    onCollect(() => {
      for (const c of supervisor.status()) {
        M.childUp().set({ child: c.name }, c.state === 'running' ? 1 : 0);
        const grew = c.restarts - (restarts.get(c.name) ?? 0);
        if (grew > 0) M.childRestarts().inc({ child: c.name }, grew);
        else M.childRestarts().inc({ child: c.name }, 0);
        restarts.set(c.name, c.restarts);
      }
    });
    const pipeline = new PipelineMetrics({
      children: () => this.pipelineNames.map((name) => ({ name, process: supervisor.connectedProcess(name) })),
      auditFile: pipelineFiles(this.opts).audit,
    });
    try {
      this.metricsServer = await serveMetrics(m.port, m.host, () => pipeline.render());
    } catch (err) {
      view.event(`ERROR cannot serve metrics on ${m.host}:${m.port}: ${(err as Error).message}`);
      this.exitCode = 1;
      return false;
    }
    const url = `http://${m.host.includes(':') ? `[${m.host}]` : m.host}:${this.metricsServer.port}/metrics`;
    this.io.log.info('metrics endpoint', { url });
    view.event(`pipeline metrics at ${url}`);
    return true;
  }

  /** The lock names every process that writes to the data directory (see lock.ts). */
  private recordChildren(): void {
    const kids = this.supervisor.status().flatMap((c) => (c.pid ? [{ name: c.name, pid: c.pid }] : []));
    const rem = this.remediation?.pid ?? null;
    try {
      this.lock.recordChildren(rem ? [...kids, { name: 'run-remediation', pid: rem }] : kids);
    } catch (err) {
      this.io.log.warn('cannot record the children in the lock file', { err: err as Error });
    }
  }

  private wireSupervisor(): void {
    const { supervisor, view, cfg } = this;
    const { log } = this.io;
    supervisor.on('spawn', (name, pid) => {
      log.info('child started', { child: name, pid });
      this.recordChildren();
    });
    supervisor.on('exit', (name, code, signal, expected) => {
      this.recordChildren();
      log[expected ? 'info' : 'warn']('child exited', { child: name, code, signal });
      if (!expected) {
        const logFile = childLogFile(cfg.logDir, name);
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
      view.event(
        `ERROR ${name} crashed ${crashes} times in ${Math.round(windowMs / 1000)}s: not restarted; the rest go on. See ${childLogFile(cfg.logDir, name)}`,
      );
    });
    supervisor.on('hung', (name, ageMs, limitMs) => {
      log.error('child is hung (heartbeat stopped); killing it to restart it', { child: name, heartbeatAgeMs: Math.round(ageMs), limitMs });
      view.event(
        `ERROR ${name} is hung: no heartbeat for ${Math.round(ageMs / 1000)}s (limit ${Math.round(limitMs / 1000)}s); killed, restarting`,
      );
    });
    supervisor.on('error', (name, err) => log.error('child error', { child: name, err }));
  }

  /** --demo: archives an earlier demo's files and starts the simulator; false when the run ends here. */
  private async startDemoCluster(): Promise<boolean> {
    const { cfg, view, supervisor } = this;
    const demo = cfg.demo!;
    // Only files inside the data directory are archived (a --output-file elsewhere is the user's).
    const own = [cfg.outputFile, ...(cfg.scoresFile ? [cfg.scoresFile] : [])].filter((f) => resolve(f, '..') === resolve(cfg.dataDir));
    const archived = archiveEarlierDemo(cfg.dataDir, own);
    if (archived) view.event(`files of an earlier demo moved to ${archived}`);
    const sim = simChild({ root: cfg.root, dataDir: cfg.dataDir, logDir: cfg.logDir, ...demo });
    rmSync(sim.kubeconfigOut, { force: true });
    const offset = fileSize(sim.logFile);
    view.event(`starting the simulated cluster (scenario ${demo.scenario}, speed ×${demo.speed})...`);
    supervisor.add(sim.spec);
    const ready = await Promise.race([
      waitForSimReady(sim.logFile, offset, () => supervisor.get(sim.spec.name)?.state === 'running', 60_000),
      this.stopRequested.then(() => null),
    ]);
    if (this.stopReason) return false;
    if (!ready) {
      view.event(`ERROR the simulated cluster did not start; see ${sim.logFile}`);
      this.exitCode = 1;
      return false;
    }
    view.event(`simulated cluster ready: api ${ready.api}, kubeconfig ${ready.kubeconfig}`);
    this.opts.kubeconfig = ready.kubeconfig;
    this.opts.source = 'k8s';
    return true;
  }

  private startPipeline(): { children: SupervisedChild[]; files: Files } {
    const children = pipelineChildren(this.opts);
    for (const c of children) this.supervisor.add(c.spec);
    return { children, files: pipelineFiles(this.opts) };
  }

  /** podsentinel-server as a supervised child; prints the dashboard URL with the write token in its fragment. */
  private async startServer(http: NonNullable<MonitorConfig['http']>): Promise<boolean> {
    const { cfg, view } = this;
    const port = http.exactPort ? http.port : await freePort(http.host, http.port);
    if (port === null) {
      view.event(`ERROR no free port from ${http.port} up on ${http.host} for the dashboard; use --http-port`);
      this.exitCode = 1;
      return false;
    }
    const token = dashboardToken();
    const child = serverChild({
      root: cfg.root,
      dataDir: cfg.dataDir,
      logDir: cfg.logDir,
      logLevel: cfg.logLevel,
      host: http.host,
      port,
      token,
      configFile: cfg.configFile,
    });
    this.supervisor.add(child.spec);
    this.pipelineNames.push(child.spec.name); // on the pipeline's /metrics too
    const host = http.host.includes(':') ? `[${http.host}]` : http.host === '0.0.0.0' ? '127.0.0.1' : http.host;
    // The token rides in the fragment: the browser keeps it, no server or proxy log ever sees it.
    this.io.out.write(`Dashboard: http://${host}:${port}/#token=${token}\n`);
    this.io.log.info('dashboard server started', { host: http.host, port });
    return true;
  }

  /** The approval step (run-remediation in the terminal), when this mode runs one. */
  private approvalStep(files: Files): RemediationStep | null {
    const { cfg, opts, view } = this;
    const { out, log } = this.io;
    if (cfg.mode !== 'all' || !cfg.remediation) return null;
    return new RemediationStep({
      script: join(cfg.root, 'run-remediation.ts'),
      confidenceThreshold: cfg.confidenceThreshold,
      cwd: cfg.root,
      decisionsDir: resolve(pipelineFile(cfg.dataDir, 'decisions')),
      auditFile: files.audit,
      args: remediationStepArgv(
        { ...opts, confidenceThreshold: cfg.confidenceThreshold, verifyDelay: cfg.verifyDelay, dryRun: cfg.remediationDryRun },
        files,
      ),
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
    });
  }

  private title(): string {
    const { cfg } = this;
    return cfg.demo
      ? `podsentinel run-monitoring · demo: simulated cluster, scenario ${cfg.demo.scenario}, speed ×${cfg.demo.speed} · data ${cfg.dataDir}`
      : `podsentinel run-monitoring · ${cfg.source}${cfg.namespace ? ` namespace ${cfg.namespace}` : ' all namespaces'} · data ${cfg.dataDir}`;
  }

  /** Once a second: pipeline events, the status view and file, the approval step; until a stop. */
  private async tickUntilStopped(children: SupervisedChild[], files: Files): Promise<void> {
    const watch = new PipelineWatch(files.insights, files.analysis, files.audit);
    const rowsMeter = new RateMeter(60_000);
    const collector = children.find((c) => c.spec.name === 'dataset-generator');
    const title = this.title();
    let lastSummary = 0;
    const tick = () => {
      const { view, supervisor, cfg, remediation } = this;
      const { snapshot, events } = watch.poll();
      for (const l of events.lines) this.io.log.info('pipeline event', { line: l });
      for (const l of condense(events.lines)) view.event(l);
      const collectorHb = collector?.heartbeat ? readHeartbeat(collector.heartbeat) : null;
      const { rows: rowsTotal, pods: podsFromCollector } = collectorHb?.status === 'ok' ? heartbeatSummary(collectorHb.heartbeat) : {};
      if (rowsTotal !== undefined) rowsMeter.add(rowsTotal);
      view.update({
        title,
        pods: podsFromCollector ?? snapshot.pods,
        rowsPerMinute: rowsMeter.perMinute(),
        rowsTotal: rowsTotal ?? snapshot.rowsRead,
        anomaliesFlagged: snapshot.flagged,
        anomaliesOpen: snapshot.openAnalyses,
        children: childLines(supervisor.status(), children),
        footer: remediation
          ? 'Ctrl-C stops everything · approval prompts appear here when an analysis recommends an action'
          : 'Ctrl-C stops everything',
      });
      if (Date.now() - lastSummary >= cfg.statusInterval * 1000) {
        view.summary();
        lastSummary = Date.now();
      }
      this.writeStatus(files);
      const states = supervisor.status().map((c) => c.state);
      if (states.length && states.every((st) => st === 'failed' || st === 'exited')) {
        view.event('ERROR every child has stopped or was given up on: nothing left to supervise; exiting with status 1');
        this.exitCode = 1;
        this.stopReason = 'no child left';
        return;
      }
      if (remediation) this.offerApproval(remediation, events.newAnalyses);
    };

    tick();
    while (!this.stopReason) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (!this.stopReason) tick();
    }
  }

  private offerApproval(remediation: RemediationStep, newAnalyses: Parameters<RemediationStep['offer']>[0]): void {
    remediation.offer(newAnalyses);
    remediation.offerDecisions();
    const run = remediation.maybeRun();
    if (!run) return;
    this.recordChildren();
    void run.then((r) => {
      this.recordChildren();
      if (r.interrupted && !this.stopReason) {
        this.stopReason = 'SIGINT (from the approval prompt)';
        this.wake();
      }
    });
  }

  private writeStatus(files: Files): void {
    try {
      writeJsonAtomic(this.statusFile, {
        pid: process.pid,
        updated_at: new Date().toISOString(),
        mode: this.cfg.mode,
        demo: this.cfg.demo,
        kubeconfig: this.opts.kubeconfig ?? null,
        files,
        children: this.supervisor.status(),
        remediation: this.remediation ? { busy: this.remediation.busy, runs: this.remediation.runs } : null,
      });
    } catch (err) {
      this.io.log.warn('cannot write the status file', { err: err as Error });
    }
  }

  /** Stops the pipeline first, then the simulated cluster it talks to; releases the lock last. */
  async shutdown(): Promise<void> {
    const { view, supervisor, cfg, statusFile } = this;
    const { out, log } = this.io;
    view.resume();
    log.info('stopping', { reason: this.stopReason });
    view.event(`stopping${this.stopReason ? ` (${this.stopReason})` : ''}: waiting for children to exit...`);
    const pipeline = supervisor
      .status()
      .map((c) => c.name)
      .filter((n) => n !== 'podsentinel-sim');
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
    await this.metricsServer?.close();
    view.close();
    out.write('run-monitoring stopped; all children exited.\n');
    this.lock.release();
    log.info('stopped', { killed });
  }
}
