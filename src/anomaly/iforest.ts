import type { Detector } from "./detector.ts";
import { Ewm, Mulberry32, Ring, SortedWindow } from "./stats.ts";

export interface IForestOptions {
  /** Trees in the forest. */
  trees?: number;
  /** Points sub-sampled for each tree (ψ in the paper, whose default 256 this is). */
  sampleSize?: number;
  /** Feature vectors kept for refitting (the sliding training window; 4,096 is about two weeks of 5-minute samples). */
  window?: number;
  /**
   * Every this many points the oldest tree is replaced by one fitted on the current window, so each tree
   * lives `trees` × this points (256 by default) and the forest follows the data without refitting at once.
   */
  replaceEvery?: number;
  /** Recent values whose median is the "level" a point is compared with. */
  levelWindow?: number;
  /** Seed of the PRNG that draws samples and splits. */
  seed?: number;
  /** Weight of each value in the long-run mean that the mean of the last 8 values is compared with. */
  longAlpha?: number;
}

export const IFOREST_DEFAULTS: Required<IForestOptions> = {
  trees: 32, sampleSize: 256, window: 4096, replaceEvery: 8, levelWindow: 32, seed: 0x1f0e57, longAlpha: 1 / 1000,
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

/** Per node in `Forest.nodes`: the split value (at a leaf, the expected depth still to go), the split feature's range, and `META`. */
const NODE = 4;
const SPLIT = 0;
const LO = 1;
const HI = 2;
/** −1 at a leaf; otherwise right child × 8 + feature (the left child is always the next node). */
const META = 3;

/**
 * A forest in one flat array, `NODE` numbers per node, each tree in its own slot of 2ψ nodes so one tree can be
 * replaced without touching the others. A node's numbers share a cache line and its left child follows it.
 */
class Forest {
  readonly nodes: Float64Array;
  readonly roots: Int32Array;
  private n = 0;
  readonly cn: number;
  // Working memory of fit, not learned state: private fields stay out of a snapshot (it walks own keys).
  /** The identity permutation of the window's rows; a sample's swaps are undone after each tree. */
  #rows: Int32Array;
  /** Where the sampling swapped each position with, to undo it. */
  #swapped: Int32Array;
  /** The sample's feature values, one column of ψ per feature, so a split scans a few kB instead of the window. */
  #cols: Float64Array;
  /** Positions in the sample, partitioned in place as the tree is built. */
  #order: Int32Array;
  /** The ≥ side of a partition, before it is copied back after the < side. */
  #upper: Int32Array;
  /** c(n) for n = 0…ψ, so building a tree takes no logarithms. */
  #leafDepths: Float64Array;
  constructor(trees: number, readonly sampleSize: number, window: number) {
    if (IFOREST_FEATURES > 8) throw new Error("META packs the feature into 3 bits");
    this.nodes = new Float64Array(trees * 2 * sampleSize * NODE); // a binary tree over ψ points has at most 2ψ − 1 nodes
    this.roots = new Int32Array(trees);
    this.cn = cFactor(sampleSize);
    this.#rows = new Int32Array(window);
    for (let i = 0; i < window; i++) this.#rows[i] = i;
    this.#swapped = new Int32Array(sampleSize);
    this.#cols = new Float64Array(sampleSize * IFOREST_FEATURES);
    this.#order = new Int32Array(sampleSize);
    this.#upper = new Int32Array(sampleSize);
    this.#leafDepths = Float64Array.from({ length: sampleSize + 1 }, (_, n) => cFactor(n));
  }

  /** Fits every tree on sub-samples of `data` (rows × IFOREST_FEATURES, `rows` valid rows). */
  fit(data: Float64Array, rows: number, rand: Mulberry32): void {
    for (let t = 0; t < this.roots.length; t++) this.fitTree(t, data, rows, rand);
  }

  /** Replaces tree `t` by one fitted on a fresh sub-sample of `data`. */
  fitTree(t: number, data: Float64Array, rows: number, rand: Mulberry32): void {
    this.n = t * 2 * this.sampleSize;
    const psi = Math.min(this.sampleSize, rows);
    const perm = this.#rows;
    const swapped = this.#swapped;
    const cols = this.#cols;
    const order = this.#order;
    // Sample ψ distinct rows: a partial Fisher–Yates shuffle of the identity, undone below in O(ψ).
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(rand.next() * (rows - i));
      swapped[i] = j;
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
    }
    for (let k = 0; k < psi; k++) {
      const base = perm[k]! * IFOREST_FEATURES;
      for (let f = 0; f < IFOREST_FEATURES; f++) cols[f * psi + k] = data[base + f]!;
      order[k] = k;
    }
    for (let i = psi - 1; i >= 0; i--) {
      const j = swapped[i]!;
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
    }
    this.roots[t] = this.build(psi, 0, psi, 0, Math.ceil(Math.log2(Math.max(psi, 2))), rand);
  }

  private build(psi: number, lo: number, hi: number, depth: number, maxDepth: number, rand: Mulberry32): number {
    const node = this.n++;
    const at = node * NODE;
    const nodes = this.nodes;
    const size = hi - lo;
    nodes[at + SPLIT] = this.#leafDepths[size]!;
    nodes[at + META] = -1;
    if (size <= 1 || depth >= maxDepth) return node;
    const cols = this.#cols;
    const order = this.#order;
    const upper = this.#upper;
    // Pick a feature with spread (try each once from a random start), then a uniform split inside it.
    const start = Math.floor(rand.next() * IFOREST_FEATURES);
    for (let k = 0; k < IFOREST_FEATURES; k++) {
      const f = (start + k) % IFOREST_FEATURES;
      const col = f * psi;
      let min = Infinity;
      let max = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = cols[col + order[i]!]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (!(max > min)) continue;
      const s = min + rand.next() * (max - min);
      // Partition order[lo, hi) into < s and ≥ s, stably and without a branch on the (unpredictable)
      // comparison: each position is written to both sides and only the matching side's cursor moves.
      // Only the two sets matter to the tree, not their order.
      let m = lo;
      let r = 0;
      for (let i = lo; i < hi; i++) {
        const p = order[i]!;
        const below = +(cols[col + p]! < s);
        order[m] = p;
        upper[r] = p;
        m += below;
        r += 1 - below;
      }
      for (let i = 0; i < r; i++) order[m + i] = upper[i]!;
      if (m === lo || m === hi) continue;
      nodes[at + SPLIT] = s;
      nodes[at + LO] = min;
      nodes[at + HI] = max;
      this.build(psi, lo, m, depth + 1, maxDepth, rand);
      const right = this.build(psi, m, hi, depth + 1, maxDepth, rand);
      nodes[at + META] = right * 8 + f;
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
    const nodes = this.nodes;
    const roots = this.roots;
    let total = 0;
    for (let t = 0; t < roots.length; t++) {
      let at = roots[t]! * NODE;
      let depth = 0;
      let reach = 1;
      let expected = 0;
      for (let meta = nodes[at + META]!; meta >= 0; meta = nodes[at + META]!) {
        const v = x[meta & 7]!;
        const lo = nodes[at + LO]!;
        const hi = nodes[at + HI]!;
        const d = v < lo ? lo - v : v > hi ? v - hi : 0;
        if (d > 0) {
          const p = d / (hi - lo + d);
          expected += reach * p * (depth + 1);
          reach *= 1 - p;
        }
        at = v < nodes[at + SPLIT]! ? at + NODE : (meta >> 3) * NODE;
        depth++;
      }
      total += expected + reach * (depth + nodes[at + SPLIT]!);
    }
    const eh = total / roots.length;
    return this.cn > 0 ? Math.pow(2, -eh / this.cn) : 0;
  }
}

/**
 * Isolation Forest (Liu, Ting and Zhou 2008) over shingled recent values and derived features (the step,
 * the level relative to the recent median, the short mean relative to the long-run mean), fitted on the
 * last `window` feature vectors: all trees once the first ψ points are in, then the oldest tree replaced
 * every `replaceEvery` points. A point is scored by the forest as it was before the point arrived. Memory:
 * the window of feature vectors, the forest (trees × 2ψ nodes) and a small level window, all allocated once.
 */
export class IForestDetector implements Detector {
  readonly name = "iforest";
  private readonly o: Required<IForestOptions>;
  private readonly data: Float64Array;
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
  /** The tree to replace next: the oldest. */
  private nextTree = 0;
  constructor(opts: IForestOptions = {}) {
    // Frozen: fixed for life, so a snapshot restore compares the options instead of overwriting them.
    this.o = Object.freeze({ ...IFOREST_DEFAULTS, ...opts });
    this.data = new Float64Array(this.o.window * IFOREST_FEATURES);
    this.forest = new Forest(this.o.trees, this.o.sampleSize, this.o.window);
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
    this.sinceFit++;
    if (!this.fitted) {
      if (this.rows >= Math.min(this.o.sampleSize, this.o.window)) {
        this.forest.fit(this.data, this.rows, this.rand);
        this.fitted = true;
        this.sinceFit = 0;
      }
    } else if (this.sinceFit >= this.o.replaceEvery) {
      this.forest.fitTree(this.nextTree, this.data, this.rows, this.rand);
      this.nextTree = (this.nextTree + 1) % this.o.trees;
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
