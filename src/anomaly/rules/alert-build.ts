/** Turns a rule's series state into the alert Prometheus would send for it (same labels, times, link). */
import type { IncomingAlert } from "../../ingest/normalise.ts";
import type { LabelSet } from "../../types/labels.ts";
import { fromMillis } from "../../types/time.ts";
import type { AlertState } from "./alert-state.ts";
import type { Rule } from "./types.ts";

/** Prometheus: a firing alert is valid for 4 × max(evaluation interval, resend delay of 1m). */
export function validForMs(rule: Rule): number {
  return 4 * Math.max(rule.stepMs, 60_000);
}

/** The series' labels without __name__, then the rule's labels, then alertname (as Prometheus builds them). */
export function alertLabels(rule: Rule, series: LabelSet): LabelSet {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(series)) if (k !== "__name__") out[k] = v;
  Object.assign(out, rule.labels);
  out.alertname = rule.name;
  return out;
}

/** Prometheus's graph link for the rule's expression (no credentials: the URL's userinfo is dropped). */
export function generatorUrl(prometheusUrl: string, query: string): string {
  const u = new URL(prometheusUrl);
  u.username = "";
  u.password = "";
  const base = u.toString().replace(/\/+$/, "");
  return `${base}/graph?g0.expr=${encodeURIComponent(query)}&g0.tab=1`;
}

/**
 * The alert to send now for a series, or undefined: firing alerts with endsAt = now + validFor, a
 * resolved one with endsAt = the time it resolved (sent until forgotten).
 */
export function alertFor(
  rule: Rule, state: AlertState, labels: LabelSet, annotations: LabelSet, generatorURL: string, nowMs: number,
): IncomingAlert | undefined {
  if (state.phase === "firing" && state.firedAtMs !== undefined) {
    return { labels, annotations, startsAt: fromMillis(state.firedAtMs), endsAt: fromMillis(nowMs + validForMs(rule)), generatorURL };
  }
  if (state.resolvedAtMs !== undefined && state.resolvedFiredAtMs !== undefined) {
    return { labels, annotations, startsAt: fromMillis(state.resolvedFiredAtMs), endsAt: fromMillis(state.resolvedAtMs), generatorURL };
  }
  return undefined;
}

/** A number as an annotation shows it: up to 6 significant digits, no exponent for everyday magnitudes. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
  return String(Number(v.toPrecision(6)));
}
