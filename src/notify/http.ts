import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { z } from "zod";
import { ConfigError, errorMessage } from "../lib/errors.ts";
import { httpRequest } from "../lib/http-request.ts";
import type { Where } from "./channel.ts";
import { findFirewallRefusal, firewallNotifyError, type Firewall } from "./firewall.ts";
import { NotifyError } from "./notifier.ts";
import { isPermanentTransportCode } from "./transport-errors.ts";
import { annotateCurrentSpan, correlationHeaders } from "../lib/tracing.ts";

/**
 * The one HTTP path of the HTTP integrations: Alertmanager's `http_config` (prometheus/common v0.38, the
 * version Alertmanager 0.25 ships), a client built from it, and the classification of responses into
 * "delivered", "retry later" and "give up". Channels build payloads; this module moves them.
 */

// ---------------------------------------------------------------------------------------------------------
// Configuration

export type TlsVersion = "TLS10" | "TLS11" | "TLS12" | "TLS13";

export interface TlsConfig {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
  readonly insecureSkipVerify: boolean;
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
}

export interface BasicAuth {
  readonly username: string;
  readonly password?: string;
  readonly passwordFile?: string;
}

/** `authorization`, and also the deprecated `bearer_token(_file)`, which prometheus/common folds into it. */
export interface Authorization {
  readonly type: string;
  readonly credentials?: string;
  readonly credentialsFile?: string;
}

export interface HttpConfig {
  readonly basicAuth?: BasicAuth;
  readonly authorization?: Authorization;
  readonly tls: TlsConfig;
  readonly proxyUrl?: string;
  readonly followRedirects: boolean;
  /** Accepted for compatibility; Node's client speaks HTTP/1.1 only. */
  readonly enableHttp2: boolean;
}

export const DEFAULT_HTTP_CONFIG: HttpConfig = Object.freeze({
  tls: Object.freeze({ insecureSkipVerify: false }),
  followRedirects: true,
  enableHttp2: true,
});

type ConfigPath = ReadonlyArray<string | number>;

const tlsVersion = z.enum(["TLS10", "TLS11", "TLS12", "TLS13"], { error: (i) => `unknown TLS version: ${String(i.input)}` });

const rawHttpConfigSchema = z.strictObject({
  basic_auth: z.strictObject({
    username: z.string().optional(),
    password: z.string().optional(),
    password_file: z.string().optional(),
  }).nullish(),
  authorization: z.strictObject({
    type: z.string().optional(),
    credentials: z.string().optional(),
    credentials_file: z.string().optional(),
  }).nullish(),
  // Valid in Alertmanager, but refused below rather than silently sending unauthenticated requests.
  oauth2: z.unknown().optional(),
  bearer_token: z.string().optional(),
  bearer_token_file: z.string().optional(),
  proxy_url: z.string().optional(),
  tls_config: z.strictObject({
    ca_file: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    server_name: z.string().optional(),
    insecure_skip_verify: z.boolean().optional(),
    min_version: tlsVersion.optional(),
    max_version: tlsVersion.optional(),
  }).nullish(),
  follow_redirects: z.boolean().optional(),
  enable_http2: z.boolean().optional(),
});

const TLS_ORDER: readonly TlsVersion[] = ["TLS10", "TLS11", "TLS12", "TLS13"];

/**
 * Validates one `http_config` map with prometheus/common's rules (at most one way to authenticate, no
 * "basic" authorization type, files readable now). Relative file names are taken from `baseDir`:
 * Alertmanager resolves them against the config file's directory.
 */
export function parseHttpConfig(raw: unknown, where: Where, path: ConfigPath, baseDir: string = process.cwd()): HttpConfig {
  if (raw === undefined || raw === null) return DEFAULT_HTTP_CONFIG;
  const c = validateConfig(rawHttpConfigSchema, raw, where, path);
  const fail = (key: ConfigPath, message: string): never => {
    throw new ConfigError(message, where([...path, ...key]));
  };
  const file = (key: ConfigPath, name: string | undefined): string | undefined =>
    name === undefined || name === "" ? undefined : readableFile(resolve(baseDir, name), where([...path, ...key]));

  if (c.oauth2 !== undefined && c.oauth2 !== null) fail(["oauth2"], "oauth2 is not supported by AlertPrism; use authorization or basic_auth");
  const bearer = nonEmpty(c.bearer_token);
  const bearerFile = nonEmpty(c.bearer_token_file);
  if (bearer && bearerFile) fail(["bearer_token"], "at most one of bearer_token & bearer_token_file must be configured");
  if (c.basic_auth && (bearer || bearerFile)) fail(["basic_auth"], "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");

  let basicAuth: BasicAuth | undefined;
  if (c.basic_auth) {
    const b = c.basic_auth;
    if (nonEmpty(b.password) && nonEmpty(b.password_file)) fail(["basic_auth", "password"], "at most one of basic_auth password & password_file must be configured");
    basicAuth = dropUndefined({ username: b.username ?? "", password: nonEmpty(b.password), passwordFile: file(["basic_auth", "password_file"], b.password_file) });
  }

  let authorization: Authorization | undefined;
  if (c.authorization) {
    const a = c.authorization;
    if (bearer || bearerFile) fail(["authorization"], "authorization is not compatible with bearer_token & bearer_token_file");
    if (nonEmpty(a.credentials) && nonEmpty(a.credentials_file)) fail(["authorization", "credentials"], "at most one of authorization credentials & credentials_file must be configured");
    const type = (a.type ?? "").trim() || "Bearer";
    if (type.toLowerCase() === "basic") fail(["authorization", "type"], 'authorization type cannot be set to "basic", use "basic_auth" instead');
    if (basicAuth) fail(["authorization"], "at most one of basic_auth, oauth2 & authorization must be configured");
    authorization = dropUndefined({ type, credentials: nonEmpty(a.credentials), credentialsFile: file(["authorization", "credentials_file"], a.credentials_file) });
  } else if (bearer) {
    authorization = { type: "Bearer", credentials: bearer };
  } else if (bearerFile) {
    authorization = { type: "Bearer", credentialsFile: file(["bearer_token_file"], bearerFile)! };
  }

  const t = c.tls_config ?? {};
  if (t.min_version && t.max_version && TLS_ORDER.indexOf(t.max_version) < TLS_ORDER.indexOf(t.min_version)) {
    fail(["tls_config", "max_version"], "tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified");
  }
  if (nonEmpty(t.cert_file) && !nonEmpty(t.key_file)) fail(["tls_config", "cert_file"], `client cert file ${JSON.stringify(t.cert_file)} specified without client key file`);
  if (nonEmpty(t.key_file) && !nonEmpty(t.cert_file)) fail(["tls_config", "key_file"], `client key file ${JSON.stringify(t.key_file)} specified without client cert file`);
  const tls: TlsConfig = dropUndefined({
    caFile: file(["tls_config", "ca_file"], t.ca_file),
    certFile: file(["tls_config", "cert_file"], t.cert_file),
    keyFile: file(["tls_config", "key_file"], t.key_file),
    serverName: nonEmpty(t.server_name),
    insecureSkipVerify: t.insecure_skip_verify ?? false,
    minVersion: t.min_version,
    maxVersion: t.max_version,
  });
  // What Go checks when it builds the client: a CA bundle it can use, a key that matches the certificate.
  try {
    tlsOptions(tls);
  } catch (err) {
    fail(["tls_config"], `unusable TLS files: ${errorMessage(err)}`);
  }

  let proxyUrl: string | undefined;
  if (nonEmpty(c.proxy_url)) {
    const u = tryUrl(c.proxy_url!);
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:") || u.hostname === "") {
      fail(["proxy_url"], "proxy_url must be an http:// or https:// URL with a host");
    }
    proxyUrl = c.proxy_url;
  }

  return dropUndefined({
    basicAuth,
    authorization,
    tls,
    proxyUrl,
    followRedirects: c.follow_redirects ?? true,
    enableHttp2: c.enable_http2 ?? true,
  });
}

/**
 * An integration's `http_config`, or the global one when the entry has none (as Alertmanager fills it in).
 * Errors in the global section name the integration that inherited it, since `where` is relative to it.
 */
export function integrationHttpConfig(
  entry: Readonly<Record<string, unknown>>, global: Readonly<Record<string, unknown>>, where: Where,
): HttpConfig {
  if (entry.http_config !== undefined && entry.http_config !== null) return parseHttpConfig(entry.http_config, where, ["http_config"]);
  return parseHttpConfig(global.http_config, globalWhere(where), ["http_config"]);
}

/** A `Where` for keys of alertmanager.yml's `global` section, reached from an integration entry. */
export function globalWhere(where: Where): Where {
  return (path) => `${where([])}, inherited from global.${path.map((k) => (typeof k === "number" ? `[${k}]` : k)).join(".").replace(/\.\[/g, "[")}`;
}

/**
 * Validates with zod; the first issue becomes a ConfigError located with `where`. Shared by the channel
 * config parsers so every integration reports errors the same way.
 */
export function validateConfig<T>(schema: z.ZodType<T>, raw: unknown, where: Where, path: ConfigPath): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at: Array<string | number> = [...path, ...issue.path.filter((p): p is string | number => typeof p !== "symbol")];
  // Point at the offending key itself, not at the map that holds it.
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) at.push(issue.keys[0]!);
  throw new ConfigError(issue.message, where(at));
}

/** An http(s) URL with a host, Alertmanager's rule for every URL setting. */
export function checkHttpUrl(value: string, where: string): string {
  const u = tryUrl(value);
  if (!u) throw new ConfigError("invalid URL", where);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(`unsupported scheme ${JSON.stringify(u.protocol.replace(/:$/, ""))} for URL`, where);
  if (u.hostname === "") throw new ConfigError("missing host for URL", where);
  return value;
}

/** Fails config load for a file that cannot be read now, rather than at the first notification. */
export function readableFile(file: string, where: string): string {
  try {
    readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, where);
  }
  return file;
}

function nonEmpty(s: string | undefined | null): string | undefined {
  return s === undefined || s === null || s === "" ? undefined : s;
}

function tryUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Drops undefined values so optional properties are absent rather than present-and-undefined. */
function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Client

export interface HttpResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  /**
   * The response body with every secret of the request (URL path and query, credentials) replaced by
   * `<redacted>`: servers echo requests back in error bodies, and bodies end up in error reasons.
   */
  readonly body: string;
}

export interface PostOptions {
  readonly signal: AbortSignal;
  readonly headers?: Record<string, string>;
}

export interface HttpClient {
  /** POSTs `body` encoded as Go's json.Encoder does; network failures throw a retryable NotifyError. */
  postJson(url: string, body: unknown, opts: PostOptions): Promise<HttpResponse>;
  /** Closes pooled connections; the client must not be used afterwards. */
  close(): void;
}

const TLS_NODE_VERSION: Record<TlsVersion, "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3"> = {
  TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3",
};

/** Go follows at most 10 redirects. */
const MAX_REDIRECTS = 10;
/** Bounds memory if an endpoint answers with something huge; notification responses are tiny. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

function tlsOptions(t: TlsConfig): https.AgentOptions {
  const opts: https.AgentOptions = { rejectUnauthorized: !t.insecureSkipVerify };
  // Like Go's RootCAs, a ca_file replaces the system roots instead of adding to them.
  if (t.caFile) opts.ca = readFileSync(t.caFile);
  if (t.certFile && t.keyFile) {
    opts.cert = readFileSync(t.certFile);
    opts.key = readFileSync(t.keyFile);
  }
  if (t.serverName) opts.servername = t.serverName;
  if (t.minVersion) opts.minVersion = TLS_NODE_VERSION[t.minVersion];
  if (t.maxVersion) opts.maxVersion = TLS_NODE_VERSION[t.maxVersion];
  // Throws on a CA file without certificates or a key that does not match its certificate.
  createSecureContext(opts);
  if (t.caFile && !readFileSync(t.caFile, "utf8").includes("-----BEGIN CERTIFICATE-----")) throw new Error(`no certificates in ${t.caFile}`);
  return opts;
}

/**
 * Builds the client for one integration. TLS files are read now; credential files at every request, so
 * rotation works. With a firewall, every connection (redirect hops included) is checked by its agent.
 */
export function createHttpClient(cfg: HttpConfig, userAgent: string, firewall?: Firewall): HttpClient {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true, ...tlsOptions(cfg.tls) });
  firewall?.guard(httpAgent);
  firewall?.guard(httpsAgent);
  // Without proxy_url Alertmanager ignores HTTP(S)_PROXY, and so does Node's client.
  const proxy = cfg.proxyUrl ? new URL(cfg.proxyUrl) : undefined;
  // Through a proxy tunnel the origin's TLS is set up per request, so it needs the options the agent holds.
  const tls = proxy ? tlsOptions(cfg.tls) : undefined;

  return {
    async postJson(url, body, opts) {
      const target = tryUrl(url);
      const secrets = urlSecrets(url);
      if (!target || (target.protocol !== "http:" && target.protocol !== "https:")) {
        throw new NotifyError(false, `invalid URL ${redactUrl(url)}`);
      }
      // X-Request-Id and traceparent tell the receiver which request led here and which attempt this is.
      const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": userAgent, ...correlationHeaders() };
      const auth = await authorizationHeader(cfg, secrets);
      if (auth) headers.Authorization = auth;
      Object.assign(headers, opts.headers ?? {});
      if (opts.headers?.Authorization) secrets.push(...headerSecrets(opts.headers.Authorization));
      const scrub = scrubber(secrets);
      try {
        const res = await httpRequest(target, {
          method: "POST", headers, body: encodeGoJson(body), signal: opts.signal,
          agents: { http: httpAgent, https: httpsAgent },
          maxRedirects: cfg.followRedirects ? MAX_REDIRECTS : 0,
          maxResponseBytes: MAX_RESPONSE_BYTES,
          ...(proxy ? { proxy } : {}),
          ...(tls ? { tls } : {}),
        });
        annotateCurrentSpan({ "http.response.status_code": res.status });
        return { status: res.status, headers: res.headers, body: scrub(res.body) };
      } catch (err) {
        const refusal = findFirewallRefusal(err);
        if (refusal) throw firewallNotifyError(refusal);
        const permanent = !opts.signal.aborted && isPermanentTransportCode((err as NodeJS.ErrnoException).code);
        throw new NotifyError(!permanent, `POST ${redactUrl(url)}: ${scrub(networkReason(err, opts.signal))}`);
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** The Authorization header value, reading credential files now (trimmed, as prometheus/common does). */
async function authorizationHeader(cfg: HttpConfig, secrets: string[]): Promise<string | undefined> {
  const read = async (file: string): Promise<string> => {
    try {
      return (await readFile(file, "utf8")).trim();
    } catch (err) {
      throw new NotifyError(true, `cannot read credentials file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  };
  if (cfg.basicAuth) {
    const b = cfg.basicAuth;
    const password = b.passwordFile ? await read(b.passwordFile) : (b.password ?? "");
    const encoded = Buffer.from(`${b.username}:${password}`).toString("base64");
    secrets.push(password, encoded);
    return `Basic ${encoded}`;
  }
  if (cfg.authorization) {
    const a = cfg.authorization;
    const credentials = a.credentialsFile ? await read(a.credentialsFile) : (a.credentials ?? "");
    secrets.push(credentials);
    return `${a.type} ${credentials}`;
  }
  return undefined;
}

function headerSecrets(value: string): string[] {
  const space = value.indexOf(" ");
  return space > 0 ? [value, value.slice(space + 1)] : [value];
}

/** Short, secret-free description of a failed request. */
function networkReason(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return "request aborted: the flush deadline passed";
  if (err instanceof NotifyError) return err.reason;
  if (!(err instanceof Error)) return "request failed";
  const code = (err as NodeJS.ErrnoException).code;
  // Node's connection errors can carry an empty message (AggregateError from dual-stack connects).
  const message = err.message || code || "request failed";
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

const GO_ESCAPES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };

/**
 * JSON as Go's json.Encoder writes it (what Alertmanager sends): `<`, `>`, `&`, U+2028 and U+2029 escaped,
 * and a trailing newline. Those characters only ever occur inside strings, so replacing them is safe.
 */
export function encodeGoJson(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!) + "\n";
}

// ---------------------------------------------------------------------------------------------------------
// Classification

const BODY_EXCERPT = 200;

/**
 * 2xx: delivered. 429 and 5xx: retryable, with Retry-After when the server gave one. Anything else
 * (other 4xx, a 3xx that was not followed): not retryable in this flush.
 */
export function classifyResponse(res: HttpResponse, integration: string): void {
  if (res.status >= 200 && res.status < 300) return;
  const retryable = res.status === 429 || res.status >= 500;
  let reason = `${integration}: unexpected status code ${res.status}`;
  if (res.status >= 300 && res.status < 400) reason += " (redirect not followed)";
  const excerpt = bodyExcerpt(res.body);
  if (excerpt) reason += `: ${excerpt}`;
  const retryAfterMs = retryable ? parseRetryAfter(res.headers["retry-after"], res.headers.date) : undefined;
  throw new NotifyError(retryable, reason, retryAfterMs === undefined ? { status: res.status } : { status: res.status, retryAfterMs });
}

/** At most BODY_EXCERPT characters of a body, whitespace collapsed, for error reasons. */
export function bodyExcerpt(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > BODY_EXCERPT ? flat.slice(0, BODY_EXCERPT) + "…" : flat;
}

/**
 * Retry-After as delay-seconds or an HTTP date. A date is measured against the response's own Date
 * header when there is one, so a skewed local clock does not distort it.
 */
export function parseRetryAfter(value: string | undefined, dateHeader?: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  const serverNow = dateHeader ? Date.parse(dateHeader) : NaN;
  return Math.max(0, at - (Number.isNaN(serverNow) ? Date.now() : serverNow));
}

// ---------------------------------------------------------------------------------------------------------
// Redaction

/** `scheme://host[:port]/<redacted>`: tokens live in paths, queries and userinfo (Slack, DingTalk), never in the host. */
export function redactUrl(url: string): string {
  const u = tryUrl(url);
  return u ? `${u.protocol}//${u.host}/<redacted>` : "<redacted>";
}

/** Shortest URL part treated as a possible token; shorter segments are words like "api" or "v1". */
const MIN_SEGMENT_SECRET = 6;

/** Everything of a URL that may be or contain a token: the URL itself, its path and query, their parts, userinfo. */
function urlSecrets(url: string): string[] {
  const out = [url];
  const u = tryUrl(url);
  if (!u) return out;
  out.push(u.href, u.pathname + u.search, u.search, decodeURIComponent(u.username), decodeURIComponent(u.password));
  for (const segment of u.pathname.split("/")) if (segment.length >= MIN_SEGMENT_SECRET) out.push(segment);
  for (const [, v] of u.searchParams) if (v.length >= MIN_SEGMENT_SECRET) out.push(v);
  return out;
}

/** Replaces every secret, also as it appears URL-encoded or JSON-escaped, longest first. */
function scrubber(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === "" || s === "/") continue;
    const json = JSON.stringify(s).slice(1, -1);
    for (const f of [s, encodeURIComponent(s), json, json.replace(/\//g, "\\/"), s.replace(/\//g, "\\/")]) forms.add(f);
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const f of ordered) out = out.split(f).join("<redacted>");
    return out;
  };
}
