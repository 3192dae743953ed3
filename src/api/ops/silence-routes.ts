/**
 * POST /silences: an operator silences alerts from the ops API (the web page's "silence" action), with the
 * token's subject as creator and an audit record in the same commit. /api/v2/silences stays Alertmanager's.
 */
import type { OpsModule } from "./openapi.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Silences } from "../../silence/silences.ts";
import type { AuditStore } from "../../store/audit-repo.ts";
import { parseDuration } from "../../config/duration.ts";
import { fromMillis } from "../../types/time.ts";
import { ValidationError } from "../../lib/errors.ts";
import { parseFilters } from "./params.ts";
import { OpsError } from "./route-table.ts";

const MAX_DURATION_MS = 366 * 86_400_000;

export function silenceModule(deps: { readonly clock: Clock; readonly silences: Silences; readonly auditRepo: AuditStore }): OpsModule {
  return {
    schemas: {
      SilenceRequest: {
        type: "object",
        required: ["matchers", "duration", "comment"],
        additionalProperties: false,
        properties: {
          matchers: { type: "array", minItems: 1, items: { type: "string" }, description: "Alertmanager matchers, e.g. alertname=\"DiskFull\"; at least one must not match the empty string" },
          duration: { type: "string", description: "how long from now, e.g. 2h", examples: ["30m", "2h", "1d"] },
          comment: { type: "string", minLength: 1 },
        },
      },
    },
    routes: [{
      method: "POST",
      path: "/silences",
      role: "operator",
      operationId: "createSilence",
      summary: "Silence alerts from now for a duration (creator: the caller)",
      spec: {
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/SilenceRequest" } } } },
        responses: { 200: { description: "the new silence's id", content: { "application/json": { schema: { type: "object", required: ["silenceID"], additionalProperties: false, properties: { silenceID: { type: "string" } } } } } } },
      },
      handler: async (req) => {
        const b = req.body as { matchers?: unknown; duration?: unknown; comment?: unknown } | undefined;
        if (b === null || typeof b !== "object" || Array.isArray(b)) throw new OpsError(400, "body must be a JSON object with matchers, duration and comment");
        const extra = Object.keys(b).filter((k) => !["matchers", "duration", "comment"].includes(k));
        if (extra.length > 0) throw new OpsError(400, `unknown field ${JSON.stringify(extra[0])}`);
        if (!Array.isArray(b.matchers) || b.matchers.length === 0 || !b.matchers.every((m) => typeof m === "string")) throw new OpsError(400, "matchers must be a non-empty array of matcher strings");
        if (typeof b.comment !== "string" || b.comment.trim() === "") throw new OpsError(400, "comment is required");
        if (typeof b.duration !== "string") throw new OpsError(400, "duration is required, e.g. \"2h\"");
        let ms: number;
        try {
          ms = parseDuration(b.duration);
        } catch {
          throw new OpsError(400, `bad duration ${JSON.stringify(b.duration.slice(0, 50))}`);
        }
        if (ms <= 0 || ms > MAX_DURATION_MS) throw new OpsError(400, "duration must be above 0 and at most 366d");
        const matchers = parseFilters(b.matchers as string[]);
        const now = deps.clock.now();
        const actor = req.principal.subject;
        const comment = b.comment.trim();
        try {
          const id = await deps.silences.set({
            matchers: matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.type === "=~" || m.type === "!~", isEqual: m.type === "=" || m.type === "=~" })),
            startsAt: fromMillis(now), endsAt: fromMillis(now + ms), createdBy: actor, comment,
          }, (sid) => deps.auditRepo.record({ atMs: now, actor, action: "silence.create", target: sid, detail: { comment, matchers: b.matchers, duration: b.duration } }));
          return { status: 200, json: { silenceID: id } };
        } catch (err) {
          if (err instanceof ValidationError) throw new OpsError(400, err.message);
          throw err;
        }
      },
    }],
  };
}
