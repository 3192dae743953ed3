/**
 * The ops API's read side of history: alert events (GET /alerts/history), one alert and its timeline
 * (GET /alerts/{fingerprint}), the delivery log (GET /deliveries) and storms (GET /storms). All viewer.
 */
import type { OpsModule } from "./openapi.ts";
import type { AlertEventKind } from "../../types/alert.ts";
import { OpsError, type OpsRequest, type OpsRoute } from "./route-table.ts";
import { decodeCursor, encodeCursor, parseFilters, parseLimit, parseTime, queryValue } from "./params.ts";
import type { Clock } from "../../lib/clock.ts";
import type { AlertProvider } from "../../provider/alert-provider.ts";
import type { RoutingTable } from "../../dispatch/routing-table.ts";
import type { HistoryReads, Keyset } from "../../store/history-repo.ts";
import { queryHistory } from "../../ops/history.ts";
import { alertTimeline, SOURCES, type TimelineCursor, type TimelineEntry } from "../../ops/timeline.ts";
import { formatApiTime } from "../../types/time.ts";
import type { UnusualAlerts } from "../../ops/unusual-service.ts";

export interface HistoryRoutesDeps {
  readonly clock: Clock;
  readonly historyRepo: HistoryReads;
  readonly provider: AlertProvider;
  routing(): RoutingTable;
  /** Unusual alerts: the outlier class of the alert's episode (absent: `unusual` is always null). */
  readonly unusual?: UnusualAlerts;
}

export const EVENT_KINDS = ["new", "updated", "resolved", "silenced", "unsilenced", "inhibited", "uninhibited", "source_added", "acked", "unacked", "commented"] as const satisfies readonly AlertEventKind[];
// Every kind the history holds can be filtered on and is in the schema (a kind added to AlertEventKind fails here).
const _allKinds: readonly (typeof EVENT_KINDS)[number][] = [] as AlertEventKind[];
export const DELIVERY_STATUSES = ["success", "failed"] as const;

const HISTORY_LIMIT = { dflt: 100, max: 1000 };
const TIMELINE_LIMIT = { dflt: 200, max: 1000 };
const DELIVERY_LIMIT = { dflt: 100, max: 1000 };
const STORM_LIMIT = { dflt: 100, max: 1000 };

const iso = (ms: number): string => new Date(ms).toISOString();
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const TIME = { type: "string", format: "date-time" };
const LABELS = { type: "object", additionalProperties: { type: "string" } };
const DETAIL = { type: "object", description: "what the record says beyond its kind (silence ids, inhibiting fingerprints, replica sources, …)" };
const CURSOR = { type: ["string", "null"], description: "pass as `cursor` to get the next page; null on the last page" };

const SCHEMAS: Record<string, unknown> = {
  HistoryEvent: {
    type: "object",
    required: ["id", "fingerprint", "labels", "time", "kind", "detail"],
    additionalProperties: false,
    properties: { id: { type: "integer" }, fingerprint: { type: "string" }, labels: LABELS, time: TIME, kind: { enum: [...EVENT_KINDS] }, detail: DETAIL },
  },
  HistoryPage: {
    type: "object",
    required: ["events", "next_cursor"],
    additionalProperties: false,
    properties: { events: { type: "array", items: ref("HistoryEvent") }, next_cursor: CURSOR },
  },
  Delivery: {
    type: "object",
    required: ["id", "time", "group_key", "receiver", "integration", "attempt", "status", "retryable", "error", "duration_ms", "firing", "resolved"],
    additionalProperties: false,
    properties: {
      id: { type: "integer" }, time: TIME, group_key: { type: "string" }, receiver: { type: "string" },
      integration: { type: "string", description: "the integration's name and index in the receiver, e.g. webhook/0" },
      attempt: { type: "integer", minimum: 1 }, status: { enum: [...DELIVERY_STATUSES] }, retryable: { type: "boolean" },
      error: { type: ["string", "null"] }, duration_ms: { type: "number" },
      firing: { type: "integer", description: "firing alerts in the notification" }, resolved: { type: "integer", description: "resolved alerts in the notification" },
    },
  },
  DeliveryPage: {
    type: "object",
    required: ["deliveries", "next_cursor"],
    additionalProperties: false,
    properties: { deliveries: { type: "array", items: ref("Delivery") }, next_cursor: CURSOR },
  },
  Storm: {
    type: "object",
    required: ["id", "receiver", "started", "ended", "active", "alerts", "groups"],
    additionalProperties: false,
    properties: {
      id: { type: "string" }, receiver: { type: "string" }, started: TIME, ended: { type: ["string", "null"], format: "date-time" },
      active: { type: "boolean" }, alerts: { type: "integer", description: "alerts the storm covered" }, groups: { type: "integer", description: "distinct groups those alerts were in" },
    },
  },
  StormList: {
    type: "object",
    required: ["storms"],
    additionalProperties: false,
    properties: { storms: { type: "array", items: ref("Storm") } },
  },
  Unusual: {
    type: ["object", "null"],
    description: "how often this alertname and service started an alert episode in the 30 days before the alert's current (or last) episode started: "
      + "class new (never), rare (on at most 5 % of the days, i.e. 1 of 30), frequent; null when history holds no start of an episode of the alert",
    required: ["class", "days_with_episodes", "window_days", "episode_start"],
    additionalProperties: false,
    properties: {
      class: { enum: ["new", "rare", "frequent"] },
      days_with_episodes: { type: "integer", minimum: 0, description: "distinct UTC dates in [episode_start − 30 d, episode_start) with an episode start of the pair (up to 31: the window's ends fall inside days)" },
      window_days: { type: "integer", const: 30 },
      episode_start: { ...TIME, description: "when the episode classified started (its `new` event)" },
    },
  },
  AlertNow: {
    type: "object",
    required: ["fingerprint", "labels", "live", "state", "last_event_time", "groups", "unusual"],
    additionalProperties: false,
    properties: {
      fingerprint: { type: "string" }, labels: LABELS,
      live: { type: "boolean", description: "in the live alert set now; false: known from history only, with its last known labels" },
      state: { enum: ["firing", "resolved"] },
      last_event_time: { type: ["string", "null"], format: "date-time" },
      groups: { type: "array", items: { type: "string" }, description: "aggregation group keys it is in by the routing tree now, or had decisions in" },
      unusual: ref("Unusual"),
      annotations: LABELS, starts_at: TIME, ends_at: TIME, updated_at: TIME, generator_url: { type: "string" },
      status: {
        type: "object", required: ["silenced_by", "inhibited_by"], additionalProperties: false,
        properties: { silenced_by: { type: "array", items: { type: "string" } }, inhibited_by: { type: "array", items: { type: "string" } } },
      },
    },
  },
  TimelineEntry: {
    oneOf: [
      {
        type: "object", required: ["type", "time", "id", "kind", "detail"], additionalProperties: false,
        properties: { type: { const: "event" }, time: TIME, id: { type: "integer" }, kind: { enum: [...EVENT_KINDS] }, detail: DETAIL },
      },
      {
        type: "object", required: ["type", "time", "id", "scope", "group_key", "receiver", "integration", "stage", "outcome", "detail"], additionalProperties: false,
        description: "a notification pipeline decision: about the alert itself (scope alert: held by silence, inhibit, time_intervals, storm, flap, ack, …) or about a whole group it is in (scope group: dedup not_due, notify sent/failed/covered, time_intervals muted, …)",
        properties: {
          type: { const: "decision" }, time: TIME, id: { type: "integer" }, scope: { enum: ["alert", "group"] }, group_key: { type: "string" }, receiver: { type: "string" },
          integration: { type: ["string", "null"], description: "null: every integration of the receiver" },
          stage: { type: "string", description: "inhibit, time_intervals, silence, flap, storm, dedup, notify, …" },
          outcome: { type: "string", description: "inhibited, outside_active, muted, silenced, flapping, damped, held, not_due, sent, failed, covered, released, …" },
          detail: DETAIL,
        },
      },
      {
        type: "object", required: ["type", "time", "id", "group_key", "receiver", "integration", "attempt", "status", "retryable", "error", "duration_ms", "firing", "resolved"], additionalProperties: false,
        properties: {
          type: { const: "delivery" }, time: TIME, id: { type: "integer" }, group_key: { type: "string" }, receiver: { type: "string" }, integration: { type: "string" },
          attempt: { type: "integer" }, status: { enum: [...DELIVERY_STATUSES] }, retryable: { type: "boolean" }, error: { type: ["string", "null"] },
          duration_ms: { type: "number" }, firing: { type: "integer" }, resolved: { type: "integer" },
        },
      },
      {
        type: "object", required: ["type", "time", "id", "action", "actor", "comment", "expires", "ended_by"], additionalProperties: false,
        properties: {
          type: { const: "ack" }, time: TIME, id: { type: "integer", description: "the ack's id" }, action: { enum: ["acked", "unacked"] }, actor: { type: "string" },
          comment: { type: "string" }, expires: { type: ["string", "null"], format: "date-time" }, ended_by: { type: ["string", "null"] },
        },
      },
      {
        type: "object", required: ["type", "time", "id", "actor", "text"], additionalProperties: false,
        properties: { type: { const: "comment" }, time: TIME, id: { type: "integer" }, actor: { type: "string" }, text: { type: "string" } },
      },
      {
        type: "object", required: ["type", "time", "id", "state", "rule", "receiver", "due", "cancelled_by"], additionalProperties: false,
        description: "an escalation of the alert's episode: at its firing, its cancellation, or (pending) when it is due",
        properties: {
          type: { const: "escalation" }, time: TIME, id: { type: "integer" }, state: { enum: ["pending", "fired", "cancelled"] }, rule: { type: "string", description: "the escalation rule (its receiver and matchers)" },
          receiver: { type: "string" }, due: TIME, cancelled_by: { type: ["string", "null"] },
        },
      },
    ],
  },
  AlertTimeline: {
    type: "object",
    required: ["alert", "timeline", "next_cursor"],
    additionalProperties: false,
    properties: { alert: ref("AlertNow"), timeline: { type: "array", items: ref("TimelineEntry") }, next_cursor: CURSOR },
  },
};

const ok = (schema: string, description: string) => ({ description, content: { "application/json": { schema: ref(schema) } } });
const ERROR = { content: { "application/json": { schema: ref("Error") } } };
const BAD_REQUEST = { description: "bad input: a bad matcher, time, kind, status, limit or cursor, or an unknown parameter; the message says which", ...ERROR };
const q = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }, explode = false) =>
  ({ name, in: "query", required: false, description, schema, ...(explode ? { style: "form", explode: true } : {}) });
const P_SINCE = q("since", "from this time on (inclusive): RFC 3339 (2026-01-02T03:04:05Z) or relative to now (-24h, -30m, -7d)");
const P_UNTIL = q("until", "up to this time (inclusive): RFC 3339 or relative to now");
const P_CURSOR = q("cursor", "the next_cursor of the previous page (opaque; the other parameters must stay the same)");
const limitParam = (l: { dflt: number; max: number }) => q("limit", `page size, 1 to ${l.max} (default ${l.dflt})`, { type: "integer", minimum: 1, maximum: l.max, default: l.dflt });

/** Rejects query parameters the route does not know (a typo would otherwise widen the query silently). */
function checkParams(req: OpsRequest, allowed: readonly string[]): void {
  for (const name of Object.keys(req.query)) {
    if (!allowed.includes(name)) throw new OpsError(400, `unknown query parameter ${JSON.stringify(name.slice(0, 64))}; this endpoint takes ${allowed.join(", ")}`);
  }
}

function timeParam(req: OpsRequest, name: string, nowMs: number): number | undefined {
  const v = queryValue(req.query, name);
  return v === undefined || v === "" ? undefined : parseTime(v, nowMs, name);
}

function timeRange(req: OpsRequest, nowMs: number): { sinceMs?: number; untilMs?: number } {
  const sinceMs = timeParam(req, "since", nowMs);
  const untilMs = timeParam(req, "until", nowMs);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) throw new OpsError(400, `since (${iso(sinceMs)}) is after until (${iso(untilMs)})`);
  return { ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}) };
}

/** A value from a closed set, from a parameter that may repeat and may hold a comma-separated list. */
function enumList(req: OpsRequest, name: string, allowed: readonly string[]): string[] | undefined {
  const values = (req.query[name] ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  if (values.length === 0) return undefined;
  for (const v of values) if (!allowed.includes(v)) throw new OpsError(400, `${name}: ${JSON.stringify(v.slice(0, 64))} is not one of ${allowed.join(", ")}`);
  return [...new Set(values)];
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** A keyset cursor of endpoint `k`: {k, t: at_ms, i: id}. */
function keysetCursor(req: OpsRequest, k: string): Keyset | undefined {
  const text = queryValue(req.query, "cursor");
  if (text === undefined || text === "") return undefined;
  const c = decodeCursor(text);
  if (c.k !== k || !isIndex(c.t) || !isIndex(c.i)) throw new OpsError(400, `bad cursor: not a cursor of this listing (${k})`);
  return { atMs: c.t, id: c.i };
}

function timelineCursor(req: OpsRequest, fingerprint: string): TimelineCursor | undefined {
  const text = queryValue(req.query, "cursor");
  if (text === undefined || text === "") return undefined;
  const c = decodeCursor(text);
  if (c.k !== "timeline" || c.f !== fingerprint || !isIndex(c.t) || !isIndex(c.i) || !isIndex(c.s) || c.s < 0 || c.s >= SOURCES.length) {
    throw new OpsError(400, "bad cursor: not a cursor of this alert's timeline");
  }
  return { atMs: c.t, source: c.s, id: c.i };
}

function timelineJson(e: TimelineEntry): Record<string, unknown> {
  const time = iso(e.atMs);
  switch (e.source) {
    case "event":
      return { type: "event", time, id: e.id, kind: e.event.kind, detail: e.event.detail };
    case "decision": {
      const d = e.decision;
      return { type: "decision", time, id: d.id, scope: d.fingerprint === "" ? "group" : "alert", group_key: d.groupKey, receiver: d.receiver, integration: d.integration === "" ? null : d.integration, stage: d.stage, outcome: d.outcome, detail: d.detail };
    }
    case "delivery":
      return { type: "delivery", time, ...deliveryJson(e.delivery) };
    case "ack":
      return { type: "ack", time, id: e.ack.id, action: e.action, actor: e.action === "acked" ? e.ack.actor : (e.ack.endedBy ?? e.ack.actor), comment: e.ack.comment, expires: e.ack.expiresMs === null ? null : iso(e.ack.expiresMs), ended_by: e.ack.endedBy };
    case "comment":
      return { type: "comment", time, id: e.comment.id, actor: e.comment.actor, text: e.comment.text };
    case "escalation":
      return { type: "escalation", time, id: e.escalation.id, state: e.state, rule: e.escalation.rule, receiver: e.escalation.receiver, due: iso(e.escalation.dueMs), cancelled_by: e.escalation.cancelledBy };
  }
}

function deliveryJson(d: { id: number; atMs: number; groupKey: string; receiver: string; integration: string; attempt: number; status: string; retryable: boolean; error: string | null; durationMs: number; firing: number; resolved: number }): Record<string, unknown> {
  return {
    id: d.id, time: iso(d.atMs), group_key: d.groupKey, receiver: d.receiver, integration: d.integration, attempt: d.attempt, status: d.status,
    retryable: d.retryable, error: d.error, duration_ms: d.durationMs, firing: d.firing, resolved: d.resolved,
  };
}

export function historyModule(deps: HistoryRoutesDeps): OpsModule {
  const routes: OpsRoute[] = [
    {
      method: "GET",
      path: "/alerts/history",
      role: "viewer",
      operationId: "getAlertHistory",
      summary: "Alert history events, newest first",
      spec: {
        description: "Every recorded change of every alert (new, updated, resolved, silenced, unsilenced, inhibited, uninhibited, source_added), newest first. "
          + "Label filters go through the series_labels index, the time range through the events' time index: an index lookup at any history size. "
          + "Pages are keyset-paged by (time, id), so events recorded between two pages neither repeat nor shift rows.",
        parameters: [
          q("filter", "an Alertmanager matcher (name=\"value\", !=, =~, !~); repeat for several, all must match", { type: "array", items: { type: "string" } }, true),
          P_SINCE, P_UNTIL,
          q("kind", "only these event kinds: comma-separated or repeated", { type: "array", items: { enum: [...EVENT_KINDS] } }, true),
          limitParam(HISTORY_LIMIT), P_CURSOR,
        ],
        responses: { 200: ok("HistoryPage", "one page of events, newest first"), 400: BAD_REQUEST },
      },
      async handler(req) {
        checkParams(req, ["filter", "since", "until", "kind", "limit", "cursor"]);
        const nowMs = deps.clock.now();
        const matchers = parseFilters(req.query.filter);
        const kinds = enumList(req, "kind", EVENT_KINDS);
        const limit = parseLimit(queryValue(req.query, "limit"), HISTORY_LIMIT.dflt, HISTORY_LIMIT.max);
        const before = keysetCursor(req, "history");
        const page = await queryHistory(deps.historyRepo, { matchers, ...timeRange(req, nowMs), ...(kinds ? { kinds } : {}), ...(before ? { before } : {}), limit });
        return {
          status: 200,
          json: {
            events: page.events.map((e) => ({ id: e.id, fingerprint: e.fingerprint, labels: e.labels, time: iso(e.atMs), kind: e.kind, detail: e.detail })),
            next_cursor: page.next ? encodeCursor({ k: "history", t: page.next.atMs, i: page.next.id }) : null,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/deliveries",
      role: "viewer",
      operationId: "getDeliveries",
      summary: "The delivery log: every send attempt, newest first",
      spec: {
        parameters: [
          q("receiver", "only this receiver"), q("integration", "only this integration, e.g. webhook/0"),
          q("status", "only attempts with this outcome", { enum: [...DELIVERY_STATUSES] }), q("group_key", "only this aggregation group"),
          P_SINCE, P_UNTIL, limitParam(DELIVERY_LIMIT), P_CURSOR,
        ],
        responses: { 200: ok("DeliveryPage", "one page of delivery attempts, newest first"), 400: BAD_REQUEST },
      },
      async handler(req) {
        checkParams(req, ["receiver", "integration", "status", "group_key", "since", "until", "limit", "cursor"]);
        const nowMs = deps.clock.now();
        const status = enumList(req, "status", DELIVERY_STATUSES);
        if (status && status.length > 1) throw new OpsError(400, "status: give one of success, failed (or leave it out for both)");
        const limit = parseLimit(queryValue(req.query, "limit"), DELIVERY_LIMIT.dflt, DELIVERY_LIMIT.max);
        const before = keysetCursor(req, "deliveries");
        const text = (name: string) => {
          const v = queryValue(req.query, name);
          return v === undefined || v === "" ? {} : { [name === "group_key" ? "groupKey" : name]: v };
        };
        const rows = await deps.historyRepo.deliveries({
          ...text("receiver"), ...text("integration"), ...text("group_key"), ...(status ? { status: status[0] } : {}),
          ...timeRange(req, nowMs), ...(before ? { before } : {}), limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          status: 200,
          json: { deliveries: page.map(deliveryJson), next_cursor: rows.length > limit && last ? encodeCursor({ k: "deliveries", t: last.atMs, i: last.id }) : null },
        };
      },
    },
    {
      method: "GET",
      path: "/storms",
      role: "viewer",
      operationId: "getStorms",
      summary: "Storm periods (noise.storm) with the alerts and groups each covered, newest first",
      spec: {
        description: "Storms overlapping [since, until]; an empty list when storm mode never ran.",
        parameters: [P_SINCE, P_UNTIL, limitParam(STORM_LIMIT)],
        responses: { 200: ok("StormList", "the storms, newest first"), 400: BAD_REQUEST },
      },
      async handler(req) {
        checkParams(req, ["since", "until", "limit"]);
        const limit = parseLimit(queryValue(req.query, "limit"), STORM_LIMIT.dflt, STORM_LIMIT.max);
        const storms = await deps.historyRepo.storms({ ...timeRange(req, deps.clock.now()), limit });
        return {
          status: 200,
          json: {
            storms: storms.map((s) => ({ id: s.id, receiver: s.receiver, started: iso(s.startedMs), ended: s.endedMs === null ? null : iso(s.endedMs), active: s.endedMs === null, alerts: s.alerts, groups: s.groups })),
          },
        };
      },
    },
    // After /alerts/history, which it would otherwise capture.
    {
      method: "GET",
      path: "/alerts/:fingerprint",
      role: "viewer",
      operationId: "getAlertTimeline",
      summary: "One alert now, and its timeline",
      spec: {
        description: "The alert as the live set has it (or its last known labels when it is gone from the live set but in history), and its timeline in time order: "
          + "its history events; the notification decisions about it (held by silence, inhibition, time interval, storm, flapping, ack, …) and about the groups it is in (repeat not due, sent, failed, covered by a storm summary); "
          + "every delivery attempt of those groups from each firing episode's start to its resolution plus twice the group_interval; acks, comments and escalations. "
          + "Bounded by `limit` (pages continue with `cursor`) and optionally by `since`/`until`.",
        parameters: [
          { name: "fingerprint", in: "path", required: true, description: "the alert's fingerprint, as in /api/v2/alerts", schema: { type: "string" } },
          P_SINCE, P_UNTIL, limitParam(TIMELINE_LIMIT), P_CURSOR,
        ],
        responses: {
          200: ok("AlertTimeline", "the alert and one page of its timeline, oldest first"),
          400: BAD_REQUEST,
          404: { description: "no alert with this fingerprint was ever seen (or its history was pruned)", ...ERROR },
        },
      },
      async handler(req) {
        checkParams(req, ["since", "until", "limit", "cursor"]);
        const fingerprint = req.params.fingerprint ?? "";
        if (!/^[0-9a-f]{16}$/.test(fingerprint)) throw new OpsError(400, `${JSON.stringify(fingerprint.slice(0, 64))} is not an alert fingerprint (16 lowercase hex digits)`);
        const limit = parseLimit(queryValue(req.query, "limit"), TIMELINE_LIMIT.dflt, TIMELINE_LIMIT.max);
        const after = timelineCursor(req, fingerprint);
        const page = await alertTimeline(
          { repo: deps.historyRepo, live: (fp) => deps.provider.get(fp), routing: () => deps.routing() },
          fingerprint,
          { ...timeRange(req, deps.clock.now()), ...(after ? { after } : {}), limit },
        );
        if (!page) throw new OpsError(404, `no alert with fingerprint ${fingerprint} was ever seen`);
        const a = page.alert;
        const live = a.live;
        const u = await deps.unusual?.episodeAt(a.fingerprint, a.labels, deps.clock.now());
        return {
          status: 200,
          json: {
            alert: {
              fingerprint: a.fingerprint, labels: a.labels, live: live !== undefined, state: a.state,
              last_event_time: a.lastEventMs === undefined ? null : iso(a.lastEventMs), groups: a.groups,
              unusual: u ? { class: u.class, days_with_episodes: u.daysWithEpisodes, window_days: u.windowDays, episode_start: iso(u.startMs) } : null,
              ...(live ? {
                annotations: live.alert.annotations, starts_at: formatApiTime(live.alert.startsAt), ends_at: formatApiTime(live.alert.endsAt),
                updated_at: formatApiTime(live.alert.updatedAt), generator_url: live.alert.generatorURL,
                status: { silenced_by: live.status.silencedBy, inhibited_by: live.status.inhibitedBy },
              } : {}),
            },
            timeline: page.entries.map(timelineJson),
            next_cursor: page.next ? encodeCursor({ k: "timeline", f: fingerprint, t: page.next.atMs, s: page.next.source, i: page.next.id }) : null,
          },
        };
      },
    },
  ];
  return { routes, schemas: SCHEMAS };
}
