// The fused incremental forward step of the shared univariate LSTM (one input, `units` cells, a dense
// head predicting the next normalised value). Mirrors tf.layers.lstm with activation tanh and
// recurrentActivation sigmoid, gate order i, f, c, o (Keras), so it gives TensorFlow.js's numbers to
// float32 precision (tests/models/model-equivalence.test.ts) while costing ~4·u·(u+2) multiply-adds per
// channel per row and no per-call overhead: each series carries its own (h, c) and advances one step per row.
// This is the agent's hottest loop (seven channels a row): the weights are kept as float64 with the
// recurrent kernel transposed, so each gate is one dot product summed in a register, and the activations
// are a rational approximation instead of Math.tanh/Math.exp (11 and 10 ns a call here, 80 calls a step).

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

// tanh as a [13/6] rational function clamped at ±7.9053 (Eigen's float tanh): at most 2.6e-7 from Math.tanh
// anywhere, which is the float32 rounding the state is stored with, at a third of Math.tanh's cost.
const T_CLAMP = 7.90531110763549805;
const A1 = 4.89352455891786e-3;
const A3 = 6.37261928875436e-4;
const A5 = 1.48572235717979e-5;
const A7 = 5.12229709037114e-8;
const A9 = -8.60467152213735e-11;
const A11 = 2.00018790482477e-13;
const A13 = -2.76076847742355e-16;
const B0 = 4.89352518554385e-3;
const B2 = 2.268434632439e-3;
const B4 = 1.18534705686654e-4;
const B6 = 1.19825839466702e-6;

/**
 * a[i] = tanh(a[i]) for i in [from, to), to float32 precision (see above). A loop over an array, not a
 * function per value: a double returned from a call that V8 does not inline is boxed, and at 80 calls a step
 * that was 1.8 KB of garbage per step (measured with the sampling heap profiler).
 */
export function tanhInPlace(a: Float64Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const x = a[i]!;
    const v = x > T_CLAMP ? T_CLAMP : x < -T_CLAMP ? -T_CLAMP : x;
    const x2 = v * v;
    const p = v * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))));
    a[i] = p / (B0 + x2 * (B2 + x2 * (B4 + x2 * B6)));
  }
}

const one = new Float64Array(1);

/** tanh of one value as the step computes it (for tests and references; the step uses tanhInPlace). */
export function fastTanh(x: number): number {
  one[0] = x;
  tanhInPlace(one, 0, 1);
  return one[0];
}

/** The logistic sigmoid as the step computes it: σ(x) = (1 + tanh(x/2)) / 2. */
export function fastSigmoid(x: number): number {
  return 0.5 + 0.5 * fastTanh(0.5 * x);
}

/** One model's weights prepared for stepping; holds its own scratch space (one cell per detector). */
export class LstmCell {
  readonly units: number;
  private readonly kernel: Float64Array;
  private readonly bias: Float64Array;
  /** [4u, u]: row j holds the recurrent weights into gate j. */
  private readonly recurrentT: Float64Array;
  private readonly denseKernel: Float64Array;
  private readonly denseBias: number;
  private readonly gates: Float64Array;
  /** The series' h before the step, as float64 (read 4u times a step). */
  private readonly h0: Float64Array;
  /** The new c, whose tanh makes the new h. */
  private readonly cNew: Float64Array;
  /** The step from the zero state with input 0 (every series' first, see start): h, c and the prediction. */
  private readonly h1: Float32Array;
  private readonly c1: Float32Array;
  private readonly y1: number;

  constructor(w: LstmWeights) {
    const u = w.units;
    const u4 = 4 * u;
    this.units = u;
    this.kernel = Float64Array.from(w.kernel);
    this.bias = Float64Array.from(w.bias);
    this.recurrentT = new Float64Array(u4 * u);
    for (let i = 0; i < u; i++) for (let j = 0; j < u4; j++) this.recurrentT[j * u + i] = w.recurrent[i * u4 + j]!;
    this.denseKernel = Float64Array.from(w.denseKernel);
    this.denseBias = w.denseBias[0]!;
    this.gates = new Float64Array(u4);
    this.h0 = new Float64Array(u);
    this.cNew = new Float64Array(u);
    this.h1 = new Float32Array(u);
    this.c1 = new Float32Array(u);
    this.y1 = this.step(0, this.h1, this.c1, 0);
  }

  /**
   * step(0, …) from the zero state, which every series takes first: the same numbers, copied. Where pods
   * are new every few rows (churn, a first scrape of a big cluster) that is a third of all steps.
   */
  start(h: Float32Array, c: Float32Array, off: number, cOff = off): number {
    const u = this.units;
    for (let i = 0; i < u; i++) if (h[off + i] !== 0 || c[cOff + i] !== 0) return this.step(0, h, c, off, cOff);
    h.set(this.h1, off);
    c.set(this.c1, cOff);
    return this.y1;
  }

  /**
   * Advances one step: reads x, updates h and c (length u, at offset `off` in `h` and `cOff` in `c`, which may
   * be one array) in place, and returns the prediction of the next input.
   */
  step(x: number, h: Float32Array, c: Float32Array, off: number, cOff = off): number {
    const u = this.units;
    const u4 = 4 * u;
    const h0 = this.h0;
    const rT = this.recurrentT;
    const k = this.kernel;
    const b = this.bias;
    const gates = this.gates;
    for (let i = 0; i < u; i++) h0[i] = h[off + i]!;
    // gate pre-activations; the sigmoid gates (i, f, o) halved, as σ(x) = (1 + tanh(x/2)) / 2
    for (let j = 0; j < u4; j++) {
      let acc = b[j]! + x * k[j]!;
      const row = j * u;
      for (let i = 0; i < u; i++) acc += h0[i]! * rT[row + i]!;
      gates[j] = j >= 2 * u && j < 3 * u ? acc : 0.5 * acc;
    }
    tanhInPlace(gates, 0, u4);
    const cNew = this.cNew;
    for (let i = 0; i < u; i++) {
      const ig = 0.5 + 0.5 * gates[i]!;
      const fg = 0.5 + 0.5 * gates[u + i]!;
      const cn = fg * c[cOff + i]! + ig * gates[2 * u + i]!;
      c[cOff + i] = cn;
      cNew[i] = cn;
    }
    tanhInPlace(cNew, 0, u);
    let y = this.denseBias;
    const dk = this.denseKernel;
    for (let i = 0; i < u; i++) {
      const hn = (0.5 + 0.5 * gates[3 * u + i]!) * cNew[i]!;
      h[off + i] = hn;
      y += hn * dk[i]!;
    }
    return y;
  }
}

/** Runs a whole sequence from zero state (for tests and calibration); returns the predictions. */
export function runSequence(w: LstmWeights, xs: ArrayLike<number>): Float64Array {
  const cell = new LstmCell(w);
  const h = new Float32Array(w.units);
  const c = new Float32Array(w.units);
  const out = new Float64Array(xs.length);
  for (let t = 0; t < xs.length; t++) out[t] = cell.step(xs[t]!, h, c, 0);
  return out;
}
