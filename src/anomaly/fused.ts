import type { Detector } from "./detector.ts";
import { AnomalyLikelihood, logLikelihood, type LikelihoodOptions } from "./likelihood.ts";
import { ZScoreDetector, type ZScoreOptions } from "./zscore.ts";
import { SeasonalDetector, type SeasonalOptions } from "./seasonal.ts";
import { IForestDetector, type IForestOptions } from "./iforest.ts";

export interface FusedOptions {
  zscore?: ZScoreOptions;
  /** Options of the seasonal part; inside fused it uses hour-of-day slots only (weekend slots measured 1 point worse on NAB). */
  seasonal?: SeasonalOptions;
  iforest?: IForestOptions;
  likelihood?: LikelihoodOptions;
  /**
   * A fused score at or above this is a detection and starts the suppression. 0.4 is a combined tail
   * probability of 1e−4 on the log scale (HTM's "red" 0.99999 would be 0.5): the suppression has to start
   * at the level where detections are made, and one point in 10⁴ is about one a month of 5-minute samples.
   * Caveat, measured as a check and not tuned on: on the 23 NAB files outside test/fixtures/nab
   * (realTweets, realTraffic, realAdExchange) NAB standard is 58.2 at 0.4, 61.7 at 0.45 and 61.6 at 0.5
   * (0.4 finds more in realTraffic but nearly doubles the false positives on the long, spiky tweet series);
   * over all 58 files 64.3 / 64.2 / 63.0.
   */
  detectAt?: number;
  /** Points after a detection whose scores are capped below `detectAt`. */
  suppress?: number;
  /** How the three likelihoods are combined: the largest, or a noisy-OR (1 − Π(1 − L)). */
  combine?: "max" | "noisy-or";
  /**
   * A value beyond the range seen so far by more than this fraction of that range scores 1 (Numenta's
   * "spatial anomaly" check in its NAB detector, with its tolerance 0.05); a negative value turns it off.
   */
  spatialTolerance?: number;
  /**
   * Time constant, in points, of the slow view of the seasonal and iforest likelihoods (see
   * `LikelihoodOptions.longSpan`; 0 turns it off). 100 is ten times HTM's 10-point average (one decade
   * slower), about 8 hours of 5-minute samples. zscore gets no slow view: its own mean adapts with weight
   * 1/500, so after a lasting change its raw score stays high for hundreds of points and its 10-point view
   * already sees it (with a slow view on all three NAB standard measured 68.7 against 69.5 on these two).
   */
  longSpan?: number;
}

export const FUSED_DEFAULTS = { detectAt: 0.4, suppress: 200, combine: "noisy-or" as const, spatialTolerance: 0.05, longSpan: 100 };

/**
 * The three detectors, each turned into an anomaly likelihood over its own recent raw scores (so a detector
 * that is always noisy on a series stops shouting; seasonal and iforest also with a slow view, for lasting
 * changes), combined with a noisy-OR, reported on HTM's log scale;
 * a value outside the range seen so far (widened by `spatialTolerance` of it) scores 1, as in Numenta's
 * detector; after a detection the next `suppress` points are capped below `detectAt`, so one event is one flag.
 */
export class FusedDetector implements Detector {
  readonly name = "fused";
  private readonly parts: Detector[];
  private readonly lik: AnomalyLikelihood[];
  private readonly detectAt: number;
  private readonly suppress: number;
  private readonly useMax: boolean;
  private readonly tolerance: number;
  private seen = 0;
  private quiet = 0;
  private lo = Infinity;
  private hi = -Infinity;
  constructor(opts: FusedOptions = {}) {
    this.parts = [new ZScoreDetector(opts.zscore), new SeasonalDetector({ weekends: false, ...opts.seasonal }), new IForestDetector(opts.iforest)];
    const longSpan = opts.longSpan ?? FUSED_DEFAULTS.longSpan;
    this.lik = this.parts.map((_, i) => new AnomalyLikelihood({ ...opts.likelihood, longSpan: i === 0 ? 0 : longSpan }));
    this.detectAt = opts.detectAt ?? FUSED_DEFAULTS.detectAt;
    this.suppress = opts.suppress ?? FUSED_DEFAULTS.suppress;
    this.useMax = (opts.combine ?? FUSED_DEFAULTS.combine) === "max";
    this.tolerance = opts.spatialTolerance ?? FUSED_DEFAULTS.spatialTolerance;
  }
  score(timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    let none = 1;
    for (let i = 0; i < this.parts.length; i++) {
      const l = this.lik[i]!.update(this.parts[i]!.score(timestampMs, value), this.seen);
      none = this.useMax ? Math.min(none, 1 - l) : none * (1 - l);
    }
    this.seen++;
    let s = logLikelihood(1 - none);
    if (this.tolerance >= 0 && this.hi > this.lo) {
      const tol = (this.hi - this.lo) * this.tolerance;
      if (value > this.hi + tol || value < this.lo - tol) s = 1;
    }
    if (value > this.hi) this.hi = value;
    if (value < this.lo) this.lo = value;
    if (this.quiet > 0) {
      this.quiet--;
      s = Math.min(s, this.detectAt * 0.5);
    } else if (s >= this.detectAt) {
      this.quiet = this.suppress;
    }
    return s;
  }
  /** The seasonal part's range: of the three, the only one whose normal depends on the time of day. */
  expectedRange(timestampMs: number): { low: number; high: number } | undefined {
    return this.parts[1]!.expectedRange(timestampMs);
  }
  retained(): number {
    return this.parts.reduce((n, p) => n + p.retained(), 0) + this.lik.reduce((n, l) => n + l.retained(), 0) + 4;
  }
}
