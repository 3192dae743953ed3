import type { Clock } from "./clock.ts";

/**
 * Reports a recurring event at most once per interval, with how many times it happened since the last
 * report, so a condition hit by every alert of a flood makes a log line a minute, not one per alert.
 */
export class ThrottledReport<T> {
  private count = 0;
  private lastReportAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly report: (count: number, latest: T) => void,
  ) {}

  note(latest: T): void {
    this.count++;
    const now = this.clock.now();
    if (now - this.lastReportAt < this.intervalMs) return;
    this.lastReportAt = now;
    const count = this.count;
    this.count = 0;
    this.report(count, latest);
  }
}
