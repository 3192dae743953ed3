import type { Request } from "express";
import type { Matcher } from "../../types/matcher.ts";
import { parseFilterParam, newMatcher, MatcherError } from "../../matchers/index.ts";
import { ApiError } from "../http-error.ts";

const TRUE_WORDS = new Set(["true", "1", "yes", "ok", "y", "on", "selected", "checked", "t", "enabled"]);

/** go-openapi's bool query parsing: absent or empty means the default (true); unknown words mean false. */
export function boolParam(req: Request, name: string): boolean {
  const v = lastValue(req.query[name]);
  if (v === undefined || v === "") return true;
  return TRUE_WORDS.has(v.toLowerCase());
}

export function filterParam(req: Request): Matcher[] {
  try {
    return parseFilterParam(allValues(req.query.filter));
  } catch (err) {
    if (err instanceof MatcherError) throw ApiError.handler(400, (err as Error).message);
    throw err;
  }
}

/** `receiver` is an anchored regex over receiver names. */
export function receiverParam(req: Request): Matcher | undefined {
  const v = lastValue(req.query.receiver);
  if (v === undefined || v === "") return undefined;
  try {
    return newMatcher("=~", "receiver", v);
  } catch (err) {
    if (err instanceof MatcherError) throw ApiError.handler(400, `failed to parse receiver param: ${(err as Error).message}`);
    throw err;
  }
}

function allValues(v: unknown): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

function lastValue(v: unknown): string | undefined {
  const all = allValues(v);
  return all.length > 0 ? all[0] : undefined;
}

/**
 * Go's url.ParseQuery, which go-openapi reads parameters from: a pair holding a semicolon or a bad
 * %-escape is dropped (not an error), `+` is a space, and repeated keys keep their order.
 */
export function parseGoQuery(query: string | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  // Express passes null when the URL has no query at all.
  for (const pair of (query ?? "").split("&")) {
    if (pair === "" || pair.includes(";")) continue;
    const eq = pair.indexOf("=");
    const key = goQueryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = goQueryUnescape(eq < 0 ? "" : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    (out[key] ??= []).push(value);
  }
  return out;
}

function goQueryUnescape(s: string): string | undefined {
  if (!s.includes("%") && !s.includes("+")) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "+") bytes.push(0x20);
    else if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}
