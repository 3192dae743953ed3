// Failure prediction: when does a series cross the value that means failure? Pure and deterministic.
//
// Method (see predictCrossing): spikes are screened out (Hampel), a daily (or configured) seasonal profile
// is removed when the residuals repeat period after period, the last linear segment is found (a level
// shift, a change of slope or a ramp that stops starts a new one), and the trend is the least-squares line
// of that segment's screened samples. A Theil–Sen slope on the same samples is the robustness check. The
// forecast is trend + seasonal profile; the ETA is its first crossing of the threshold within the horizon.

import { detectSeason, seasonalAt, slotCount, slotMeans, type SeasonProfile } from "./predict-season.ts";
import { hampelKeep, lastSegmentStart, leastSquares, median, theilSenSlope, type LineFit } from "./predict-trend.ts";

const DAY_MS = 86_400_000;

/** A sample: [timestamp in ms, value]. */
export type Sample = readonly [timestampMs: number, value: number];

export type Direction = "falling" | "rising";

export interface PredictOptions {
  /** The value that means failure. */
  threshold: number;
  /**
   * Approached from above ("falling") or below ("rising"). By default the side of the threshold the fitted
   * series is on now, so "crossed" is only reported when the direction is given.
   */
  direction?: Direction;
  /** No ETA further out than this (default 30 days). */
  maxHorizonMs?: number;
  /** Evaluation time (default: the last sample); later samples are ignored. */
  nowMs?: number;
  /** Seasonality: detected at a daily period (default), off, or detected at a configured period. */
  season?: "auto" | "off" | { periodMs: number };
  /** Fewest samples on each side of a trend break (default 12). */
  minSegment?: number;
  /** Multiplier of the BIC break penalty (default 2). */
  breakPenalty?: number;
  /** A slope counts as a trend only when |slope| ≥ this many standard errors (default 3). */
  minTrendT?: number;
  /**
   * Extrapolate at most this many times the duration of the segment the trend was fitted on (default 4,
   * the ratio of the familiar predict_linear(x[6h], 24 * 3600)); a crossing further out is reported as
   * beyond the horizon.
   */
  maxExtrapolation?: number;
}

export type Outcome =
  | "crossing" // crosses within the horizon: etaMs is set
  | "crossed" // the fitted value is already past the threshold: etaMs = now
  | "beyond-horizon" // trends towards the threshold, but reaches it after the horizon
  | "moving-away" // the trend goes away from the threshold
  | "no-trend" // no significant trend
  | "insufficient-data";

export type Confidence = "high" | "medium" | "low";

export interface Prediction {
  outcome: Outcome;
  /** When the forecast first reaches the threshold, or undefined (see outcome). */
  etaMs: number | undefined;
  /** etaMs − nowMs. */
  timeToThresholdMs: number | undefined;
  /** A rough 2-standard-error range of the ETA from the slope's and level's uncertainty (no seasonality). */
  etaRangeMs: readonly [earliest: number, latest: number] | undefined;
  threshold: number;
  direction: Direction;
  nowMs: number;
  /** Fitted trend slope per second, seasonality removed (reported even when not significant). */
  slopePerSecond: number;
  slopeStdErrPerSecond: number;
  /** Fitted trend level at nowMs, seasonality removed. */
  level: number;
  /** Forecast (trend + seasonal profile) at tMs. */
  expectedAt(tMs: number): number;
  /** First sample of the segment the trend was fitted on. */
  segmentStartMs: number;
  samplesUsed: number;
  outliers: number;
  seasonal: { periodMs: number; amplitude: number } | undefined;
  confidence: Confidence;
  notes: string[];
}

interface Series {
  t: number[];
  y: number[];
}

/** Finite samples at or before nowMs, sorted by time, one per timestamp (the last one given wins). */
function clean(samples: readonly Sample[], nowMs: number): Series {
  const ok = samples.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v) && t <= nowMs);
  const order = ok.map((_, i) => i).sort((a, b) => ok[a]![0] - ok[b]![0] || a - b);
  const t: number[] = [];
  const y: number[] = [];
  for (const i of order) {
    const [ti, vi] = ok[i]!;
    if (t.length > 0 && t[t.length - 1] === ti) y[y.length - 1] = vi;
    else {
      t.push(ti);
      y.push(vi);
    }
  }
  return { t, y };
}

function medianStep(t: readonly number[]): number {
  const d: number[] = [];
  for (let i = 1; i < t.length; i++) d.push(t[i]! - t[i - 1]!);
  return median(d);
}

/** Predicts when the series crosses opts.threshold. */
export function predictCrossing(samples: readonly Sample[], opts: PredictOptions): Prediction {
  const lastT = samples.reduce((m, [t]) => (Number.isFinite(t) && t > m ? t : m), -Infinity);
  const nowMs = opts.nowMs ?? lastT;
  const maxHorizonMs = opts.maxHorizonMs ?? 30 * DAY_MS;
  const minSegment = opts.minSegment ?? 12;
  const penalty = opts.breakPenalty ?? 2;
  const minT = opts.minTrendT ?? 3;
  const { t, y } = clean(samples, nowMs);
  const n = t.length;
  const notes: string[] = [];

  if (n < Math.max(6, minSegment) || !Number.isFinite(nowMs)) {
    const last = y[n - 1] ?? NaN;
    return {
      outcome: "insufficient-data",
      etaMs: undefined,
      timeToThresholdMs: undefined,
      etaRangeMs: undefined,
      threshold: opts.threshold,
      direction: opts.direction ?? (last < opts.threshold ? "rising" : "falling"),
      nowMs,
      slopePerSecond: NaN,
      slopeStdErrPerSecond: NaN,
      level: last,
      expectedAt: () => last,
      segmentStartMs: t[0] ?? NaN,
      samplesUsed: n,
      outliers: 0,
      seasonal: undefined,
      confidence: "low",
      notes: [`${n} usable samples; at least ${Math.max(6, minSegment)} are needed`],
    };
  }

  // x: seconds relative to now, so the intercept is the level now (as predict_linear computes it).
  const x = t.map((ti) => (ti - nowMs) / 1000);
  const keep = hampelKeep(y);
  const outliers = keep.reduce((c, k) => c + (k ? 0 : 1), 0);
  if (outliers > 0) notes.push(`${outliers} spike(s) ignored`);
  const segOpts = { minSegment, penalty };

  // Seasonality: a pilot Theil–Sen line, the ANOVA test on its residuals, then two rounds of
  // (deseasonalise → segment → fit → re-estimate the profile from the piecewise residuals).
  let profile: SeasonProfile | undefined;
  const periodMs = opts.season === "off" ? 0 : typeof opts.season === "object" ? opts.season.periodMs : DAY_MS;
  const slots = periodMs > 0 ? slotCount(periodMs, medianStep(t)) : 0;
  if (slots > 0 && t[n - 1]! - t[0]! >= 2 * periodMs) {
    const b = theilSenSlope(x, y, 0, n, keep);
    const a = median(y.map((v, i) => v - b * x[i]!).filter((_, i) => keep[i]));
    const r = y.map((v, i) => v - a - b * x[i]!);
    profile = detectSeason(t, r, keep, periodMs, slots, 1e-9 * Math.max(...y.map(Math.abs)));
    if (profile) {
      for (let round = 0; round < 2; round++) {
        const p: SeasonProfile = profile;
        const ds = y.map((v, i) => v - seasonalAt(p, t[i]!));
        const start = lastSegmentStart(x, ds, keep, segOpts);
        const resid = piecewiseResiduals(x, y, ds, keep, start, minSegment);
        profile = { ...p, slots: slotMeans(t, resid, keep, periodMs, slots) };
      }
    }
  }
  const season = profile;
  const ds = season ? y.map((v, i) => v - seasonalAt(season, t[i]!)) : y;

  const start = lastSegmentStart(x, ds, keep, segOpts);
  const fit = leastSquares(x, ds, start, n, keep);
  const spanMs = nowMs - t[start]!;
  const horizonMs = Math.min(maxHorizonMs, (opts.maxExtrapolation ?? 4) * spanMs);
  const horizonNote = horizonMs < maxHorizonMs ? `the trend rests on ${fmtDuration(spanMs)} of data, so it is extrapolated no further than ${fmtDuration(horizonMs)}` : undefined;
  const level = fit.intercept;
  const slope = fit.slope;
  const se = fit.slopeStdErr;
  const seasonalNow = season ? seasonalAt(season, nowMs) : 0;
  const expectedAt = (tMs: number): number => level + slope * ((tMs - nowMs) / 1000) + (season ? seasonalAt(season, tMs) : 0);
  const direction: Direction = opts.direction ?? (level + seasonalNow < opts.threshold ? "rising" : "falling");
  const sign = direction === "falling" ? -1 : 1;
  if (start > 0) notes.push(`trend fitted since ${new Date(t[start]!).toISOString()} (a level shift or change of slope before it)`);
  if (season) notes.push(`seasonal profile removed (period ${Math.round(season.periodMs / 60_000)}m, F=${season.f.toFixed(1)})`);

  // Robustness check: Theil–Sen on the same samples should agree with least squares.
  const ts = theilSenSlope(x, ds, start, n, keep);
  const disagree = Number.isFinite(se) && Math.abs(ts - slope) > 3 * se + 1e-6 * Math.abs(slope);
  if (disagree) notes.push(`least squares and Theil–Sen slopes disagree (${fmt(slope)}/s vs ${fmt(ts)}/s): curvature or outliers`);

  const tStat = se > 0 ? Math.abs(slope) / se : Infinity;
  const significant = slope !== 0 && tStat >= minT;
  if (!significant && slope !== 0) notes.push(`slope ${fmt(slope)}/s is within ${minT} standard errors of zero`);
  const trendSlope = significant ? slope : 0;

  const past = (v: number): boolean => (direction === "falling" ? v <= opts.threshold : v >= opts.threshold);
  const forecast = (dtMs: number): number => level + trendSlope * (dtMs / 1000) + (season ? seasonalAt(season, nowMs + dtMs) : 0);

  let outcome: Outcome;
  let dt: number | undefined;
  if (past(forecast(0))) {
    outcome = "crossed";
    dt = 0;
  } else if (!season) {
    if (trendSlope === 0) outcome = "no-trend";
    else if (trendSlope * sign < 0) outcome = "moving-away";
    else {
      const d = ((opts.threshold - level) / trendSlope) * 1000;
      if (d <= horizonMs) {
        outcome = "crossing";
        dt = d;
      } else outcome = "beyond-horizon";
    }
  } else {
    dt = firstCrossing(forecast, past, horizonMs, season.periodMs / season.slots.length / 4);
    if (dt !== undefined) outcome = "crossing";
    else if (trendSlope === 0) outcome = "no-trend";
    else if (trendSlope * sign < 0) outcome = "moving-away";
    else outcome = "beyond-horizon";
  }

  if (outcome === "beyond-horizon" && horizonNote) notes.push(horizonNote);
  const range = etaRange(fit, level - opts.threshold, nowMs, significant);
  const segLen = n - start;
  const confidence: Confidence =
    disagree || !significant || segLen < 2 * minSegment ? "low" : tStat >= 10 && segLen >= 4 * minSegment ? "high" : "medium";

  return {
    outcome,
    etaMs: dt === undefined ? undefined : nowMs + dt,
    timeToThresholdMs: dt,
    etaRangeMs: outcome === "crossing" || outcome === "beyond-horizon" ? range : undefined,
    threshold: opts.threshold,
    direction,
    nowMs,
    slopePerSecond: slope,
    slopeStdErrPerSecond: se,
    level,
    expectedAt,
    segmentStartMs: t[start]!,
    samplesUsed: fit.n,
    outliers,
    seasonal: season ? { periodMs: season.periodMs, amplitude: (Math.max(...season.slots) - Math.min(...season.slots)) / 2 } : undefined,
    confidence,
    notes,
  };
}

/** Residuals of y against the segmented trend: the fitted last segment and one line before it. */
function piecewiseResiduals(x: readonly number[], y: readonly number[], ds: readonly number[], keep: readonly boolean[], start: number, minSegment: number): number[] {
  const tail = leastSquares(x, ds, start, x.length, keep);
  const head = start >= minSegment ? leastSquares(x, ds, 0, start, keep) : tail;
  return y.map((v, i) => {
    const f = i >= start ? tail : head;
    return v - f.intercept - f.slope * x[i]!;
  });
}

/** First dt in (0, horizon] where past(forecast(dt)), scanning in `step` and refining by bisection. */
function firstCrossing(forecast: (dtMs: number) => number, past: (v: number) => boolean, horizonMs: number, step: number): number | undefined {
  let prev = 0;
  for (let dt = step; dt < horizonMs + step; dt += step) {
    const d = Math.min(dt, horizonMs);
    if (past(forecast(d))) {
      let lo = prev;
      let hi = d;
      for (let k = 0; k < 40 && hi - lo > 1; k++) {
        const mid = (lo + hi) / 2;
        if (past(forecast(mid))) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prev = d;
  }
  return undefined;
}

/** ETA range from the slope ± 2 standard errors (the level's own error is ignored). */
function etaRange(fit: LineFit, distance: number, nowMs: number, significant: boolean): readonly [number, number] | undefined {
  if (!significant || !Number.isFinite(fit.slopeStdErr)) return undefined;
  const sLo = Math.abs(fit.slope) - 2 * fit.slopeStdErr;
  const sHi = Math.abs(fit.slope) + 2 * fit.slopeStdErr;
  const d = Math.abs(distance);
  const early = (d / sHi) * 1000;
  const late = sLo > 0 ? (d / sLo) * 1000 : Infinity;
  return [nowMs + early, nowMs + late];
}

/** 9h12m, 2d3h, 45m, 30s. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? "-" : "";
  let s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${sign}${d}d${h > 0 ? `${h}h` : ""}`;
  if (h > 0) return `${sign}${h}h${m > 0 ? `${m}m` : ""}`;
  if (m > 0) return `${sign}${m}m`;
  return `${sign}${s}s`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(3) : String(v);
}
