// Trend estimation for failure prediction: least squares from running sums, the last linear segment of a
// series (level shifts and slope changes found by penalised two-piece splits), a bounded Theil–Sen slope
// and a Hampel screen for isolated spikes. Pure; x in seconds, y in the series' unit.

/** Ordinary least squares of y on x over points whose `keep` flag is set (all when omitted). */
export interface LineFit {
  /** Value of the line at x = 0. */
  intercept: number;
  slope: number;
  /** Points used. */
  n: number;
  /** Residual sum of squares. */
  rss: number;
  /** Standard error of the slope (Infinity when it cannot be estimated). */
  slopeStdErr: number;
}

export function leastSquares(x: readonly number[], y: readonly number[], from = 0, to = x.length, keep?: readonly boolean[]): LineFit {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = from; i < to; i++) {
    if (keep && !keep[i]) continue;
    n++;
    mx += (x[i]! - mx) / n;
    my += (y[i]! - my) / n;
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = from; i < to; i++) {
    if (keep && !keep[i]) continue;
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (n === 0) return { intercept: NaN, slope: NaN, n, rss: NaN, slopeStdErr: Infinity };
  if (sxx === 0) return { intercept: my, slope: 0, n, rss: syy, slopeStdErr: Infinity };
  const slope = sxy / sxx;
  const rss = Math.max(0, syy - slope * sxy);
  const slopeStdErr = n > 2 ? Math.sqrt(rss / (n - 2) / sxx) : Infinity;
  return { intercept: my - slope * mx, slope, n, rss, slopeStdErr };
}

/**
 * Theil–Sen slope with bounded work: the median of the slopes of the pairs (i, i + g) for the gaps
 * g = ⌈m/4⌉, ⌈m/2⌉, ⌈3m/4⌉ (m usable points), about 1.5·m pairs, so O(m log m). Pairs far apart carry
 * most of the information about the slope; a fixed set of gaps keeps the result deterministic.
 */
export function theilSenSlope(x: readonly number[], y: readonly number[], from = 0, to = x.length, keep?: readonly boolean[]): number {
  const idx: number[] = [];
  for (let i = from; i < to; i++) if (!keep || keep[i]) idx.push(i);
  const m = idx.length;
  if (m < 2) return 0;
  const slopes: number[] = [];
  const gaps = new Set([Math.ceil(m / 4), Math.ceil(m / 2), Math.ceil((3 * m) / 4)].filter((g) => g >= 1 && g < m));
  for (const g of gaps) {
    for (let k = 0; k + g < m; k++) {
      const i = idx[k]!;
      const j = idx[k + g]!;
      const dx = x[j]! - x[i]!;
      if (dx !== 0) slopes.push((y[j]! - y[i]!) / dx);
    }
  }
  return median(slopes);
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Hampel screen: a point is an outlier when it is further than `k` robust deviations from the median of
 * its 2·half+1 neighbours. The deviation scale is 1.4826 × the median absolute distance from those local
 * medians over the whole series, so one spike does not hide another. Returns a keep mask.
 */
export function hampelKeep(y: readonly number[], half = 3, k = 5): boolean[] {
  const n = y.length;
  const keep = new Array<boolean>(n).fill(true);
  if (n < 2 * half + 2) return keep;
  const local = new Array<number>(n);
  const win: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, Math.min(i - half, n - 2 * half - 1));
    win.length = 0;
    for (let j = a; j < a + 2 * half + 1; j++) win.push(y[j]!);
    local[i] = median(win);
  }
  const dev = y.map((v, i) => Math.abs(v - local[i]!));
  const scale = 1.4826 * median(dev.slice());
  if (!(scale > 0)) {
    // A noise-free series: only values that differ from an otherwise constant neighbourhood are spikes.
    for (let i = 0; i < n; i++) keep[i] = dev[i]! === 0 || !isIsolated(y, local, i, half);
    return keep;
  }
  for (let i = 0; i < n; i++) keep[i] = dev[i]! <= k * scale;
  return keep;
}

function isIsolated(y: readonly number[], local: readonly number[], i: number, half: number): boolean {
  // A point whose neighbours all sit on their local medians while it does not.
  for (let j = Math.max(0, i - half); j <= Math.min(y.length - 1, i + half); j++) if (j !== i && y[j] !== local[j]) return false;
  return true;
}

/** Running sums over the kept points for O(1) least squares of any index range. */
class Prefix {
  readonly n: Float64Array;
  readonly sx: Float64Array;
  readonly sy: Float64Array;
  readonly sxx: Float64Array;
  readonly sxy: Float64Array;
  readonly syy: Float64Array;
  constructor(x: readonly number[], y: readonly number[], keep: readonly boolean[]) {
    const m = x.length + 1;
    this.n = new Float64Array(m);
    this.sx = new Float64Array(m);
    this.sy = new Float64Array(m);
    this.sxx = new Float64Array(m);
    this.sxy = new Float64Array(m);
    this.syy = new Float64Array(m);
    for (let i = 0; i < x.length; i++) {
      const w = keep[i] ? 1 : 0;
      const xi = x[i]!;
      const yi = y[i]!;
      this.n[i + 1] = this.n[i]! + w;
      this.sx[i + 1] = this.sx[i]! + w * xi;
      this.sy[i + 1] = this.sy[i]! + w * yi;
      this.sxx[i + 1] = this.sxx[i]! + w * xi * xi;
      this.sxy[i + 1] = this.sxy[i]! + w * xi * yi;
      this.syy[i + 1] = this.syy[i]! + w * yi * yi;
    }
  }
  /** Residual sum of squares of the least-squares line over [a, b), and the kept count. */
  rss(a: number, b: number): { n: number; rss: number } {
    const n = this.n[b]! - this.n[a]!;
    if (n < 1) return { n, rss: 0 };
    const sx = this.sx[b]! - this.sx[a]!;
    const sy = this.sy[b]! - this.sy[a]!;
    const sxx = this.sxx[b]! - this.sxx[a]! - (sx * sx) / n;
    const sxy = this.sxy[b]! - this.sxy[a]! - (sx * sy) / n;
    const syy = this.syy[b]! - this.syy[a]! - (sy * sy) / n;
    const rss = sxx > 0 ? syy - (sxy * sxy) / sxx : syy;
    return { n, rss: Math.max(0, rss) };
  }
}

export interface SegmentOptions {
  /** Fewest kept points on each side of a break. */
  minSegment: number;
  /** Multiplier of the BIC penalty for a break (3 extra parameters: location, level, slope). */
  penalty: number;
}

/**
 * Start index of the last linear segment. Repeatedly splits the current tail [start, n) into two
 * independent lines at the point that minimises the total squared error and keeps the split when
 * m·ln(RSS₁/RSS₂) exceeds penalty · 3 · ln m (BIC with unknown noise); the right piece becomes the new
 * tail. O(m) per split with running sums. A level shift, a change of slope and a ramp that stops are all
 * breaks; a straight noisy line is not.
 */
export function lastSegmentStart(x: readonly number[], y: readonly number[], keep: readonly boolean[], opts: SegmentOptions): number {
  // Centre x for numerical stability of the running sums.
  // Centre x and y for numerical stability of the running sums.
  const n = x.length;
  const x0 = n > 0 ? (x[0]! + x[n - 1]!) / 2 : 0;
  let y0 = 0;
  for (let i = 0; i < n; i++) y0 += y[i]! / n;
  const p = new Prefix(
    x.map((v) => v - x0),
    y.map((v) => v - y0),
    keep,
  );
  // Floor on the residual error, relative to the series' total variation: below it a fit is exact
  // (a noise-free series; rounding in the running sums is far smaller than this).
  let tss = 0;
  for (let i = 0; i < n; i++) if (keep[i]) tss += (y[i]! - y0) ** 2;
  const floor = Math.max(tss * 1e-9, Number.MIN_VALUE);
  let start = 0;
  for (;;) {
    const whole = p.rss(start, n);
    const m = whole.n;
    if (m < 2 * opts.minSegment) return start;
    let best = -1;
    let bestRss = Infinity;
    for (let s = start + 1; s < n; s++) {
      const left = p.rss(start, s);
      if (left.n < opts.minSegment) continue;
      const right = p.rss(s, n);
      if (right.n < opts.minSegment) break;
      const r = left.rss + right.rss;
      if (r < bestRss) {
        bestRss = r;
        best = s;
      }
    }
    if (best < 0) return start;
    const gain = m * Math.log(Math.max(whole.rss, floor) / Math.max(bestRss, floor));
    if (gain <= opts.penalty * 3 * Math.log(m)) return start;
    start = best;
  }
}
