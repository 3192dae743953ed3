/** What every online detector offers: one call per sample, a score in [0, 1], bounded state. */
export interface Detector {
  readonly name: string;
  /**
   * Scores one sample and then learns from it. Timestamps may repeat, go backwards or jump; values that
   * are not finite score 0 and are not learned.
   */
  score(timestampMs: number, value: number): number;
  /** How many numbers the detector currently retains (for the bounded-memory tests). */
  retained(): number;
}
