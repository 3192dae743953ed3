/**
 * JWT verification and signing with jose: HS256 with a shared secret, RS256/ES256 with a PEM public key
 * or a JWKS URL. Only the configured algorithm is accepted (so `alg: none` and algorithm confusion are
 * refused), `exp` and `sub` are required, issuer and audience checked.
 */
import type { KeyObject } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from "jose";
import { AuthError } from "./errors.ts";
import { highestRole, type Role } from "./roles.ts";

export type JwtAlgorithm = "HS256" | "RS256" | "ES256";

export type JwtKey =
  | { readonly kind: "secret"; readonly secret: Uint8Array }
  | { readonly kind: "public_key"; readonly algorithm: "RS256" | "ES256"; readonly key: KeyObject; readonly file: string }
  | { readonly kind: "jwks"; readonly algorithm: "RS256" | "ES256"; readonly url: string };

export interface JwtSettings {
  readonly key: JwtKey;
  readonly issuer: string;
  readonly audience: string;
  readonly rolesClaim: string;
}

export interface VerifiedToken {
  readonly subject: string;
  readonly role: Role;
}

/** Longer tokens are refused before they are parsed. */
export const MAX_TOKEN_CHARS = 8192;
const CLOCK_TOLERANCE_S = 5;

export function algorithmOf(key: JwtKey): JwtAlgorithm {
  return key.kind === "secret" ? "HS256" : key.algorithm;
}

export class JwtVerifier {
  private jwks: JWTVerifyGetKey | undefined;

  constructor(private readonly settings: JwtSettings, private readonly now: () => number = Date.now) {}

  async verify(token: string): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_CHARS) throw new AuthError(401, `invalid token: longer than ${MAX_TOKEN_CHARS} characters`, "Bearer");
    const s = this.settings;
    const options = {
      algorithms: [algorithmOf(s.key)],
      issuer: s.issuer,
      audience: s.audience,
      requiredClaims: ["exp", "sub"],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(this.now()),
    };
    let payload: Record<string, unknown>;
    try {
      const k = s.key;
      if (k.kind === "jwks") {
        this.jwks ??= createRemoteJWKSet(new URL(k.url), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
        payload = (await jwtVerify(token, this.jwks, options)).payload;
      } else {
        payload = (await jwtVerify(token, k.kind === "secret" ? k.secret : k.key, options)).payload;
      }
    } catch (err) {
      throw new AuthError(401, `invalid token: ${reason(err)}`, "Bearer");
    }
    const subject = payload.sub;
    if (typeof subject !== "string" || subject === "") throw new AuthError(401, "invalid token: the sub claim must be a non-empty string", "Bearer");
    const role = highestRole(payload[s.rolesClaim]);
    if (role === undefined) throw new AuthError(403, `the token of ${JSON.stringify(subject)} carries no known role in its ${JSON.stringify(s.rolesClaim)} claim (viewer, operator, admin)`);
    return { subject, role };
  }
}

/** jose's reasons name the check that failed, never the token's content. */
function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return "the key set at jwks_url is unavailable";
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the key set matches";
  if (err instanceof errors.JOSEError) return err.message;
  return "malformed";
}

/** A signed HS256 token for `subject` with `role`, valid `ttlMs` from `nowMs`. */
export async function signToken(opts: {
  secret: Uint8Array; issuer: string; audience: string; rolesClaim: string; subject: string; role: Role; ttlMs: number; nowMs: number;
}): Promise<string> {
  const iat = Math.floor(opts.nowMs / 1000);
  return new SignJWT({ [opts.rolesClaim]: [opts.role] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(opts.subject)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.max(1, Math.round(opts.ttlMs / 1000)))
    .sign(opts.secret);
}
