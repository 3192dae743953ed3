import { timingSafeEqual, createHash } from "node:crypto";
import type { Request, Response } from "express";
import { parseApiTime, TimeParseError, isZeroTime, type Timestamp } from "../../types/time.ts";
import type { IncomingAlert } from "../../ingest/normalise.ts";
import { ApiError } from "../http-error.ts";
import { readJsonBody, requireJsonContentType } from "../v2/json-body.ts";

export interface WebhookReceiverOptions {
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  readonly bearerToken: string | undefined;
  /**
   * End time given to firing alerts from a forwarding Alertmanager, which re-sends a firing group only
   * every repeat_interval; their resolution comes with the resolved notification.
   */
  readonly resolveTimeoutMs: number;
  ingest(alerts: readonly IncomingAlert[], resolveTimeoutMs: number): Promise<{ errors: string[]; limited: string[] }>;
}

/** Accepts Alertmanager's webhook payload (version 4) and feeds its alerts into the live set. */
export function webhookReceiver(opts: WebhookReceiverOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    if (opts.bearerToken !== undefined && !authorised(req.headers.authorization, opts.bearerToken)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="alertprism"');
      throw ApiError.framework(401, "missing or wrong bearer token");
    }
    requireJsonContentType(req);
    const alerts = decodeWebhookPayload(readBody(req));
    const { errors, limited } = await opts.ingest(alerts, opts.resolveTimeoutMs);
    if (errors.length > 0 || limited.length > 0) {
      const parts = [...(errors.length > 0 ? [`invalid alerts in webhook payload: ${errors.join("; ")}`] : []), ...(limited.length > 0 ? [`alerts refused by limits: ${limited.join("; ")}`] : [])];
      throw ApiError.framework(400, parts.join("; "));
    }
    res.status(200).type("application/json").send(JSON.stringify({ accepted: alerts.length }) + "\n");
  };
}

/** The body as JSON; syntax errors in this endpoint's own words, not the v2 API's Go-style ones. */
function readBody(req: Request): unknown {
  try {
    return readJsonBody(req, "alerts");
  } catch (err) {
    if (err instanceof ApiError) throw bad(`body is not valid JSON: ${err.message.replace(/^.* because /, "")}`);
    throw err;
  }
}

function authorised(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m) return false;
  // Compare digests so neither the length nor the content of the token leaks through timing.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(m[1]!.trim()), digest(token));
}

const bad = (message: string) => ApiError.framework(400, `invalid webhook payload: ${message}`);

/** Validates the v4 payload shape and converts its alerts; every problem names the field. */
export function decodeWebhookPayload(body: unknown): IncomingAlert[] {
  if (body === undefined) throw bad("empty body");
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("expected a JSON object");
  const p = body as Record<string, unknown>;
  if (p.version !== "4") throw bad(`unsupported version ${shown(p.version)} (Alertmanager sends "4")`);
  if (!Array.isArray(p.alerts)) throw bad("alerts must be an array");
  return p.alerts.map((a: unknown, i: number) => {
    if (typeof a !== "object" || a === null || Array.isArray(a)) throw bad(`alerts[${i}] must be an object`);
    const o = a as Record<string, unknown>;
    const labels = stringMap(o.labels, `alerts[${i}].labels`, true);
    const annotations = stringMap(o.annotations, `alerts[${i}].annotations`, false);
    if (o.status !== "firing" && o.status !== "resolved") throw bad(`alerts[${i}].status must be "firing" or "resolved"`);
    const startsAt = time(o.startsAt, `alerts[${i}].startsAt`);
    let endsAt = time(o.endsAt, `alerts[${i}].endsAt`);
    // Firing alerts carry Go's zero end time; resolved ones their end.
    if (o.status === "firing") endsAt = undefined;
    else if (endsAt === undefined) throw bad(`alerts[${i}].endsAt is required for a resolved alert`);
    const generatorURL = o.generatorURL === undefined || o.generatorURL === null ? "" : o.generatorURL;
    if (typeof generatorURL !== "string") throw bad(`alerts[${i}].generatorURL must be a string`);
    return { labels, annotations, startsAt, endsAt, generatorURL };
  });
}

/** A value for an error message: scalars as JSON, containers by kind (one nested 10,000 deep overflows JSON.stringify). */
function shown(v: unknown): string {
  if (v !== null && typeof v === "object") return Array.isArray(v) ? "(an array)" : "(an object)";
  return (JSON.stringify(v ?? null) ?? "null").slice(0, 100);
}

function stringMap(v: unknown, field: string, required: boolean): Record<string, string> {
  if (v === undefined || v === null) {
    if (required) throw bad(`${field} is required`);
    return {};
  }
  if (typeof v !== "object" || Array.isArray(v)) throw bad(`${field} must be an object of strings`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== "string") throw bad(`${field}.${k} must be a string`);
  return v as Record<string, string>;
}

function time(v: unknown, field: string): Timestamp | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw bad(`${field} must be an RFC 3339 string`);
  try {
    const t = parseApiTime(v);
    return isZeroTime(t) ? undefined : t;
  } catch (err) {
    if (err instanceof TimeParseError) throw bad(`${field}: ${err.message}`);
    throw err;
  }
}
