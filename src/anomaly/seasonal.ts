import type { Detector } from "./detector.ts";
import { Ewm, SortedWindow, twoSidedScore } from "./stats.ts";

export interface SeasonalOptions {
  /** Length of one season in ms (default one day). */
  periodMs?: number;
  /** Slots per season (default 24: hour of day). */
  slots?: number;
  /** Recent values kept per slot (its median and IQR are the baseline and spread). */
  perSlot?: number;
  /** Values a slot needs before its own baseline is used; before that, the global window stands in. */
  minSlot?: number;
  /** Recent values of the series kept for the fallback baseline and the spread floor. */
  global?: number;
  /** Samples seen before any score above 0 is given. */
  warmup?: number;
  /** Weight of each residual in the exponentially weighted mean and variance of residuals. */
  alpha?: number;
  /** Weekend days (Saturday and Sunday, UTC) get their own slots, so a quiet Sunday is not an anomaly. */
  weekends?: boolean;
}

export const SEASONAL_DEFAULTS: Required<SeasonalOptions> = {
  periodMs: 86_400_000, slots: 24, perSlot: 48, minSlot: 8, global: 288, warmup: 60, alpha: 1 / 200, weekends: true,
};

const IQR_TO_SIGMA = 1 / 1.349;

/**
 * Seasonal baseline: each sample falls in a slot of the season (hour of day by default, from its UTC
 * timestamp); the slot's median is the expected value and its interquartile range the robust spread, so
 * a peak that recurs at the same hour is normal; with `weekends`, Saturday and Sunday have their own slots. Each slot keeps its last `perSlot` values in a sorted
 * window (bounded memory, O(perSlot) per point). Before a slot has `minSlot` values the global window
 * stands in. The spread is floored by a fraction of the global spread, so a slot that happened to be flat
 * does not make every small wiggle an anomaly.
 */
export class SeasonalDetector implements Detector {
  readonly name = "seasonal";
  private readonly o: Required<SeasonalOptions>;
  private readonly slotWin: SortedWindow[];
  private readonly globalWin: SortedWindow;
  private readonly resid: Ewm;
  private seen = 0;
  private lastTs = 0;
  constructor(opts: SeasonalOptions = {}) {
    // Frozen: fixed for life, so a snapshot restore compares the options instead of overwriting them.
    this.o = Object.freeze({ ...SEASONAL_DEFAULTS, ...opts });
    this.slotWin = Array.from({ length: this.o.weekends ? 2 * this.o.slots : this.o.slots }, () => new SortedWindow(this.o.perSlot));
    this.globalWin = new SortedWindow(this.o.global);
    this.resid = new Ewm(this.o.alpha);
  }
  private slotOf(ts: number): number {
    const p = this.o.periodMs;
    const phase = ((ts % p) + p) % p;
    const slot = Math.min(this.o.slots - 1, Math.floor((phase / p) * this.o.slots));
    if (!this.o.weekends) return slot;
    const day = (((Math.floor(ts / 86_400_000) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    return day === 0 || day === 6 ? slot + this.o.slots : slot;
  }
  /** Expected value and robust spread for a timestamp, from what has been learned so far. */
  baseline(timestampMs: number): { expected: number; spread: number } {
    const g = this.globalWin;
    const gSpread = (g.quantile(0.75) - g.quantile(0.25)) * IQR_TO_SIGMA;
    const gMed = g.median();
    const w = this.slotWin[this.slotOf(timestampMs)]!;
    const useSlot = w.size >= this.o.minSlot;
    const expected = useSlot ? w.median() : gMed;
    const sSpread = useSlot ? (w.quantile(0.75) - w.quantile(0.25)) * IQR_TO_SIGMA : gSpread;
    const floor = Math.max(0.25 * gSpread, 1e-9 + 1e-6 * Math.abs(gMed));
    return { expected, spread: Math.max(sSpread, floor) };
  }
  score(timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    const ts = Number.isFinite(timestampMs) ? timestampMs : this.lastTs;
    this.lastTs = ts;
    let s = 0;
    if (this.seen >= this.o.warmup) {
      const { expected, spread } = this.baseline(ts);
      const r = (value - expected) / spread;
      const m = this.resid;
      s = twoSidedScore((r - m.mean) / Math.max(m.std, 1e-6));
      m.update(r);
    }
    this.slotWin[this.slotOf(ts)]!.push(value);
    this.globalWin.push(value);
    this.seen++;
    return s;
  }
  /** The baseline of the timestamp's slot ± 3 spreads, once warmed up (the global window stands in for a new slot). */
  expectedRange(timestampMs: number): { low: number; high: number } | undefined {
    if (this.seen < this.o.warmup) return undefined;
    const { expected, spread } = this.baseline(Number.isFinite(timestampMs) ? timestampMs : this.lastTs);
    return { low: expected - 3 * spread, high: expected + 3 * spread };
  }
  retained(): number {
    return this.slotWin.reduce((n, w) => n + w.size, 0) + this.globalWin.size;
  }
}
