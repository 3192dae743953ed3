/** What every online detector offers: one call per sample, a score in [0, 1], bounded state. */
export interface Detector {
  readonly name: string;
  /**
   * Scores one sample and then learns from it. Timestamps may repeat, go backwards or jump; values that
   * are not finite score 0 and are not learned.
   */
  score(timestampMs: number, value: number): number;
  /**
   * The values the model currently takes as normal at this time (for an alert's "expected" band), from what
   * it has learned so far and without learning anything; undefined until it has learned enough to say.
   */
  expectedRange(timestampMs: number): { low: number; high: number } | undefined;
  /** How many numbers the detector currently retains (for the bounded-memory tests). */
  retained(): number;
}
