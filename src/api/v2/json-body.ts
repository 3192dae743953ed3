import { isUtf8 } from "node:buffer";
import type { IncomingHttpHeaders } from "node:http";
import type { Request } from "express";
import { ApiError } from "../http-error.ts";

/**
 * Reads a JSON request body the way Alertmanager's go-swagger server does: only application/json,
 * Go-style messages for syntax and type errors under "parsing <what> body from "" failed, because …".
 * Returns `undefined` for an empty body.
 */
export function readJsonBody(req: Request, what: "alerts" | "silence"): unknown {
  const raw = req.body as unknown;
  return parseJsonBody(Buffer.isBuffer(raw) ? raw : Buffer.alloc(0), what);
}

/** readJsonBody for a body already read (the route for posted alerts that bypasses express). */
export function parseJsonBody(buf: Buffer, what: "alerts" | "silence"): unknown {
  if (buf.length === 0) return undefined;
  const text = isUtf8(buf) ? buf.toString("utf8") : goDecodeUtf8(buf);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (err) {
    throw parseFailure(what, goSyntaxError(text, err));
  }
  // Go decodes an unpaired \uD800-\uDFFF escape as U+FFFD; JSON.parse keeps the lone surrogate.
  return SURROGATE_ESCAPE.test(text) ? wellFormed(parsed) : parsed;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A copy with lone surrogates replaced; iterative, as a body may nest deeper than the call stack goes. */
function wellFormed(root: unknown): unknown {
  const fix = (s: string) => s.replace(LONE_SURROGATE, "\uFFFD");
  const shell = (v: unknown): unknown =>
    typeof v === "string" ? fix(v) : Array.isArray(v) ? new Array<unknown>(v.length) : v !== null && typeof v === "object" ? {} : v;
  const top = shell(root);
  const todo: Array<[unknown, unknown]> = [[root, top]];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const [src, dst] = next;
    if (src === null || typeof src !== "object") continue;
    for (const [k, x] of Object.entries(src)) {
      const copy = shell(x);
      if (Array.isArray(src)) (dst as unknown[])[Number(k)] = copy;
      // defineProperty, not assignment: a "__proto__" key must stay a plain property as JSON.parse made it.
      else Object.defineProperty(dst, fix(k), { value: copy, enumerable: true, writable: true, configurable: true });
      if (copy !== null && typeof copy === "object") todo.push([x, copy]);
    }
  }
  return top;
}

/**
 * UTF-8 decoding as Go's json decoder does it: every byte that does not start a valid sequence becomes
 * one U+FFFD (utf8.DecodeRune), where TextDecoder would fold a truncated sequence into a single one.
 */
function goDecodeUtf8(buf: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = goRuneLength(buf, i);
    if (n === 0) {
      out.push(0xef, 0xbf, 0xbd);
      i += 1;
    } else {
      for (let j = 0; j < n; j++) out.push(buf[i + j]!);
      i += n;
    }
  }
  return Buffer.from(out).toString("utf8");
}

/** Length of the valid UTF-8 sequence at i, or 0 if invalid (Go's first-byte table and accept ranges). */
function goRuneLength(b: Buffer, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const ok1 = b0 === 0xe0 ? cont(1, 0xa0) : b0 === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return ok1 && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const ok1 = b0 === 0xf0 ? cont(1, 0x90) : b0 === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok1 && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

export function parseFailure(what: string, because: string): ApiError {
  return ApiError.framework(400, `parsing ${what} body from "" failed, because ${because}`);
}

/** Media type check before anything else (415 like Alertmanager, curl's form default included). */
export function requireJsonContentType(req: { readonly headers: IncomingHttpHeaders }): void {
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
