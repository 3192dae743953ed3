import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import { GoTemplater } from "../templater.ts";
import type { Channel, ChannelDeps, Where } from "../channel.ts";
import type { Notifier } from "../notifier.ts";
import { EmailNotifier, Secret, parseAddressList } from "./email.ts";
import type { EmailConfig, TlsSettings } from "./email.ts";
import { scalarString, tlsConfigSchema, TLS_VERSIONS } from "../tls-config.ts";

/** Alertmanager's defaults for email_configs (config/notifiers.go and config.go, v0.25). */
export const EMAIL_DEFAULTS = {
  hello: "localhost",
  requireTls: true,
  html: '{{ template "email.default.html" . }}',
  subject: '{{ template "email.default.subject" . }}',
} as const;




const rawEmailSchema = z.strictObject({
  send_resolved: z.boolean().optional(),
  to: z.string().optional(),
  from: z.string().optional(),
  hello: z.string().optional(),
  smarthost: z.string().optional(),
  auth_username: z.string().optional(),
  auth_password: z.string().optional(),
  auth_password_file: z.string().optional(),
  auth_secret: z.string().optional(),
  auth_identity: z.string().optional(),
  headers: z.record(z.string(), scalarString).optional(),
  html: z.string().optional(),
  text: z.string().optional(),
  require_tls: z.boolean().optional(),
  tls_config: tlsConfigSchema.optional(),
});

type Path = ReadonlyArray<string | number>;

/** Validates with zod, reporting the first problem at its own path (unknown keys at the key itself). */
function validate<S extends z.ZodType>(schema: S, raw: unknown, where: Where): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    throw new ConfigError(`unknown field "${key}" in email_configs`, where([...path, key]));
  }
  throw new ConfigError(issue.message, where(path));
}

/** Go's textproto.CanonicalMIMEHeaderKey: "x-team" → "X-Team"; keys with non-token bytes stay as they are. */
export function canonicalHeaderKey(key: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return key;
  return key.toLowerCase().replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** "host:port" or "[v6]:port", as Go's net.SplitHostPort; Alertmanager insists on the port. */
export function parseSmarthost(s: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]]+):(\d+)$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function checkReadable(file: string, field: string, at: string): void {
  try {
    readFileSync(file);
  } catch (err) {
    // The path is configuration, not a secret; the content is never quoted.
    throw new ConfigError(`cannot read ${field} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`, at);
  }
}

export function parseEmailConfig(raw: Readonly<Record<string, unknown>>, global: Readonly<Record<string, unknown>>, where: Where): EmailConfig {
  const c = validate(rawEmailSchema, raw, where);

  if (c.to === undefined || c.to.trim() === "") throw new ConfigError("missing to address in email config", where(c.to === undefined ? [] : ["to"]));
  const from = str(c.from) ?? str(global.smtp_from);
  if (from === undefined) throw new ConfigError("missing from address: set from here or smtp_from in global", where([]));
  const smarthostText = str(c.smarthost) ?? str(global.smtp_smarthost);
  if (smarthostText === undefined) throw new ConfigError("missing smarthost: set smarthost here or smtp_smarthost in global", where([]));
  const smarthost = parseSmarthost(smarthostText);
  if (!smarthost) {
    throw new ConfigError(`smarthost must be host:port (got ${JSON.stringify(smarthostText)})`, c.smarthost !== undefined ? where(["smarthost"]) : where([]));
  }

  // Each auth field falls back to its global on its own, as Alertmanager does; password and password file
  // fall back together so a local file is never paired with a global inline password.
  const authUsername = str(c.auth_username) ?? str(global.smtp_auth_username);
  const localPassword = c.auth_password !== undefined || c.auth_password_file !== undefined;
  const authPassword = localPassword ? str(c.auth_password) : str(global.smtp_auth_password);
  const authPasswordFile = localPassword ? str(c.auth_password_file) : str(global.smtp_auth_password_file);
  const authSecret = str(c.auth_secret) ?? str(global.smtp_auth_secret);
  const authIdentity = str(c.auth_identity) ?? str(global.smtp_auth_identity);
  if (authPassword !== undefined && authPasswordFile !== undefined) {
    throw new ConfigError("at most one of auth_password & auth_password_file must be configured", where(localPassword ? ["auth_password_file"] : []));
  }
  if (authPasswordFile !== undefined) checkReadable(authPasswordFile, "auth_password_file", where(c.auth_password_file !== undefined ? ["auth_password_file"] : []));
  if (authUsername !== undefined && authPassword === undefined && authPasswordFile === undefined && authSecret === undefined) {
    // Alertmanager would fail at the first send with "missing password for PLAIN auth mechanism".
    throw new ConfigError("auth_username is set but none of auth_password, auth_password_file or auth_secret is", where(c.auth_username !== undefined ? ["auth_username"] : []));
  }

  const tls = parseTls(c.tls_config, where);

  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(c.headers ?? {})) {
    const canonical = canonicalHeaderKey(key);
    if (canonical in headers) throw new ConfigError(`duplicate header "${canonical}" in email config`, where(["headers", key]));
    headers[canonical] = value;
  }
  headers.From ??= from;
  headers.To ??= c.to;
  headers.Subject ??= EMAIL_DEFAULTS.subject;

  const globalRequireTls = typeof global.smtp_require_tls === "boolean" ? global.smtp_require_tls : undefined;
  const cfg: EmailConfig = {
    sendResolved: c.send_resolved ?? false,
    to: c.to,
    from,
    smarthost,
    hello: str(c.hello) ?? str(global.smtp_hello) ?? EMAIL_DEFAULTS.hello,
    ...(authUsername !== undefined ? { authUsername } : {}),
    ...(authPassword !== undefined ? { authPassword: new Secret(authPassword) } : {}),
    ...(authPasswordFile !== undefined ? { authPasswordFile } : {}),
    ...(authSecret !== undefined ? { authSecret: new Secret(authSecret) } : {}),
    ...(authIdentity !== undefined ? { authIdentity } : {}),
    requireTls: c.require_tls ?? globalRequireTls ?? EMAIL_DEFAULTS.requireTls,
    tls,
    headers,
    html: c.html ?? EMAIL_DEFAULTS.html,
    ...(c.text !== undefined ? { text: c.text } : {}),
  };

  checkTemplates(cfg, c.from !== undefined, where);
  checkAddresses(cfg, c.from !== undefined, where);
  return cfg;
}

function parseTls(t: z.output<typeof rawEmailSchema>["tls_config"], where: Where): TlsSettings {
  if (!t) return { insecureSkipVerify: false };
  for (const key of ["ca_file", "cert_file", "key_file"] as const) {
    const file = t[key];
    if (file !== undefined) checkReadable(file, `tls_config.${key}`, where(["tls_config", key]));
  }
  if ((t.cert_file === undefined) !== (t.key_file === undefined)) {
    throw new ConfigError("tls_config needs both cert_file and key_file, or neither", where(["tls_config"]));
  }
  return {
    ...(t.ca_file !== undefined ? { caFile: t.ca_file } : {}),
    ...(t.cert_file !== undefined ? { certFile: t.cert_file } : {}),
    ...(t.key_file !== undefined ? { keyFile: t.key_file } : {}),
    ...(t.server_name !== undefined ? { serverName: t.server_name } : {}),
    insecureSkipVerify: t.insecure_skip_verify ?? false,
    ...(t.min_version !== undefined ? { minVersion: TLS_VERSIONS[t.min_version] } : {}),
  };
}

function checkTemplates(cfg: EmailConfig, localFrom: boolean, where: Where): void {
  const templater = new GoTemplater();
  const check = (text: string | undefined, path: Path) => {
    if (text !== undefined) templater.check(text, where(path));
  };
  check(cfg.to, ["to"]);
  check(cfg.from, localFrom ? ["from"] : []);
  check(cfg.html, ["html"]);
  check(cfg.text, ["text"]);
  for (const [k, v] of Object.entries(cfg.headers)) check(v, ["headers", k]);
}

/** Plain (untemplated) addresses are parsed now, so a typo fails the load rather than the first alert. */
function checkAddresses(cfg: EmailConfig, localFrom: boolean, where: Where): void {
  if (!cfg.to.includes("{{") && parseAddressList(cfg.to) === undefined) {
    throw new ConfigError(`to must be a comma-separated list of email addresses (got ${JSON.stringify(cfg.to)})`, where(["to"]));
  }
  if (!cfg.from.includes("{{") && parseAddressList(cfg.from)?.length !== 1) {
    throw new ConfigError(`from must hold exactly one email address (got ${JSON.stringify(cfg.from)})`, where(localFrom ? ["from"] : []));
  }
}

export const emailChannel: Channel<EmailConfig> = {
  kind: "email",
  parseConfig: parseEmailConfig,
  create(config: EmailConfig, index: number, deps: ChannelDeps): Notifier {
    return new EmailNotifier(config, index, deps);
  },
};
