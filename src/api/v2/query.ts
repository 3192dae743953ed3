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
