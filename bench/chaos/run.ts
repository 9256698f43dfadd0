// npm run chaos — proves the pipeline loses nothing when its processes die. Starts the simulated cluster
// scaled to --pods, run-monitoring (collector, dataset agent with a --scores-file ledger, anomaly agent
// --no-llm) and run-remediation --dry-run in watch mode, then SIGKILLs a random one of them --kills times
// at random intervals (with --kill-orchestrator-every K, every K-th kill is run-monitoring itself, restarted
// on the same data directory) while a reader thread re-reads every JSON output. At the end it stops
// everything with SIGTERM, lets the dataset agent score what the collector wrote after it stopped (one
// --once pass from its checkpoint), and checks: every CSV row scored exactly once, every audit line
// parses and none was lost, no JSON read failed to parse, no process of the run left. Exit 1 on any loss.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, helpShown, runIfMain, UsageError } from '../../lib/cli.ts';
import { PIPELINE_FILE_NAMES, pipelineFile } from '../../lib/pipeline-files.ts';
import { mulberry32 } from '../../lib/prng.ts';
import { Remediation, sleep, spawnTs, startSim, waitFor } from './children.ts';
import { checkLedger, scoredKeys } from './ledger.ts';
import { Orchestrator } from './orchestrator.ts';
import { processesMentioning, signalIfOurs } from './procs.ts';
import { JsonReaders } from './readers.ts';
import { summarise, type ChaosResult, type KillRecord } from './result.ts';

const SIM_TICK_SECONDS = 5;

export function parseArgs(argv: string[]) {
  return cli('chaos', argv, 'SIGKILLs pipeline processes at random under load and checks that nothing is lost (exit 1 if anything is).')
    .option('pods', { type: 'number', default: 1000, describe: 'Simulated cluster scaled to about this many pods' })
    .option('speed', {
      type: 'number',
      default: 2,
      describe: 'Simulated time speed-up (one 5-second tick every 5/speed s; the collector samples once a tick)',
    })
    .option('scenario', { type: 'string', default: 'demo', describe: 'Simulated cluster scenario' })
    .option('kills', { type: 'number', default: 20, describe: 'SIGKILLs to deliver' })
    .option('min-interval', { type: 'number', default: 2, describe: 'Shortest pause between kills (s)' })
    .option('max-interval', { type: 'number', default: 8, describe: 'Longest pause between kills (s)' })
    .option('kill-orchestrator-every', { type: 'number', default: 0, describe: 'Every K-th kill is run-monitoring itself (0: never)' })
    .option('seed', { type: 'number', default: 1, describe: 'Seed of the victims and pauses (and of the simulated cluster)' })
    .option('watch-interval', { type: 'number', default: 2, describe: "Agents' interval (s)" })
    .option('json', { type: 'string', describe: 'Write the result as JSON here' })
    .option('keep', { type: 'boolean', default: false, describe: 'Keep the temp directory (data and logs) afterwards' })
    .parserConfiguration({ 'boolean-negation': false });
}

export async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv).parseSync();
  if (helpShown(argv)) return 0;
  for (const k of ['pods', 'speed', 'watch-interval', 'max-interval'] as const) if (!(a[k] > 0)) throw new UsageError(`--${k} must be > 0`);
  if (a.kills < 0 || a['min-interval'] < 0 || a['min-interval'] > a['max-interval'])
    throw new UsageError('need --kills >= 0 and 0 <= --min-interval <= --max-interval');
  const result = await chaos({
    pods: a.pods,
    speed: a.speed,
    scenario: a.scenario,
    kills: a.kills,
    minInterval: a['min-interval'],
    maxInterval: a['max-interval'],
    killOrchestratorEvery: a['kill-orchestrator-every'],
    seed: a.seed,
    watchInterval: a['watch-interval'],
    keep: a.keep,
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.stdout.write(summarise(result));
  if (a.json) writeFileSync(a.json, JSON.stringify(result, null, 2) + '\n');
  return result.ok ? 0 : 1;
}

export interface ChaosOptions {
  pods: number;
  speed: number;
  scenario: string;
  kills: number;
  minInterval: number;
  maxInterval: number;
  killOrchestratorEvery: number;
  seed: number;
  watchInterval: number;
  keep: boolean;
  log: (line: string) => void;
}

export async function chaos(o: ChaosOptions): Promise<ChaosResult> {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-chaos-'));
  try {
    return await chaosIn(dir, o);
  } catch (err) {
    // A harness failure (a timeout, a refused restart gone wrong) leaves no process of the run behind.
    for (const p of processesMentioning(dir)) signalIfOurs(p.pid, dir, 'SIGKILL');
    throw new Error(`${(err as Error).message} (logs in ${dir}/logs)`, { cause: err });
  }
}

async function chaosIn(dir: string, o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const dataDir = join(dir, 'data');
  const logDir = join(dir, 'logs');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  o.log(`chaos: ${o.pods} pods, speed ×${o.speed}, ${o.kills} kills; data and logs in ${dir}`);
  const rand = mulberry32(o.seed);
  const kills: KillRecord[] = [];
  const { sim, kubeconfig } = await startSim({ dir, logDir, pods: o.pods, speed: o.speed, seed: o.seed, scenario: o.scenario });
  const orch = new Orchestrator({
    dir,
    dataDir,
    logDir,
    kubeconfig,
    generatorInterval: SIM_TICK_SECONDS / o.speed,
    watchInterval: o.watchInterval,
  });
  const readers = new JsonReaders(dataDir, { audit: PIPELINE_FILE_NAMES.audit, lock: PIPELINE_FILE_NAMES.lock });
  let remediation: Remediation | null = null;
  const csv = pipelineFile(dataDir, 'metrics');
  const notes: string[] = [];
  let stopExit: number | null;
  try {
    await orch.start();
    remediation = new Remediation({ dataDir, logDir, kubeconfig });
    await waitFor('the first scored rows', () => scoredKeys(orch.scoresFile).length > 0, 300_000, 1000);
    const tKills = Date.now();
    o.log(`pipeline up after ${((tKills - t0) / 1000).toFixed(0)} s; killing`);
    for (let i = 1; i <= o.kills; i++) {
      await sleep((o.minInterval + rand() * (o.maxInterval - o.minInterval)) * 1000);
      const at = (Date.now() - tKills) / 1000;
      if (o.killOrchestratorEvery > 0 && i % o.killOrchestratorEvery === 0) {
        const pid = orch.pid!;
        const r = await orch.killAndRestart();
        kills.push({ n: i, at_s: at, victim: 'run-monitoring', pid, refusals: r.refusals, restart_ms: r.waitedMs });
        o.log(`kill ${i}: run-monitoring ${pid}; restarted after ${r.refusals} refusal(s), ${(r.waitedMs / 1000).toFixed(1)} s`);
        continue;
      }
      // A victim among the processes running now (a child in backoff is not there to kill).
      const victims = await waitFor(
        'a running child to kill',
        () => {
          const v = orch.runningChildren().map((c) => ({ name: c.name, pid: c.pid! }));
          if (remediation?.pid) v.push({ name: 'run-remediation', pid: remediation.pid });
          return v.length ? v : null;
        },
        120_000,
      );
      const v = victims[Math.floor(rand() * victims.length)]!;
      if (signalIfOurs(v.pid, dir, 'SIGKILL')) {
        kills.push({ n: i, at_s: at, victim: v.name, pid: v.pid });
        o.log(`kill ${i}: ${v.name} ${v.pid} at ${at.toFixed(1)} s`);
      } else i--; // it died on its own meanwhile: pick again
    }
    // Let the supervisor bring the last victim back before the clean stop.
    await waitFor('every child running again', () => orch.runningChildren().length >= 3, 120_000, 500).catch((e: Error) =>
      notes.push(e.message),
    );
    await sleep(3000);
  } finally {
    await remediation?.stop();
    stopExit = await orch.stop();
  }
  // What the collector wrote after the agent stopped: the agent's own --once pass from its checkpoint.
  const pass = spawnTs(
    'agents/dataset-generator-agent.ts',
    [
      '--once',
      '--input-file',
      csv,
      '--insights-file',
      pipelineFile(dataDir, 'insights'),
      '--checkpoint-file',
      pipelineFile(dataDir, 'datasetCheckpoint'),
      '--scores-file',
      orch.scoresFile,
      '--log-dir',
      logDir,
    ],
    join(logDir, 'final-pass.console.log'),
  );
  const finalPassExit = (await pass.exited).code;
  const reads = await readers.stop();
  sim.proc.kill('SIGTERM');
  await Promise.race([sim.exited, sleep(15_000)]);
  await sleep(500);
  const orphans = processesMentioning(dir);
  for (const p of orphans) signalIfOurs(p.pid, dir, 'SIGKILL');
  const ledger = checkLedger(csv, orch.scoresFile);
  const byVictim: Record<string, number> = {};
  for (const k of kills) byVictim[k.victim] = (byVictim[k.victim] ?? 0) + 1;
  const result: ChaosResult = {
    ok: false,
    duration_s: Math.round((Date.now() - t0) / 1000),
    pods: o.pods,
    speed: o.speed,
    kills: kills.length,
    kills_by_victim: byVictim,
    restarts_seen: orch.restartsSeen(),
    remediation_restarts: remediation?.restarts ?? 0,
    orchestrator_refusals: orch.refusals,
    lock_violations: orch.lockViolations.length,
    ...ledger,
    invalid_file_reads: reads.invalid_file_reads,
    invalid_by_file: reads.invalid_by_file,
    json_reads: reads.reads,
    invalid_lock_reads: reads.invalid_lock_reads,
    audit_lines: reads.audit_lines_max,
    invalid_audit_lines: reads.invalid_audit_lines,
    audit_shrinks: reads.audit_shrinks,
    orphans: orphans.length,
    orphan_cmdlines: orphans.map((p) => `${p.pid} ${p.cmdline}`.slice(0, 200)),
    stop_exit: stopExit,
    final_pass_exit: finalPassExit,
    notes: [...notes, ...orch.lockViolations],
    kill_log: kills,
    dir: o.keep ? dir : null,
  };
  result.ok =
    result.rows_lost === 0 &&
    result.rows_double_scored === 0 &&
    result.rows_scored_unknown === 0 &&
    result.invalid_file_reads === 0 &&
    result.invalid_audit_lines === 0 &&
    result.audit_shrinks === 0 &&
    result.orphans === 0 &&
    result.lock_violations === 0 &&
    result.final_pass_exit === 0 &&
    result.rows_scored > 0;
  if (!o.keep) rmSync(dir, { recursive: true, force: true });
  return result;
}

runIfMain(import.meta.url, main);
