import type { Request } from "express";
import { ApiError } from "../http-error.ts";

/**
 * Reads a JSON request body the way Alertmanager's go-swagger server does: only application/json,
 * Go-style messages for syntax and type errors under "parsing <what> body from "" failed, because …".
 * Returns `undefined` for an empty body.
 */
export function readJsonBody(req: Request, what: "alerts" | "silence"): unknown {
  const raw = req.body as unknown;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
  if (buf.length === 0) return undefined;
  const text = buf.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw parseFailure(what, goSyntaxError(text, err));
  }
}

export function parseFailure(what: string, because: string): ApiError {
  return ApiError.framework(400, `parsing ${what} body from "" failed, because ${because}`);
}

/** Media type check before anything else (415 like Alertmanager, curl's form default included). */
export function requireJsonContentType(req: Request): void {
  const header = req.headers["content-type"];
  const mediaType = (header ?? "application/octet-stream").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw ApiError.framework(415, `unsupported media type ${JSON.stringify(mediaType)}, only [application/json] are allowed`);
  }
}

function goSyntaxError(text: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : "";
  const pos = /position (\d+)/.exec(msg);
  if (!pos || Number(pos[1]) >= text.length || /end of (JSON|data) input|Unterminated/i.test(msg)) return "unexpected EOF";
  const ch = text[Number(pos[1])]!;
  return `invalid character ${JSON.stringify(ch).replace(/^"|"$/g, "'")} looking for beginning of value`;
}

/** Go's name for the JSON kind of a value, as in "cannot unmarshal number into …". */
export function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "object") return "object";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}
