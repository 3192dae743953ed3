// The capacity note of a prediction: the rate of change, the time left at that rate, and what it would
// take to last a given horizon (more headroom, or a slower rate). Pure.

import { fmtDuration, type Prediction } from "./predict.ts";

export interface CapacityOptions {
  /** How long the headroom should last. */
  horizonMs: number;
  /** Formats an amount in the series' unit (default: 3 significant digits). */
  format?: (v: number) => string;
  /** Rate unit (default: per hour). */
  perMs?: number;
  perLabel?: string;
}

export interface CapacityNote {
  /** Change per `perMs` (negative when falling). */
  rate: number;
  /** Distance from the fitted level to the threshold now. */
  headroom: number;
  /** Time left at the trend rate (seasonality ignored), undefined when the trend does not approach. */
  timeLeftMs: number | undefined;
  /** Extra headroom needed to last the horizon at the current rate (0 when it already lasts). */
  extraHeadroom: number;
  /** The rate that would just last the horizon, as a fraction of the current one (≥ 1: already lasts). */
  rateFactor: number;
  text: string;
}

export function capacityNote(p: Prediction, opts: CapacityOptions): CapacityNote {
  const fmt = opts.format ?? ((v: number) => Number(v.toPrecision(3)).toString());
  const perMs = opts.perMs ?? 3_600_000;
  const perLabel = opts.perLabel ?? "h";
  const rate = p.slopePerSecond * (perMs / 1000);
  const headroom = Math.abs(p.level - p.threshold);
  const towards = p.direction === "falling" ? -p.slopePerSecond : p.slopePerSecond;
  const approaching = towards > 0 && Number.isFinite(towards);
  const timeLeftMs = approaching ? (headroom / towards) * 1000 : undefined;
  const needed = approaching ? towards * (opts.horizonMs / 1000) : 0;
  const extraHeadroom = Math.max(0, needed - headroom);
  const rateFactor = approaching ? headroom / needed : Infinity;
  const verb = p.slopePerSecond < 0 ? "falling" : p.slopePerSecond > 0 ? "rising" : "flat";
  const parts = [verb === "flat" ? "flat" : `${verb} ${fmt(Math.abs(rate))}/${perLabel}`];
  if (timeLeftMs === undefined) parts.push(`moving away from ${fmt(p.threshold)}`);
  else {
    parts.push(`at this rate reaches ${fmt(p.threshold)} in ${fmtDuration(timeLeftMs)}`);
    const horizon = fmtDuration(opts.horizonMs);
    if (extraHeadroom > 0) parts.push(`to last ${horizon}, add ${fmt(extraHeadroom)} of headroom or ${rateWords(rateFactor)}`);
    else parts.push(`lasts beyond ${horizon}`);
  }
  if (p.seasonal) parts.push(`daily swing ±${fmt(p.seasonal.amplitude)} on top`);
  return { rate, headroom, timeLeftMs, extraHeadroom, rateFactor, text: parts.join("; ") };
}

function rateWords(f: number): string {
  if (Math.abs(f - 0.5) < 0.03) return "halve the rate";
  if (Math.abs(f - 1 / 3) < 0.02) return "cut the rate to a third";
  if (Math.abs(f - 0.25) < 0.02) return "cut the rate to a quarter";
  return `cut the rate by ${Math.round((1 - f) * 100)}%`;
}

/** Bytes in SI units (kB, MB, GB, TB), as df -H and most dashboards show them. */
export function formatBytes(v: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let u = 0;
  let x = Math.abs(v);
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${v < 0 ? "-" : ""}${Number(x.toPrecision(3))} ${units[u]}`;
}
