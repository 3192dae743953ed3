/**
 * Query-parameter parsing shared by the ops API's modules: times (RFC 3339 or relative to now), page
 * sizes, and opaque pagination cursors. Every bad input is an OpsError 400 that says what to fix.
 */
import { OpsError } from "./route-table.ts";
import { parseMatcher, type Matcher } from "../../matchers/index.ts";

const RELATIVE = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const MAX_DATE_MS = 8.64e15;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
// RFC 3339: date, "T" (or space), time with optional fraction, and "Z" or an offset.
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)$/;

/**
 * A time in milliseconds since the epoch: RFC 3339 (`2026-01-02T03:04:05Z`, offsets and fractions
 * allowed) or relative to `nowMs` (`-24h`, `-30m`, `-90s`, `-7d`, `-1w`, `-500ms`).
 */
export function parseTime(text: string, nowMs: number, name = "time"): number {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    const ms = Math.round(nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!);
    // Beyond what a Date can hold (±8.64e15 ms) the time could not even be printed back.
    if (Math.abs(ms) <= MAX_DATE_MS) return ms;
    throw new OpsError(400, `${name}: ${JSON.stringify(text.slice(0, 64))} reaches further back than a time can (about 270,000 years)`);
  }
  if (RFC3339.test(t)) {
    const ms = Date.parse(t.replace(" ", "T"));
    if (Number.isFinite(ms)) return ms;
  }
  throw new OpsError(400, `${name}: ${JSON.stringify(text.slice(0, 64))} is neither an RFC 3339 time (2026-01-02T03:04:05Z) nor a relative one (-24h, -30m)`);
}

/** A page size: absent gives `dflt`; otherwise a whole number from 1 to `max`. */
export function parseLimit(text: string | undefined, dflt: number, max: number, name = "limit"): number {
  if (text === undefined || text === "") return dflt;
  if (!/^\d{1,9}$/.test(text.trim())) throw new OpsError(400, `${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(text.slice(0, 32))}`);
  const n = Number(text.trim());
  if (n < 1 || n > max) throw new OpsError(400, `${name} must be from 1 to ${max}, not ${n}`);
  return n;
}

/** An opaque cursor: base64url of the JSON of `obj`. */
export function encodeCursor(obj: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify(obj), "utf8").toString("base64url");
}

/** The object of a cursor made by encodeCursor; anything else is OpsError 400 "bad cursor". */
export function decodeCursor(text: string): Record<string, unknown> {
  if (text.length === 0 || text.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(text)) throw new OpsError(400, "bad cursor");
  try {
    const v = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch {
    throw new OpsError(400, "bad cursor");
  }
}

/** The single value of a query parameter (the last one when repeated), or undefined. */
export function queryValue(query: Readonly<Record<string, readonly string[]>>, name: string): string | undefined {
  const v = query[name];
  return v === undefined || v.length === 0 ? undefined : v[v.length - 1];
}

/**
 * The `filter` parameter's values, each one Alertmanager matcher (`name="value"`, `!=`, `=~`, `!~`); all of
 * them must match. A bad one is OpsError 400 naming it and saying why.
 */
export function parseFilters(values: readonly string[] | undefined): Matcher[] {
  const out: Matcher[] = [];
  for (const v of values ?? []) {
    try {
      out.push(parseMatcher(v));
    } catch (err) {
      throw new OpsError(400, `bad filter ${JSON.stringify(v.slice(0, 200))}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
