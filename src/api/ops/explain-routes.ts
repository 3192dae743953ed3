import type { OpsModule } from "./openapi.ts";
import { OpsError } from "./route-table.ts";
import type { Clock } from "../../lib/clock.ts";
import type { LabelSet } from "../../types/labels.ts";
import type { ExplainReads } from "../../store/explain-repo.ts";
import type { AlertProvider } from "../../provider/alert-provider.ts";
import type { Silences } from "../../silence/silences.ts";
import type { NotificationLog } from "../../nflog/nflog.ts";
import type { RoutingTable } from "../../dispatch/routing-table.ts";
import type { AggregationGroup } from "../../dispatch/aggr-group.ts";
import type { Muting } from "../../notify/muting-stages.ts";
import type { Notifier } from "../../notify/notifier.ts";
import { explain, type ExplainGroup, type ExplainIntegration, type NoiseView } from "../../ops/explain.ts";

/** What explain reads from the running app (a part of OpsApiDeps). */
export interface ExplainDeps {
  readonly clock: Clock;
  readonly explainRepo: ExplainReads;
  readonly provider: AlertProvider;
  readonly silences: Silences;
  readonly nflog: NotificationLog;
  readonly noise: NoiseView;
  routing(): RoutingTable;
  groups(): readonly AggregationGroup[];
  muting(): Muting;
  notifiers(receiver: string): readonly Notifier[];
}

const FINGERPRINT = /^[0-9a-f]{16}$/;

const TIME = { type: "string", format: "date-time" };
const NULLABLE_TIME = { type: ["string", "null"], format: "date-time" };
const LABELS = { type: "object", additionalProperties: { type: "string" } };
const STATUS = { type: "string", enum: ["will_notify", "held", "resolved", "no_integrations", "not_grouped"] };
const REASON = {
  type: ["string", "null"],
  enum: ["inhibited", "outside_active_time_interval", "mute_time_interval", "silenced", "acknowledged", "flapping_damped", "storm", "group_wait", "repeat_not_due", null],
};

const schemas = {
  Explanation: {
    type: "object",
    additionalProperties: false,
    required: ["fingerprint", "labels", "now", "state", "in_live_set", "starts_at", "ends_at", "resolved_at", "summary", "silenced_by", "inhibited_by", "flapping", "ack", "routes"],
    properties: {
      fingerprint: { type: "string" },
      labels: LABELS,
      now: TIME,
      state: { type: "string", enum: ["firing", "resolved"] },
      in_live_set: { type: "boolean", description: "false once a resolved alert was garbage-collected (only history knows it)" },
      starts_at: NULLABLE_TIME,
      ends_at: { ...NULLABLE_TIME, description: "set once resolved" },
      resolved_at: NULLABLE_TIME,
      summary: { type: "string", description: "one line: the state and each route's verdict" },
      silenced_by: {
        type: "array",
        items: {
          type: "object", additionalProperties: false, required: ["id", "matchers", "created_by", "comment", "ends_at"],
          properties: { id: { type: "string" }, matchers: { type: "array", items: { type: "string" } }, created_by: { type: "string" }, comment: { type: "string" }, ends_at: TIME },
        },
      },
      inhibited_by: {
        type: "array",
        items: { type: "object", additionalProperties: false, required: ["fingerprint", "labels"], properties: { fingerprint: { type: "string" }, labels: { oneOf: [LABELS, { type: "null" }] } } },
      },
      flapping: {
        type: "object", additionalProperties: false, required: ["enabled", "flapping", "since", "quiet_until"],
        properties: { enabled: { type: "boolean" }, flapping: { type: "boolean" }, since: NULLABLE_TIME, quiet_until: { ...NULLABLE_TIME, description: "when a resolved flapping alert stops flapping if it stays resolved" } },
      },
      ack: {
        oneOf: [
          { type: "null" },
          {
            type: "object", additionalProperties: false, required: ["acked", "by", "at", "expires_at", "comment"],
            properties: { acked: { type: "boolean" }, by: { type: "string" }, at: TIME, expires_at: NULLABLE_TIME, comment: { type: "string" } },
          },
        ],
      },
      routes: { type: "array", items: { $ref: "#/components/schemas/RouteExplanation" } },
    },
  },
  RouteExplanation: {
    type: "object",
    additionalProperties: false,
    required: ["route_id", "pinned", "path", "receiver", "continue", "group_by", "group_wait_seconds", "group_interval_seconds", "repeat_interval_seconds", "group", "time_intervals", "time_intervals_hold_group", "storm", "integrations", "status", "reason", "verdict"],
    properties: {
      route_id: { type: "string", description: "the route's position in the tree: 0 is the root, 0/1 its second child" },
      pinned: { type: "boolean", description: "a route outside the tree (storm summaries and HeartbeatMissing go straight to their receiver)" },
      path: {
        type: "array",
        description: "from the root down to this route",
        items: {
          type: "object", additionalProperties: false, required: ["id", "matchers", "receiver", "continue"],
          properties: { id: { type: "string" }, matchers: { type: "string" }, receiver: { type: "string" }, continue: { type: "boolean" } },
        },
      },
      receiver: { type: "string" },
      continue: { type: "boolean" },
      group_by: { type: "array", items: { type: "string" } },
      group_wait_seconds: { type: "number" },
      group_interval_seconds: { type: "number" },
      repeat_interval_seconds: { type: "number" },
      group: {
        oneOf: [
          { type: "null" },
          {
            type: "object", additionalProperties: false, required: ["group_key", "group_labels", "next_flush_at", "first_flush_pending"],
            properties: { group_key: { type: "string" }, group_labels: LABELS, next_flush_at: NULLABLE_TIME, first_flush_pending: { type: "boolean" } },
          },
        ],
      },
      time_intervals: {
        type: "array",
        items: {
          type: "object", additionalProperties: false, required: ["name", "kind", "in_force"],
          properties: { name: { type: "string" }, kind: { type: "string", enum: ["mute", "active"] }, in_force: { type: "boolean" } },
        },
      },
      time_intervals_hold_group: { type: "boolean" },
      storm: {
        oneOf: [
          { type: "null" },
          { type: "object", additionalProperties: false, required: ["id", "since", "bypassed"], properties: { id: { type: "string" }, since: TIME, bypassed: { type: "boolean" } } },
        ],
      },
      integrations: { type: "array", items: { $ref: "#/components/schemas/IntegrationExplanation" } },
      status: STATUS,
      reason: REASON,
      verdict: { type: "string" },
    },
  },
  IntegrationExplanation: {
    type: "object",
    additionalProperties: false,
    required: ["integration", "send_resolved", "last_notification", "next_repeat_at", "status", "reason", "verdict"],
    properties: {
      integration: { type: "string", description: "<kind>/<index>, e.g. webhook/0" },
      send_resolved: { type: "boolean" },
      last_notification: {
        oneOf: [
          { type: "null" },
          {
            type: "object", additionalProperties: false, required: ["sent_at", "alert_firing", "alert_resolved"],
            properties: { sent_at: TIME, alert_firing: { type: "boolean", description: "the alert was in the notified firing set" }, alert_resolved: { type: "boolean" } },
          },
        ],
      },
      next_repeat_at: { ...NULLABLE_TIME, description: "when repeat_interval runs out (the repeat goes at the first group tick after it)" },
      status: STATUS,
      reason: REASON,
      verdict: { type: "string" },
    },
  },
};

/** `GET /alerts/{fingerprint}/explain`: why an alert is or is not being notified now. */
export function explainModule(deps: ExplainDeps): OpsModule {
  return {
    schemas,
    routes: [{
      method: "GET",
      path: "/alerts/:fingerprint/explain",
      role: "viewer",
      operationId: "explainAlert",
      summary: "Why an alert is or is not being notified now, per route: groups, muting, noise control, acks, the notification log",
      spec: {
        parameters: [{ name: "fingerprint", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{16}$" } }],
        responses: {
          200: { description: "the explanation", content: { "application/json": { schema: { $ref: "#/components/schemas/Explanation" } } } },
        },
      },
      async handler(req) {
        const fp = req.params.fingerprint ?? "";
        if (!FINGERPRINT.test(fp)) throw new OpsError(400, `fingerprint must be 16 lowercase hex digits, not ${JSON.stringify(fp.slice(0, 64))}`);
        const nowMs = deps.clock.now();
        const series = await deps.explainRepo.series(fp);
        const liveEntry = deps.provider.get(fp);
        if (series === undefined && liveEntry === undefined) throw new OpsError(404, `no alert with fingerprint ${fp} has been seen`);
        const lastChange = series === undefined ? undefined : await deps.explainRepo.lastLifecycle(series.id, Number.MAX_SAFE_INTEGER);
        const live = liveEntry === undefined ? undefined : { alert: liveEntry.alert, state: liveEntry.state };
        const episodeStart = lastChange?.kind === "new" ? lastChange.atMs : undefined;
        const acks = live === undefined || live.state !== "firing" ? [] : (await deps.explainRepo
          .acks(fp, Math.min(live.alert.startsAt.ms, episodeStart ?? live.alert.startsAt.ms)))
          .filter((a) => a.episodeStartsMs === live.alert.startsAt.ms || (episodeStart !== undefined && a.createdMs >= episodeStart));
        const muting = deps.muting();
        // The inhibitors' labels, read before explaining (which is synchronous): from memory, or from history
        // for an inhibitor that has just left the live set.
        const inhibitorLabels = new Map<string, LabelSet | undefined>();
        for (const f of live ? muting.inhibitedBy(live.alert, nowMs) : []) {
          inhibitorLabels.set(f, deps.provider.get(f)?.alert.labels ?? (await deps.explainRepo.series(f))?.labels);
        }
        const groups: ExplainGroup[] = deps.groups().map((g) => ({
          groupKey: g.groupKey, route: g.route, groupLabels: g.groupLabels, nextFlushMs: g.nextFlushMs, awaitingFirstFlush: g.awaitingFirstFlush,
          holds: (f) => g.list().some((a) => a.fingerprint === f),
        }));
        const integrations = (receiver: string): ExplainIntegration[] => deps.notifiers(receiver).map((n) => {
          const id = `${n.kind}/${n.index}`;
          return { id, sendResolved: n.sendResolved, lastSent: (groupKey) => deps.nflog.get({ groupKey, receiver, integration: id }) };
        });
        const result = explain({
          nowMs,
          fingerprint: fp,
          labels: live?.alert.labels ?? series?.labels ?? {},
          live,
          lastChange,
          root: deps.routing().root,
          groups,
          inhibitedBy: (a) => muting.inhibitedBy(a, nowMs),
          inhibitorLabels: (f) => inhibitorLabels.get(f) ?? deps.provider.get(f)?.alert.labels,
          silencedBy: (a) => muting.silencedBy(a, nowMs),
          silence: (id) => deps.silences.get(id),
          inInterval: (name) => muting.inInterval(name, nowMs),
          integrations,
          storm: (receiver) => deps.noise.stormState(receiver),
          stormBypasses: (labels) => deps.noise.stormBypasses(labels),
          flap: deps.noise.flapState(fp, nowMs),
          acks,
        });
        return { status: 200, json: result };
      },
    }],
  };
}
