// npm run bench:detect:family — the randomised detection family: per seed a cluster drawn at random
// (tick 5–30 s, noise, seasonality, GC sawtooth, bursts, churn) with faults across magnitudes, written
// straight to pod_metrics.csv, scored by the real agent (`dataset-generator-agent --once --from-start
// --scores-file`, a child process) and judged against the truth. Tune on seeds 1–10, report on 11–20.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, helpShown, runIfMain } from '../../../lib/cli.ts';
import { evaluate, readScores, type Evaluation } from '../evaluate.ts';
import { generateFamilySeed, type FamilyTruth } from './generate.ts';
import { formatSummary, summarise, type JudgedFault } from './report.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const AGENT = join(ROOT, 'agents/dataset-generator-agent.ts');

function parse(argv: string[]) {
  return cli(
    'bench:detect:family',
    argv,
    'Randomised detection family: drawn workloads, churn and faults per seed, scored by the real agent. Tune on seeds 1-10, report on 11-20.',
  )
    .option('seeds', { type: 'string', default: '11-20', describe: 'Seeds, e.g. 11-20 or 1,4,7 (1-10 are for tuning)' })
    .option('pods', { type: 'number', describe: 'Pods at the start of each seed (default: drawn, 24 to 44)' })
    .option('hours', { type: 'number', default: 3, describe: 'Hours per seed' })
    .option('detector', { type: 'string', default: 'lstm' })
    .option('threshold', { type: 'number', default: 0.7, describe: 'Alert threshold given to the agent' })
    .option('jobs', { type: 'number', default: 2, describe: 'Seeds scored at once' })
    .option('out-dir', { type: 'string', default: '.bench-out/detect-family', describe: 'Generated CSVs, truth and scores' })
    .option('json', { type: 'string', describe: 'Also write the results as JSON to this file' })
    .parseSync();
}

export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new Error(`--seeds: cannot read "${part}" (use e.g. 11-20 or 1,4,7)`);
    const a = Number(m[1]),
      b = m[2] === undefined ? a : Number(m[2]);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

function runAgent(args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', AGENT, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`agent exited ${code}:\n${err}`))));
  });
}

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (helpShown(argv)) return 0;
  const started = Date.now();
  const seeds = parseSeeds(args.seeds);
  const outDir = resolve(args['out-dir']);
  const log = (msg: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
  const results: Array<{ seed: number; truth: FamilyTruth; eval: Evaluation; judged: JudgedFault[] }> = [];
  let next = 0;
  const worker = async () => {
    while (next < seeds.length) {
      const seed = seeds[next++]!;
      const dir = join(outDir, `seed-${seed}`);
      const { csvPath, truth } = generateFamilySeed({ seed, outDir: dir, hours: args.hours, pods: args.pods });
      const scores = join(dir, `${args.detector}.scores.csv`);
      const t0 = Date.now();
      await runAgent([
        '--once',
        '--from-start',
        '--input-file',
        csvPath,
        '--scores-file',
        scores,
        '--insights-file',
        join(dir, 'insights.json'),
        '--checkpoint-file',
        join(dir, 'checkpoint.json'),
        '--detector',
        args.detector,
        '--alert-threshold',
        String(args.threshold),
        '--log-dir',
        join(dir, 'logs'),
        '--log-level',
        'warn',
      ]);
      const { byPod } = readScores(scores, truth);
      const ev = evaluate(byPod, truth, { window: truth.ticks, ticksPerPodHour: 3600 / truth.tickSeconds });
      const judged: JudgedFault[] = truth.faults.map((fault, i) => {
        const result = ev.faults[i]!;
        return {
          seed,
          fault,
          result,
          ratioAtDetection: fault.kind === 'cpu_creep' && result.delay !== null ? 1 + fault.magnitude * result.delay : null,
        };
      });
      writeFileSync(join(dir, 'evaluation.json'), JSON.stringify({ drawn: truth.drawn, judged, episodes: ev.episodes }, null, 1) + '\n');
      results.push({ seed, truth, eval: ev, judged });
      log(
        `seed ${seed}: tick ${truth.tickSeconds} s, ${truth.pods} pods, ${truth.rows} rows; ${ev.found}/${ev.injected} found, ` +
          `${ev.falseEpisodes} false-alarm episodes (agent ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(args.jobs, seeds.length)) }, worker));
  results.sort((a, b) => a.seed - b.seed);
  const summary = summarise(
    seeds,
    results.flatMap((r) => r.judged),
    results.map((r) => r.eval),
  );
  const table = formatSummary(summary);
  process.stdout.write(
    `\nbench:detect:family — seeds ${args.seeds}, ${args.hours} h each, detector ${args.detector}, threshold ${args.threshold}\n\n${table}\n\n` +
      `Delays in ticks from the fault's start to the first flagged row; a leak counts as found only when flagged before its first\n` +
      `OOMKilled. A false-alarm episode is a maximal run of flagged rows on a healthy pod (no fault, or before its fault began).\n` +
      `Total time ${((Date.now() - started) / 1000).toFixed(0)} s.\n`,
  );
  if (args.json) {
    mkdirSync(resolve(args.json, '..'), { recursive: true });
    const perSeed = results.map((r) => ({
      seed: r.seed,
      drawn: r.truth.drawn,
      found: r.eval.found,
      injected: r.eval.injected,
      falseEpisodes: r.eval.falseEpisodes,
      healthyPodHours: r.eval.healthyPodHours,
      faults: r.judged.map((j) => ({ ...j.result, metric: j.fault.metric, magnitude: j.fault.magnitude, startTick: j.fault.startTick })),
    }));
    writeFileSync(
      args.json,
      JSON.stringify({ ...summary, detector: args.detector, threshold: args.threshold, perSeed, table }, null, 2) + '\n',
    );
  }
  return 0;
}

runIfMain(import.meta.url, main);
