/**
 * The web page's static files (src/ui/static, copied next to the compiled module by `npm run build`),
 * read once at start with a content hash each, so URLs carry the hash and can be cached forever.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
  /** First 12 hex digits of the SHA-256 of the body. */
  readonly hash: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export const STATIC_DIR = fileURLToPath(new URL("./static/", import.meta.url));

/** Every file of the static directory by name (no subdirectories). */
export function loadAssets(dir: string = STATIC_DIR): ReadonlyMap<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    out.set(name, { body, type, hash: createHash("sha256").update(body).digest("hex").slice(0, 12) });
  }
  return out;
}
