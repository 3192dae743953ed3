/**
 * GET /audit: who changed what (acks, comments, silences through /api/v2 with auth on, reloads), newest
 * first, with cursor pagination. Admin only: the log names every user and what each did.
 */
import type { OpsModule } from "./openapi.ts";
import type { Clock } from "../../lib/clock.ts";
import type { AuditReads } from "../../store/audit-repo.ts";
import { OpsError } from "./route-table.ts";
import { decodeCursor, encodeCursor, parseLimit, parseTime, queryValue } from "./params.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const AUDIT_ENTRY_SCHEMA = {
  type: "object",
  required: ["id", "at", "actor", "action", "target", "detail"],
  additionalProperties: false,
  properties: {
    id: { type: "integer", description: "increases with every record" },
    at: { type: "string", format: "date-time" },
    actor: { type: "string", description: "the token's subject, the basic-auth user, or \"local\" without auth" },
    action: { type: "string", examples: ["reload", "silence.create", "silence.update", "silence.expire", "ack", "comment"] },
    target: { type: "string", description: "what was changed: a silence id, a fingerprint, \"config\"" },
    detail: { type: "object" },
  },
};

const AUDIT_PAGE_SCHEMA = {
  type: "object",
  required: ["entries"],
  additionalProperties: false,
  properties: {
    entries: { type: "array", items: { $ref: "#/components/schemas/AuditEntry" } },
    nextCursor: { type: "string", description: "pass as cursor (with the same filters) for the next, older page; absent on the last page" },
  },
};

const timeParam = (name: string, description: string) => ({
  name, in: "query", required: false, description, schema: { type: "string", examples: ["2026-01-02T03:04:05Z", "-24h"] },
});

export function auditModule(deps: { readonly auditRepo: AuditReads; readonly clock: Clock }): OpsModule {
  return {
    schemas: { AuditEntry: AUDIT_ENTRY_SCHEMA, AuditPage: AUDIT_PAGE_SCHEMA },
    routes: [{
      method: "GET",
      path: "/audit",
      role: "admin",
      operationId: "listAudit",
      summary: "The audit log, newest first",
      spec: {
        parameters: [
          timeParam("since", "only records at or after this time: RFC 3339 or relative to now (-24h, -30m)"),
          timeParam("until", "only records at or before this time: RFC 3339 or relative to now"),
          { name: "actor", in: "query", required: false, schema: { type: "string" } },
          { name: "action", in: "query", required: false, schema: { type: "string" } },
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
          { name: "cursor", in: "query", required: false, description: "nextCursor of the previous page", schema: { type: "string" } },
        ],
        responses: { 200: { description: "a page of audit records", content: { "application/json": { schema: { $ref: "#/components/schemas/AuditPage" } } } } },
      },
      handler: async (req) => {
        const now = deps.clock.now();
        const q = (name: string) => queryValue(req.query, name);
        const time = (name: string) => {
          const v = q(name);
          return v === undefined || v === "" ? undefined : parseTime(v, now, name);
        };
        const sinceMs = time("since");
        const untilMs = time("until");
        if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) throw new OpsError(400, "since must not be after until");
        const limit = parseLimit(q("limit"), DEFAULT_LIMIT, MAX_LIMIT);
        const cursorText = q("cursor");
        let beforeId: number | undefined;
        if (cursorText !== undefined && cursorText !== "") {
          const c = decodeCursor(cursorText);
          if (typeof c.before !== "number" || !Number.isSafeInteger(c.before) || c.before < 1) throw new OpsError(400, "bad cursor");
          beforeId = c.before;
        }
        const actor = q("actor");
        const action = q("action");
        const rows = await deps.auditRepo.list({
          sinceMs, untilMs, beforeId, limit: limit + 1,
          actor: actor === "" ? undefined : actor,
          action: action === "" ? undefined : action,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          status: 200,
          json: {
            entries: page.map((e) => ({ id: e.id, at: new Date(e.atMs).toISOString(), actor: e.actor, action: e.action, target: e.target, detail: e.detail })),
            ...(rows.length > limit && last ? { nextCursor: encodeCursor({ before: last.id }) } : {}),
          },
        };
      },
    }],
  };
}
