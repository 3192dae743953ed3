import type { Request, Response } from "express";
import type { Silence, SilenceMatcher } from "../../types/silence.ts";
import { silenceState, silenceMatcherOp } from "../../types/silence.ts";
import { formatApiTime, parseApiTime, TimeParseError, type Timestamp } from "../../types/time.ts";
import type { Matcher } from "../../types/matcher.ts";
import { NotFoundError } from "../../lib/errors.ts";
import { ApiError, SWAGGER } from "../http-error.ts";
import { goJsonKind, parseFailure, readJsonBody, requireJsonContentType } from "./json-body.ts";
import { filterParam } from "./query.ts";
import { sendJson } from "./alerts.ts";
import type { ApiContext } from "./context.ts";
import type { SilenceInput } from "../../silence/silences.ts";
import { principalOf } from "../auth-guard.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATE_ORDER = { active: 0, pending: 1, expired: 2 } as const;
const SILENCE_ID_STRUCT = 'struct { ID string "json:\\"id,omitempty\\"" }';

export function gettableSilence(s: Silence, nowMs: number): Record<string, unknown> {
  return {
    id: s.id,
    status: { state: silenceState(s, nowMs) },
    updatedAt: formatApiTime(s.updatedAt),
    comment: s.comment,
    createdBy: s.createdBy,
    endsAt: formatApiTime(s.endsAt),
    matchers: s.matchers.map((m) => ({ isEqual: m.isEqual, isRegex: m.isRegex, name: m.name, value: m.value })),
    startsAt: formatApiTime(s.startsAt),
  };
}

/** A silence passes the filter if, for every filter matcher, it has one with the same name, type and value. */
function silenceMatchesFilter(s: Silence, filter: readonly Matcher[]): boolean {
  return filter.every((f) => s.matchers.some((m) => m.name === f.name && m.value === f.value && silenceMatcherOp(m) === f.type));
}

/** Active by endsAt ascending, then pending by startsAt ascending, then expired by endsAt descending. */
function compareSilences(a: Silence, b: Silence, nowMs: number): number {
  const sa = silenceState(a, nowMs);
  const sb = silenceState(b, nowMs);
  if (sa !== sb) return STATE_ORDER[sa] - STATE_ORDER[sb];
  if (sa === "active") return a.endsAt.ms - b.endsAt.ms;
  if (sa === "pending") return a.startsAt.ms - b.startsAt.ms;
  return b.endsAt.ms - a.endsAt.ms;
}

export function getSilences(ctx: ApiContext) {
  return (req: Request, res: Response): void => {
    const filter = filterParam(req);
    const now = ctx.clock.now();
    const list = ctx.silences.list().filter((s) => silenceMatchesFilter(s, filter)).sort((a, b) => compareSilences(a, b, now));
    sendJson(res, list.map((s) => gettableSilence(s, now)));
  };
}

function silenceIdParam(req: Request): string {
  const id = String(req.params.silenceID ?? "");
  if (!UUID.test(id)) throw ApiError.framework(422, `silenceID in path must be of type uuid: ${JSON.stringify(id)}`, SWAGGER.format);
  return id;
}

export function getSilence(ctx: ApiContext) {
  return (req: Request, res: Response): void => {
    const s = ctx.silences.get(silenceIdParam(req));
    if (!s) throw ApiError.empty(404);
    sendJson(res, gettableSilence(s, ctx.clock.now()));
  };
}

export function deleteSilence(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = silenceIdParam(req);
    const actor = principalOf(res)?.subject;
    const audit = actor !== undefined && ctx.audit ? () => ctx.audit!({ actor, action: "silence.expire", target: id, detail: {} }) : undefined;
    try {
      await ctx.silences.expire(id, audit);
    } catch (err) {
      // Alertmanager answers an unknown id here with 500, not 404.
      if (err instanceof NotFoundError) throw ApiError.handler(500, err.message);
      throw err;
    }
    res.status(200).end();
  };
}

export function postSilences(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    requireJsonContentType(req);
    const input = decodePostableSilence(readJsonBody(req, "silence"));
    let id: string;
    // With auth on, who created, updated or expired a silence is recorded with it (createdBy is the client's claim).
    const actor = principalOf(res)?.subject;
    const audit = actor !== undefined && ctx.audit
      ? (sid: string) => ctx.audit!({
          actor,
          action: input.id ? "silence.update" : "silence.create",
          target: sid,
          detail: { ...(input.id && input.id !== sid ? { replaces: input.id } : {}), createdBy: input.createdBy, comment: input.comment, matchers: input.matchers, startsAt: formatApiTime(input.startsAt), endsAt: formatApiTime(input.endsAt) },
        })
      : undefined;
    try {
      id = await ctx.silences.set(input, audit);
    } catch (err) {
      if (err instanceof NotFoundError) throw ApiError.handler(404, err.message);
      throw err;
    }
    sendJson(res, { silenceID: id });
  };
}

/** postableSilence: JSON types first (400), then required fields in Go field order (422). */
export function decodePostableSilence(body: unknown): SilenceInput {
  if (body === undefined) throw ApiError.framework(422, "silence in body is required", SWAGGER.required);
  // Alertmanager first decodes the body into a struct holding only the id, hence that type in the message.
  if (body !== null && (typeof body !== "object" || Array.isArray(body))) {
    throw parseFailure("silence", `json: cannot unmarshal ${goJsonKind(body)} into Go value of type ${SILENCE_ID_STRUCT}`);
  }
  // A JSON null decodes like {} in Go: the required-field checks below then report it.
  const o = (body ?? {}) as Record<string, unknown>;
  const str = (key: string, goField: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw parseFailure("silence", `json: cannot unmarshal ${goJsonKind(v)} into Go struct field ${goField} of type string`);
    return v;
  };
  const time = (key: string): Timestamp | undefined => {
    const v = str(key, `Silence.${key}`);
    if (v === undefined) return undefined;
    try {
      return parseApiTime(v);
    } catch (err) {
      if (err instanceof TimeParseError) throw parseFailure("silence", err.message);
      throw err;
    }
  };
  const id = str("id", ".id");
  const comment = str("comment", "Silence.comment");
  const createdBy = str("createdBy", "Silence.createdBy");
  const startsAt = time("startsAt");
  const endsAt = time("endsAt");
  const matchers = decodeMatchers(o.matchers);

  const required = (what: string): never => {
    throw ApiError.framework(422, `${what} in body is required`, SWAGGER.required);
  };
  if (comment === undefined) required("comment");
  if (createdBy === undefined) required("createdBy");
  if (endsAt === undefined) required("endsAt");
  if (matchers === undefined) required("matchers");
  if (matchers!.length === 0) throw ApiError.framework(422, "matchers in body should have at least 1 items", SWAGGER.minItems);
  matchers!.forEach((m, i) => {
    if (m.isRegex === undefined) required(`matchers.${i}.isRegex`);
    if (m.name === undefined) required(`matchers.${i}.name`);
    if (m.value === undefined) required(`matchers.${i}.value`);
  });
  if (startsAt === undefined) required("startsAt");
  return {
    id: id === "" ? undefined : id,
    comment: comment!,
    createdBy: createdBy!,
    startsAt: startsAt!,
    endsAt: endsAt!,
    matchers: matchers!.map((m) => ({ name: m.name!, value: m.value!, isRegex: m.isRegex!, isEqual: m.isEqual ?? true })),
  };
}

type PartialMatcher = { -readonly [K in keyof SilenceMatcher]?: SilenceMatcher[K] };

function decodeMatchers(v: unknown): PartialMatcher[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw parseFailure("silence", `json: cannot unmarshal ${goJsonKind(v)} into Go struct field Silence.matchers of type models.Matchers`);
  return v.map((m: unknown) => {
    if (m === null) return {};
    if (typeof m !== "object" || Array.isArray(m)) throw parseFailure("silence", `json: cannot unmarshal ${goJsonKind(m)} into Go struct field Silence.matchers of type models.Matcher`);
    const o = m as Record<string, unknown>;
    const out: PartialMatcher = {};
    for (const key of ["name", "value"] as const) {
      const x = o[key];
      if (x === undefined || x === null) continue;
      if (typeof x !== "string") throw parseFailure("silence", `json: cannot unmarshal ${goJsonKind(x)} into Go struct field Matcher.matchers.${key} of type string`);
      out[key] = x;
    }
    for (const key of ["isRegex", "isEqual"] as const) {
      const x = o[key];
      if (x === undefined || x === null) continue;
      if (typeof x !== "boolean") throw parseFailure("silence", `json: cannot unmarshal ${goJsonKind(x)} into Go struct field Matcher.matchers.${key} of type bool`);
      out[key] = x;
    }
    return out;
  });
}
