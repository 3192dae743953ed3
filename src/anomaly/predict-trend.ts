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
 * Hampel-style spike screen: a point is a spike when it is further than `k` robust deviations from both
 * the median of the `half` points before it and the median of the `half` points after it (a point at the
 * edge of a level shift agrees with one side and stays). The deviation scale is 1.4826 × the median
 * distance from the preceding median over the series (≈ 1.2 σ for Gaussian noise). With k = 6 a Gaussian
 * sample is practically never flagged, so a clean series keeps every point and fits exactly like least
 * squares. Returns a keep mask.
 */
export function hampelKeep(y: readonly number[], half = 3, k = 6): boolean[] {
  const n = y.length;
  const keep = new Array<boolean>(n).fill(true);
  if (n < 2 * half + 2) return keep;
  const dev = new Array<number>(n);
  const back: number[] = [];
  const win: number[] = [];
  const sideMedian = (a: number, b: number): number => {
    win.length = 0;
    for (let j = Math.max(0, a); j < Math.min(n, b); j++) win.push(y[j]!);
    return win.length > 0 ? median(win) : NaN;
  };
  for (let i = 0; i < n; i++) {
    const l = Math.abs(y[i]! - sideMedian(i - half, i));
    const r = Math.abs(y[i]! - sideMedian(i + 1, i + 1 + half));
    dev[i] = Number.isNaN(l) ? r : Number.isNaN(r) ? l : Math.min(l, r);
    if (!Number.isNaN(l)) back.push(l);
  }
  const scale = 1.4826 * median(back);
  // Noise-free series (scale 0): anything off both neighbourhoods is a spike.
  for (let i = 0; i < n; i++) keep[i] = scale > 0 ? dev[i]! <= k * scale : dev[i]! === 0;
  return keep;
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

/**
 * Residual sum of squares of the continuous broken line y = a + b·x + c·max(0, x − xk) over [a, b), with
 * the kink at xk (a change of slope without a jump). Uses the running sums of p; O(1).
 */
function hingeRss(p: Prefix, a: number, k: number, b: number, xk: number): number {
  const n = p.n[b]! - p.n[a]!;
  const sx = p.sx[b]! - p.sx[a]!;
  const sy = p.sy[b]! - p.sy[a]!;
  const sxx = p.sxx[b]! - p.sxx[a]!;
  const sxy = p.sxy[b]! - p.sxy[a]!;
  const syy = p.syy[b]! - p.syy[a]!;
  // The hinge regressor h = x − xk on [k, b), 0 before.
  const nR = p.n[b]! - p.n[k]!;
  const sxR = p.sx[b]! - p.sx[k]!;
  const syR = p.sy[b]! - p.sy[k]!;
  const sxxR = p.sxx[b]! - p.sxx[k]!;
  const sxyR = p.sxy[b]! - p.sxy[k]!;
  const sh = sxR - xk * nR;
  const shh = sxxR - 2 * xk * sxR + xk * xk * nR;
  const sxh = sxxR - xk * sxR;
  const syh = sxyR - xk * syR;
  // Centre on the means and solve the 2×2 system for (b, c).
  const cxx = sxx - (sx * sx) / n;
  const cxh = sxh - (sx * sh) / n;
  const chh = shh - (sh * sh) / n;
  const cxy = sxy - (sx * sy) / n;
  const chy = syh - (sh * sy) / n;
  const cyy = syy - (sy * sy) / n;
  const det = cxx * chh - cxh * cxh;
  if (!(det > 0)) return Infinity;
  const bb = (chh * cxy - cxh * chy) / det;
  const cc = (cxx * chy - cxh * cxy) / det;
  return Math.max(0, cyy - bb * cxy - cc * chy);
}

export interface SegmentOptions {
  /** Fewest kept points on each side of a break. */
  minSegment: number;
  /** Multiplier of the BIC penalty for a break (3 extra parameters: location, level, slope). */
  penalty: number;
}

/**
 * Start index of the last linear segment. Two models of a break are tried at every split point of the
 * current tail [start, n): two independent lines (a level shift, possibly with a new slope: 3 extra
 * parameters) and a continuous broken line (a change of slope without a jump, as when a ramp stops:
 * 2 extra parameters — it locates a kink far better than two free lines do). The best break is kept when
 * its gain m·ln(RSS₀/RSS₁) exceeds penalty · params · ln m (a BIC-type penalty, unknown noise); the part
 * after it becomes the new tail, and the search repeats. O(m) per round with running sums. A straight
 * noisy line has no break.
 */
export function lastSegmentStart(x: readonly number[], y: readonly number[], keep: readonly boolean[], opts: SegmentOptions): number {
  // Centre x and y for numerical stability of the running sums.
  const n = x.length;
  const x0 = n > 0 ? (x[0]! + x[n - 1]!) / 2 : 0;
  let y0 = 0;
  for (let i = 0; i < n; i++) y0 += y[i]! / n;
  const xc = x.map((v) => v - x0);
  const p = new Prefix(
    xc,
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
    const base = Math.max(whole.rss, floor);
    let best = -1;
    let bestExcess = 0;
    for (let s = start + 1; s < n; s++) {
      const left = p.rss(start, s);
      if (left.n < opts.minSegment) continue;
      const right = p.rss(s, n);
      if (right.n < opts.minSegment) break;
      const jump = m * Math.log(base / Math.max(left.rss + right.rss, floor)) - opts.penalty * 3 * Math.log(m);
      const kink = m * Math.log(base / Math.max(hingeRss(p, start, s, n, xc[s]!), floor)) - opts.penalty * 2 * Math.log(m);
      const excess = Math.max(jump, kink);
      if (excess > bestExcess) {
        bestExcess = excess;
        best = s;
      }
    }
    if (best < 0) return start;
    start = best;
  }
}
