/**
 * Acknowledgements and comments (operator): ack one alert, remove its ack, ack every firing alert some
 * matchers select, comment on an alert. Each answers after the write, its history event and its audit
 * row are committed.
 */
import type { OpsModule } from "./openapi.ts";
import type { Clock } from "../../lib/clock.ts";
import type { AckBook } from "../../ops/acks.ts";
import { OpsError, type OpsRoute } from "./route-table.ts";
import { parseDuration } from "../../config/duration.ts";
import { parseMatchers, MatcherError, type Matcher } from "../../matchers/index.ts";
import { AckError } from "../../ops/acks.ts";
import type { AckRow, CommentRow } from "../../store/acks-repo.ts";

const MAX_COMMENT = 2000;
const MAX_TEXT = 10_000;
const MAX_MATCHERS = 50;
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)$/;

const iso = (ms: number) => new Date(ms).toISOString();

function ackJson(a: AckRow): Record<string, unknown> {
  return {
    id: a.id, fingerprint: a.fingerprint, by: a.actor, comment: a.comment, at: iso(a.createdMs),
    ...(a.expiresMs === undefined ? {} : { expiresAt: iso(a.expiresMs) }),
    ...(a.endedMs === undefined ? {} : { endedAt: iso(a.endedMs), endedBy: a.endedBy ?? "" }),
  };
}

const commentJson = (c: CommentRow) => ({ id: c.id, fingerprint: c.fingerprint, by: c.actor, text: c.text, at: iso(c.createdMs) });

const ACK_SCHEMA = {
  type: "object",
  required: ["id", "fingerprint", "by", "comment", "at"],
  additionalProperties: false,
  properties: {
    id: { type: "integer" },
    fingerprint: { type: "string" },
    by: { type: "string", description: "who acknowledged: the caller's subject, or link:<receiver> for a one-click link" },
    comment: { type: "string" },
    at: { type: "string", format: "date-time" },
    expiresAt: { type: "string", format: "date-time", description: "when the ack ends by itself (absent: when the alert resolves)" },
    endedAt: { type: "string", format: "date-time" },
    endedBy: { type: "string", description: "who removed it, or resolved, expired, replaced" },
  },
};

const COMMENT_SCHEMA = {
  type: "object",
  required: ["id", "fingerprint", "by", "text", "at"],
  additionalProperties: false,
  properties: { id: { type: "integer" }, fingerprint: { type: "string" }, by: { type: "string" }, text: { type: "string" }, at: { type: "string", format: "date-time" } },
};

const ACK_MATCHING_SCHEMA = {
  type: "object",
  required: ["acked", "alreadyAcked"],
  additionalProperties: false,
  properties: {
    acked: { type: "array", items: { $ref: "#/components/schemas/Ack" }, description: "the firing alerts acknowledged now" },
    alreadyAcked: { type: "array", items: { $ref: "#/components/schemas/Ack" }, description: "matching firing alerts that were acknowledged already (their ack is kept)" },
  },
};

const fingerprintParam = { name: "fingerprint", in: "path", required: true, schema: { type: "string" } };
const json = (schema: unknown) => ({ "application/json": { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const EXPIRES = {
  type: "string",
  description: "optional end of the ack: an RFC 3339 time in the future (2026-01-02T03:04:05Z) or a duration from now (30m, 2h, 1d)",
  examples: ["2h", "2026-01-02T03:04:05Z"],
};

/** The body as an object with only the allowed keys. */
function bodyObject(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined) throw new OpsError(400, `a JSON body is required with ${allowed.join(", ")}`);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new OpsError(400, "the body must be a JSON object");
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new OpsError(400, `unknown key ${JSON.stringify(k)}; allowed: ${allowed.join(", ")}`);
  return o;
}

function requiredText(o: Record<string, unknown>, name: string, max: number): string {
  const v = o[name];
  if (v === undefined) throw new OpsError(400, `${name} is required`);
  if (typeof v !== "string") throw new OpsError(400, `${name} must be a string`);
  const t = v.trim();
  if (t === "") throw new OpsError(400, `${name} must not be empty`);
  if (t.length > max) throw new OpsError(400, `${name} must be at most ${max} characters`);
  return t;
}

/** `expires`: an RFC 3339 time or a duration from now; it must lie in the future. */
export function parseExpires(v: unknown, nowMs: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.trim() === "") throw new OpsError(400, "expires must be an RFC 3339 time or a duration (2h, 30m)");
  const t = v.trim();
  let ms: number;
  if (RFC3339.test(t)) {
    ms = Date.parse(t);
    if (!Number.isFinite(ms)) throw new OpsError(400, `expires: ${JSON.stringify(t.slice(0, 64))} is not a valid time`);
  } else {
    let d: number;
    try {
      d = parseDuration(t);
    } catch {
      throw new OpsError(400, `expires: ${JSON.stringify(t.slice(0, 64))} is neither an RFC 3339 time (2026-01-02T03:04:05Z) nor a duration (2h, 30m)`);
    }
    ms = nowMs + d;
  }
  if (ms <= nowMs) throw new OpsError(400, "expires must be in the future");
  return ms;
}

function parseMatcherList(v: unknown): Matcher[] {
  if (!Array.isArray(v) || v.length === 0) throw new OpsError(400, "matchers must be a non-empty array of matcher strings (e.g. [\"alertname=\\\"DiskFull\\\"\"])");
  if (v.length > MAX_MATCHERS) throw new OpsError(400, `at most ${MAX_MATCHERS} matchers`);
  const out: Matcher[] = [];
  v.forEach((text, i) => {
    if (typeof text !== "string") throw new OpsError(400, `matchers[${i}] must be a string`);
    try {
      out.push(...parseMatchers(text));
    } catch (err) {
      if (err instanceof MatcherError) throw new OpsError(400, `matchers[${i}]: ${err.message}`);
      throw err;
    }
  });
  if (out.length === 0) throw new OpsError(400, "matchers select every alert; name at least one label");
  return out;
}

function mapAckError(err: unknown): never {
  if (err instanceof AckError) throw new OpsError(err.kind === "resolved" ? 409 : 404, err.message);
  throw err;
}

export function ackModule(deps: { readonly acks: AckBook; readonly clock: Clock }): OpsModule {
  const routes: OpsRoute[] = [
    {
      method: "POST",
      path: "/alerts/:fingerprint/ack",
      role: "operator",
      operationId: "ackAlert",
      summary: "Acknowledge a firing alert until it resolves (or until expires)",
      spec: {
        description: "Its repeat notifications stop; its resolve and new alerts of its groups are still notified. Acknowledging an acknowledged alert replaces its ack. 404: no such alert; 409: the alert is resolved.",
        parameters: [fingerprintParam],
        requestBody: {
          required: true,
          content: json({ type: "object", required: ["comment"], additionalProperties: false, properties: { comment: { type: "string", minLength: 1, maxLength: MAX_COMMENT }, expires: EXPIRES } }),
        },
        responses: { 200: { description: "the ack, committed", content: json(ref("Ack")) } },
      },
      handler: async (req) => {
        const o = bodyObject(req.body, ["comment", "expires"]);
        const comment = requiredText(o, "comment", MAX_COMMENT);
        const expiresMs = parseExpires(o.expires, deps.clock.now());
        const row = await deps.acks.ack(req.params.fingerprint ?? "", req.principal.subject, comment, expiresMs).catch(mapAckError);
        return { status: 200, json: ackJson(row) };
      },
    },
    {
      method: "DELETE",
      path: "/alerts/:fingerprint/ack",
      role: "operator",
      operationId: "unackAlert",
      summary: "Remove an alert's acknowledgement: its repeat notifications resume",
      spec: {
        description: "404: no such alert, or it is not acknowledged; 409: the alert is resolved.",
        parameters: [fingerprintParam],
        responses: { 200: { description: "the ack as it ended", content: json(ref("Ack")) } },
      },
      handler: async (req) => {
        if (req.body !== undefined) bodyObject(req.body, []);
        const row = await deps.acks.unack(req.params.fingerprint ?? "", req.principal.subject).catch(mapAckError);
        return { status: 200, json: ackJson(row) };
      },
    },
    {
      method: "POST",
      path: "/acks",
      role: "operator",
      operationId: "ackMatching",
      summary: "Acknowledge every firing alert the matchers select",
      spec: {
        description: "Matchers in Alertmanager's syntax (each string one matcher or a {…} list), all of which must match. Alerts already acknowledged keep their ack.",
        requestBody: {
          required: true,
          content: json({
            type: "object", required: ["matchers", "comment"], additionalProperties: false,
            properties: { matchers: { type: "array", minItems: 1, items: { type: "string" }, examples: [["alertname=\"DiskFull\"", "instance=~\"db.*\""]] }, comment: { type: "string", minLength: 1, maxLength: MAX_COMMENT }, expires: EXPIRES },
          }),
        },
        responses: { 200: { description: "the alerts acknowledged, committed", content: json(ref("AckMatchingResult")) } },
      },
      handler: async (req) => {
        const o = bodyObject(req.body, ["matchers", "comment", "expires"]);
        const matchers = parseMatcherList(o.matchers);
        const comment = requiredText(o, "comment", MAX_COMMENT);
        const expiresMs = parseExpires(o.expires, deps.clock.now());
        const r = await deps.acks.ackMatching(matchers, req.principal.subject, comment, expiresMs);
        return { status: 200, json: { acked: r.acked.map(ackJson), alreadyAcked: r.alreadyAcked.map(ackJson) } };
      },
    },
    {
      method: "POST",
      path: "/alerts/:fingerprint/comments",
      role: "operator",
      operationId: "commentAlert",
      summary: "Comment on an alert (firing or resolved)",
      spec: {
        parameters: [fingerprintParam],
        requestBody: { required: true, content: json({ type: "object", required: ["text"], additionalProperties: false, properties: { text: { type: "string", minLength: 1, maxLength: MAX_TEXT } } }) },
        responses: { 201: { description: "the comment, committed", content: json(ref("Comment")) } },
      },
      handler: async (req) => {
        const o = bodyObject(req.body, ["text"]);
        const text = requiredText(o, "text", MAX_TEXT);
        const row = await deps.acks.comment(req.params.fingerprint ?? "", req.principal.subject, text).catch(mapAckError);
        return { status: 201, json: commentJson(row) };
      },
    },
  ];
  return { schemas: { Ack: ACK_SCHEMA, Comment: COMMENT_SCHEMA, AckMatchingResult: ACK_MATCHING_SCHEMA }, routes };
}
