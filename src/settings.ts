import { existsSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { ConfigError } from "./lib/errors.ts";
import type { LogFormat, LogLevel } from "./lib/log.ts";
import type { SyncMode } from "./store/db.ts";
import { parseDuration } from "./config/duration.ts";
import { loadAlertPrismFile, parseByteSize, type AlertPrismFile } from "./config/alertprism.ts";
import { tracingSettings } from "./config/tracing.ts";
import type { TracingSettings } from "./lib/otel-export.ts";
import { VERSION } from "./version.ts";

/** Everything the app needs to start, resolved from flags, environment, alertprism.yml and defaults. */
export interface Settings {
  readonly configFile: string;
  readonly alertprismFile: string | undefined;
  readonly storagePath: string;
  readonly synchronous: SyncMode;
  readonly listenAddress: string;
  readonly routePrefix: string;
  readonly externalUrl: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly gcIntervalMs: number;
  readonly silenceRetentionMs: number;
  readonly historyRetentionMs: number;
  readonly maxRequestBytes: number;
  /** Protects POST /api/v1/webhook when set. */
  readonly webhookBearerToken: string | undefined;
  readonly webhookResolveTimeoutMs: number;
  /** OpenTelemetry tracing; undefined: off (read at start, a reload does not change it). */
  readonly tracing: TracingSettings | undefined;
  /** storage.backend postgres: the shared database and this replica's place among the others; absent: SQLite. */
  readonly postgres?: PostgresSettings;
}

/** The PostgreSQL backend (read at start; a reload does not change it). */
export interface PostgresSettings {
  /** Connection URL; it may carry the password, so it is never logged as it is. */
  readonly url: string;
  readonly poolSize: number;
  /** A sender that stops renewing is replaced within this (ha.lease). */
  readonly leaseMs: number;
  readonly replicaId: string;
  /** host:port shown to the other replicas and clients as this replica's peer address. */
  readonly advertiseAddress: string;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_LEASE = "10s";

interface FlagSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly fallback?: string;
}

/** Flag names follow Alertmanager's, so its users feel at home; each also has an environment variable. */
export const FLAGS: readonly FlagSpec[] = [
  { flag: "config.file", env: "ALERTPRISM_CONFIG_FILE", help: "Alertmanager configuration file (routing, receivers, inhibition).", fallback: "alertmanager/alertmanager.yml" },
  { flag: "alertprism.config.file", env: "ALERTPRISM_SETTINGS_FILE", help: "AlertPrism's own settings file (optional; alertmanager/alertprism.yml is used when present)." },
  { flag: "storage.path", env: "ALERTPRISM_STORAGE_PATH", help: "Directory for the SQLite database (alertprism.db).", fallback: "data" },
  { flag: "storage.synchronous", env: "ALERTPRISM_STORAGE_SYNCHRONOUS", help: "full: every acknowledged write survives power loss; normal: survives process crashes only, faster.", fallback: "full" },
  { flag: "web.listen-address", env: "ALERTPRISM_LISTEN_ADDRESS", help: "Address to listen on for the API.", fallback: ":9093" },
  { flag: "web.route-prefix", env: "ALERTPRISM_ROUTE_PREFIX", help: "Prefix for all HTTP endpoints. Defaults to the path of --web.external-url." },
  { flag: "web.external-url", env: "ALERTPRISM_EXTERNAL_URL", help: "URL under which AlertPrism is reachable from outside (used in notifications)." },
  { flag: "web.max-request-bytes", env: "ALERTPRISM_MAX_REQUEST_BYTES", help: "Largest accepted request body; larger ones get 413.", fallback: "10MiB" },
  { flag: "log.level", env: "ALERTPRISM_LOG_LEVEL", help: "debug, info, warn or error.", fallback: "info" },
  { flag: "log.format", env: "ALERTPRISM_LOG_FORMAT", help: "logfmt or json.", fallback: "logfmt" },
  { flag: "alerts.gc-interval", env: "ALERTPRISM_ALERTS_GC_INTERVAL", help: "How long resolved alerts stay in the live set.", fallback: "30m" },
  { flag: "data.retention", env: "ALERTPRISM_DATA_RETENTION", help: "How long expired silences are kept.", fallback: "120h" },
  { flag: "history.retention", env: "ALERTPRISM_HISTORY_RETENTION", help: "How long alert history is kept.", fallback: "2160h" },
  { flag: "webhook.resolve-timeout", env: "ALERTPRISM_WEBHOOK_RESOLVE_TIMEOUT", help: "End time given to firing alerts received from an Alertmanager webhook (set above its repeat_interval).", fallback: "24h" },
];

export type Command = { kind: "serve" | "check-config"; values: Map<string, string>; files: string[] } | { kind: "help" } | { kind: "version" };

/** Parses `[command] --flag=value --flag value …`. Unknown flags are an error, as in Alertmanager. */
export function parseArgs(argv: readonly string[]): Command {
  const values = new Map<string, string>();
  const files: string[] = [];
  let kind: "serve" | "check-config" = "serve";
  const args = [...argv];
  if (args[0] === "check-config") {
    kind = "check-config";
    args.shift();
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--help" || a === "-h" || a === "help") return { kind: "help" };
    if (a === "--version") return { kind: "version" };
    if (!a.startsWith("--")) {
      if (kind === "check-config") { files.push(a); continue; }
      throw new ConfigError(`unexpected argument ${JSON.stringify(a)}`);
    }
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!FLAGS.some((f) => f.flag === name)) throw new ConfigError(`unknown flag --${name}`);
    let value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new ConfigError(`flag --${name} needs a value`);
    value = value.trim();
    values.set(name, value);
  }
  return { kind, values, files };
}

export function helpText(): string {
  const lines = [
    "usage: alertprism [check-config [FILES…]] [flags]",
    "       alertprism template render --template.glob=GLOB --template.text=TEXT [--template.data=FILE.json]",
    "       alertprism anomaly score --detector=zscore|seasonal|iforest|fused FILE.csv",
    "       alertprism token create --role viewer|operator|admin --subject NAME [--ttl 24h] [--alertprism.config.file=FILE]",
    "       alertprism backup [--force] [--storage.path=DIR] FILE",
    "       alertprism restore [--storage.path=DIR] FILE",
    "       alertprism migrate --from sqlite FILE [--to postgres://USER@HOST:PORT/DB]",
    "",
    "An Alertmanager-compatible alert receiver with durable history.",
    "",
    "Commands:",
    "  (none)          run the server",
    "  check-config    validate alertmanager.yml and alertprism.yml without starting",
    "  template render render a template as amtool does (built-in default templates included)",
    "  anomaly score   score a NAB-format CSV (timestamp,value) with an online detector; prints timestamp,value,anomaly_score",
    "  token create    print a signed HS256 token for the ops API (auth.jwt.hs256_secret of alertprism.yml)",
    "  backup          copy the database to FILE while AlertPrism runs (consistent snapshot; --force replaces FILE)",
    "  restore         replace the database of a stopped AlertPrism with backup FILE, keeping the old one aside",
    "  migrate         copy the SQLite database FILE of a stopped AlertPrism into an empty PostgreSQL database (--to, or ALERTPRISM_POSTGRES_URL)",
    "",
    "Flags (each can also be set with its environment variable):",
  ];
  for (const f of FLAGS) {
    lines.push(`  --${f.flag}=VALUE`, `      ${f.help}${f.fallback ? ` Default: ${f.fallback}.` : ""} Env: ${f.env}.`);
  }
  return lines.join("\n");
}

/** Resolves settings: flag, then environment, then alertprism.yml, then default. */
export function resolveSettings(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv = process.env): Settings {
  const given = (flag: string): string | undefined => {
    const spec = FLAGS.find((f) => f.flag === flag)!;
    return flags.get(flag) ?? (env[spec.env] !== undefined && env[spec.env] !== "" ? env[spec.env] : undefined);
  };
  const fallback = (flag: string): string => FLAGS.find((f) => f.flag === flag)!.fallback!;

  let alertprismFile = given("alertprism.config.file");
  if (alertprismFile === undefined && existsSync("alertmanager/alertprism.yml")) alertprismFile = "alertmanager/alertprism.yml";
  const file: AlertPrismFile = alertprismFile ? loadAlertPrismFile(alertprismFile, env) : {};

  const pick = (flag: string, fromFile: string | number | undefined): string =>
    given(flag) ?? (fromFile !== undefined ? String(fromFile) : fallback(flag));
  const duration = (flag: string, fromFile: string | undefined): number => {
    const v = pick(flag, fromFile);
    try {
      return parseDuration(v);
    } catch {
      throw new ConfigError(`--${flag}: not a valid duration: ${JSON.stringify(v)}`);
    }
  };
  const oneOf = <T extends string>(flag: string, v: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`--${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    return v as T;
  };

  const listenAddress = pick("web.listen-address", undefined);
  const port = listenAddress.slice(listenAddress.lastIndexOf(":") + 1);
  const externalUrl = pick("web.external-url", file.web?.external_url) ?? "";
  const externalUrlValue = given("web.external-url") ?? file.web?.external_url ?? `http://${hostname()}:${port}`;
  let routePrefix = given("web.route-prefix");
  if (routePrefix === undefined) {
    try {
      routePrefix = new URL(externalUrlValue).pathname;
    } catch {
      throw new ConfigError(`--web.external-url is not a valid URL: ${JSON.stringify(externalUrl)}`);
    }
  }

  let maxRequestBytes: number;
  try {
    maxRequestBytes = parseByteSize(pick("web.max-request-bytes", file.web?.max_request_bytes));
  } catch (err) {
    throw new ConfigError(`--web.max-request-bytes: ${(err as Error).message}`);
  }

  return {
    configFile: pick("config.file", undefined),
    alertprismFile,
    storagePath: pick("storage.path", file.storage?.path),
    synchronous: oneOf("storage.synchronous", pick("storage.synchronous", file.storage?.synchronous), ["full", "normal"]),
    listenAddress,
    routePrefix,
    externalUrl: externalUrlValue.replace(/\/+$/, ""),
    logLevel: oneOf("log.level", pick("log.level", undefined), ["debug", "info", "warn", "error"]),
    logFormat: oneOf("log.format", pick("log.format", undefined), ["logfmt", "json"]),
    gcIntervalMs: duration("alerts.gc-interval", file.alerts?.gc_interval),
    silenceRetentionMs: duration("data.retention", file.silences?.retention),
    historyRetentionMs: duration("history.retention", file.storage?.history_retention),
    maxRequestBytes,
    // Only from the environment or the file: a token on the command line would show in `ps`.
    webhookBearerToken: env.ALERTPRISM_WEBHOOK_BEARER_TOKEN || file.webhook_receiver?.bearer_token,
    webhookResolveTimeoutMs: duration("webhook.resolve-timeout", file.webhook_receiver?.resolve_timeout),
    tracing: tracingSettings(file.tracing, env, VERSION),
    ...postgresSettings(file, listenAddress),
  };
}

/** Shorter leases would have replicas renewing several times a second and fencing themselves on a GC pause. */
const MIN_LEASE_MS = 1_000;

function postgresSettings(file: AlertPrismFile, listenAddress: string): { postgres?: PostgresSettings } {
  const pgFile = file.storage?.postgres;
  if (file.storage?.backend !== "postgres") {
    if (file.ha) throw new ConfigError("ha: high availability needs storage.backend: postgres (replicas share one PostgreSQL database)");
    return {};
  }
  // The schema already insists on storage.postgres when the backend is postgres, and on a valid lease.
  const leaseMs = parseDuration(file.ha?.lease ?? DEFAULT_LEASE);
  if (leaseMs < MIN_LEASE_MS) throw new ConfigError(`ha.lease must be at least 1s, got ${JSON.stringify(file.ha?.lease)}`);
  const port = listenAddress.slice(listenAddress.lastIndexOf(":") + 1);
  const host = listenAddress.slice(0, listenAddress.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  const reachable = host === "" || host === "0.0.0.0" || host === "::" ? hostname() : host;
  return {
    postgres: {
      url: pgFile!.url,
      poolSize: pgFile!.pool_size ?? DEFAULT_POOL_SIZE,
      leaseMs,
      replicaId: file.ha?.replica_id ?? `${hostname()}:${port}`,
      advertiseAddress: file.ha?.advertise_address ?? `${reachable}:${port}`,
    },
  };
}

export function databaseFile(settings: Settings): string {
  return join(settings.storagePath, "alertprism.db");
}

/** "host:port" / ":port" → what net.Server.listen takes. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(":");
  if (i < 0) throw new ConfigError(`--web.listen-address must be host:port, got ${JSON.stringify(addr)}`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--web.listen-address has a bad port: ${JSON.stringify(addr)}`);
  return { host: host === "" ? undefined : host, port };
}
