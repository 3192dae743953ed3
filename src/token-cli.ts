import { ConfigError } from "./lib/errors.ts";
import { parseDuration } from "./config/duration.ts";
import { loadAuthSettings } from "./config/auth.ts";
import { isRole, ROLES, signToken } from "./auth/index.ts";
import { resolveSettings } from "./settings.ts";

/**
 * `alertprism token create --role operator --ttl 24h --subject alice [--alertprism.config.file=FILE]`:
 * prints an HS256 token signed with auth.jwt.hs256_secret of alertprism.yml (found as the server finds it).
 */
export async function tokenCreate(args: readonly string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<number> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const [flag, inline] = eq >= 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (!["--role", "--ttl", "--subject", "--alertprism.config.file"].includes(flag)) {
      throw new ConfigError(`unknown flag ${flag} (token create takes --role, --ttl, --subject, --alertprism.config.file)`);
    }
    const v = inline ?? args[++i];
    if (v === undefined) throw new ConfigError(`flag ${flag} needs a value`);
    flags.set(flag.slice(2), v);
  }
  const role = flags.get("role");
  const subject = flags.get("subject");
  if (role === undefined || !isRole(role)) throw new ConfigError(`--role must be one of ${ROLES.join(", ")}`);
  if (subject === undefined || subject.trim() === "") throw new ConfigError("--subject is required: who the token is for (the audit log's actor)");
  const ttlText = flags.get("ttl") ?? "24h";
  let ttlMs: number;
  try {
    ttlMs = parseDuration(ttlText);
  } catch {
    throw new ConfigError(`--ttl: not a valid duration: ${JSON.stringify(ttlText)}`);
  }
  if (ttlMs <= 0) throw new ConfigError("--ttl must be longer than 0");
  const file = flags.get("alertprism.config.file");
  const settings = resolveSettings(new Map(file === undefined ? [] : [["alertprism.config.file", file]]), env);
  if (!settings.alertprismFile) throw new ConfigError("no alertprism.yml: pass --alertprism.config.file (or ALERTPRISM_SETTINGS_FILE) with an auth.jwt section");
  const auth = loadAuthSettings(settings.alertprismFile, env);
  if (!auth) throw new ConfigError(`${settings.alertprismFile} has no auth: section`);
  const key = auth.jwt.key;
  if (key.kind !== "secret") throw new ConfigError(`${settings.alertprismFile}: token create signs with auth.jwt.hs256_secret; with ${key.kind === "jwks" ? "jwks_url" : "public_key_file"} tokens come from your identity provider`);
  const token = await signToken({ secret: key.secret, issuer: auth.jwt.issuer, audience: auth.jwt.audience, rolesClaim: auth.jwt.rolesClaim, subject, role, ttlMs, nowMs: Date.now() });
  out.write(token + "\n");
  return 0;
}
