// End-to-end check of the NAB harness on a second published detector: NAB's windowedGaussian, re-implemented
// in bench/nab/reference-detectors.ts and streamed through the Detector interface, must score the
// published scoreboard row once its scores are written with 12 significant digits as NAB's were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultNabDir, loadCorpus, scoreDetector } from '../../bench/nab/scorer.ts';
import { streamSeries } from '../../bench/nab/detectors.ts';
import { erfc, pairwiseSum, round12, WindowedGaussianReference } from '../../bench/nab/reference-detectors.ts';

// The vendored corpus (or NAB_DIR); a missing corpus fails these tests.
const NAB = defaultNabDir();

void test('erfc matches reference values to double precision', () => {
  const cases: Array<[number, number]> = [
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047266],
    [3, 2.209049699858544e-5],
    [5, 1.5374597944280349e-12],
    [-1, 1.8427007929497148],
  ];
  for (const [x, want] of cases)
    assert.ok(Math.abs(erfc(x) - want) <= 4e-16 * Math.max(1, Math.abs(want)) + Math.abs(want) * 1e-14, `erfc(${x}) = ${erfc(x)}`);
});

void test('pairwise summation sums like plain addition on exact values', () => {
  const a = Array.from({ length: 1000 }, (_, i) => i);
  assert.equal(pairwiseSum(a), 499500);
  assert.equal(pairwiseSum([1, 2, 3]), 6);
});

void test("windowed-gaussian reference reproduces NAB's published windowedGaussian row (39.65 / 20.87 / 47.41)", async () => {
  const corpus = loadCorpus(NAB);
  const published = (JSON.parse(readFileSync(join(NAB, 'results', 'final_results.json'), 'utf8')) as Record<string, Record<string, number>>)
    .windowedGaussian!;
  const scores: Float64Array[] = [];
  for (const f of corpus.files) scores.push(await streamSeries(new WindowedGaussianReference(), f));
  for (const r of scoreDetector(
    corpus,
    scores.map((s) => s.map(round12)),
  )) {
    assert.ok(Math.abs(r.normalized - published[r.profile]!) < 1e-6, `${r.profile}: ${r.normalized} vs ${published[r.profile]}`);
    assert.equal(r.threshold, 1);
  }
  // At full precision the same detector does better (its best threshold is just below 1).
  const full = scoreDetector(corpus, scores, ['standard'])[0]!;
  assert.equal(full.normalized.toFixed(2), '40.13');
});
