// Isolation Forest baseline on the current row's features, as KubeWise- and pysad-style tools run it:
// collect the first `warmup` observations (of all series), fit once, then score each row by how quickly
// random splits isolate it (counting a value beyond a node's range as cut off by a split over the
// widened range, so far-out values score high instead of like the training extremes). The raw score 2^(-E[h]/c(n)) is scaled by its 99.5th percentile over the warm-up
// rows, so "more isolated than all but 1 in 200 warm-up rows" maps to probability 0.7.
import type { Detector, Observation, Verdict } from '../detector-api.ts';
import { mulberry32 } from '../../lib/prng.ts';
import { SinceTracker, toProbability, topContributors } from './common.ts';

export interface IsolationForestOptions {
  features: readonly string[];
  threshold: number;
  /** Observations collected before fitting (default 512). */
  warmup?: number;
  trees?: number;
  /** Sub-sample per tree (default 256). */
  sampleSize?: number;
  seed?: number;
}

/** One tree as parallel arrays; feature -1 marks a leaf, whose `split` holds its size. */
interface Tree {
  feature: number[];
  split: number[];
  /** Range of the split feature among the node's training rows. */
  lo: number[];
  hi: number[];
  left: number[];
  right: number[];
}

interface Fitted {
  trees: Tree[];
  sampleSize: number;
  /** Per-feature training median and robust scale, for NaN filling and contributing metrics. */
  median: number[];
  scale: number[];
  /** The alert point: a high quantile of the training scores. */
  alertAt: number;
}

const EULER = 0.5772156649;
/** Training-score quantile that maps to probability 0.7 (about 1 normal row in 200 reaches it). */
const ALERT_QUANTILE = 0.995;
/** Average path length of an unsuccessful BST search among n points. */
function cFactor(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

export class IsolationForestDetector implements Detector {
  readonly name = 'isolation-forest';
  readonly features: readonly string[];
  private readonly threshold: number;
  private readonly warmup: number;
  private readonly nTrees: number;
  private readonly sampleSize: number;
  private readonly seed: number;
  private training: number[][] = [];
  private model: Fitted | null = null;
  private readonly since = new SinceTracker();
  private readonly row: Float64Array;
  private readonly expected: Float64Array;
  private readonly deviation: Float64Array;

  constructor(opts: IsolationForestOptions) {
    this.features = opts.features;
    this.threshold = opts.threshold;
    this.warmup = opts.warmup ?? 512;
    this.nTrees = opts.trees ?? 100;
    this.sampleSize = opts.sampleSize ?? 256;
    this.seed = opts.seed ?? 42;
    this.row = new Float64Array(this.features.length);
    this.expected = new Float64Array(this.features.length);
    this.deviation = new Float64Array(this.features.length);
  }

  observe(obs: Observation): Verdict {
    if (!this.model) {
      this.training.push(Array.from(obs.values, (v) => (Number.isFinite(v) ? v : NaN)));
      if (this.training.length >= this.warmup) this.fit();
      return this.since.verdict(obs.key, obs.time, 0, this.threshold, []);
    }
    const m = this.model;
    for (let i = 0; i < this.row.length; i++) {
      const v = obs.values[i]!;
      this.row[i] = Number.isFinite(v) ? v : m.median[i]!;
      this.expected[i] = m.median[i]!;
      this.deviation[i] = Number.isFinite(v) ? (v - m.median[i]!) / m.scale[i]! : NaN;
    }
    const s = this.score(this.row);
    const p = toProbability(s, m.alertAt);
    return this.since.verdict(
      obs.key,
      obs.time,
      p,
      this.threshold,
      topContributors(this.features, obs.values, this.expected, this.deviation),
    );
  }

  forget(key: string): void {
    this.since.forget(key);
  }

  snapshot(): unknown {
    return {
      training: this.model ? [] : this.training.map((r) => r.map((v) => (Number.isFinite(v) ? v : null))),
      model: this.model,
      since: this.since.snapshot(),
    };
  }

  restore(state: unknown): void {
    const st = state as { training?: Array<Array<number | null>>; model?: Fitted | null; since?: unknown };
    this.training = (st.training ?? []).map((r) => r.map((v) => (v === null ? NaN : v)));
    this.model = st.model ?? null;
    this.since.restore(st.since);
  }

  private fit(): void {
    const data = this.training;
    const f = this.features.length;
    const median: number[] = [];
    const scale: number[] = [];
    for (let i = 0; i < f; i++) {
      const col = data
        .map((r) => r[i]!)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      const med = col.length ? col[col.length >> 1]! : 0;
      const dev = col.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
      median.push(med);
      scale.push(1.4826 * (dev.length ? dev[dev.length >> 1]! : 0) + Math.max(1e-3, 0.01 * Math.abs(med)));
    }
    const rows = data.map((r) => Float64Array.from(r, (v, i) => (Number.isFinite(v) ? v : median[i]!)));
    const rand = mulberry32(this.seed);
    const psi = Math.min(this.sampleSize, rows.length);
    const maxDepth = Math.ceil(Math.log2(Math.max(2, psi)));
    const trees: Tree[] = [];
    for (let t = 0; t < this.nTrees; t++) {
      const sample: Float64Array[] = [];
      for (let k = 0; k < psi; k++) sample.push(rows[Math.floor(rand() * rows.length)]!);
      const tree: Tree = { feature: [], split: [], lo: [], hi: [], left: [], right: [] };
      grow(tree, sample, 0, maxDepth, rand, f);
      trees.push(tree);
    }
    this.model = { trees, sampleSize: psi, median, scale, alertAt: 0 };
    const scores = rows.map((r) => this.score(r)).sort((a, b) => a - b);
    this.model.alertAt = Math.max(scores[Math.min(scores.length - 1, Math.floor(scores.length * ALERT_QUANTILE))]!, 0.5);
    this.training = [];
  }

  private score(x: Float64Array): number {
    const m = this.model!;
    let total = 0;
    for (const tree of m.trees) {
      let node = 0;
      let depth = 0;
      let weight = 1;
      let path = 0;
      while (tree.feature[node]! >= 0) {
        // A value outside the node's range would be cut off by a split drawn over the range that
        // includes it with probability outside/(range+outside): the expected path ends here that often.
        // Without this, a value far beyond the training range scores like the most extreme training row.
        const v = x[tree.feature[node]!]!;
        const lo = tree.lo[node]!;
        const hi = tree.hi[node]!;
        const outside = v < lo ? lo - v : v > hi ? v - hi : 0;
        if (outside > 0) {
          const q = outside / (hi - lo + outside);
          path += weight * q * (depth + 1);
          weight *= 1 - q;
        }
        node = v < tree.split[node]! ? tree.left[node]! : tree.right[node]!;
        depth++;
      }
      total += path + weight * (depth + cFactor(tree.split[node]!));
    }
    return Math.pow(2, -total / m.trees.length / cFactor(m.sampleSize));
  }
}

/** Grows a node; returns its index. */
function grow(tree: Tree, rows: Float64Array[], depth: number, maxDepth: number, rand: () => number, f: number): number {
  const id = tree.feature.length;
  tree.feature.push(-1);
  tree.split.push(rows.length);
  tree.lo.push(0);
  tree.hi.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  if (depth >= maxDepth || rows.length <= 1) return id;
  // Pick a random feature that still varies among these rows.
  const start = Math.floor(rand() * f);
  for (let k = 0; k < f; k++) {
    const i = (start + k) % f;
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      const v = r[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) continue;
    const split = lo + rand() * (hi - lo);
    const left = rows.filter((r) => r[i]! < split);
    const right = rows.filter((r) => r[i]! >= split);
    tree.feature[id] = i;
    tree.split[id] = split;
    tree.lo[id] = lo;
    tree.hi[id] = hi;
    tree.left[id] = grow(tree, left, depth + 1, maxDepth, rand, f);
    tree.right[id] = grow(tree, right, depth + 1, maxDepth, rand, f);
    return id;
  }
  return id;
}
