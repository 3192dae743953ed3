/**
 * GET /heartbeats: every configured heartbeat (dead man's switch) with its last arrival, its status and,
 * while missing, since when.
 */
import type { OpsModule } from "./openapi.ts";
import type { HeartbeatListing } from "../../heartbeat-control.ts";
import { matcherString } from "../../matchers/index.ts";

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

const HEARTBEAT_SCHEMA = {
  type: "object",
  required: ["heartbeat", "matchers", "timeout", "timeout_seconds", "receiver", "status", "last_arrival", "missing_since", "deadline", "first_seen"],
  additionalProperties: false,
  properties: {
    heartbeat: { type: "string", description: "its identity: the matchers, sorted, as text (the `heartbeat` label of its HeartbeatMissing alert and metrics)" },
    matchers: { type: "array", items: { type: "string" }, description: "the matchers, one per entry (Alertmanager syntax)" },
    timeout: { type: "string", description: "as configured, e.g. 5m" },
    timeout_seconds: { type: "number" },
    receiver: { type: "string", description: "where HeartbeatMissing goes" },
    status: { enum: ["ok", "missing", "waiting"], description: "waiting: none arrived yet since it was configured, and the timeout has not run out" },
    last_arrival: { type: ["string", "null"], format: "date-time", description: "when a matching firing alert was last received (null: never)" },
    missing_since: { type: ["string", "null"], format: "date-time", description: "while missing: the last arrival (or first_seen) plus the timeout" },
    deadline: { type: "string", format: "date-time", description: "when it goes (or went) missing unless another one arrives" },
    first_seen: { type: "string", format: "date-time", description: "when it was first configured (kept across restarts)" },
  },
};

export function heartbeatModule(deps: { readonly heartbeats?: () => readonly HeartbeatListing[] }): OpsModule {
  return {
    schemas: { Heartbeat: HEARTBEAT_SCHEMA },
    routes: [{
      method: "GET",
      path: "/heartbeats",
      role: "viewer",
      operationId: "listHeartbeats",
      summary: "Heartbeats (dead man's switch): last arrival, status, missing since",
      spec: {
        responses: {
          200: {
            description: "every configured heartbeat, in configuration order (none without heartbeats: in alertprism.yml)",
            content: { "application/json": { schema: { type: "object", required: ["heartbeats"], additionalProperties: false, properties: { heartbeats: { type: "array", items: { $ref: "#/components/schemas/Heartbeat" } } } } } },
          },
        },
      },
      handler: () => ({
        status: 200,
        json: {
          heartbeats: (deps.heartbeats?.() ?? []).map((h) => ({
            heartbeat: h.heartbeat.id,
            matchers: h.heartbeat.matchers.map(matcherString),
            timeout: h.timeoutText,
            timeout_seconds: h.heartbeat.timeoutMs / 1000,
            receiver: h.heartbeat.receiver,
            status: h.status,
            last_arrival: iso(h.state.lastArrivalMs),
            missing_since: iso(h.missingSinceMs),
            deadline: iso(h.deadlineMs),
            first_seen: iso(h.state.firstSeenMs),
          })),
        },
      }),
    }],
  };
}
