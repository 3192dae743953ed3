import type { Alert } from "../types/alert.ts";
import { isResolvedAt, compareAlertsForNotification } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import { ZERO_TIME } from "../types/time.ts";
import type { NotificationData, NotifyAlert } from "./notifier.ts";

/** Go's regexp.QuoteMeta: a backslash before every regex metacharacter. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

export function toNotifyAlert(a: Alert, nowMs: number): NotifyAlert {
  const resolved = isResolvedAt(a, nowMs);
  return {
    status: resolved ? "resolved" : "firing",
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: resolved ? a.endsAt : ZERO_TIME,
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  };
}

/** Alertmanager's template.Data for a batch: alerts in notification order, common labels and annotations. */
export function notificationData(receiver: string, groupLabels: LabelSet, alerts: readonly Alert[], externalURL: string, nowMs: number): NotificationData {
  const sorted = [...alerts].sort(compareAlertsForNotification).map((a) => toNotifyAlert(a, nowMs));
  return {
    receiver: quoteMeta(receiver),
    status: sorted.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts: sorted,
    groupLabels,
    commonLabels: common(sorted.map((a) => a.labels)),
    commonAnnotations: common(sorted.map((a) => a.annotations)),
    externalURL,
  };
}

/** Pairs equal across all sets, keys sorted as Go's encoder emits them. */
function common(sets: readonly LabelSet[]): LabelSet {
  if (sets.length === 0) return {};
  const out: Record<string, string> = {};
  const [first, ...rest] = sets;
  for (const k of Object.keys(first!).sort()) {
    const v = first![k]!;
    if (rest.every((s) => s[k] === v)) out[k] = v;
  }
  return out;
}
