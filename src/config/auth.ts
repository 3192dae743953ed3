/**
 * alertprism.yml's `auth:`, validated into AuthSettings: one JWT key (secret of at least 32 bytes, a PEM
 * public key whose type fixes the algorithm, or a JWKS URL with its algorithm), CIDR ranges, and bcrypt
 * users for `alertmanager_api: basic`. Errors name file:line (path); none quotes a secret.
 */
import { readFileSync } from "node:fs";
import { createPublicKey, type KeyObject } from "node:crypto";
import { dirname, resolve } from "node:path";
import { parseYaml, readYamlFile, validateWith, type ConfigPath, type YamlSource } from "./yaml-source.ts";
import { alertprismSchema } from "./alertprism.ts";
import { ConfigError, errorMessage } from "../lib/errors.ts";
import { BCRYPT_HASH, parseCidr, type AuthSettings, type Cidr, type JwtKey } from "../auth/index.ts";

export const MIN_SECRET_BYTES = 32;
const EVERYWHERE = ["0.0.0.0/0", "::/0"];

/** The `auth:` of alertprism.yml, or undefined when there is none. */
export function loadAuthSettings(file: string, env?: NodeJS.ProcessEnv): AuthSettings | undefined {
  return authSettingsFrom(readYamlFile(file, env));
}

/** loadAuthSettings for text already in memory (tests, tools). */
export function parseAuthSettings(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): AuthSettings | undefined {
  return authSettingsFrom(parseYaml(text, file, env));
}

function authSettingsFrom(src: YamlSource): AuthSettings | undefined {
  const auth = validateWith(alertprismSchema, src).auth;
  if (!auth) return undefined;
  const fail = (path: ConfigPath, message: string): never => {
    throw new ConfigError(message, src.where(["auth", ...path]));
  };
  const j = auth.jwt;
  const keys = (["hs256_secret", "public_key_file", "jwks_url"] as const).filter((k) => j[k] !== undefined);
  if (keys.length !== 1) fail(["jwt"], `exactly one of hs256_secret, public_key_file and jwks_url is required${keys.length > 1 ? `, not ${keys.join(" and ")}` : ""}`);
  let key: JwtKey;
  if (j.hs256_secret !== undefined) {
    const secret = new TextEncoder().encode(j.hs256_secret);
    if (secret.length < MIN_SECRET_BYTES) fail(["jwt", "hs256_secret"], `must be at least ${MIN_SECRET_BYTES} bytes long (e.g. openssl rand -base64 48)`);
    if (j.algorithm !== undefined && j.algorithm !== "HS256") fail(["jwt", "algorithm"], "must be HS256 with hs256_secret");
    key = { kind: "secret", secret };
  } else if (j.public_key_file !== undefined) {
    const path = resolve(dirname(src.file), j.public_key_file);
    const { algorithm, key: publicKey } = readPublicKey(path, (m) => fail(["jwt", "public_key_file"], m));
    if (j.algorithm !== undefined && j.algorithm !== algorithm) fail(["jwt", "algorithm"], `is ${j.algorithm}, but the key in public_key_file is for ${algorithm}`);
    key = { kind: "public_key", algorithm, key: publicKey, file: path };
  } else {
    const url = j.jwks_url!;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) fail(["jwt", "jwks_url"], "must be an http(s) URL");
    if (j.algorithm !== "RS256" && j.algorithm !== "ES256") fail(["jwt", j.algorithm === undefined ? "jwks_url" : "algorithm"], "jwks_url needs algorithm: RS256 or ES256");
    key = { kind: "jwks", algorithm: j.algorithm as "RS256" | "ES256", url };
  }
  const cidrs = (name: "allow_cidrs" | "trusted_proxies", dflt: readonly string[]): Cidr[] =>
    (auth[name] ?? dflt).map((text, i) => {
      try {
        return parseCidr(text);
      } catch (err) {
        return fail([name, i], errorMessage(err));
      }
    });
  const allowCidrs = cidrs("allow_cidrs", EVERYWHERE);
  if (auth.allow_cidrs !== undefined && allowCidrs.length === 0) fail(["allow_cidrs"], "an empty list would refuse every client; leave allow_cidrs out to allow all addresses");
  const trustedProxies = cidrs("trusted_proxies", []);
  const mode = auth.alertmanager_api ?? "none";
  const users = auth.users ?? [];
  if (mode === "basic" && users.length === 0) fail(["alertmanager_api"], "basic needs users: [{name, password_hash, role}]");
  if (mode !== "basic" && auth.users !== undefined) fail(["users"], "users are for alertmanager_api: basic");
  const seen = new Set<string>();
  users.forEach((u, i) => {
    if (seen.has(u.name)) fail(["users", i, "name"], `user ${JSON.stringify(u.name)} is listed twice`);
    seen.add(u.name);
    if (u.name.includes(":")) fail(["users", i, "name"], "a basic-auth user name cannot contain ':'");
    if (!BCRYPT_HASH.test(u.password_hash)) fail(["users", i, "password_hash"], "not a bcrypt hash ($2b$10$…); make one with: htpasswd -nbBC 10 '' 'PASSWORD' | tr -d ':\\n'");
  });
  return {
    jwt: { key, issuer: j.issuer, audience: j.audience, rolesClaim: j.roles_claim ?? "roles" },
    allowCidrs,
    trustedProxies,
    alertmanagerApi: mode,
    users: users.map((u) => ({ name: u.name, passwordHash: u.password_hash, role: u.role })),
  };
}

function readPublicKey(path: string, fail: (message: string) => never): { algorithm: "RS256" | "ES256"; key: KeyObject } {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    return fail(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  if (/PRIVATE KEY/.test(pem)) return fail(`${path} holds a private key; give the public key (openssl pkey -pubout)`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return fail(`${path} is not a PEM public key`);
  }
  if (key.asymmetricKeyType === "rsa") {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) fail(`${path}: RSA keys must have at least 2048 bits`);
    return { algorithm: "RS256", key };
  }
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return { algorithm: "ES256", key };
  return fail(`${path}: the key must be RSA (RS256) or EC P-256 (ES256), not ${key.asymmetricKeyType ?? "unknown"}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ""}`);
}
