// npm run bench:detect — detection quality on the simulated cluster. For every scenario (manual clock,
// fixed seed, churn on) the CSV is generated through the real K8sCollector, then each detector runs
// through the real agent (`dataset-generator-agent --once --from-start --scores-file`, as a child
// process: the production code path), and its scores are judged against the sim's fault ground truth.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, helpShown, runIfMain } from '../../lib/cli.ts';
import { scenarioNames } from '../../sim/scenario.ts';
import { longLivedRun, type LongLivedResult } from './long-lived.ts';
import {
  combine,
  evaluate,
  median,
  readScores,
  thresholdForFullRecall,
  type Evaluation,
  type ScenarioTruth,
  type ScoresByPod,
} from './evaluate.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const AGENT = join(ROOT, 'agents/dataset-generator-agent.ts');
const GENERATE = join(ROOT, 'bench/detect/generate.ts');
const DEFAULT_DETECTORS = ['lstm', 'isolation-forest', 'rolling-median', 'zscore'];
/** Faults that begin at once (the rest, leak and creep, build up slowly). */
const SLOW_KINDS = new Set(['memory_leak', 'cpu_creep']);

interface Run {
  scenario: string;
  detector: string;
  truth: ScenarioTruth;
  byPod: ScoresByPod;
  eval: Evaluation;
  seconds: number;
  rows: number;
}

function parse(argv: string[]) {
  return cli(
    'bench:detect',
    argv,
    'Detection benchmark on the simulated cluster: every fault scenario, the LSTM detector and the baselines side by side.',
  )
    .option('scenarios', { type: 'string', describe: 'Comma-separated scenarios (default: every scenario but demo)' })
    .option('detectors', { type: 'string', default: DEFAULT_DETECTORS.join(','), describe: 'Comma-separated detectors' })
    .option('seed', { type: 'number', default: 1 })
    .option('ticks', { type: 'number', default: 720, describe: 'Ticks per scenario (5 s each; 720 = one hour, one daily cycle)' })
    .option('threshold', { type: 'number', default: 0.7, describe: 'Alert threshold given to the agent' })
    .option('window', {
      type: 'number',
      default: 360,
      describe: 'A fault counts as found when flagged within this many ticks of its start',
    })
    .option('jobs', { type: 'number', default: 2, describe: 'Child processes at once' })
    .option('out-dir', { type: 'string', default: '.bench-out/detect', describe: 'Generated CSVs, truth and scores' })
    .option('long-days', {
      type: 'number',
      default: 10,
      describe: 'Days of the long-lived healthy run (60 s ticks, a 24-hour cycle; 0 skips it)',
    })
    .option('reuse', { type: 'boolean', default: false, describe: 'Reuse generated scenario data when seed and ticks match' })
    .option('json', { type: 'string', describe: 'Also write the results as JSON to this file' })
    .parseSync();
}

/** Runs `node --import tsx FILE ARGS`, calling onLine for each stdout line; rejects on a non-zero exit. */
function runChild(file: string, args: string[], onLine: (line: string) => void = () => {}): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${file} ${args.join(' ')} exited ${code}:\n${err}`))));
  });
}

async function pool<T>(items: readonly T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (helpShown(argv)) return 0;
  const started = Date.now();
  const scenarios = args.scenarios ? args.scenarios.split(',').map((s) => s.trim()) : scenarioNames().filter((s) => s !== 'demo');
  const detectors = args.detectors.split(',').map((s) => s.trim());
  const outDir = resolve(args['out-dir']);
  const log = (msg: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

  // 1. Generate each scenario's CSV and truth.
  log(`generating ${scenarios.length} scenarios × ${args.ticks} ticks (seed ${args.seed}) through the K8sCollector`);
  const truths = new Map<string, ScenarioTruth>();
  await pool(scenarios, args.jobs, async (scenario) => {
    const dir = join(outDir, scenario);
    const truthPath = join(dir, 'truth.json');
    if (args.reuse && existsSync(truthPath)) {
      const t = JSON.parse(readFileSync(truthPath, 'utf8')) as ScenarioTruth;
      if (t.seed === args.seed && t.ticks === args.ticks) {
        truths.set(scenario, t);
        log(`${scenario}: reusing ${dir}`);
        return;
      }
    }
    await runChild(GENERATE, [scenario, String(args.seed), String(args.ticks), dir], (line) => {
      const m = /^tick (\d+)/.exec(line);
      if (m && Number(m[1]) % 240 === 0) log(`${scenario}: tick ${m[1]}/${args.ticks}`);
    });
    const t = JSON.parse(readFileSync(truthPath, 'utf8')) as ScenarioTruth;
    truths.set(scenario, t);
    log(`${scenario}: ${t.rows} rows, ${t.pods} pods, ${t.faults.length} fault(s)`);
  });

  // 2. Score every scenario with every detector through the agent.
  const runs: Run[] = [];
  const tasks = scenarios.flatMap((scenario) => detectors.map((detector) => ({ scenario, detector })));
  log(`scoring: ${tasks.length} agent runs (${detectors.join(', ')})`);
  await pool(tasks, args.jobs, async ({ scenario, detector }) => {
    const dir = join(outDir, scenario);
    const scores = join(dir, `${detector}.scores.csv`);
    const t0 = Date.now();
    await runChild(AGENT, [
      '--once',
      '--from-start',
      '--input-file',
      join(dir, 'pod_metrics.csv'),
      '--scores-file',
      scores,
      '--insights-file',
      join(dir, `${detector}.insights.json`),
      '--checkpoint-file',
      join(dir, `${detector}.checkpoint.json`),
      '--detector',
      detector,
      '--alert-threshold',
      String(args.threshold),
      '--log-dir',
      join(dir, 'logs'),
      '--log-level',
      'warn',
    ]);
    const seconds = (Date.now() - t0) / 1000;
    const truth = truths.get(scenario)!;
    const { byPod, unmapped } = readScores(scores, truth);
    if (unmapped > 0) log(`${scenario}/${detector}: ${unmapped} score rows with a timestamp not seen at generation`);
    const ev = evaluate(byPod, truth, { window: args.window });
    // For whoever tunes the detector: where it found each fault, and every false alarm.
    writeFileSync(join(dir, `${detector}.evaluation.json`), JSON.stringify({ faults: ev.faults, episodes: ev.episodes }, null, 1) + '\n');
    runs.push({ scenario, detector, truth, byPod, eval: ev, seconds, rows: truth.rows });
    log(`${scenario}/${detector}: ${ev.found}/${ev.injected} found, ${ev.falseEpisodes} false-alarm episodes (${seconds.toFixed(1)} s)`);
  });

  // 2b. Long-lived healthy pods (the scenario runs are too short for the members that need days of history).
  const longLived = new Map<string, LongLivedResult>();
  if (args['long-days'] > 0) {
    for (const detector of detectors) {
      const t0 = Date.now();
      const r = await longLivedRun(detector, { days: args['long-days'], tickSeconds: 60, seed: args.seed, threshold: args.threshold });
      longLived.set(detector, r);
      log(
        `long-lived/${detector}: ${r.pods} healthy pods × ${r.days} days, alerts per day ${r.alertsPerDay.join(' ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  }

  // 3. Summaries per detector.
  const summary = detectors.map((detector) => {
    const mine = scenarios.map((s) => runs.find((r) => r.scenario === s && r.detector === detector)!);
    const all = combine(mine.map((r) => r.eval));
    const abrupt = all.faults.filter((f) => !SLOW_KINDS.has(f.kind) && f.delay !== null).map((f) => f.delay!);
    const slow = all.faults.filter((f) => SLOW_KINDS.has(f.kind) && f.delay !== null).map((f) => f.delay!);
    const leak = all.faults.filter((f) => f.kind === 'memory_leak');
    const fullRecallAt = thresholdForFullRecall(
      mine.map((r) => ({ byPod: r.byPod, truth: r.truth })),
      { window: args.window },
    );
    const atFull =
      fullRecallAt === null ? null : combine(mine.map((r) => evaluate(r.byPod, r.truth, { window: args.window, threshold: fullRecallAt })));
    const seconds = mine.reduce((n, r) => n + r.seconds, 0);
    const rows = mine.reduce((n, r) => n + r.rows, 0);
    return {
      detector,
      found: all.found,
      injected: all.injected,
      typeRight: all.faults.filter((f) => f.typeRight).length,
      perScenario: Object.fromEntries(
        mine.map((r) => [
          r.scenario,
          {
            found: r.eval.found,
            injected: r.eval.injected,
            delays: r.eval.faults.map((f) => f.delay),
            types: r.eval.faults.map((f) => f.typeAtDetection),
            falseEpisodes: r.eval.falseEpisodes,
            healthyPodHours: r.eval.healthyPodHours,
          },
        ]),
      ),
      abruptDelay: { median: median(abrupt), max: abrupt.length ? Math.max(...abrupt) : null },
      slowDelay: { median: median(slow), max: slow.length ? Math.max(...slow) : null },
      leakLeadBeforeOom: leak.map((f) => f.leadBeforeOom),
      creepDelay: all.faults.filter((f) => f.kind === 'cpu_creep').map((f) => f.delay),
      falseEpisodes: all.falseEpisodes,
      healthyPodHours: all.healthyPodHours,
      falsePerPodHour: all.healthyPodHours > 0 ? all.falseEpisodes / all.healthyPodHours : null,
      startupFalseAlarms: all.startupFalseAlarms,
      fullRecall: {
        threshold: fullRecallAt,
        falseEpisodes: atFull?.falseEpisodes ?? null,
        falsePerPodHour: atFull && atFull.healthyPodHours > 0 ? atFull.falseEpisodes / atFull.healthyPodHours : null,
      },
      rowsPerSecond: seconds > 0 ? rows / seconds : null,
      longLived: longLived.get(detector) ?? null,
    };
  });

  // 4. The table.
  const header = ['', ...detectors, 'target'];
  const table: string[][] = [];
  const row = (label: string, cells: string[], target = '') => table.push([label, ...cells, target]);
  for (const s of scenarios) {
    const rs = detectors.map((d) => runs.find((r) => r.scenario === s && r.detector === d)!);
    const inj = rs[0]!.eval.injected;
    if (inj === 0) continue;
    row(
      `${s}: found, delay (ticks)`,
      rs.map((r) => `${r.eval.found}/${r.eval.injected}, ${r.eval.faults.map((f) => fmt(f.delay)).join('/')}`),
      SLOW_KINDS.has(rs[0]!.eval.faults[0]!.kind) ? (s.includes('creep') ? '≤ 120' : '') : '≤ 2',
    );
  }
  row(
    'faults found / injected',
    summary.map((x) => `${x.found}/${x.injected}`),
    'all',
  );
  row(
    'anomaly_type right at detection',
    summary.map((x) => `${x.typeRight}/${x.found}`),
  );
  row(
    'delay, abrupt faults: median / max',
    summary.map((x) => `${fmt(x.abruptDelay.median, 1)} / ${fmt(x.abruptDelay.max)}`),
    'median ≤ 2',
  );
  row(
    'delay, slow faults: median / max',
    summary.map((x) => `${fmt(x.slowDelay.median, 1)} / ${fmt(x.slowDelay.max)}`),
  );
  row(
    'leak flagged before 1st OOMKilled',
    summary.map((x) => x.leakLeadBeforeOom.map((l) => fmt(l)).join('/') || '–'),
    '≥ 30',
  );
  row(
    'false-alarm episodes (healthy)',
    summary.map((x) => `${x.falseEpisodes} in ${fmt(x.healthyPodHours, 1)} pod-h`),
  );
  row(
    '  per 20 healthy pod-hours',
    summary.map((x) => fmt(x.falsePerPodHour === null ? null : x.falsePerPodHour * 20, 2)),
    '≤ 1',
  );
  if (longLived.size > 0) {
    row(
      `long-lived healthy pods (${args['long-days']} days): alerts`,
      summary.map((x) =>
        x.longLived
          ? `${x.longLived.alertsPerDay.reduce((a, b) => a + b, 0)} in ${fmt((x.longLived.rows * x.longLived.tickSeconds) / 3600, 0)} pod-h`
          : '–',
      ),
    );
    row(
      '  per 20 healthy pod-hours',
      summary.map((x) => fmt(x.longLived?.falsePer20PodHours ?? null, 2)),
      '≤ 1',
    );
  }
  row(
    'start-up false alarms',
    summary.map((x) => String(x.startupFalseAlarms)),
    '0',
  );
  row(
    'at 100% recall: threshold',
    summary.map((x) => fmt(x.fullRecall.threshold, 3)),
  );
  row(
    '  false-alarm episodes / 20 pod-h',
    summary.map((x) => fmt(x.fullRecall.falsePerPodHour === null ? null : x.fullRecall.falsePerPodHour * 20, 2)),
    'LSTM lowest',
  );
  row(
    'agent rows/s (incl. start-up)',
    summary.map((x) => fmt(x.rowsPerSecond)),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  const md = [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...table.map(line)].join('\n');
  const totalPods = scenarios.reduce((n, s) => n + (truths.get(s)?.pods ?? 0), 0);
  process.stdout.write(
    `\nbench:detect — ${scenarios.length} scenarios × ${args.ticks} ticks of 5 s, seed ${args.seed}, churn on, ${totalPods} pods in all, threshold ${args.threshold}, fault window ${args.window} ticks\n\n${md}\n\n` +
      `Delays in ticks from the fault's start to the first flagged row of an affected pod. A false-alarm episode is a maximal run of\n` +
      `flagged rows on a healthy pod (no fault, or before its fault began); 720 ticks = 1 pod-hour. "At 100% recall": the highest\n` +
      `threshold on the probability at which every fault is still found, and the false alarms there. Long-lived: the healthy base\n` +
      `cluster (7 pods) for --long-days days at 60 s ticks with a 24-hour cycle, rows from the sim's truth through the PodScorer.\n` +
      `Total time ${((Date.now() - started) / 1000).toFixed(0)} s.\n`,
  );
  if (args.json) {
    mkdirSync(resolve(args.json, '..'), { recursive: true });
    writeFileSync(
      args.json,
      JSON.stringify(
        { seed: args.seed, ticks: args.ticks, threshold: args.threshold, window: args.window, scenarios, detectors: summary, table: md },
        null,
        2,
      ) + '\n',
    );
  }
  return 0;
}

runIfMain(import.meta.url, main);
