import type { Detector } from "./detector.ts";

/**
 * Points after which a repeat is not reported: a raw score that does not exceed every raw score of the
 * previous `PEAK_WINDOW` points is not new information (the same event, still going on) and is reported as 0.
 * 200 five-minute samples is about 17 hours, the same span as the fused detector's suppression.
 */
export const PEAK_WINDOW = 200;

/**
 * Wraps a detector so that one event is flagged once: a score is passed through only when it is a new
 * peak, higher than all raw scores of the previous `window` points; otherwise it is 0. This is
 * threshold-free (it does not depend on where an alert threshold is set) and costs O(1) amortised per
 * point with a monotone deque over a ring of at most `window` + 1 entries.
 */
export class PeakOnly implements Detector {
  readonly name: string;
  private readonly val: Float64Array;
  private readonly idx: Float64Array;
  private head = 0; // deque front (index into the ring)
  private len = 0;
  private t = 0;
  constructor(private readonly inner: Detector, private readonly window = PEAK_WINDOW) {
    this.name = inner.name;
    this.val = new Float64Array(window + 1);
    this.idx = new Float64Array(window + 1);
  }
  score(timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    const r = this.inner.score(timestampMs, value);
    const cap = this.val.length;
    // Drop entries older than the window; the front then holds the largest raw score within it.
    while (this.len > 0 && this.idx[this.head]! < this.t - this.window) {
      this.head = (this.head + 1) % cap;
      this.len--;
    }
    const peak = this.len > 0 ? this.val[this.head]! : -Infinity;
    // Keep the deque decreasing: entries not larger than r can never be the window's maximum again.
    while (this.len > 0 && this.val[(this.head + this.len - 1) % cap]! <= r) this.len--;
    const at = (this.head + this.len) % cap;
    this.val[at] = r;
    this.idx[at] = this.t;
    this.len++;
    this.t++;
    return r > peak ? r : 0;
  }
  expectedRange(timestampMs: number): { low: number; high: number } | undefined {
    return this.inner.expectedRange(timestampMs);
  }
  retained(): number {
    return this.inner.retained() + 2 * this.val.length + 1; // the deque is allocated once, at its cap
  }
}
