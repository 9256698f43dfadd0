// The fused incremental forward step of the shared univariate LSTM (one input, `units` cells, a dense
// head predicting the next normalised value). Mirrors tf.layers.lstm with activation tanh and
// recurrentActivation sigmoid, gate order i, f, c, o (Keras), so it gives TensorFlow.js's numbers
// (tests/models/model-equivalence.test.ts) while costing ~4·u·(u+2) multiply-adds per channel per row and no
// per-call overhead: each series carries its own (h, c) and advances one step per row.

/** Weights in TensorFlow.js layout, flattened row-major. */
export interface LstmWeights {
  units: number;
  /** [1, 4u]: input kernel (one input). */
  kernel: Float32Array;
  /** [u, 4u]: recurrent kernel. */
  recurrent: Float32Array;
  /** [4u] */
  bias: Float32Array;
  /** [u, 1] dense head. */
  denseKernel: Float32Array;
  /** [1] */
  denseBias: Float32Array;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Advances one step: reads x, updates h and c (length u, at offset `off` in `h` and `cOff` in `c`, which may
 * be one array) in place, and returns the prediction of the next input. `gates` is scratch space of length 4u.
 */
export function lstmStep(
  w: LstmWeights,
  x: number,
  h: Float32Array,
  c: Float32Array,
  off: number,
  gates: Float64Array,
  cOff = off,
): number {
  const u = w.units;
  const u4 = 4 * u;
  const k = w.kernel;
  const b = w.bias;
  const r = w.recurrent;
  for (let j = 0; j < u4; j++) gates[j] = b[j]! + x * k[j]!;
  for (let i = 0; i < u; i++) {
    const hi = h[off + i]!;
    if (hi === 0) continue;
    const row = i * u4;
    for (let j = 0; j < u4; j++) gates[j]! += hi * r[row + j]!;
  }
  let y = w.denseBias[0]!;
  const dk = w.denseKernel;
  for (let i = 0; i < u; i++) {
    const ig = sigmoid(gates[i]!);
    const fg = sigmoid(gates[u + i]!);
    const cc = Math.tanh(gates[2 * u + i]!);
    const og = sigmoid(gates[3 * u + i]!);
    const cn = fg * c[cOff + i]! + ig * cc;
    c[cOff + i] = cn;
    const hn = og * Math.tanh(cn);
    h[off + i] = hn;
    y += hn * dk[i]!;
  }
  return y;
}

/** Runs a whole sequence from zero state (for tests and calibration); returns the predictions. */
export function runSequence(w: LstmWeights, xs: ArrayLike<number>): Float64Array {
  const h = new Float32Array(w.units);
  const c = new Float32Array(w.units);
  const gates = new Float64Array(4 * w.units);
  const out = new Float64Array(xs.length);
  for (let t = 0; t < xs.length; t++) out[t] = lstmStep(w, xs[t]!, h, c, 0, gates);
  return out;
}
