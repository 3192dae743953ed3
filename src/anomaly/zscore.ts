import type { Detector } from "./detector.ts";
import { Ewm, twoSidedScore } from "./stats.ts";

export interface ZScoreOptions {
  /** Weight of each new sample in the exponentially weighted mean and variance (about 1/window). */
  alpha?: number;
  /** Samples seen before any score above 0 is given. */
  warmup?: number;
}

export const ZSCORE_DEFAULTS: Required<ZScoreOptions> = { alpha: 1 / 500, warmup: 30 };

/**
 * Rolling Gaussian: an exponentially weighted mean and variance (O(1) per point, three numbers of state),
 * the score the two-sided tail 2Φ(|z|) − 1 of the sample against the model before it learns the sample.
 */
export class ZScoreDetector implements Detector {
  readonly name = "zscore";
  private readonly o: Required<ZScoreOptions>;
  private readonly ewm: Ewm;
  constructor(opts: ZScoreOptions = {}) {
    // Frozen: fixed for life, so a snapshot restore compares the options instead of overwriting them.
    this.o = Object.freeze({ ...ZSCORE_DEFAULTS, ...opts });
    this.ewm = new Ewm(this.o.alpha);
  }
  /** The z of a value against the current model (before learning it). */
  z(value: number): number {
    const { mean, std } = this.ewm;
    const floor = 1e-9 + 1e-6 * Math.abs(mean);
    return (value - mean) / Math.max(std, floor);
  }
  score(_timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    const warm = this.ewm.count >= this.o.warmup;
    const z = this.z(value);
    const s = warm ? twoSidedScore(z) : 0;
    // Not winsorised on purpose: after a level shift the spread widens at once, so a lasting change is
    // flagged at its onset and not on every point until the mean has caught up (measured on NAB: 29 vs 0).
    this.ewm.update(value);
    return s;
  }
  /** EWM mean ± 3σ (σ floored as in z), once warmed up: the band whose points score below twoSidedScore(3). */
  expectedRange(_timestampMs: number): { low: number; high: number } | undefined {
    if (this.ewm.count < this.o.warmup) return undefined;
    const { mean, std } = this.ewm;
    const sigma = Math.max(std, 1e-9 + 1e-6 * Math.abs(mean));
    return { low: mean - 3 * sigma, high: mean + 3 * sigma };
  }
  retained(): number {
    return 3;
  }
}
