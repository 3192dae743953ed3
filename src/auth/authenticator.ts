/**
 * Who is calling, from the request's headers and peer address: the client address must be in
 * `allow_cidrs` (checked before any credential is read), then a bearer JWT or basic credentials.
 */
import { AuthError } from "./errors.ts";
import { BASIC_CHALLENGE, BasicVerifier, parseBasic, type BasicUser } from "./basic.ts";
import { clientAddress, inAny, type Cidr } from "./cidr.ts";
import { algorithmOf, JwtVerifier, type JwtSettings } from "./jwt.ts";
import type { Role } from "./roles.ts";

export type AlertmanagerApiAuth = "none" | "basic" | "jwt";
export type Scheme = "bearer" | "basic";

/** alertprism.yml's `auth:`, validated. */
export interface AuthSettings {
  readonly jwt: JwtSettings;
  readonly allowCidrs: readonly Cidr[];
  readonly trustedProxies: readonly Cidr[];
  readonly alertmanagerApi: AlertmanagerApiAuth;
  readonly users: readonly BasicUser[];
}

export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string;
}

export interface AuthPrincipal {
  readonly subject: string;
  readonly role: Role;
}

export class Authenticator {
  private readonly jwt: JwtVerifier;
  private readonly basic: BasicVerifier;

  constructor(readonly settings: AuthSettings, now: () => number = Date.now) {
    this.jwt = new JwtVerifier(settings.jwt, now);
    this.basic = new BasicVerifier(settings.users, now);
  }

  /** The schemes /api/v2 accepts (none: it is open, as Alertmanager's). */
  alertmanagerApiSchemes(): readonly Scheme[] {
    const m = this.settings.alertmanagerApi;
    return m === "basic" ? ["basic"] : m === "jwt" ? ["bearer"] : [];
  }

  /** POST /-/reload: a bearer token, or basic credentials when /api/v2 uses them. */
  reloadSchemes(): readonly Scheme[] {
    return this.settings.alertmanagerApi === "basic" ? ["bearer", "basic"] : ["bearer"];
  }

  /** The client's address (X-Forwarded-For only from trusted proxies); 403 unless it is in allow_cidrs. */
  checkClient(req: AuthRequest): string {
    const s = this.settings;
    const client = clientAddress(req.remoteAddress, req.headers["x-forwarded-for"], s.trustedProxies);
    if (!inAny(s.allowCidrs, client)) throw new AuthError(403, `client address ${JSON.stringify(client.slice(0, 64))} is not in auth.allow_cidrs`);
    return client;
  }

  async authenticate(req: AuthRequest, schemes: readonly Scheme[]): Promise<AuthPrincipal> {
    this.checkClient(req);
    const challenge = schemes.includes("bearer") ? "Bearer" : BASIC_CHALLENGE;
    const raw = req.headers.authorization;
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value === undefined || value === "") throw new AuthError(401, `credentials required: ${schemes.map(describeScheme).join(" or ")}`, challenge);
    const space = value.search(/[ \t]/);
    const scheme = (space < 0 ? value : value.slice(0, space)).toLowerCase();
    if (scheme === "bearer" && schemes.includes("bearer")) {
      const token = value.slice(space).trim();
      if (space < 0 || token === "") throw new AuthError(401, "invalid token: empty", "Bearer");
      return this.jwt.verify(token);
    }
    if (scheme === "basic" && schemes.includes("basic")) {
      const creds = space < 0 ? undefined : parseBasic(value);
      if (!creds) throw new AuthError(401, "malformed basic credentials", BASIC_CHALLENGE);
      return this.basic.verify(creds.user, creds.password);
    }
    throw new AuthError(401, `unsupported authorization scheme here: use ${schemes.map(describeScheme).join(" or ")}`, challenge);
  }

  /** What is configured, for the start-up log (never a secret). */
  describe(): Record<string, unknown> {
    const s = this.settings;
    const k = s.jwt.key;
    return {
      jwt: `${algorithmOf(k)} with ${k.kind === "secret" ? "a shared secret" : k.kind === "public_key" ? `the public key in ${k.file}` : `the key set at ${k.url}`}`,
      issuer: s.jwt.issuer,
      audience: s.jwt.audience,
      rolesClaim: s.jwt.rolesClaim,
      allowCidrs: s.allowCidrs.map((c) => c.text),
      trustedProxies: s.trustedProxies.map((c) => c.text),
      alertmanagerApi: s.alertmanagerApi === "basic" ? `basic (${s.users.length} users)` : s.alertmanagerApi,
    };
  }
}

function describeScheme(s: Scheme): string {
  return s === "bearer" ? "Authorization: Bearer <JWT>" : "HTTP basic auth";
}

export { AuthError } from "./errors.ts";
