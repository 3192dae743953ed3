import { alertStatus, type Alert, type AlertStatus, type AlertEventKind } from "../types/alert.ts";
import type { Silences } from "../silence/silences.ts";
import type { Inhibitor } from "../inhibit/inhibitor.ts";

/** What decides whether an alert is silenced or inhibited; the app composes silences and the inhibitor. */
export interface StatusSource {
  /** Sees every alert version entering the live set (the inhibitor indexes its sources). */
  observe(alert: Alert): void;
  forget(fingerprint: string): void;
  statusOf(alert: Alert, nowMs: number): AlertStatus;
  /** Whether a change of this alert's firing state can change the status of other alerts. */
  affectsOthers(alert: Alert): boolean;
  /** The next moment at which statuses change by time alone (a silence starting or ending). */
  nextTransitionMs(nowMs: number): number | undefined;
  /** Whether such a moment lies in (fromMs, toMs]. */
  transitionedBetween(fromMs: number, toMs: number): boolean;
}

/** Silences and the inhibitor as one StatusSource: what the app (and tests of the provider) compose. */
export function mutingStatus(
  silences: Pick<Silences, "mutedBy" | "nextTransitionMs" | "transitionedBetween">,
  inhibitor: Pick<Inhibitor, "observe" | "forget" | "inhibitedBy" | "isSource">,
): StatusSource {
  return {
    observe: (a) => inhibitor.observe(a),
    forget: (fp) => inhibitor.forget(fp),
    statusOf: (a, now) => alertStatus(silences.mutedBy(a.labels, now), inhibitor.inhibitedBy(a, now)),
    affectsOthers: (a) => inhibitor.isSource(a),
    nextTransitionMs: (now) => silences.nextTransitionMs(now),
    transitionedBetween: (from, to) => silences.transitionedBetween(from, to),
  };
}

export type StatusEvent = [AlertEventKind, Record<string, unknown>];

/** History events for a status change: entering or leaving silenced and inhibited states. */
export function statusEvents(before: AlertStatus, after: AlertStatus): StatusEvent[] {
  const out: StatusEvent[] = [];
  if (!sameIds(before.silencedBy, after.silencedBy)) {
    if (after.silencedBy.length > 0) out.push(["silenced", { silencedBy: after.silencedBy }]);
    else out.push(["unsilenced", { previously: before.silencedBy }]);
  }
  if (!sameIds(before.inhibitedBy, after.inhibitedBy)) {
    if (after.inhibitedBy.length > 0) out.push(["inhibited", { inhibitedBy: after.inhibitedBy }]);
    else out.push(["uninhibited", { previously: before.inhibitedBy }]);
  }
  return out;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
