/**
 * GET /alerts/now: the firing alerts grouped as the route tree groups them (one entry per matching route
 * and group labels, as /api/v2/alerts/groups), each with what on-call needs at a glance: priority, muting,
 * acknowledgement, flapping, and whether its receiver is in a storm. Paged by alert, so 10,000 firing
 * alerts arrive a page at a time.
 */
import type { OpsModule } from "./openapi.ts";
import type { Clock } from "../../lib/clock.ts";
import type { AlertProvider } from "../../provider/alert-provider.ts";
import type { RoutingTable } from "../../dispatch/routing-table.ts";
import type { AckBook } from "../../ops/acks.ts";
import type { NoiseView } from "../../ops/explain.ts";
import { compareLabelSets, labelSetString, type LabelSet } from "../../types/labels.ts";
import { compareAlertsForNotification, type Alert } from "../../types/alert.ts";
import { matchesAll } from "../../matchers/index.ts";
import { parseFilters, parseLimit, queryValue } from "./params.ts";
import { OpsError } from "./route-table.ts";

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

const NOW_ALERT_SCHEMA = {
  type: "object",
  required: ["fingerprint", "labels", "annotations", "startsAt", "endsAt", "state", "silencedBy", "inhibitedBy", "flapping", "ack"],
  additionalProperties: false,
  properties: {
    fingerprint: { type: "string" },
    labels: { type: "object", additionalProperties: { type: "string" } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
    startsAt: { type: "string", format: "date-time" },
    endsAt: { type: "string", format: "date-time" },
    generatorURL: { type: "string" },
    state: { enum: ["active", "suppressed"] },
    silencedBy: { type: "array", items: { type: "string" } },
    inhibitedBy: { type: "array", items: { type: "string" } },
    priority: { type: "string", description: "the alert's priority label (P1–P4), if any" },
    flapping: { type: "boolean" },
    ack: {
      oneOf: [
        { type: "null" },
        { type: "object", required: ["actor", "comment", "at"], additionalProperties: false, properties: { actor: { type: "string" }, comment: { type: "string" }, at: { type: "string", format: "date-time" }, expires: { type: "string", format: "date-time" } } },
      ],
    },
  },
};

const NOW_PAGE_SCHEMA = {
  type: "object",
  required: ["totalAlerts", "totalGroups", "offset", "groups"],
  additionalProperties: false,
  properties: {
    totalAlerts: { type: "integer", description: "alert rows (an alert in two groups counts twice) matching the filters" },
    totalGroups: { type: "integer" },
    offset: { type: "integer" },
    groups: {
      type: "array",
      items: {
        type: "object",
        required: ["receiver", "labels", "size", "storm", "alerts"],
        additionalProperties: false,
        properties: {
          receiver: { type: "string" },
          labels: { type: "object", additionalProperties: { type: "string" } },
          size: { type: "integer", description: "alerts of the group matching the filters (this page may hold only some)" },
          storm: { type: "boolean", description: "the receiver is in a storm: the group's notifications are held for a summary" },
          alerts: { type: "array", items: { $ref: "#/components/schemas/NowAlert" } },
        },
      },
    },
  },
};

export interface NowDeps {
  readonly clock: Clock;
  readonly provider: AlertProvider;
  readonly acks: AckBook;
  readonly noise: NoiseView;
  routing(): RoutingTable;
}

interface Group { readonly receiver: string; readonly labels: LabelSet; readonly alerts: Alert[] }

export function nowModule(deps: NowDeps): OpsModule {
  return {
    schemas: { NowAlert: NOW_ALERT_SCHEMA, NowPage: NOW_PAGE_SCHEMA },
    routes: [{
      method: "GET",
      path: "/alerts/now",
      role: "viewer",
      operationId: "listFiringNow",
      summary: "Firing alerts now, grouped as the route tree groups them, with priority, muting, ack, flapping and storm state",
      spec: {
        parameters: [
          { name: "filter", in: "query", required: false, description: "an Alertmanager matcher; repeat for several, all must match", schema: { type: "array", items: { type: "string" } }, explode: true },
          { name: "muted", in: "query", required: false, description: "include silenced and inhibited alerts (default true)", schema: { type: "boolean" } },
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
          { name: "offset", in: "query", required: false, description: "alert rows to skip", schema: { type: "integer", minimum: 0 } },
        ],
        responses: { 200: { description: "a page of groups", content: { "application/json": { schema: { $ref: "#/components/schemas/NowPage" } } } } },
      },
      handler: (req) => {
        const matchers = parseFilters(req.query.filter);
        const mutedText = queryValue(req.query, "muted");
        if (mutedText !== undefined && mutedText !== "true" && mutedText !== "false") throw new OpsError(400, "muted must be true or false");
        const limit = parseLimit(queryValue(req.query, "limit"), DEFAULT_LIMIT, MAX_LIMIT);
        const offsetText = queryValue(req.query, "offset") ?? "0";
        if (!/^\d{1,9}$/.test(offsetText)) throw new OpsError(400, "offset must be a whole number ≥ 0");
        const offset = Number(offsetText);
        const now = deps.clock.now();
        const routing = deps.routing();
        const groups = new Map<string, Group>();
        const status = new Map<string, ReturnType<AlertProvider["statusOf"]>>();
        for (const { alert } of deps.provider.all()) {
          if (alert.endsAt.ms <= now || !matchesAll(matchers, alert.labels)) continue;
          const st = deps.provider.statusOf(alert);
          if (mutedText === "false" && (st.silencedBy.length > 0 || st.inhibitedBy.length > 0)) continue;
          status.set(alert.fingerprint, st);
          for (const route of routing.root.match(alert.labels)) {
            const labels = route.groupLabels(alert.labels);
            const key = `${route.id}\u0000${labelSetString(labels)}`;
            const g = groups.get(key) ?? groups.set(key, { receiver: route.opts.receiver, labels, alerts: [] }).get(key)!;
            g.alerts.push(alert);
          }
        }
        const sorted = [...groups.values()].sort((a, b) => compareLabelSets(a.labels, b.labels) || (a.receiver < b.receiver ? -1 : a.receiver > b.receiver ? 1 : 0));
        let totalAlerts = 0;
        for (const g of sorted) totalAlerts += g.alerts.length;
        const page: Array<Record<string, unknown>> = [];
        let skip = offset;
        let room = limit;
        for (const g of sorted) {
          if (room === 0) break;
          if (skip >= g.alerts.length) {
            skip -= g.alerts.length;
            continue;
          }
          const rows = g.alerts.sort(compareAlertsForNotification).slice(skip, skip + room);
          skip = 0;
          room -= rows.length;
          page.push({
            receiver: g.receiver, labels: g.labels, size: g.alerts.length, storm: deps.noise.stormState(g.receiver) !== undefined,
            alerts: rows.map((a) => {
              const st = status.get(a.fingerprint)!;
              const ack = deps.acks.activeFor(a, now) ? deps.acks.get(a.fingerprint) : undefined;
              return {
                fingerprint: a.fingerprint, labels: a.labels, annotations: a.annotations,
                startsAt: new Date(a.startsAt.ms).toISOString(), endsAt: new Date(a.endsAt.ms).toISOString(),
                ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
                state: st.silencedBy.length > 0 || st.inhibitedBy.length > 0 ? "suppressed" : "active",
                silencedBy: [...st.silencedBy], inhibitedBy: [...st.inhibitedBy],
                ...(a.labels.priority !== undefined ? { priority: a.labels.priority } : {}),
                flapping: deps.noise.flapState(a.fingerprint, now)?.flapping === true,
                ack: ack ? { actor: ack.actor, comment: ack.comment, at: new Date(ack.createdMs).toISOString(), ...(ack.expiresMs !== undefined ? { expires: new Date(ack.expiresMs).toISOString() } : {}) } : null,
              };
            }),
          });
        }
        return { status: 200, json: { totalAlerts, totalGroups: sorted.length, offset, groups: page } };
      },
    }],
  };
}
