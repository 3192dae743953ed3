import type { LabelSet } from "./labels.ts";
import { compareLabelSets } from "./labels.ts";
import { isZeroTime, type Timestamp } from "./time.ts";

/** An alert as Alertmanager holds it (types.Alert). */
export interface Alert {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: Timestamp;
  readonly endsAt: Timestamp;
  readonly updatedAt: Timestamp;
  readonly generatorURL: string;
  /** endsAt was derived from resolve_timeout rather than sent by the client. */
  readonly timeout: boolean;
}

/** Alertmanager's Resolved(): endsAt is set (not Go's zero time) and not after now. */
export function isResolvedAt(alert: Alert, nowMs: number): boolean {
  const e = alert.endsAt;
  if (isZeroTime(e)) return false;
  return e.ms < nowMs || (e.ms === nowMs && e.subMsNanos === 0);
}

/** Silencing and inhibition state of an alert, as the API reports it. */
export interface AlertStatus {
  readonly silencedBy: readonly string[];
  readonly inhibitedBy: readonly string[];
}

export const EMPTY_STATUS: AlertStatus = Object.freeze({ silencedBy: Object.freeze([]), inhibitedBy: Object.freeze([]) });

/**
 * A status from its id lists; the shared EMPTY_STATUS when both are empty, as they are for most alerts,
 * so the live set does not hold an object and two arrays per alert that say nothing.
 */
export function alertStatus(silencedBy: readonly string[], inhibitedBy: readonly string[]): AlertStatus {
  return silencedBy.length === 0 && inhibitedBy.length === 0 ? EMPTY_STATUS : { silencedBy, inhibitedBy };
}

/**
 * History event kinds recorded for every change of an alert. `source_added`: another replica of an HA
 * pair (labels removed by replica dedup) sent the alert during its firing episode.
 */
export type AlertEventKind =
  | "new" | "updated" | "resolved" | "silenced" | "unsilenced" | "inhibited" | "uninhibited" | "source_added"
  | "acked" | "unacked" | "commented";

/** Alertmanager's notification order: by `job`, then `instance` (alerts having them first), then label set. */
export function compareAlertsForNotification(a: Alert, b: Alert): number {
  for (const key of ["job", "instance"]) {
    const av = a.labels[key];
    const bv = b.labels[key];
    if (av === undefined && bv === undefined) continue;
    if (av === undefined) return 1;
    if (bv === undefined) return -1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return compareLabelSets(a.labels, b.labels);
}
