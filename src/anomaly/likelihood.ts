import { normalTail, Ring } from "./stats.ts";

export interface LikelihoodOptions {
  /**
   * Raw scores averaged for the short-term view (HTM: 10). A one-point spike is damped by the average;
   * the fused detector's range check catches the ones beyond anything seen before.
   */
  shortWindow?: number;
  /** Weight of each raw score in the long-term mean and variance (about 1/window; HTM keeps 8640). */
  alpha?: number;
  /** Raw scores seen before any likelihood is given (0.5 until then, as HTM does). */
  warmup?: number;
  /** Floor of the standard deviations, so a detector that always says 0 does not make every 0.01 certain. */
  minStd?: number;
  /**
   * Time constant, in points, of a second and slower view (0: none): an exponentially weighted mean of the
   * raw scores, judged against the spread of that same mean (as HTM judges its average against the spread
   * of averages). A change that lasts — a machine running hot for hours — lifts a detector's raw score only
   * a little but for hundreds of points; the 10-point view sees each stretch as ordinary, this one does not.
   * The likelihood is the larger of the two views'.
   */
  longSpan?: number;
}

export const LIKELIHOOD_DEFAULTS: Required<LikelihoodOptions> = { shortWindow: 10, alpha: 1 / 2000, warmup: 300, minStd: 0.03, longSpan: 0 };

/**
 * HTM's anomaly likelihood (Ahmad et al. 2017), online: the mean of the last few raw scores is compared
 * with the long-run distribution of raw scores (an exponentially weighted Gaussian, O(1) state), and the
 * likelihood is 1 − Q(z). It turns any detector's raw score into "how unusual is this for this detector
 * on this series", which makes detectors comparable before they are combined. With `longSpan`, a slower
 * average is judged too (two more numbers of state; its long-run mean is the same as the raw scores').
 *
 * The caller counts the raw scores (`n` in `update`), so several likelihoods fed in step share one count.
 */
export class AnomalyLikelihood {
  private readonly o: Required<LikelihoodOptions>;
  private readonly short: Ring;
  private mean = 0;
  private variance = 0;
  private slow = 0;
  private slowVariance = 0;
  constructor(opts: LikelihoodOptions = {}) {
    this.o = { ...LIKELIHOOD_DEFAULTS, ...opts };
    this.short = new Ring(this.o.shortWindow);
  }
  /** The likelihood of the raw score `raw`, the `n`-th (from 0) this instance is given. */
  update(raw: number, n: number): number {
    const r = this.short;
    r.push(raw);
    let sum = 0;
    for (let i = 0; i < r.size; i++) sum += r.back(i);
    const shortMean = sum / r.size;
    const slowView = this.o.longSpan > 0;
    if (slowView) this.slow = n === 0 ? raw : this.slow + (raw - this.slow) / this.o.longSpan;
    let l = 0.5;
    if (n >= this.o.warmup) {
      const std = Math.max(Math.sqrt(this.variance), this.o.minStd);
      l = 1 - normalTail((shortMean - this.mean) / std);
      if (slowView) {
        const slowStd = Math.max(Math.sqrt(this.slowVariance), this.o.minStd);
        l = Math.max(l, 1 - normalTail((this.slow - this.mean) / slowStd));
      }
    }
    const a = Math.max(this.o.alpha, 1 / (n + 1));
    const d = raw - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    if (slowView) {
      const ds = this.slow - this.mean;
      this.slowVariance = (1 - a) * (this.slowVariance + a * ds * ds);
    }
    return l;
  }
  retained(): number {
    return this.short.size + 2 + (this.o.longSpan > 0 ? 2 : 0);
  }
}

/**
 * HTM's log scale for NAB: likelihoods pile up just below 1, so report log(1 − L) / log(1e−10), which maps
 * L = 0.99999 to 0.5 and keeps the resolution a single corpus-wide threshold needs.
 */
export function logLikelihood(l: number): number {
  const v = Math.log(1.0000000001 - l) / Math.log(1.0000000001 - 0.9999999999);
  return v > 1 ? 1 : v > 0 ? v : 0;
}
