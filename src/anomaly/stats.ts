/**
 * Small numeric building blocks shared by the online detectors: the normal tail, a seeded PRNG, a
 * fixed-capacity ring buffer and a sorted sliding window. Pure, no I/O, allocation only at construction.
 */

/** erfc(x) for x ≥ 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
function erfcPos(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const y = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return y;
}

/** Upper tail of the standard normal, Q(z) = P(Z > z). */
export function normalTail(z: number): number {
  if (Number.isNaN(z)) return 0.5;
  return z >= 0 ? 0.5 * erfcPos(z / Math.SQRT2) : 1 - 0.5 * erfcPos(-z / Math.SQRT2);
}

/** ln P(|Z| > |z|), accurate far into the tail (no underflow to −∞ before |z| ≈ 1e150). */
export function logTwoSidedTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  // ln erfc(x) from the same fit as erfcPos, without taking exp.
  return Math.log(t) - x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
}

/** How strongly a tail probability p is compressed: score = 1 − p^γ; γ = 0.1 puts p = 1e−3 at 0.5 and p = 1e−10 at 0.9. */
export const TAIL_GAMMA = 0.1;

/**
 * Two-sided tail score of a z value: 1 − p^γ where p = P(|Z| > |z|). Monotone in |z|, 0 at z = 0, and it
 * keeps distinct values far into the tail (a plain 1 − p rounds to exactly 1 beyond |z| ≈ 8, which would
 * leave a corpus-wide threshold nothing to choose between).
 */
export function twoSidedScore(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 0 : 1;
  return clamp01(1 - Math.exp(TAIL_GAMMA * logTwoSidedTail(z)));
}

export function clamp01(x: number): number {
  return x > 1 ? 1 : x > 0 ? x : 0;
}

/**
 * Mulberry32: a tiny seeded PRNG, uniform in [0, 1). Deterministic for a given seed. A class rather than a
 * closure so that its one number of state is a plain field a detector snapshot can save and restore.
 */
export class Mulberry32 {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The same generator as a function, for callers that hold no state of their own (tests, fixtures). */
export function mulberry32(seed: number): () => number {
  const r = new Mulberry32(seed);
  return () => r.next();
}

/** A fixed-capacity ring of numbers; push overwrites the oldest once full. */
export class Ring {
  readonly buf: Float64Array;
  private head = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.buf = new Float64Array(capacity);
  }
  /** Adds x; returns the value it displaced, or undefined when the ring was not full. */
  push(x: number): number | undefined {
    const old = this.size === this.capacity ? this.buf[this.head] : undefined;
    this.buf[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    return old;
  }
  /** The i-th most recent value (0 = newest). */
  back(i: number): number {
    return this.buf[(this.head - 1 - i + this.capacity * 2) % this.capacity]!;
  }
  /** The i-th oldest value (0 = oldest retained). */
  at(i: number): number {
    const start = this.size === this.capacity ? this.head : 0;
    return this.buf[(start + i) % this.capacity]!;
  }
}

/**
 * The last `capacity` values kept both in arrival order and sorted, so median and quantiles are O(1)
 * reads and an update is a binary search plus an O(capacity) shift of a small typed array.
 */
export class SortedWindow {
  private readonly ring: Ring;
  private readonly sorted: Float64Array;
  constructor(readonly capacity: number) {
    this.ring = new Ring(capacity);
    this.sorted = new Float64Array(capacity);
  }
  get size(): number {
    return this.ring.size;
  }
  push(x: number): void {
    const n = this.ring.size;
    const old = this.ring.push(x);
    const s = this.sorted;
    let len = n;
    if (old !== undefined) {
      // Remove the displaced value.
      const i = lowerBound(s, len, old);
      s.copyWithin(i, i + 1, len);
      len--;
    }
    const j = lowerBound(s, len, x);
    s.copyWithin(j + 1, j, len);
    s[j] = x;
  }
  /** Linear-interpolated quantile, q in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    const n = this.ring.size;
    if (n === 0) return NaN;
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const f = pos - lo;
    return this.sorted[lo]! * (1 - f) + this.sorted[hi]! * f;
  }
  median(): number {
    return this.quantile(0.5);
  }
  newest(i = 0): number {
    return this.ring.back(i);
  }
}

function lowerBound(a: Float64Array, len: number, x: number): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Exponentially weighted mean and variance (West's incremental form). */
export class Ewm {
  mean = 0;
  variance = 0;
  count = 0;
  constructor(readonly alpha: number) {}
  update(x: number): void {
    if (this.count === 0) {
      this.mean = x;
      this.variance = 0;
    } else {
      // A warm-up that averages exactly until 1/alpha points, then decays.
      const a = Math.max(this.alpha, 1 / (this.count + 1));
      const d = x - this.mean;
      this.mean += a * d;
      this.variance = (1 - a) * (this.variance + a * d * d);
    }
    this.count++;
  }
  get std(): number {
    return Math.sqrt(this.variance);
  }
}
