import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { Matcher } from "../types/matcher.ts";
import { matchesAll, matchersString, sortMatchers } from "../matchers/index.ts";

/** One `heartbeats:` entry of alertprism.yml: alerts that must keep arriving, and who hears when they stop. */
export interface Heartbeat {
  /** Stable identity: the matchers, sorted, as text (reordering entries or changing the timeout keeps the state). */
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly timeoutMs: number;
  readonly receiver: string;
}

/** What is remembered of a heartbeat across restarts. */
export interface HeartbeatState {
  /** When the heartbeat was first configured: without any arrival, the timeout runs from here. */
  readonly firstSeenMs: number;
  /** When a matching firing alert was last received (a new one or a re-send); undefined: never. */
  readonly lastArrivalMs: number | undefined;
}

export type HeartbeatStatus = "ok" | "missing" | "waiting";

export function heartbeatId(matchers: readonly Matcher[]): string {
  return matchersString(sortMatchers(matchers));
}

/** When the heartbeat goes missing unless another one arrives first. */
export function deadlineOf(hb: Heartbeat, state: HeartbeatState): number {
  return (state.lastArrivalMs ?? state.firstSeenMs) + hb.timeoutMs;
}

/**
 * ok: arrived within the timeout; waiting: none arrived yet since it was configured, and the timeout has
 * not run out; missing: the timeout ran out (since the deadline).
 */
export function statusAt(hb: Heartbeat, state: HeartbeatState, nowMs: number): { status: HeartbeatStatus; missingSinceMs?: number } {
  const deadline = deadlineOf(hb, state);
  if (nowMs >= deadline) return { status: "missing", missingSinceMs: deadline };
  return { status: state.lastArrivalMs === undefined ? "waiting" : "ok" };
}

/** The alertname of the alert raised while a heartbeat is missing. */
export const HEARTBEAT_MISSING = "HeartbeatMissing";

/** The labels of the HeartbeatMissing alert of a heartbeat (one alert per heartbeat and receiver). */
export function missingLabels(hb: Heartbeat): LabelSet {
  return { alertname: HEARTBEAT_MISSING, alertprism: "heartbeat", heartbeat: hb.id, receiver: hb.receiver, severity: "critical" };
}

/** Whether an alert is one AlertPrism raised for a missing heartbeat (it goes straight to its receiver). */
export function isHeartbeatMissing(labels: LabelSet): boolean {
  return labels.alertprism === "heartbeat" && labels.alertname === HEARTBEAT_MISSING;
}

/** The annotations of the HeartbeatMissing alert; `iso` formats a time (RFC 3339). */
export function missingAnnotations(hb: Heartbeat, state: HeartbeatState, timeoutText: string, iso: (ms: number) => string): LabelSet {
  const last = state.lastArrivalMs === undefined ? "never" : iso(state.lastArrivalMs);
  const since = state.lastArrivalMs === undefined ? `none received since it was configured at ${iso(state.firstSeenMs)}` : `the last one arrived at ${last}`;
  return {
    summary: `No heartbeat ${hb.id} for ${timeoutText}`,
    description: `No firing alert matching ${hb.id} was received for ${timeoutText}: ${since}. The alerting pipeline that sends it (Prometheus and its rule evaluation, the network path to AlertPrism) may be down.`,
    last_heartbeat: last,
    timeout: timeoutText,
  };
}

/** Whether a received alert counts as an arrival of the heartbeat: firing now and matching (never our own alert). */
export function isArrival(hb: Heartbeat, alert: Alert, nowMs: number): boolean {
  return !isResolvedAt(alert, nowMs) && !isHeartbeatMissing(alert.labels) && matchesAll(hb.matchers, alert.labels);
}
