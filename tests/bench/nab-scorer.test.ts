// Faithfulness of the NAB scorer: it must reproduce NAB's published per-file scores for Numenta HTM,
// the published totals, the null row, and NAB's scoring rules on small hand-checked cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultNabDir,
  falsePositiveEpisodes,
  loadCorpus,
  normalizeScore,
  optimizeThreshold,
  prepareSweep,
  probationaryLength,
  PROFILE_NAMES,
  readResultScores,
  readSimpleCsv,
  scaledSigmoid,
  scoreAtThreshold,
  scoreDetector,
  scoreFile,
  sweepScores,
  windowsToRows,
  NabDataError,
  type CostMatrix,
  type NabFile,
} from '../../bench/nab/scorer.ts';

// The vendored corpus (or NAB_DIR); a missing corpus fails these tests.
const NAB = defaultNabDir();
const corpus = loadCorpus(NAB);
const numenta = corpus.files.map((f) =>
  readResultScores(join(NAB, 'results', 'numenta', f.category, `numenta_${f.name.split('/')[1]}`), f),
);
const thresholds = JSON.parse(readFileSync(join(NAB, 'config', 'thresholds.json'), 'utf8')) as Record<
  string,
  Record<string, { threshold: number; score: number }>
>;
const finalResults = JSON.parse(readFileSync(join(NAB, 'results', 'final_results.json'), 'utf8')) as Record<string, Record<string, number>>;

void test('the corpus has the 58 files and 116 windows NAB publishes', () => {
  assert.equal(corpus.files.length, 58);
  assert.equal(
    corpus.files.reduce((n, f) => n + f.windows.length, 0),
    116,
  );
});

for (const profile of PROFILE_NAMES) {
  void test(`reproduces every row of numenta_${profile}_scores.csv at the published threshold`, () => {
    const threshold = thresholds.numenta![profile]!.threshold;
    const result = scoreAtThreshold(corpus, numenta, profile, threshold);
    const published = readSimpleCsv(join(NAB, 'results', 'numenta', `numenta_${profile}_scores.csv`)).rows;
    let checked = 0;
    for (const row of published) {
      const [, , name, , score, tp, tn, fp, fn, total] = row;
      if (row[0] === 'Totals') {
        // The published total is the sum of the file scores, written with 12 significant digits.
        assert.ok(Math.abs(result.raw - Number(score)) < 1e-9, `total ${result.raw} vs ${score}`);
        continue;
      }
      const mine = result.files.find((f) => f.name === name);
      assert.ok(mine, `no result for ${name}`);
      assert.ok(Math.abs(mine.score - Number(score)) < 1e-9, `${name}: score ${mine.score} vs published ${score}`);
      assert.deepEqual([mine.tp, mine.tn, mine.fp, mine.fn, mine.total], [tp, tn, fp, fn, total].map(Number), `${name}: TP/TN/FP/FN/total`);
      checked++;
    }
    assert.equal(checked, 58);
    // And the scoreboard's normalised figure from that threshold (63.12 for reward_low_FP_rate).
    assert.ok(Math.abs(result.normalized - finalResults.numenta![profile]!) < 1e-8);
  });
}

void test('its own exhaustive sweep gives Numenta HTM 70.10 / 63.21 / 74.32', () => {
  const results = scoreDetector(corpus, numenta);
  const got = Object.fromEntries(results.map((r) => [r.profile, r.normalized.toFixed(2)]));
  assert.deepEqual(got, { standard: '70.10', reward_low_FP_rate: '63.21', reward_low_FN_rate: '74.32' });
  // Where the 2016 optimiser found the optimum too, the sweep lands on the same raw score.
  for (const r of results.filter((x) => x.profile !== 'reward_low_FP_rate')) {
    assert.ok(Math.abs(r.raw - thresholds.numenta![r.profile]!.score) < 1e-9);
  }
  // The sweep's best is never below the published optimiser's score.
  const fp = results.find((r) => r.profile === 'reward_low_FP_rate')!;
  assert.ok(fp.raw > thresholds.numenta!.reward_low_FP_rate!.score);
});

void test('the null detector scores the published null row (raw -116 / -116 / -232, normalised 0)', () => {
  const constant = corpus.files.map((f) => new Float64Array(f.times.length).fill(0.5));
  for (const profile of PROFILE_NAMES) {
    const r = scoreAtThreshold(corpus, constant, profile, thresholds.null![profile]!.threshold);
    assert.equal(r.raw, thresholds.null![profile]!.score);
    assert.equal(r.normalized, finalResults.null![profile]);
  }
});

void test('a detector firing once at the start of every window scores 100', () => {
  const perfect = corpus.files.map((f) => {
    const s = new Float64Array(f.times.length);
    for (const [start] of f.windows) s[Math.max(start, probationaryLength(f.times.length))] = 1;
    return s;
  });
  for (const r of scoreDetector(corpus, perfect)) assert.ok(Math.abs(r.normalized - 100) < 1e-9, `${r.profile}: ${r.normalized}`);
});

// ---- NAB's rules on small files ----------------------------------------------------------------------

const STANDARD: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 };

function syntheticFile(rows: number, windows: Array<[number, number]>): NabFile {
  const times = Float64Array.from({ length: rows }, (_, i) => Date.UTC(2020, 0, 1) + i * 300_000);
  return {
    name: 'synthetic/file.csv',
    category: 'synthetic',
    timestamps: Array.from(times, (t) => new Date(t).toISOString()),
    times,
    values: new Float64Array(rows),
    windows,
  };
}

function detections(rows: number, at: number[]): Float64Array {
  const s = new Float64Array(rows);
  for (const i of at) s[i] = 1;
  return s;
}

void test('probationary period: floor(15%) of the rows, at most 750', () => {
  assert.equal(probationaryLength(4032), 604);
  assert.equal(probationaryLength(1000), 150);
  assert.equal(probationaryLength(15833), 750);
});

void test('scaled sigmoid: 0.98661 at the window start, 0 at its end, -1 beyond three widths', () => {
  assert.ok(Math.abs(scaledSigmoid(-1) - 0.9866142981514303) < 1e-15);
  assert.equal(scaledSigmoid(0), 0);
  assert.ok(scaledSigmoid(3) > -1);
  assert.equal(scaledSigmoid(3.0001), -1);
});

void test('a detection at the first row of a window earns tpWeight; a missed window costs fnWeight', () => {
  const f = syntheticFile(1000, [[500, 599]]);
  assert.ok(Math.abs(scoreFile(f, detections(1000, [500]), 0.5, STANDARD).score - 1) < 1e-12);
  const miss = scoreFile(f, detections(1000, []), 0.5, STANDARD);
  assert.equal(miss.score, -1);
  assert.deepEqual([miss.tp, miss.fn, miss.fp, miss.tn], [0, 100, 0, 750]);
});

void test('only the best (earliest) detection in a window counts; later ones add nothing', () => {
  const f = syntheticFile(1000, [[500, 599]]);
  const one = scoreFile(f, detections(1000, [550]), 0.5, STANDARD);
  const more = scoreFile(f, detections(1000, [550, 560, 598]), 0.5, STANDARD);
  assert.equal(more.score, one.score);
  assert.equal(more.tp, 3);
  // position -(599 - 550 + 1)/100 = -0.5 → sigmoid 0.848 scaled by 1/0.98661
  assert.ok(Math.abs(one.score - scaledSigmoid(-0.5) / scaledSigmoid(-1)) < 1e-12);
});

void test('false positives: -fpWeight before any window, cheaper just after a window', () => {
  const f = syntheticFile(1000, [[500, 599]]);
  assert.ok(Math.abs(scoreFile(f, detections(1000, [300]), 0.5, STANDARD).score - (-0.11 - 1)) < 1e-12);
  const after = scoreFile(f, detections(1000, [610]), 0.5, STANDARD);
  assert.ok(Math.abs(after.score - (-1 + 0.11 * scaledSigmoid(11 / 99))) < 1e-12);
  assert.ok(after.score > -1.11);
  // Detections inside the probationary period are ignored.
  assert.equal(scoreFile(f, detections(1000, [10]), 0.5, STANDARD).score, -1);
});

void test('a window entirely inside the probationary period is not scored', () => {
  const f = syntheticFile(1000, [
    [10, 20],
    [500, 599],
  ]);
  assert.equal(scoreFile(f, detections(1000, [500]), 0.5, STANDARD).score, 1);
});

void test('the incremental sweep equals scoring every distinct threshold directly', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const files = [
    syntheticFile(900, [
      [300, 340],
      [600, 660],
    ]),
    syntheticFile(700, [[400, 450]]),
    syntheticFile(500, []),
  ];
  const scores = files.map((f) => Float64Array.from(f.times, () => Math.round(rnd() * 40) / 40));
  const sweep = sweepScores(prepareSweep(files, scores), STANDARD);
  assert.equal(sweep.length, new Set(scores.flatMap((s, k) => Array.from(s).slice(probationaryLength(files[k]!.times.length)))).size + 1);
  for (const r of sweep) {
    const direct = files.reduce((sum, f, k) => sum + scoreFile(f, scores[k]!, r.threshold, STANDARD).score, 0);
    assert.ok(Math.abs(direct - r.score) < 1e-9, `threshold ${r.threshold}: ${r.score} vs ${direct}`);
  }
  const best = optimizeThreshold(prepareSweep(files, scores), STANDARD);
  assert.equal(best.score, Math.max(...sweep.map((r) => r.score)));
});

void test('normalisation maps the null detector to 0 and the perfect one to 100', () => {
  assert.equal(normalizeScore(-116, 116, STANDARD), 0);
  assert.equal(normalizeScore(116, 116, STANDARD), 100);
  assert.equal(normalizeScore(-232, 116, { ...STANDARD, fnWeight: 2 }), 0);
});

void test('bad input is a clear error', () => {
  const f = syntheticFile(10, []);
  assert.throws(() => windowsToRows('x.csv', f.times, [['2019-01-01 00:00:00', '2019-01-01 00:05:00']]), NabDataError);
  assert.throws(() => scoreFile(f, new Float64Array(3), 0.5, STANDARD), NabDataError);
});

void test('false-positive episodes count runs of consecutive alarms outside windows', () => {
  const f = syntheticFile(1000, [[500, 599]]);
  // rows 300-304 (one storm), 320 (single), 550 (inside the window: not a false positive), 700-701
  const s = detections(1000, [300, 301, 302, 303, 304, 320, 550, 700, 701]);
  assert.deepEqual(falsePositiveEpisodes(f, s, 0.5), { rows: 8, episodes: 3 });
});
