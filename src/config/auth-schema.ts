import { z } from "zod";
import { ROLES } from "../auth/roles.ts";

/**
 * alertprism.yml's `auth:` (shapes only; keys, ranges and hashes are checked by loadAuthSettings).
 * Without it the ops API answers only on loopback addresses and /api/v2 is open, as Alertmanager's.
 */
export const authSchema = z.strictObject({
  jwt: z.strictObject({
    /** Exactly one of the three keys. */
    hs256_secret: z.string().optional(),
    public_key_file: z.string().min(1).optional(),
    jwks_url: z.string().min(1).optional(),
    /** HS256 with hs256_secret; RS256 or ES256 with a key (taken from a public_key_file, required with jwks_url). */
    algorithm: z.enum(["HS256", "RS256", "ES256"]).optional(),
    issuer: z.string().min(1, "must not be empty"),
    audience: z.string().min(1, "must not be empty"),
    roles_claim: z.string().min(1, "must not be empty").optional(),
  }, { error: (iss) => (iss.input == null ? "required: how tokens are verified (hs256_secret, public_key_file or jwks_url; issuer; audience)" : undefined) }),
  allow_cidrs: z.array(z.string()).optional(),
  trusted_proxies: z.array(z.string()).optional(),
  alertmanager_api: z.enum(["none", "basic", "jwt"]).optional(),
  /** Basic-auth users of /api/v2 (alertmanager_api: basic). */
  users: z.array(z.strictObject({
    name: z.string().min(1, "must not be empty"),
    password_hash: z.string(),
    role: z.enum(ROLES),
  })).optional(),
});
