import type { Detector } from "./detector.ts";
import { Ewm, Mulberry32, Ring, SortedWindow } from "./stats.ts";

export interface IForestOptions {
  /** Trees in the forest. */
  trees?: number;
  /** Points sub-sampled for each tree (ψ in the paper). */
  sampleSize?: number;
  /** Feature vectors kept for refitting (the sliding training window; 4,096 is about two weeks of 5-minute samples). */
  window?: number;
  /** Refit every this many points. */
  refitEvery?: number;
  /** Recent values whose median is the "level" a point is compared with. */
  levelWindow?: number;
  /** Seed of the PRNG that draws samples and splits. */
  seed?: number;
  /** Weight of each value in the long-run mean that the mean of the last 8 values is compared with. */
  longAlpha?: number;
}

export const IFOREST_DEFAULTS: Required<IForestOptions> = {
  trees: 50, sampleSize: 128, window: 4096, refitEvery: 128, levelWindow: 32, seed: 0x1f0e57, longAlpha: 1 / 1000,
};

/**
 * Features per point: shingle x_t, x_{t−1}; the step x_t − x_{t−1}; x_t − median of recent values; the
 * mean of the last `SHORT` values − the long-run mean (a sustained shift, which single points miss).
 */
export const IFOREST_FEATURES = 5;
const SHORT = 8;
const IQR_TO_SIGMA = 1 / 1.349;

/** c(n): the average path length of an unsuccessful BST search, Liu, Ting and Zhou (2008). */
export function cFactor(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

/** A fitted forest in flat typed arrays: per node a feature (−1 = leaf), split value, children, leaf size. */
class Forest {
  readonly feature: Int8Array;
  readonly split: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly leafSize: Int32Array;
  readonly roots: Int32Array;
  private n = 0;
  readonly cn: number;
  constructor(trees: number, readonly sampleSize: number) {
    const perTree = 2 * sampleSize; // a binary tree over ψ points has at most 2ψ − 1 nodes
    const cap = trees * perTree;
    this.feature = new Int8Array(cap);
    this.split = new Float64Array(cap);
    this.lo = new Float64Array(cap);
    this.hi = new Float64Array(cap);
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.leafSize = new Int32Array(cap);
    this.roots = new Int32Array(trees);
    this.cn = cFactor(sampleSize);
  }

  /** Refits every tree on sub-samples of `data` (rows × IFOREST_FEATURES, `rows` valid rows). */
  fit(data: Float64Array, rows: number, rand: Mulberry32, scratch: Int32Array): void {
    this.n = 0;
    const psi = Math.min(this.sampleSize, rows);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    for (let t = 0; t < this.roots.length; t++) {
      // Sample ψ distinct rows: a partial Fisher–Yates shuffle over an index array.
      for (let i = 0; i < rows; i++) scratch[i] = i;
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(rand.next() * (rows - i));
        const tmp = scratch[i]!;
        scratch[i] = scratch[j]!;
        scratch[j] = tmp;
      }
      this.roots[t] = this.build(data, scratch, 0, psi, 0, maxDepth, rand);
    }
  }

  private build(data: Float64Array, idx: Int32Array, lo: number, hi: number, depth: number, maxDepth: number, rand: Mulberry32): number {
    const node = this.n++;
    const size = hi - lo;
    this.feature[node] = -1;
    this.leafSize[node] = size;
    if (size <= 1 || depth >= maxDepth) return node;
    // Pick a feature with spread (try each once from a random start), then a uniform split inside it.
    const start = Math.floor(rand.next() * IFOREST_FEATURES);
    for (let k = 0; k < IFOREST_FEATURES; k++) {
      const f = (start + k) % IFOREST_FEATURES;
      let min = Infinity;
      let max = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = data[idx[i]! * IFOREST_FEATURES + f]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (!(max > min)) continue;
      const s = min + rand.next() * (max - min);
      // Partition idx[lo, hi) into < s and ≥ s.
      let m = lo;
      for (let i = lo; i < hi; i++) {
        if (data[idx[i]! * IFOREST_FEATURES + f]! < s) {
          const tmp = idx[i]!;
          idx[i] = idx[m]!;
          idx[m] = tmp;
          m++;
        }
      }
      if (m === lo || m === hi) continue;
      this.feature[node] = f;
      this.split[node] = s;
      this.lo[node] = min;
      this.hi[node] = max;
      this.left[node] = this.build(data, idx, lo, m, depth + 1, maxDepth, rand);
      this.right[node] = this.build(data, idx, m, hi, depth + 1, maxDepth, rand);
      return node;
    }
    return node; // every feature constant here: a leaf
  }

  /**
   * 2^(−E(h)/c(ψ)), with the c(size) correction at leaves that were cut off by the height limit. A point
   * outside a node's range [lo, hi] of its split feature would be cut off right there by a cut drawn from
   * the range widened to include it, with probability d / (hi − lo + d) (d its distance from the range);
   * the path length is the expectation over that, so a point far outside the data isolates at once
   * instead of merely following the most extreme branch (which plain iForest scores only about 0.7).
   */
  score(x: Float64Array): number {
    let total = 0;
    for (let t = 0; t < this.roots.length; t++) {
      let node = this.roots[t]!;
      let depth = 0;
      let reach = 1;
      let expected = 0;
      while (this.feature[node]! >= 0) {
        const v = x[this.feature[node]!]!;
        const lo = this.lo[node]!;
        const hi = this.hi[node]!;
        const d = v < lo ? lo - v : v > hi ? v - hi : 0;
        if (d > 0) {
          const p = d / (hi - lo + d);
          expected += reach * p * (depth + 1);
          reach *= 1 - p;
        }
        node = v < this.split[node]! ? this.left[node]! : this.right[node]!;
        depth++;
      }
      total += expected + reach * (depth + cFactor(this.leafSize[node]!));
    }
    const eh = total / this.roots.length;
    return this.cn > 0 ? Math.pow(2, -eh / this.cn) : 0;
  }
}

/**
 * Isolation Forest (Liu, Ting and Zhou 2008) over shingled recent values and derived features (the step,
 * the level relative to the recent median, the short mean relative to the long-run mean), refitted every `refitEvery` points on the last `window`
 * feature vectors. A point is scored by the forest fitted before it arrived. Memory: the window of
 * feature vectors, the forest (trees × 2ψ nodes) and a small level window, all allocated once.
 */
export class IForestDetector implements Detector {
  readonly name = "iforest";
  private readonly o: Required<IForestOptions>;
  private readonly data: Float64Array;
  private readonly scratch: Int32Array;
  private readonly forest: Forest;
  private readonly rand: Mulberry32;
  private readonly recent: Ring;
  private readonly level: SortedWindow;
  private readonly long: Ewm;
  private readonly x = new Float64Array(IFOREST_FEATURES);
  private rows = 0;
  private head = 0;
  private sinceFit = 0;
  private fitted = false;
  constructor(opts: IForestOptions = {}) {
    // Frozen: fixed for life, so a snapshot restore compares the options instead of overwriting them.
    this.o = Object.freeze({ ...IFOREST_DEFAULTS, ...opts });
    this.data = new Float64Array(this.o.window * IFOREST_FEATURES);
    this.scratch = new Int32Array(this.o.window);
    this.forest = new Forest(this.o.trees, this.o.sampleSize);
    this.rand = new Mulberry32(this.o.seed);
    this.recent = new Ring(SHORT);
    this.long = new Ewm(this.o.longAlpha);
    this.level = new SortedWindow(this.o.levelWindow);
  }
  score(_timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    this.recent.push(value);
    const r = this.recent;
    const prev1 = r.size > 1 ? r.back(1) : value;
    let shortMean = 0;
    for (let i = 0; i < r.size; i++) shortMean += r.back(i);
    shortMean /= r.size;
    const lvl = this.level.size > 0 ? this.level.median() : value;
    const x = this.x;
    x[0] = value;
    x[1] = prev1;
    x[2] = value - prev1;
    x[3] = value - lvl;
    x[4] = shortMean - (this.long.count > 0 ? this.long.mean : value);
    this.level.push(value);
    this.long.update(value);
    const s = this.fitted ? this.forest.score(x) : 0;
    this.data.set(x, this.head * IFOREST_FEATURES);
    this.head = (this.head + 1) % this.o.window;
    if (this.rows < this.o.window) this.rows++;
    if (++this.sinceFit >= this.o.refitEvery && this.rows >= Math.min(this.o.sampleSize, this.o.window)) {
      this.forest.fit(this.data, this.rows, this.rand, this.scratch);
      this.fitted = true;
      this.sinceFit = 0;
    }
    return s;
  }
  /**
   * The level window's median ± 3 robust σ (IQR / 1.349) of that window, floored as zscore's σ is so a flat
   * series still has a range; undefined until the first forest is fitted (no scores before that either).
   */
  expectedRange(_timestampMs: number): { low: number; high: number } | undefined {
    if (!this.fitted) return undefined;
    const w = this.level;
    const mid = w.median();
    const sigma = Math.max((w.quantile(0.75) - w.quantile(0.25)) * IQR_TO_SIGMA, 1e-9 + 1e-6 * Math.abs(mid));
    return { low: mid - 3 * sigma, high: mid + 3 * sigma };
  }
  retained(): number {
    return this.rows * IFOREST_FEATURES + this.level.size + this.recent.size + 3;
  }
}
