import { isResolvedAt, type Alert } from "../types/alert.ts";
import { compareTime } from "../types/time.ts";

/**
 * Alertmanager's rule for a re-posted fingerprint: merge only when the activity ranges overlap
 * (new endsAt or new startsAt strictly inside the old range); otherwise the new alert replaces the old.
 */
export function overlaps(old: Alert, incoming: Alert): boolean {
  const inside = (t: Alert["startsAt"]) => compareTime(t, old.startsAt) > 0 && compareTime(t, old.endsAt) < 0;
  return inside(incoming.endsAt) || inside(incoming.startsAt);
}

/** types.Alert.Merge: the younger alert wins, except for the earliest start and an explicit later end. */
export function mergeAlerts(a: Alert, b: Alert, nowMs: number): Alert {
  const [older, younger] = compareTime(b.updatedAt, a.updatedAt) < 0 ? [b, a] : [a, b];
  let startsAt = younger.startsAt;
  let endsAt = younger.endsAt;
  if (compareTime(older.startsAt, younger.startsAt) < 0) startsAt = older.startsAt;
  if (isResolvedAt(younger, nowMs)) {
    if (isResolvedAt(older, nowMs) && compareTime(older.endsAt, younger.endsAt) > 0) endsAt = older.endsAt;
  } else if (compareTime(older.endsAt, younger.endsAt) > 0 && !older.timeout) {
    endsAt = older.endsAt;
  }
  return { ...younger, startsAt, endsAt };
}

/** What the live set holds after `incoming` arrives for a fingerprint that holds `old` (if any). */
export function applyIncoming(old: Alert | undefined, incoming: Alert, nowMs: number): { alert: Alert; merged: boolean } {
  if (old && overlaps(old, incoming)) return { alert: mergeAlerts(old, incoming, nowMs), merged: true };
  return { alert: incoming, merged: false };
}
