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
  /** Floor of the long-term standard deviation, so a detector that always says 0 does not make every 0.01 certain. */
  minStd?: number;
}

export const LIKELIHOOD_DEFAULTS: Required<LikelihoodOptions> = { shortWindow: 10, alpha: 1 / 2000, warmup: 300, minStd: 0.03 };

/**
 * HTM's anomaly likelihood (Ahmad et al. 2017), online: the mean of the last few raw scores is compared
 * with the long-run distribution of raw scores (an exponentially weighted Gaussian, O(1) state), and the
 * likelihood is 1 − Q(z). It turns any detector's raw score into "how unusual is this for this detector
 * on this series", which makes detectors comparable before they are combined.
 */
export class AnomalyLikelihood {
  private readonly o: Required<LikelihoodOptions>;
  private readonly short: Ring;
  private sum = 0;
  private mean = 0;
  private variance = 0;
  private count = 0;
  constructor(opts: LikelihoodOptions = {}) {
    this.o = { ...LIKELIHOOD_DEFAULTS, ...opts };
    this.short = new Ring(this.o.shortWindow);
  }
  update(raw: number): number {
    const old = this.short.push(raw);
    this.sum += raw - (old ?? 0);
    const shortMean = this.sum / this.short.size;
    let l = 0.5;
    if (this.count >= this.o.warmup) {
      const std = Math.max(Math.sqrt(this.variance), this.o.minStd);
      l = 1 - normalTail((shortMean - this.mean) / std);
    }
    const a = Math.max(this.o.alpha, 1 / (this.count + 1));
    const d = raw - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    this.count++;
    return l;
  }
  retained(): number {
    return this.short.size + 4;
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
