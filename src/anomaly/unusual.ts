/**
 * Unusual alerts (as PagerDuty's outlier incidents): how often the same (alertname, service) pair started
 * an alert episode in the 30 days before this episode started. Pure; the days come from the history.
 *
 * - `new`: no episode of the pair started in the window — "first time in 30 days".
 * - `rare`: episodes started on at most 5 % of the window's days: distinct UTC dates with ≥ 1 episode
 *   start ÷ 30 ≤ 0.05, i.e. on at most 1 day (2 ÷ 30 is 6.7 %).
 * - `frequent`: on 2 days or more.
 *
 * The window is [start − 30 × 24 h, start): the episode itself is not in it, episodes of the pair's other
 * series (other instances, …) are, and so are earlier episodes of the same series. Its two ends fall inside
 * UTC days, so it can touch 31 dates; the ratio is still taken over 30.
 */

export type UnusualClass = "new" | "rare" | "frequent";

export const UNUSUAL_WINDOW_DAYS = 30;
/** The share of the window's days with an episode start that is still `rare`. */
export const RARE_MAX_SHARE = 0.05;
/** What RARE_MAX_SHARE of 30 days comes to in whole days. */
export const RARE_MAX_DAYS = Math.floor(RARE_MAX_SHARE * UNUSUAL_WINDOW_DAYS + 1e-9);

export const DAY_MS = 86_400_000;
export const UNUSUAL_WINDOW_MS = UNUSUAL_WINDOW_DAYS * DAY_MS;

export interface Unusual {
  readonly class: UnusualClass;
  /** Distinct UTC dates in the window on which the pair started an episode. */
  readonly daysWithEpisodes: number;
  readonly windowDays: number;
}

/** The class for the UTC epoch days (ms ÷ 86,400,000; repeats ignored) on which the pair started episodes in the window. */
export function classifyUnusual(epochDays: readonly number[]): Unusual {
  const days = new Set(epochDays).size;
  const cls: UnusualClass = days === 0 ? "new" : days / UNUSUAL_WINDOW_DAYS <= RARE_MAX_SHARE ? "rare" : "frequent";
  return { class: cls, daysWithEpisodes: days, windowDays: UNUSUAL_WINDOW_DAYS };
}

/** A UTC epoch day on which a pair started episodes, with the first and last start that day (in some range). */
export interface EpisodeDay {
  readonly day: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

/**
 * The days with an episode start in [fromMs, toMs), from the days of a range that contains it: a day wholly
 * inside the window counts if it has any start, the window's first day if its last start is at or after
 * fromMs, its last day if its first start is before toMs (the window must span more than one day, as the
 * 30-day one does). So one query serves every window of a notification.
 */
export function daysInWindow(days: readonly EpisodeDay[], fromMs: number, toMs: number): number[] {
  const firstDay = Math.floor(fromMs / DAY_MS);
  const lastDay = Math.floor((toMs - 1) / DAY_MS);
  const out: number[] = [];
  for (const d of days) {
    if (d.day < firstDay || d.day > lastDay) continue;
    const reaches = d.day > firstDay || d.lastMs >= fromMs;
    const before = d.day < lastDay || d.firstMs < toMs;
    if (reaches && before) out.push(d.day);
  }
  return out;
}
