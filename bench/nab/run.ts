// npm run bench:nab: streams every NAB series through the project's detectors (and the comparison rows),
// sweeps one threshold per detector and profile over the corpus as NAB does, and prints the normalised
// scores next to NAB's published scoreboard.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, helpShown, runIfMain, UsageError } from '../../lib/cli.ts';
import { writeJsonAtomic } from '../../lib/atomic-file.ts';
import {
  defaultNabDir,
  falsePositiveEpisodes,
  loadCorpus,
  PROFILE_NAMES,
  scoreAtThreshold,
  scoreDetector,
  type NabCorpus,
  type ProfileName,
  type ProfileResult,
} from './scorer.ts';
import { checkStreaming, nabDetectors, PROBABILITY_SUFFIX, PUBLISHED, scoreSeriesWith, type RunOptions } from './detectors.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The published scoreboard rows shown next to ours: [label, key in results/final_results.json]. */
export const SCOREBOARD: Array<[string, string]> = [
  ['ARTime (best published)', 'ARTime'],
  ['Numenta HTM', 'numenta'],
  ['CAD OSE', 'contextOSE'],
  ['KNN CAD', 'knncad'],
  ['Relative Entropy', 'relativeEntropy'],
  ['Random Cut Forest', 'randomCutForest'],
  ['Twitter ADVec', 'twitterADVec'],
  ['Windowed Gaussian', 'windowedGaussian'],
  ['Etsy Skyline', 'skyline'],
];

const TABLE_CATEGORIES = ['realAWSCloudwatch', 'realKnownCause', 'all'];

export interface DetectorRun {
  name: string;
  seconds: number;
  rows: number;
  profiles: ProfileResult[];
}

// ---------------------------------------------------------------------------------------------------------
// Running detectors over the corpus

interface Task {
  detector: string;
  file: number;
}

/** Runs tasks on `jobs` child processes (or in-process when jobs = 1); longest files first. */
async function runTasks(
  corpus: NabCorpus,
  tasks: Task[],
  jobs: number,
  options: RunOptions,
  onDone: (t: Task, scores: Float64Array, ms: number) => void,
): Promise<Map<string, string>> {
  const errors = new Map<string, string>();
  const queue = [...tasks].sort((a, b) => corpus.files[b.file]!.values.length - corpus.files[a.file]!.values.length);
  if (jobs <= 1) {
    for (const t of queue) {
      if (errors.has(t.detector)) continue;
      const t0 = performance.now();
      try {
        onDone(t, await scoreSeriesWith(t.detector, corpus.files[t.file]!, options), performance.now() - t0);
      } catch (err) {
        errors.set(t.detector, (err as Error).message);
      }
    }
    return errors;
  }
  const workerPath = join(HERE, 'worker.ts');
  const tsx = import.meta.resolve('tsx');
  let nextId = 0;
  const runWorker = (child: ChildProcess) =>
    new Promise<void>((done) => {
      let current: Task | undefined;
      const sendNext = () => {
        current = queue.shift();
        while (current && errors.has(current.detector)) current = queue.shift();
        if (!current) {
          child.disconnect();
          return done();
        }
        const req: WorkerRequest = { id: nextId++, detector: current.detector, file: current.file, options };
        child.send(req);
      };
      child.on('message', (reply: WorkerReply) => {
        if (!current) return;
        if ('error' in reply) errors.set(current.detector, reply.error.split('\n')[0] ?? reply.error);
        else onDone(current, reply.scores, reply.ms);
        sendNext();
      });
      child.on('exit', (code, signal) => {
        if (current) {
          errors.set(current.detector, `worker exited (${signal ?? code}) while scoring ${corpus.files[current.file]!.name}`);
          current = undefined;
        }
        done();
      });
      sendNext();
    });
  const children = Array.from({ length: jobs }, () =>
    fork(workerPath, [], { execArgv: ['--import', tsx], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(children.map(runWorker));
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Output

function fmt(x: number | undefined, width = 7): string {
  return (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2)).padStart(width);
}

export function formatTable(runs: DetectorRun[], published: Record<string, Record<string, number>>, corpus: NabCorpus): string {
  const windows = corpus.files.reduce((n, f) => n + f.windows.length, 0);
  const head =
    'Detector'.padEnd(30) +
    'standard'.padStart(9) +
    'low_FP'.padStart(8) +
    'low_FN'.padStart(8) +
    '  │' +
    TABLE_CATEGORIES.map((c) => c.replace(/^real/, '').padStart(15)).join('') +
    '  │' +
    'time'.padStart(8);
  const line = '─'.repeat(head.length);
  const out = [
    `NAB corpus: ${corpus.files.length} files, ${windows} windows. Normalised scores (null detector = 0, perfect = 100);`,
    'one threshold per detector and profile, swept over every distinct score; categories use the standard profile.',
    line,
    head,
    line,
  ];
  for (const r of runs) {
    const p = (name: ProfileName) => r.profiles.find((x) => x.profile === name);
    const std = p('standard');
    out.push(
      r.name.padEnd(30) +
        fmt(std?.normalized, 9) +
        fmt(p('reward_low_FP_rate')?.normalized, 8) +
        fmt(p('reward_low_FN_rate')?.normalized, 8) +
        '  │' +
        TABLE_CATEGORIES.map((c) => fmt(std?.byCategory[c]?.normalized, 15)).join('') +
        '  │' +
        `${r.seconds.toFixed(0)}s`.padStart(8),
    );
  }
  out.push(line, 'Published scoreboard (results/final_results.json):');
  for (const [label, key] of SCOREBOARD) {
    const s = published[key];
    if (!s) continue;
    out.push(
      `  ${label}`.padEnd(30) +
        fmt(s.standard, 9) +
        fmt(s.reward_low_FP_rate, 8) +
        fmt(s.reward_low_FN_rate, 8) +
        '  │' +
        TABLE_CATEGORIES.map(() => fmt(undefined, 15)).join('') +
        '  │',
    );
  }
  out.push(line);
  return out.join('\n');
}

/** Where a detector loses points on the standard profile: the files costing most, split misses / FPs. */
export function formatDetail(run: DetectorRun, corpus: NabCorpus, top: number, scores?: Float64Array[], atThreshold?: number): string {
  const std =
    atThreshold !== undefined && scores
      ? scoreAtThreshold(corpus, scores, 'standard', atThreshold)
      : run.profiles.find((p) => p.profile === 'standard');
  if (!std) return '';
  const cm = corpus.profiles.standard;
  const rows = std.files.map((f, k) => {
    const episodes = scores ? falsePositiveEpisodes(corpus.files[k]!, scores[k]!, std.threshold).episodes : NaN;
    const detected = f.windowScores.filter((w) => w > -cm.fnWeight).length;
    const missed = f.windowScores.length - detected;
    const lateLoss = f.windowScores.filter((w) => w > -cm.fnWeight).reduce((s, w) => s + (cm.tpWeight - w), 0);
    const missLoss = missed * (cm.tpWeight + cm.fnWeight);
    return { f, detected, missed, episodes, lateLoss, missLoss, fpLoss: -f.fpScore, loss: lateLoss + missLoss - f.fpScore };
  });
  const sum = (k: 'lateLoss' | 'missLoss' | 'fpLoss') => rows.reduce((s, r) => s + r[k], 0);
  const fpRows = std.files.reduce((s, f) => s + f.fp, 0);
  const fpEpisodes = rows.reduce((s, r) => s + r.episodes, 0);
  const missed = rows.reduce((s, r) => s + r.missed, 0);
  const windows = rows.reduce((s, r) => s + r.f.windowScores.length, 0);
  const out = [
    `${run.name} (standard, threshold ${std.threshold}): raw ${std.raw.toFixed(2)} of ${(cm.tpWeight * std.files.reduce((s, f) => s + f.windowScores.length, 0)).toFixed(0)}; ` +
      `lost to missed windows ${sum('missLoss').toFixed(2)}, late detections ${sum('lateLoss').toFixed(2)}, ` +
      `false positives ${sum('fpLoss').toFixed(2)}`,
    `  ${missed} of ${windows} windows missed; ${fpRows} false-positive rows in ${Number.isNaN(fpEpisodes) ? '?' : fpEpisodes} alarm episodes`,
    `  ${'file'.padEnd(58)}${'win'.padStart(4)}${'hit'.padStart(4)}${'FP rows'.padStart(8)}${'eps'.padStart(5)}${'miss'.padStart(7)}${'late'.padStart(7)}${'FP'.padStart(7)}${'score'.padStart(8)}`,
  ];
  for (const r of [...rows].sort((a, b) => b.loss - a.loss).slice(0, top)) {
    out.push(
      `  ${r.f.name.padEnd(58)}${String(r.f.windowScores.length).padStart(4)}${String(r.detected).padStart(4)}${String(r.f.fp).padStart(8)}${String(r.episodes).padStart(5)}` +
        `${r.missLoss.toFixed(2).padStart(7)}${r.lateLoss.toFixed(2).padStart(7)}${r.fpLoss.toFixed(2).padStart(7)}${r.f.score.toFixed(2).padStart(8)}`,
    );
  }
  return out.join('\n');
}

export function jsonReport(runs: DetectorRun[], corpusDir: string): unknown {
  const detectors: Record<string, unknown> = {};
  for (const r of runs) {
    const entry: Record<string, unknown> = {};
    const byCategory: Record<string, Record<string, number | null>> = {};
    for (const p of r.profiles) {
      entry[p.profile] = p.normalized;
      for (const [cat, c] of Object.entries(p.byCategory)) {
        (byCategory[cat] ??= {})[p.profile] = Number.isNaN(c.normalized) ? null : c.normalized;
      }
    }
    entry.by_category = byCategory;
    entry.thresholds = Object.fromEntries(r.profiles.map((p) => [p.profile, p.threshold]));
    entry.raw = Object.fromEntries(r.profiles.map((p) => [p.profile, p.raw]));
    entry.seconds = r.seconds;
    detectors[r.name] = entry;
  }
  return { corpus: corpusDir, generated_at: new Date().toISOString(), detectors };
}

function writeResults(dir: string, detector: string, corpus: NabCorpus, scores: Float64Array[]): void {
  const name = detector.replace(/[^A-Za-z0-9._-]/g, '-'); // "lstm:probability" → "lstm-probability" (portable paths)
  corpus.files.forEach((f, k) => {
    const base = f.name.split('/')[1]!;
    const path = join(dir, name, f.category, `${name}_${base}`);
    mkdirSync(dirname(path), { recursive: true });
    const s = scores[k]!;
    const lines = ['timestamp,value,anomaly_score'];
    for (let i = 0; i < s.length; i++) lines.push(`${f.timestamps[i]},${f.values[i]},${s[i]}`);
    writeFileSync(path, lines.join('\n') + '\n');
  });
}

// ---------------------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  const known = nabDetectors();
  const args = await cli(
    'bench-nab',
    argv,
    'Numenta Anomaly Benchmark: streams every NAB series through each detector (one row at a time, labels\n' +
      'never shown, one parameter set for the corpus), sweeps one threshold per profile as NAB does, and\n' +
      'prints the scores next to the published scoreboard.\n' +
      `Detectors: ${known
        .filter((d) => !d.name.endsWith(PROBABILITY_SUFFIX))
        .map((d) => `${d.name} (${d.kind})`)
        .join(', ')};\n` +
      `each project detector also as NAME${PROBABILITY_SUFFIX}, scoring Verdict.probability instead of its onset score\n` +
      '(in "all", that row is shown only when the two differ).',
  )
    .option('detector', { type: 'string', array: true, default: ['all'], describe: 'Detector to run (repeatable); "all" runs every one' })
    .option('nab-dir', {
      type: 'string',
      default: defaultNabDir(),
      describe: 'NAB corpus directory (data/, labels/, config/, results/); default NAB_DIR, else the vendored bench/nab/corpus',
    })
    .option('results-dir', {
      type: 'string',
      describe: "Write per-row scores in NAB's layout: DIR/<detector>/<category>/<detector>_<file>.csv",
    })
    .option('json', { type: 'string', describe: 'Write the scores as JSON to this file' })
    .option('jobs', {
      type: 'number',
      default: Math.min(2, availableParallelism()),
      describe: 'Files scored in parallel (child processes)',
    })
    .option('batch', {
      type: 'number',
      default: 256,
      describe: 'Rows per observeBatch() call when a detector has it (1 = observe() per row)',
    })
    .option('alert-threshold', {
      type: 'number',
      default: 0.7,
      describe:
        "Alert threshold given to project detectors, as the agent's --alert-threshold (default: the agent's). It shapes their state (a baseline learns slowly while an alert is open); the sweep then thresholds the scores themselves",
    })
    .option('score', {
      choices: ['auto', 'probability', 'alerts'] as const,
      default: 'auto' as const,
      describe:
        'Verdict field scored: auto = the alert score (onset) when the detector reports it, else probability; alerts = 1 where the agent would open an alert at --alert-threshold',
    })
    .option('model-dir', { type: 'string', describe: 'Model artifact directory for the LSTM detector' })
    .option('detail', { type: 'number', default: 8, describe: 'Per project detector, list the N files losing most points (0 = none)' })
    .option('detail-threshold', {
      type: 'number',
      describe: "Also show that breakdown at this fixed threshold (e.g. the product's alert threshold)",
    })
    .parseAsync();
  if (helpShown(argv)) return 0;

  const requested = args.detector
    .flatMap((d) => d.split(','))
    .map((d) => d.trim())
    .filter(Boolean);
  const names = requested.includes('all') ? known.map((d) => d.name) : [...new Set(requested)];
  for (const n of names) {
    if (!known.some((d) => d.name === n))
      throw new UsageError(`unknown detector "${n}" (known: ${known.map((d) => d.name).join(', ')}, all)`);
  }
  if (!Number.isInteger(args.jobs) || args.jobs < 1) throw new UsageError('--jobs must be a positive integer');
  if (!Number.isInteger(args.batch) || args.batch < 1) throw new UsageError('--batch must be a positive integer');
  const nabRoot = resolve(args['nab-dir']);
  if (!existsSync(join(nabRoot, 'labels', 'combined_windows.json'))) {
    throw new UsageError(
      `no NAB corpus at ${nabRoot} (the vendored corpus is bench/nab/corpus; --nab-dir or NAB_DIR select another checkout of github.com/numenta/NAB)`,
    );
  }
  const corpus = loadCorpus(nabRoot);
  const published = JSON.parse(readFileSync(join(nabRoot, 'results', 'final_results.json'), 'utf8')) as Record<
    string,
    Record<string, number>
  >;
  const options: RunOptions = {
    nabRoot,
    batch: args.batch,
    threshold: args['alert-threshold'],
    modelDir: args['model-dir'],
    score: args.score,
  };
  const totalRows = corpus.files.reduce((n, f) => n + f.values.length, 0);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  log(`NAB: ${corpus.files.length} files, ${totalRows} rows; detectors: ${names.join(', ')}; ${args.jobs} job(s)`);

  // Every project detector must respect NAB's streaming rule; check it on one short labelled file first.
  const kinds = new Map(known.map((d) => [d.name, d.kind]));
  const probe = corpus.files.filter((f) => f.windows.length > 0).sort((a, b) => a.values.length - b.values.length)[0]!;
  for (const name of names.filter((n) => kinds.get(n) === 'project' && !n.endsWith(PROBABILITY_SUFFIX))) {
    const problem = await checkStreaming(name, probe, (f) => scoreSeriesWith(name, f, options));
    if (problem) throw new Error(`streaming rule broken: ${problem}`);
    log(`${name}: streaming check passed on ${probe.name} (scores of a prefix do not depend on later rows)`);
  }

  const runStart = performance.now();
  const scores = new Map(names.map((n) => [n, new Array<Float64Array>(corpus.files.length)]));
  const done = new Map(names.map((n) => [n, 0]));
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  const tasks: Task[] = names.flatMap((detector) => corpus.files.map((_, file) => ({ detector, file })));
  // The published rows need no computation; everything else is streamed (in parallel when jobs > 1).
  const onDone = (t: Task, s: Float64Array, ms: number) => {
    scores.get(t.detector)![t.file] = s;
    const n = done.get(t.detector)! + 1;
    done.set(t.detector, n);
    if (n === corpus.files.length) finished.set(t.detector, performance.now());
    const f = corpus.files[t.file]!;
    if (t.detector !== PUBLISHED) {
      const elapsed = ((performance.now() - runStart) / 1000).toFixed(0);
      log(`[${elapsed}s] ${t.detector} ${n}/${corpus.files.length} ${f.name} (${f.values.length} rows, ${(ms / 1000).toFixed(1)}s)`);
    }
  };
  for (const n of names) started.set(n, performance.now());
  const errors = await runTasks(
    corpus,
    tasks.filter((t) => t.detector === PUBLISHED),
    1,
    options,
    onDone,
  );
  const streamed = tasks.filter((t) => t.detector !== PUBLISHED);
  for (const [k, v] of await runTasks(corpus, streamed, args.jobs, options, onDone)) errors.set(k, v);

  const runs: DetectorRun[] = [];
  const same = (a: Float64Array[], b: Float64Array[] | undefined) => !!b && a.every((x, k) => x.every((v, i) => Object.is(v, b[k]![i])));
  for (const name of names) {
    if (errors.has(name)) {
      log(`${name}: FAILED: ${errors.get(name)}`);
      continue;
    }
    const s = scores.get(name)!;
    // "X:probability" only adds a row when X scores something else (its onset).
    if (name.endsWith(PROBABILITY_SUFFIX) && same(s, scores.get(name.slice(0, -PROBABILITY_SUFFIX.length)))) continue;
    runs.push({
      name,
      seconds: ((finished.get(name) ?? performance.now()) - started.get(name)!) / 1000,
      rows: totalRows,
      profiles: scoreDetector(corpus, s, PROFILE_NAMES),
    });
    if (args['results-dir']) writeResults(resolve(args['results-dir']), name, corpus, s);
  }
  const wall = (performance.now() - runStart) / 1000;

  process.stdout.write(`\n${formatTable(runs, published, corpus)}\n`);
  process.stdout.write(
    `Wall time ${wall.toFixed(0)}s with ${args.jobs} job(s); a detector's time is until its last file finished (runs overlap).\n`,
  );
  for (const r of runs.filter((x) => kinds.get(x.name) === 'project' && args.detail > 0)) {
    process.stdout.write(`\n${formatDetail(r, corpus, args.detail, scores.get(r.name))}\n`);
    const at = args['detail-threshold'];
    if (at !== undefined) process.stdout.write(`\n${formatDetail(r, corpus, args.detail, scores.get(r.name), at)}\n`);
  }
  if (args.json) {
    writeJsonAtomic(resolve(args.json), jsonReport(runs, nabRoot));
    log(`wrote ${args.json}`);
  }
  if (args['results-dir']) log(`wrote per-row scores under ${args['results-dir']}`);
  return errors.size > 0 ? 1 : 0;
}

runIfMain(import.meta.url, main);
