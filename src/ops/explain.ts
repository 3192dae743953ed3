/**
 * `explain`: why an alert is or is not being notified now, per route it matches. It replays the decisions
 * of the notification pipeline (inhibit → time intervals → silences → ack → flap → storm → per integration
 * the notification log's dedup) against the current state, without changing anything. No HTTP here.
 */
import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { Silence } from "../types/silence.ts";
import { silenceMatcherOp } from "../types/silence.ts";
import { matchersString } from "../matchers/index.ts";
import type { Route } from "../dispatch/route.ts";
import type { AckRow } from "../store/explain-repo.ts";

/** An aggregation group of the dispatcher, as explain sees it. */
export interface ExplainGroup {
  readonly groupKey: string;
  readonly route: Route;
  readonly groupLabels: LabelSet;
  readonly nextFlushMs: number;
  readonly awaitingFirstFlush: boolean;
  holds(fingerprint: string): boolean;
}

/** One integration of a receiver and what the notification log says it was last told about a group. */
export interface ExplainIntegration {
  readonly id: string;
  readonly sendResolved: boolean;
  lastSent(groupKey: string): { readonly sentAtMs: number; readonly firing: readonly string[]; readonly resolved: readonly string[] } | undefined;
}

/** Everything explain reads, from the running app (a pure function of it). */
export interface ExplainInput {
  readonly nowMs: number;
  readonly fingerprint: string;
  readonly labels: LabelSet;
  /** The alert in the live set (undefined once garbage-collected). */
  readonly live: { readonly alert: Alert; readonly state: "firing" | "resolved" } | undefined;
  /** The latest firing/resolved change in history. */
  readonly lastChange: { readonly kind: "new" | "resolved"; readonly atMs: number } | undefined;
  readonly root: Route;
  readonly groups: readonly ExplainGroup[];
  inhibitedBy(alert: Alert): readonly string[];
  inhibitorLabels(fingerprint: string): LabelSet | undefined;
  silencedBy(alert: Alert): readonly string[];
  silence(id: string): Silence | undefined;
  inInterval(name: string): boolean;
  integrations(receiver: string): readonly ExplainIntegration[];
  /** Undefined while the receiver is in no storm (or storm mode is off). */
  storm(receiver: string): { readonly id: string; readonly startedMs: number } | undefined;
  stormBypasses(labels: LabelSet): boolean;
  /** Undefined when flap damping is off. */
  readonly flap: { readonly flapping: boolean; readonly sinceMs?: number; readonly quietUntilMs?: number } | undefined;
  /** Acknowledgements of the current episode (oldest first). */
  readonly acks: readonly AckRow[];
}

export type RouteStatus = "will_notify" | "held" | "resolved" | "no_integrations" | "not_grouped";
export type HoldReason =
  | "inhibited" | "outside_active_time_interval" | "mute_time_interval" | "silenced" | "acknowledged"
  | "flapping_damped" | "storm" | "group_wait" | "repeat_not_due";

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));

/** The whole answer, in the ops API's snake_case JSON. */
export interface Explanation {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly now: string;
  readonly state: "firing" | "resolved";
  readonly in_live_set: boolean;
  readonly starts_at: string | null;
  readonly ends_at: string | null;
  readonly resolved_at: string | null;
  readonly summary: string;
  readonly silenced_by: ReadonlyArray<{ id: string; matchers: string[]; created_by: string; comment: string; ends_at: string }>;
  readonly inhibited_by: ReadonlyArray<{ fingerprint: string; labels: LabelSet | null }>;
  readonly flapping: { enabled: boolean; flapping: boolean; since: string | null; quiet_until: string | null };
  readonly ack: { acked: boolean; by: string; at: string; expires_at: string | null; comment: string } | null;
  readonly routes: readonly RouteExplanation[];
}

export interface RouteExplanation {
  readonly route_id: string;
  readonly pinned: boolean;
  readonly path: ReadonlyArray<{ id: string; matchers: string; receiver: string; continue: boolean }>;
  readonly receiver: string;
  readonly continue: boolean;
  readonly group_by: readonly string[];
  readonly group_wait_seconds: number;
  readonly group_interval_seconds: number;
  readonly repeat_interval_seconds: number;
  readonly group: { group_key: string; group_labels: LabelSet; next_flush_at: string | null; first_flush_pending: boolean } | null;
  readonly time_intervals: ReadonlyArray<{ name: string; kind: "mute" | "active"; in_force: boolean }>;
  readonly time_intervals_hold_group: boolean;
  readonly storm: { id: string; since: string; bypassed: boolean } | null;
  readonly integrations: readonly IntegrationExplanation[];
  readonly status: RouteStatus;
  readonly reason: HoldReason | null;
  readonly verdict: string;
}

export interface IntegrationExplanation {
  readonly integration: string;
  readonly send_resolved: boolean;
  readonly last_notification: { sent_at: string; alert_firing: boolean; alert_resolved: boolean } | null;
  readonly next_repeat_at: string | null;
  readonly status: RouteStatus;
  readonly reason: HoldReason | null;
  readonly verdict: string;
}

/** The routes from the root down to `route` (both included), by its id ("0/2/1"). */
export function routePath(root: Route, route: Route): Route[] {
  const path = [root];
  if (route.id === root.id) return path;
  let node = root;
  for (const part of route.id.split("/").slice(1)) {
    const next = node.routes[Number(part)];
    if (next === undefined) break;
    path.push(next);
    node = next;
  }
  return path[path.length - 1] === route ? path : [route];
}

/** The first group tick strictly after `dueMs` (the notification log wants sentAt < now - repeat). */
export function firstTickAfter(nextFlushMs: number, groupIntervalMs: number, dueMs: number): number {
  if (nextFlushMs > dueMs) return nextFlushMs;
  const k = Math.floor((dueMs - nextFlushMs) / groupIntervalMs) + 1;
  return nextFlushMs + k * groupIntervalMs;
}

export function explain(input: ExplainInput): Explanation {
  const { nowMs, live } = input;
  const alert = live?.alert;
  const resolved = alert === undefined || live?.state === "resolved" || isResolvedAt(alert, nowMs);
  const resolvedAtMs = !resolved ? undefined
    : alert !== undefined && alert.endsAt.ms <= nowMs ? alert.endsAt.ms
      : input.lastChange?.kind === "resolved" ? input.lastChange.atMs : undefined;

  const silences = alert ? input.silencedBy(alert).map((id) => input.silence(id)).filter((s): s is Silence => s !== undefined) : [];
  const inhibitors = alert ? input.inhibitedBy(alert) : [];
  const currentAck = input.acks.find((a) => a.endedMs === undefined && (a.expiresMs === undefined || a.expiresMs > nowMs));

  const routes: RouteExplanation[] = [];
  if (alert !== undefined) {
    const matched = input.root.match(alert.labels);
    const grouped = input.groups.filter((g) => g.holds(input.fingerprint));
    for (const route of matched) {
      const group = grouped.find((g) => g.route === route);
      routes.push(explainRoute(input, alert, resolved, route, group, false, silences, inhibitors, currentAck));
    }
    // Routes outside the tree (a storm summary goes straight to its receiver).
    for (const g of grouped.filter((x) => isPinned(x, input.root))) {
      routes.push(explainRoute(input, alert, resolved, g.route, g, true, silences, inhibitors, currentAck));
    }
  }

  const summary = overall(input, alert, resolved, resolvedAtMs, routes);
  return {
    fingerprint: input.fingerprint,
    labels: input.labels,
    now: iso(nowMs),
    state: resolved ? "resolved" : "firing",
    in_live_set: alert !== undefined,
    starts_at: alert ? iso(alert.startsAt.ms) : null,
    ends_at: alert && resolved ? iso(alert.endsAt.ms) : null,
    resolved_at: isoOrNull(resolvedAtMs),
    summary,
    silenced_by: silences.map((s) => ({
      id: s.id,
      matchers: s.matchers.map((m) => `${m.name}${silenceMatcherOp(m)}${JSON.stringify(m.value)}`),
      created_by: s.createdBy,
      comment: s.comment,
      ends_at: iso(s.endsAt.ms),
    })),
    inhibited_by: inhibitors.map((fp) => ({ fingerprint: fp, labels: input.inhibitorLabels(fp) ?? null })),
    flapping: {
      enabled: input.flap !== undefined,
      flapping: input.flap?.flapping ?? false,
      since: isoOrNull(input.flap?.sinceMs),
      quiet_until: isoOrNull(input.flap?.quietUntilMs),
    },
    ack: currentAck === undefined ? null : { acked: true, by: currentAck.actor, at: iso(currentAck.createdMs), expires_at: isoOrNull(currentAck.expiresMs), comment: currentAck.comment },
    routes,
  };
}

/** A group whose route is not the tree's (a pinned route of its own). */
function isPinned(g: ExplainGroup, root: Route): boolean {
  for (const r of root.walk()) if (r === g.route) return false;
  return true;
}

type Held = { status: RouteStatus; reason: HoldReason | null; verdict: string };

function explainRoute(
  input: ExplainInput, alert: Alert, resolved: boolean, route: Route, group: ExplainGroup | undefined, pinned: boolean,
  silences: readonly Silence[], inhibitors: readonly string[], ack: AckRow | undefined,
): RouteExplanation {
  const { nowMs } = input;
  const o = route.opts;
  const receiver = o.receiver;
  const intervals = [
    ...o.muteTimeIntervals.map((name) => ({ name, kind: "mute" as const, in_force: input.inInterval(name) })),
    ...o.activeTimeIntervals.map((name) => ({ name, kind: "active" as const, in_force: input.inInterval(name) })),
  ];
  const outsideActive = o.activeTimeIntervals.length > 0 && !intervals.some((t) => t.kind === "active" && t.in_force);
  const mutedBy = intervals.filter((t) => t.kind === "mute" && t.in_force).map((t) => t.name);
  const storm = input.storm(receiver);
  const bypassed = input.stormBypasses(alert.labels) || alert.labels.alertprism === "storm";
  const nextFlush = group?.nextFlushMs !== undefined ? Math.max(group.nextFlushMs, nowMs) : undefined;

  // Stages that hold the alert (or its whole group) for every integration, in the pipeline's order.
  const stageHold = ((): Held | undefined => {
    if (group === undefined) {
      // A resolved alert leaves its group once the resolve went out: the notification log tells the rest.
      return resolved ? undefined : { status: "not_grouped", reason: null, verdict: "not in an aggregation group of this route yet (it is being dispatched)" };
    }
    if (inhibitors.length > 0) return { status: "held", reason: "inhibited", verdict: `held: inhibited by ${inhibitors.join(", ")}${describeLabels(input.inhibitorLabels(inhibitors[0]!))}` };
    if (outsideActive) return { status: "held", reason: "outside_active_time_interval", verdict: `held: outside the active time intervals ${o.activeTimeIntervals.join(", ")}` };
    if (mutedBy.length > 0) return { status: "held", reason: "mute_time_interval", verdict: `held: muted by time interval ${mutedBy.join(", ")}` };
    if (silences.length > 0) {
      const s = silences[0]!;
      return { status: "held", reason: "silenced", verdict: `held: silenced by ${silences.map((x) => x.id).join(", ")} (${s.createdBy}, until ${iso(s.endsAt.ms)})` };
    }
    if (ack !== undefined && !resolved) {
      return { status: "held", reason: "acknowledged", verdict: `held: acknowledged by ${ack.actor} at ${iso(ack.createdMs)}${ack.expiresMs === undefined ? "" : ` until ${iso(ack.expiresMs)}`}` };
    }
    if (resolved && input.flap?.flapping) {
      return { status: "held", reason: "flapping_damped", verdict: `held: the resolve is damped as flapping (shown as firing) until ${isoOrNull(input.flap.quietUntilMs) ?? "it settles"}` };
    }
    if (storm !== undefined && !bypassed) return { status: "held", reason: "storm", verdict: `held: receiver ${receiver} is in storm ${storm.id} since ${iso(storm.startedMs)}; the storm summary covers it` };
    return undefined;
  })();

  const groupKey = group?.groupKey ?? route.groupKey(route.groupLabels(alert.labels));
  const integrations = input.integrations(receiver).map((n): IntegrationExplanation => {
    const last = n.lastSent(groupKey);
    const inFiring = last?.firing.includes(alert.fingerprint) ?? false;
    const inResolved = last?.resolved.includes(alert.fingerprint) ?? false;
    const repeatDue = last !== undefined && inFiring ? last.sentAtMs + o.repeatIntervalMs : undefined;
    const held = stageHold ?? integrationVerdict(alert, resolved, group, nextFlush, o.groupIntervalMs, n, last, inFiring, inResolved, repeatDue);
    return {
      integration: n.id,
      send_resolved: n.sendResolved,
      last_notification: last === undefined ? null : { sent_at: iso(last.sentAtMs), alert_firing: inFiring, alert_resolved: inResolved },
      next_repeat_at: isoOrNull(resolved ? undefined : repeatDue),
      ...held,
    };
  });

  const verdict: Held = stageHold ?? (integrations.length === 0
    ? { status: "no_integrations", reason: null, verdict: `nothing to send: receiver ${receiver} has no integrations` }
    : combine(integrations));

  return {
    route_id: route.id,
    pinned,
    path: (pinned ? [route] : routePath(input.root, route)).map((r) => ({ id: r.id, matchers: matchersString(r.matchers), receiver: r.opts.receiver, continue: r.continueMatching })),
    receiver,
    continue: route.continueMatching,
    group_by: o.groupByAll ? ["..."] : [...o.groupBy],
    group_wait_seconds: o.groupWaitMs / 1000,
    group_interval_seconds: o.groupIntervalMs / 1000,
    repeat_interval_seconds: o.repeatIntervalMs / 1000,
    group: group === undefined ? null : { group_key: group.groupKey, group_labels: group.groupLabels, next_flush_at: isoOrNull(nextFlush), first_flush_pending: group.awaitingFirstFlush },
    time_intervals: intervals,
    time_intervals_hold_group: outsideActive || mutedBy.length > 0,
    storm: storm === undefined ? null : { id: storm.id, since: iso(storm.startedMs), bypassed },
    integrations,
    ...verdict,
  };
}

/** The notification log's decision (Alertmanager's DedupStage) for one integration at the next flush. */
function integrationVerdict(
  alert: Alert, resolved: boolean, group: ExplainGroup | undefined, nextFlush: number | undefined, groupIntervalMs: number, n: ExplainIntegration,
  last: { sentAtMs: number } | undefined, inFiring: boolean, inResolved: boolean, repeatDue: number | undefined,
): Held {
  if (resolved) {
    const ended = `resolved at ${iso(alert.endsAt.ms)}`;
    if (inResolved) return { status: "resolved", reason: null, verdict: `${ended}; the resolve was notified at ${iso(last!.sentAtMs)}` };
    if (!inFiring) return { status: "resolved", reason: null, verdict: `${ended}; it was not notified as firing, so there is nothing to resolve` };
    if (!n.sendResolved) return { status: "resolved", reason: null, verdict: `${ended}; no resolve notification (send_resolved is false)` };
    if (nextFlush === undefined) return { status: "resolved", reason: null, verdict: `${ended}; its group is gone, nothing more will be sent` };
    return { status: "will_notify", reason: null, verdict: `${ended}; the resolve will be notified at ${iso(nextFlush)}` };
  }
  // Only resolved alerts get here without a group (a firing one without is "not_grouped" above).
  if (group === undefined || nextFlush === undefined) return { status: "not_grouped", reason: null, verdict: "not in an aggregation group of this route" };
  const at = iso(nextFlush);
  if (group.awaitingFirstFlush) return { status: "held", reason: "group_wait", verdict: `held: group_wait pending; the first notification is due at ${at}` };
  if (!inFiring) return { status: "will_notify", reason: null, verdict: `will be notified at ${at}` };
  const due = repeatDue!;
  const tick = firstTickAfter(nextFlush, groupIntervalMs, due);
  if (tick === nextFlush && nextFlush > due) return { status: "will_notify", reason: null, verdict: `will be notified at ${at} (repeat_interval passed at ${iso(due)})` };
  return { status: "held", reason: "repeat_not_due", verdict: `held: repeat not due until ${iso(due)} (last sent ${iso(last!.sentAtMs)}); next notification at ${iso(tick)} unless the group changes` };
}

/** One line for a route from its integrations' lines: the common one, or each prefixed by its integration. */
function combine(integrations: readonly IntegrationExplanation[]): Held {
  const first = integrations[0]!;
  if (integrations.every((i) => i.verdict === first.verdict)) return { status: first.status, reason: first.reason, verdict: first.verdict };
  const status: RouteStatus = integrations.some((i) => i.status === "will_notify") ? "will_notify" : first.status;
  return {
    status,
    reason: status === "will_notify" ? null : first.reason,
    verdict: integrations.map((i) => `${i.integration}: ${i.verdict}`).join("; "),
  };
}

function describeLabels(labels: LabelSet | undefined): string {
  if (labels === undefined) return "";
  return ` ${JSON.stringify(labels).replace(/"([^"]+)":/g, "$1=")}`;
}

function overall(input: ExplainInput, alert: Alert | undefined, resolved: boolean, resolvedAtMs: number | undefined, routes: readonly RouteExplanation[]): string {
  if (alert === undefined) {
    return `resolved${resolvedAtMs === undefined ? "" : ` at ${iso(resolvedAtMs)}`} and no longer in the live set; nothing more will be sent`;
  }
  if (routes.length === 0) return "it matches no route";
  const lines = routes.map((r) => `${r.receiver}: ${r.verdict}`);
  return `${resolved ? "resolved" : "firing"}; ${[...new Set(lines)].join("; ")}`;
}

/** Storm and flap state as explain reads it (NoiseControl's read-only accessors). */
export interface NoiseView {
  stormState(receiver: string): { readonly id: string; readonly startedMs: number } | undefined;
  stormBypasses(labels: LabelSet): boolean;
  flapState(fingerprint: string, nowMs: number): { readonly flapping: boolean; readonly sinceMs?: number; readonly quietUntilMs?: number } | undefined;
}
