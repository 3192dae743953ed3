import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * One-click ack links: `<ops.external_url>/ack/<token>`, where the token names a group and the firing
 * alerts a notification told of, until when it is valid, and carries an HMAC-SHA256 over all of it with
 * the key of ALERTPRISM_ACK_LINK_KEY. The signature is the credential: whoever holds the link may
 * acknowledge those alerts (and nothing else) until it expires.
 */
export interface AckLinkSettings {
  /** ops.external_url, without a trailing slash. */
  readonly baseUrl: string;
  readonly key: string;
  readonly ttlMs: number;
}

export interface AckLinkClaims {
  readonly groupKey: string;
  readonly receiver: string;
  readonly fingerprints: readonly string[];
  readonly expiresMs: number;
}

/** More firing alerts than this in one notification: no link (it would be too long for some clients). */
export const MAX_LINK_ALERTS = 100;

const VERSION = "v1";

function mac(key: string, payload: string): Buffer {
  return createHmac("sha256", key).update(`alertprism-ack-link.${VERSION}.${payload}`).digest();
}

export function signAckLink(key: string, claims: AckLinkClaims): string {
  const payload = Buffer.from(JSON.stringify({ g: claims.groupKey, r: claims.receiver, f: claims.fingerprints, e: Math.floor(claims.expiresMs / 1000) })).toString("base64url");
  return `${payload}.${mac(key, payload).toString("base64url")}`;
}

/** The link for a notification's firing alerts, or undefined when there are none or too many. */
export function ackLinkFor(s: AckLinkSettings, group: { groupKey: string; receiver: string }, firing: readonly string[], nowMs: number): string | undefined {
  if (firing.length === 0 || firing.length > MAX_LINK_ALERTS) return undefined;
  const token = signAckLink(s.key, { ...group, fingerprints: [...firing].sort(), expiresMs: nowMs + s.ttlMs });
  return `${s.baseUrl.replace(/\/+$/, "")}/ack/${token}`;
}

export type AckLinkCheck =
  | { readonly ok: true; readonly claims: AckLinkClaims }
  | { readonly ok: false; readonly reason: "invalid" | "expired"; readonly claims?: AckLinkClaims };

/** Checks a token's signature (in constant time) first, then its expiry. */
export function verifyAckLink(key: string, token: string, nowMs: number): AckLinkCheck {
  const parts = token.split(".");
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return { ok: false, reason: "invalid" };
  const [payload, sig] = parts as [string, string];
  const given = Buffer.from(sig, "base64url");
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "invalid" };
  let claims: AckLinkClaims;
  try {
    const p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { g?: unknown; r?: unknown; f?: unknown; e?: unknown };
    if (typeof p.g !== "string" || typeof p.r !== "string" || typeof p.e !== "number" || !Array.isArray(p.f) || !p.f.every((x) => typeof x === "string")) return { ok: false, reason: "invalid" };
    claims = { groupKey: p.g, receiver: p.r, fingerprints: p.f as string[], expiresMs: p.e * 1000 };
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (claims.expiresMs <= nowMs) return { ok: false, reason: "expired", claims };
  return { ok: true, claims };
}
