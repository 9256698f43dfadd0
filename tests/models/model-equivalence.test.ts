// The fused incremental step (models/lstm/cell.ts) must give TensorFlow.js's numbers: on random
// weights and inputs, and on the shipped model's weights, to 1e-5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../models/backend.ts';
import { fastSigmoid, fastTanh, LstmCell, runSequence } from '../../models/lstm/cell.ts';
import { buildModel, loadSequenceModel, loadTfModel, saveModel, type ModelMeta } from '../../models/lstm/model.ts';
import { DEFAULT_MODEL_DIR } from '../../models/lstm/index.ts';
import { mulberry32 as rng } from '../../lib/prng.ts';

function randomInputs(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * 8);
}

async function tfPredictions(dir: string, xs: Float32Array): Promise<Float32Array> {
  const { tf } = await selectBackend(() => {});
  const { model } = await loadTfModel(tf, dir);
  const out = tf.tidy(() => model.predict(tf.tensor3d(xs, [1, xs.length, 1])) as import('@tensorflow/tfjs').Tensor);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return data;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

void test('fused step equals TensorFlow.js on random weights and inputs', async () => {
  const { tf } = await selectBackend(() => {});
  const dir = mkdtempSync(join(tmpdir(), 'equiv-'));
  try {
    const model = buildModel(tf, 8, 123);
    // random non-trivial weights, including a non-zero bias
    const r = rng(5);
    model.setWeights(
      model.getWeights().map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () => (r() - 0.5) * 1.5),
          w.shape,
        ),
      ),
    );
    const meta = { units: 8, calibration: { error_mean: 0.1, error_std: 0.2 } } as unknown as ModelMeta;
    await saveModel(tf, model, dir, meta);
    const xs = randomInputs(300, 9);
    const want = await tfPredictions(dir, xs);
    const got = runSequence(loadSequenceModel(dir).weights, xs);
    assert.equal(got.length, want.length);
    assert.ok(maxDiff(got, want) < 1e-5, `max difference ${maxDiff(got, want)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('fused step equals TensorFlow.js on the shipped model, stepping with carried state', async () => {
  const xs = randomInputs(500, 11);
  const want = await tfPredictions(DEFAULT_MODEL_DIR, xs);
  const w = loadSequenceModel(DEFAULT_MODEL_DIR).weights;
  // two interleaved series with their own (h, c) at different offsets, one step per row
  const cell = new LstmCell(w);
  const h = new Float32Array(2 * w.units);
  const c = new Float32Array(2 * w.units);
  const got = new Float64Array(xs.length);
  for (let t = 0; t < xs.length; t++) {
    got[t] = cell.step(xs[t]!, h, c, w.units);
    cell.step(-xs[t]!, h, c, 0); // another series must not disturb this one
  }
  assert.ok(maxDiff(got, want) < 1e-5, `max difference ${maxDiff(got, want)}`);
});

void test('the activations are within float32 rounding of Math.tanh and the logistic function, saturating at ±1 and 0/1', () => {
  let worstTanh = 0;
  let worstSigmoid = 0;
  for (let i = 0; i <= 400_000; i++) {
    const x = -40 + i * 2e-4; // every 0.0002 over [-40, 40], both clamps and the origin included
    worstTanh = Math.max(worstTanh, Math.abs(fastTanh(x) - Math.tanh(x)));
    worstSigmoid = Math.max(worstSigmoid, Math.abs(fastSigmoid(x) - 1 / (1 + Math.exp(-x))));
  }
  assert.ok(worstTanh < 3e-7, `tanh off by ${worstTanh}`);
  assert.ok(worstSigmoid < 2e-7, `sigmoid off by ${worstSigmoid}`);
  assert.equal(fastTanh(0), 0);
  assert.equal(fastSigmoid(0), 0.5);
  assert.ok(fastTanh(1e6) <= 1 && fastTanh(-1e6) >= -1 && fastSigmoid(-1e6) >= 0 && fastSigmoid(1e6) <= 1);
  assert.ok(Number.isNaN(fastTanh(NaN)));
});

void test("a series' first step is the zero state's step, copied; from any other state it is computed", () => {
  const w = loadSequenceModel(DEFAULT_MODEL_DIR).weights;
  const u = w.units;
  const cell = new LstmCell(w);
  const h = new Float32Array(3 * u);
  const c = new Float32Array(3 * u);
  const y = cell.step(0, h, c, u, 2 * u); // computed from zeros, at one offset
  const hs = new Float32Array(u);
  const cs = new Float32Array(u);
  assert.equal(cell.start(hs, cs, 0), y);
  assert.deepEqual(hs, h.subarray(u, 2 * u));
  assert.deepEqual(cs, c.subarray(2 * u, 3 * u));
  // not from zero: start is an ordinary step with input 0
  const h2 = Float32Array.from(hs);
  const c2 = Float32Array.from(cs);
  const want = cell.step(0, h2, c2, 0);
  assert.equal(cell.start(hs, cs, 0), want);
  assert.deepEqual(hs, h2);
  assert.notEqual(want, y);
});
