/**
 * Secret-leak detection for tests: collect every secret a configuration holds (tokens, passwords,
 * routing keys, the paths and queries of webhook URLs, JWT keys, ...), capture what the app let out
 * (log lines, error reasons, delivery records, HTTP response bodies), and fail when any capture holds a
 * secret in any usual encoding. Failures name the secret's kind and the capture, never the secret.
 */
import { AssertionError } from "node:assert";
import { parseYaml } from "../../src/config/yaml-source.ts";
import { createLogger, type Logger } from "../../src/lib/log.ts";

export interface ConfiguredSecret {
  /** What it is and where it is configured, e.g. "receivers[0].slack_configs[0].api_url (URL path)". */
  readonly kind: string;
  readonly value: string;
}

export interface Capture {
  /** Where the text came from, e.g. "log line 3", "GET /api/v2/status", "deliveries row 2 (error)". */
  readonly where: string;
  readonly text: string;
}

export interface Leak {
  readonly kind: string;
  readonly where: string;
  /** How it appeared: "as written", "URL-encoded", "JSON-escaped", "base64". */
  readonly form: string;
}

/** Keys whose string values are secrets wherever they appear in alertmanager.yml or alertprism.yml. */
const SECRET_KEYS = new Set([
  "password", "auth_password", "smtp_auth_password", "auth_secret", "smtp_auth_secret", "credentials", "bearer_token",
  "routing_key", "service_key", "secret", "hs256_secret", "api_key", "opsgenie_api_key", "victorops_api_key",
  "wechat_api_secret", "client_secret", "access_token", "token", "key",
]);

/** Keys whose values are URLs that may carry tokens in their userinfo, path or query. */
const URL_KEYS = new Set(["url", "api_url", "slack_api_url", "webhook_url"]);

/**
 * Shorter values cannot be told apart from ordinary text ("ok", "v2"); configs in tests use longer
 * secrets. The same floor as the redaction in src/notify/http.ts.
 */
export const MIN_SECRET_LENGTH = 6;

/**
 * The secrets of alertmanager.yml and alertprism.yml texts, `${VAR}`s expanded from `env` as the app does.
 * Variables the texts refer to that are named like secrets (…TOKEN, …KEY, …SECRET, …PASSWORD) count as well.
 */
export function secretsFromConfig(files: { alertmanager?: string; alertprism?: string; env?: NodeJS.ProcessEnv }): ConfiguredSecret[] {
  const out: ConfiguredSecret[] = [];
  const env = files.env ?? {};
  if (files.alertmanager !== undefined) walk(parseYaml(files.alertmanager, "alertmanager.yml", env).data, [], out);
  if (files.alertprism !== undefined) walk(parseYaml(files.alertprism, "alertprism.yml", env).data, [], out);
  const referenced = new Set([...`${files.alertmanager ?? ""}\n${files.alertprism ?? ""}`.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
  for (const name of referenced) {
    const value = env[name];
    if (value !== undefined && /(TOKEN|KEY|SECRET|PASSWORD)/i.test(name)) add(out, `environment variable ${name}`, value);
  }
  return dedupe(out);
}

/** The secrets of loaded settings, e.g. one integration's raw config map, named from `path`. */
export function secretsFromSettings(settings: unknown, path: ReadonlyArray<string | number> = []): ConfiguredSecret[] {
  const out: ConfiguredSecret[] = [];
  walk(settings, [...path], out);
  return dedupe(out);
}

function walk(node: unknown, path: Array<string | number>, out: ConfiguredSecret[]): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => walk(v, [...path, i], out));
    return;
  }
  if (node === null || typeof node !== "object") return;
  const obj = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    const at = pathText([...path, k]);
    if (typeof v === "string" && SECRET_KEYS.has(k)) add(out, at, v);
    // Headers sent with requests (tracing.headers of alertprism.yml) carry API keys under any name.
    else if (k === "headers" && v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [name, value] of Object.entries(v as Record<string, unknown>)) if (typeof value === "string") add(out, pathText([...path, k, name]), value);
    }
    else if (typeof v === "string" && URL_KEYS.has(k)) out.push(...urlSecrets(at, v));
    else walk(v, [...path, k], out);
  }
  // Basic auth goes out base64-encoded as "user:password".
  if (typeof obj.username === "string" && typeof obj.password === "string" && obj.password !== "") {
    add(out, `${pathText(path)} (basic auth header)`, Buffer.from(`${obj.username}:${obj.password}`).toString("base64"));
  }
}

/** The parts of a URL that can be tokens: userinfo password, the path with its query, token-like segments, query values. */
export function urlSecrets(kind: string, url: string): ConfiguredSecret[] {
  const out: ConfiguredSecret[] = [];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    add(out, kind, url);
    return out;
  }
  if (u.password !== "") add(out, `${kind} (URL password)`, decodeURIComponent(u.password));
  const rest = u.pathname + u.search;
  const segments = u.pathname.split("/").filter(isTokenLike);
  const values = [...u.searchParams.values()].filter((v) => v.length >= MIN_SECRET_LENGTH);
  // A path of plain words ("/api/alerts") is no secret; one with a token-like part or a query is.
  if (segments.length > 0 || values.length > 0) add(out, `${kind} (URL path)`, rest);
  for (const s of segments) add(out, `${kind} (URL path token)`, decodeURIComponent(s));
  for (const v of values) add(out, `${kind} (URL query token)`, v);
  return out;
}

/** Letters and digits mixed, or long: what Slack, DingTalk and webhook tokens look like, and words do not. */
function isTokenLike(segment: string): boolean {
  if (segment.length >= 20) return true;
  return segment.length >= 8 && /\d/.test(segment) && /[A-Za-z]/.test(segment);
}

function add(out: ConfiguredSecret[], kind: string, value: string): void {
  if (value.length >= MIN_SECRET_LENGTH && value !== "<secret>") out.push({ kind, value });
}

function dedupe(list: ConfiguredSecret[]): ConfiguredSecret[] {
  const seen = new Set<string>();
  return list.filter((s) => (seen.has(s.value) ? false : (seen.add(s.value), true)));
}

function pathText(path: ReadonlyArray<string | number>): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

/** The encodings a secret may take on its way out: in a URL, in JSON, in an Authorization header. */
function forms(value: string): Array<[string, string]> {
  const json = JSON.stringify(value).slice(1, -1);
  const list: Array<[string, string]> = [
    ["as written", value],
    ["URL-encoded", encodeURIComponent(value)],
    ["JSON-escaped", json],
    ["JSON-escaped", json.replace(/\//g, "\\/")],
    ["base64", Buffer.from(value).toString("base64").replace(/=+$/, "")],
  ];
  return list.filter(([, f]) => f.length >= MIN_SECRET_LENGTH);
}

/** Every (secret, capture) pair where the capture holds the secret in some form. */
export function findLeaks(secrets: readonly ConfiguredSecret[], captures: readonly Capture[]): Leak[] {
  const leaks: Leak[] = [];
  for (const s of secrets) {
    const fs = forms(s.value);
    for (const c of captures) {
      const hit = fs.find(([, f]) => c.text.includes(f));
      if (hit) leaks.push({ kind: s.kind, where: c.where, form: hit[0] });
    }
  }
  return leaks;
}

/** Throws an AssertionError listing each leak by kind and place; the secret values stay out of the message. */
export function assertNoSecretLeaks(secrets: readonly ConfiguredSecret[], captures: readonly Capture[]): void {
  if (secrets.length === 0) throw new AssertionError({ message: "no secrets to look for: the configuration given to the leak check holds none" });
  const leaks = findLeaks(secrets, captures);
  if (leaks.length === 0) return;
  const lines = leaks.slice(0, 20).map((l) => `  - ${l.kind} found ${l.form} in ${l.where}`);
  if (leaks.length > 20) lines.push(`  … and ${leaks.length - 20} more`);
  throw new AssertionError({ message: `secret leak: ${leaks.length} configured secret(s) in captured output\n${lines.join("\n")}` });
}

/**
 * Collects what a test lets out: a debug-level logger whose lines are captured, and any text added with
 * `add` (error reasons, response bodies, delivery rows). `check()` fails on a leak.
 */
export class LeakScanner {
  readonly #secrets: ConfiguredSecret[];
  readonly #captures: Capture[] = [];
  #logLines = 0;

  constructor(secrets: readonly ConfiguredSecret[]) {
    this.#secrets = [...secrets];
  }

  /** Secrets made by the test itself, such as a JWT it signed. */
  addSecret(kind: string, value: string): void {
    add(this.#secrets, kind, value);
  }

  add(where: string, text: string | undefined | null): void {
    if (text) this.#captures.push({ where, text });
  }

  /** A JSON logger at debug level (everything the app would log in production and more) feeding this scanner. */
  logger(): Logger {
    return createLogger({ level: "debug", format: "json", destination: { write: (line: string) => this.add(`log line ${++this.#logLines}`, line) } });
  }

  get captures(): readonly Capture[] {
    return this.#captures;
  }

  get secrets(): readonly ConfiguredSecret[] {
    return this.#secrets;
  }

  check(): void {
    assertNoSecretLeaks(this.#secrets, this.#captures);
  }
}
