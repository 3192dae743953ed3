/** The series one rule tracks, bounded by its max_series: series beyond it are counted, not tracked. */
import { fingerprint, type LabelSet } from "../../types/labels.ts";

export class TrackedSeries<T extends { lastSeenMs: number }> {
  readonly byFingerprint = new Map<string, T>();
  /** Series of the last result that were not tracked because of the bound. */
  overflow = 0;
  private counting = 0;

  /** Starts reading one result. */
  begin(): void {
    this.counting = 0;
  }

  /** The series for these labels, created when there is room; undefined (and counted) when there is none. */
  seen(labels: LabelSet, evalMs: number, max: number, create: (fp: string) => T): T | undefined {
    const fp = fingerprint(labels);
    let t = this.byFingerprint.get(fp);
    if (t === undefined) {
      if (this.byFingerprint.size >= max) {
        this.counting++;
        return undefined;
      }
      t = create(fp);
      this.byFingerprint.set(fp, t);
    }
    t.lastSeenMs = evalMs;
    return t;
  }

  /** Ends reading one result. */
  end(): void {
    this.overflow = this.counting;
  }
}
