import { z } from "zod";
import { parseYaml, readYamlFile, validateWith, type YamlSource } from "./yaml-source.ts";
import { parseDingTalkConfigs } from "../notify/dingtalk/config.ts";
import type { DingTalkAttachment } from "../notify/registry.ts";
import { parseDuration } from "./duration.ts";
import { ConfigError } from "../lib/errors.ts";
import { isValidLabelName } from "../types/labels.ts";
import { parseMatchers, MatcherError, type Matcher } from "../matchers/index.ts";
import type { EnrichRule, IngestRulesConfig, NoiseStagesConfig } from "../noise/index.ts";
import { escalationRuleId, type EscalationRule } from "../ops/escalation.ts";
import type { AckLinkSettings } from "../ops/ack-link.ts";
import { authSchema } from "./auth-schema.ts";
import { anomalyRuleSchema, predictionSchema, prometheusSchema } from "./anomaly.ts";
import { DEFAULT_LIMITS, type Limits } from "../limits/limits.ts";
import { heartbeatId, type Heartbeat } from "../heartbeat/index.ts";
import { isHttpUrl } from "./url-check.ts";

/** AlertPrism's own settings (alertprism.yml); everything is optional and has a default. */
const durationString = z.string().refine((s) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}, "not a valid duration (e.g. 30m, 120h)");

const positiveDuration = durationString.refine((s) => {
  try {
    return parseDuration(s) > 0;
  } catch {
    return true; // not a duration at all: durationString reports that
  }
}, "must be longer than 0");

const positiveInt = z.number().int("must be a whole number").positive("must be at least 1");

const byteSize = z.union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i, "not a size (e.g. 10MiB)")]);

export const alertprismSchema = z.strictObject({
  storage: z.strictObject({
    /** sqlite (the default): one process, one file. postgres: replicas sharing one database (high availability). */
    backend: z.enum(["sqlite", "postgres"]).optional(),
    path: z.string().optional(),
    synchronous: z.enum(["full", "normal"]).optional(),
    history_retention: durationString.optional(),
    postgres: z.strictObject({
      url: z.string().refine((s) => /^postgres(ql)?:\/\/./.test(s), "must be a postgres:// or postgresql:// connection URL"),
      pool_size: positiveInt.optional(),
    }).optional(),
  }).refine((s) => s.backend !== "postgres" || s.postgres !== undefined, {
    message: "backend postgres needs storage.postgres.url (e.g. url: ${ALERTPRISM_POSTGRES_URL})",
    path: ["postgres"],
  }).optional(),
  /** High availability (storage.backend postgres only): the sender lease and this replica's identity. */
  ha: z.strictObject({
    /** A sender that stops renewing is replaced within this. */
    lease: positiveDuration.optional(),
    /** Unique among the replicas, stable across restarts (default: host name and listen port). */
    replica_id: z.string().min(1).optional(),
    /** host:port other replicas and clients reach this one at, shown as a peer in /api/v2/status. */
    advertise_address: z.string().min(1).optional(),
  }).optional(),
  web: z.strictObject({
    max_request_bytes: byteSize.optional(),
    external_url: z.string().optional(),
  }).optional(),
  alerts: z.strictObject({ gc_interval: durationString.optional() }).optional(),
  silences: z.strictObject({ retention: durationString.optional() }).optional(),
  webhook_receiver: z.strictObject({
    bearer_token: z.string().min(1).optional(),
    resolve_timeout: durationString.optional(),
  }).optional(),
  /** DingTalk robots, each attached to an Alertmanager receiver by name; validated by the DingTalk channel. */
  dingtalk_configs: z.array(z.record(z.string(), z.unknown())).optional(),
  /**
   * Noise control. One optional key per feature (`dedup` now; `storm`, `flapping` beside it later);
   * a feature is off when its key is absent. Label names and matchers are checked by loadIngestRules.
   */
  noise: z.strictObject({
    /** Replica dedup: these labels are removed at ingest, before the fingerprint. */
    dedup: z.strictObject({
      // Required, but checked by loadIngestRules so that a misspelt key is reported as what it is.
      ignore_labels: z.array(z.string()).optional(),
    }).optional(),
    /** Storm mode per receiver; thresholds checked against each other by loadNoiseStages. */
    storm: z.strictObject({
      enter: z.strictObject({ new_alerts: positiveInt, within: positiveDuration }),
      exit: z.strictObject({ below: positiveInt, for: positiveDuration }),
      summary_interval: positiveDuration.optional(),
      bypass: z.array(z.string()).optional(),
    }).optional(),
    /** Flap damping per alert. */
    flapping: z.strictObject({
      changes: z.number().int().min(2, "must be at least 2 (one firing and one resolve are no flap)"),
      within: positiveDuration,
      quiet_for: positiveDuration,
    }).optional(),
  }).optional(),
  /** The ops API's extras: one-click ack links (on with ALERTPRISM_ACK_LINK_KEY in the environment). */
  ops: z.strictObject({
    external_url: z.string().refine((s) => /^https?:\/\/[^/\s]+/.test(s), "must be an http:// or https:// URL (where AlertPrism is reached, with any route prefix)").optional(),
    ack_links: z.strictObject({ ttl: positiveDuration.optional() }).optional(),
  }).optional(),
  /** Escalation: alerts not acknowledged `after` their first notification also go to `receiver`. */
  escalation: z.array(z.strictObject({
    matchers: z.array(z.string()).optional(),
    after: positiveDuration,
    receiver: z.string().min(1, "must name a receiver of alertmanager.yml"),
  })).optional(),
  /** Heartbeats (dead man's switch): matching firing alerts must arrive at least once per `timeout`. */
  heartbeats: z.array(z.strictObject({
    matchers: z.array(z.string()).min(1, "at least one matcher: the alert that is the heartbeat (e.g. alertname=\"Watchdog\")"),
    timeout: positiveDuration,
    receiver: z.string().min(1, "must name a receiver of alertmanager.yml"),
  })).optional(),
  /** Labels set at ingest by the first matching rule, unless the alert has them (e.g. priority P1–P4). */
  enrich: z.array(z.strictObject({
    matchers: z.array(z.string()).optional(),
    set: z.record(z.string(), z.string(), {
      error: (iss) => (iss.input == null ? "required: the labels this rule sets (set: {name: value})" : undefined),
    }),
  })).optional(),
  /** Outbound notifications: the receiver firewall; CIDRs checked by loadFirewall (config/firewall.ts). */
  notify: z.strictObject({
    firewall: z.strictObject({
      block_cidrs: z.array(z.string()).optional(),
      allow_cidrs: z.array(z.string()).optional(),
    }).optional(),
  }).optional(),
  /** Authentication of the ops API, /api/v2 and /-/reload; checked by loadAuthSettings (config/auth.ts). */
  auth: authSchema.optional(),
  /** Anomaly rules and predictions, and the Prometheus they query; checked further by loadAnomalySettings (config/anomaly.ts). */
  prometheus: prometheusSchema.optional(),
  anomaly_rules: z.array(anomalyRuleSchema).optional(),
  predictions: z.array(predictionSchema).optional(),
  /** OpenTelemetry tracing over OTLP/HTTP (resolved with the OTEL_* environment by config/tracing.ts). */
  tracing: z.strictObject({
    enabled: z.boolean().optional(),
    /** Base URL of the collector's OTLP/HTTP endpoint; /v1/traces is appended. */
    endpoint: z.string().refine((s) => isHttpUrl(s), "must be an http:// or https:// URL (the collector's OTLP/HTTP endpoint, e.g. http://localhost:4318)").optional(),
    /** Sent with every export (API keys: use ${VAR}); never logged. */
    headers: z.record(z.string(), z.string()).optional(),
    sampling_ratio: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").optional(),
    service_name: z.string().min(1).optional(),
  }).optional(),
  /** Bounds on what clients can make AlertPrism hold (checked further by loadLimits). */
  limits: z.strictObject({
    max_alerts: positiveInt.optional(),
    max_alerts_per_alertname: positiveInt.optional(),
    max_alert_size_bytes: byteSize.optional(),
    max_silences: positiveInt.optional(),
    max_silence_size_bytes: byteSize.optional(),
    max_aggregation_groups: positiveInt.optional(),
  }).optional(),
});
export type AlertPrismFile = z.infer<typeof alertprismSchema>;

export function loadAlertPrismFile(file: string, env?: NodeJS.ProcessEnv): AlertPrismFile {
  const src = readYamlFile(file, env);
  return validateWith(alertprismSchema, src);
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

export function parseByteSize(v: number | string): number {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const unit = UNITS[(m?.[2] || "b").toLowerCase()];
  if (!m || unit === undefined) throw new ConfigError(`not a size: ${JSON.stringify(v)}`);
  return Math.floor(Number(m[1]) * unit);
}

/** The DingTalk robots of alertprism.yml, validated (also across entries), with the receiver of each. */
export function loadDingTalkAttachments(file: string, env?: NodeJS.ProcessEnv): DingTalkAttachment[] {
  const src = readYamlFile(file, env);
  const parsed = validateWith(alertprismSchema, src);
  const where = (path: ReadonlyArray<string | number>) => src.where(["dingtalk_configs", ...path]);
  return parseDingTalkConfigs(parsed.dingtalk_configs ?? [], where).map((config, i) => {
    if (!config.receiver) throw new ConfigError("receiver is required: the Alertmanager receiver this robot belongs to", where([i]));
    return { receiver: config.receiver, config, where: where([i, "receiver"]) };
  });
}

/**
 * The ingest rules of alertprism.yml (`noise.dedup` and `enrich`), validated: label names, non-empty
 * values, matchers in Alertmanager's syntax, and that no rule reads or sets a label dedup removes.
 * Nothing configured gives rules that change nothing.
 */
export function loadIngestRules(file: string, env?: NodeJS.ProcessEnv): IngestRulesConfig {
  return ingestRulesFrom(readYamlFile(file, env));
}

/** loadIngestRules for text already in memory (tests, tools). */
export function parseIngestRules(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): IngestRulesConfig {
  return ingestRulesFrom(parseYaml(text, file, env));
}

function ingestRulesFrom(src: YamlSource): IngestRulesConfig {
  const parsed = validateWith(alertprismSchema, src);
  const fail = (path: ReadonlyArray<string | number>, message: string): never => {
    throw new ConfigError(message, src.where(path));
  };
  const dedup = parsed.noise?.dedup;
  if (dedup && dedup.ignore_labels === undefined) fail(["noise", "dedup"], "ignore_labels is required: the labels that tell replicas apart");
  const ignoreLabels = dedup?.ignore_labels ?? [];
  ignoreLabels.forEach((name, i) => {
    if (!isValidLabelName(name)) fail(["noise", "dedup", "ignore_labels", i], `invalid label name ${JSON.stringify(name)}`);
  });
  const ignored = new Set(ignoreLabels);
  const enrich = (parsed.enrich ?? []).map((rule, i): EnrichRule => {
    const at = ["enrich", i] as const;
    const matchers: Matcher[] = [];
    (rule.matchers ?? []).forEach((text, j) => {
      let parsedMatchers: Matcher[] = [];
      try {
        parsedMatchers = parseMatchers(text);
      } catch (err) {
        if (!(err instanceof MatcherError)) throw err;
        fail([...at, "matchers", j], err.message);
      }
      for (const m of parsedMatchers) {
        if (ignored.has(m.name)) {
          fail([...at, "matchers", j], `matcher on label "${m.name}", which noise.dedup.ignore_labels removes before enrichment`);
        }
      }
      matchers.push(...parsedMatchers);
    });
    const names = Object.keys(rule.set);
    if (names.length === 0) fail([...at, "set"], "must set at least one label (set: {name: value})");
    for (const name of names) {
      if (!isValidLabelName(name)) fail([...at, "set", name], `invalid label name ${JSON.stringify(name)}`);
      if (rule.set[name] === "") fail([...at, "set", name], `empty value for label "${name}" (an empty label is no label)`);
      if (ignored.has(name)) fail([...at, "set", name], `label "${name}" is removed by noise.dedup.ignore_labels; setting it would undo the dedup`);
    }
    return { matchers, set: rule.set };
  });
  return { ignoreLabels, enrich };
}

/** Storm mode's default period between summaries. */
const DEFAULT_SUMMARY_INTERVAL = "2m";

/**
 * The notification stages of alertprism.yml (`noise.storm`, `noise.flapping`), validated: durations and
 * counts, `exit.below` below `enter.new_alerts` (so a storm cannot end and re-open at once), bypass
 * matchers in Alertmanager's syntax. Absent sections are off.
 */
export function loadNoiseStages(file: string, env?: NodeJS.ProcessEnv): NoiseStagesConfig {
  return noiseStagesFrom(readYamlFile(file, env));
}

/** loadNoiseStages for text already in memory (tests, tools). */
export function parseNoiseStages(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): NoiseStagesConfig {
  return noiseStagesFrom(parseYaml(text, file, env));
}

function noiseStagesFrom(src: YamlSource): NoiseStagesConfig {
  const noise = validateWith(alertprismSchema, src).noise;
  const out: { storm?: NoiseStagesConfig["storm"]; flapping?: NoiseStagesConfig["flapping"] } = {};
  const storm = noise?.storm;
  if (storm) {
    if (storm.exit.below >= storm.enter.new_alerts) {
      throw new ConfigError(`exit.below (${storm.exit.below}) must be below enter.new_alerts (${storm.enter.new_alerts}), or a storm could end and re-open at once`, src.where(["noise", "storm", "exit", "below"]));
    }
    const bypass = (storm.bypass ?? []).map((text, i) => {
      try {
        return parseMatchers(text);
      } catch (err) {
        if (!(err instanceof MatcherError)) throw err;
        throw new ConfigError(err.message, src.where(["noise", "storm", "bypass", i]));
      }
    });
    out.storm = {
      enterNewAlerts: storm.enter.new_alerts,
      enterWithinMs: parseDuration(storm.enter.within),
      exitBelow: storm.exit.below,
      exitForMs: parseDuration(storm.exit.for),
      summaryIntervalMs: parseDuration(storm.summary_interval ?? DEFAULT_SUMMARY_INTERVAL),
      bypass,
    };
  }
  const flapping = noise?.flapping;
  if (flapping) out.flapping = { changes: flapping.changes, withinMs: parseDuration(flapping.within), quietForMs: parseDuration(flapping.quiet_for) };
  return out;
}

/** The environment variable holding the key that signs one-click ack links. */
export const ACK_LINK_KEY_ENV = "ALERTPRISM_ACK_LINK_KEY";
const MIN_ACK_LINK_KEY_LENGTH = 32;
const DEFAULT_ACK_LINK_TTL = "24h";

/** alertprism.yml's `ops:` and `escalation:`, validated; receivers are checked against alertmanager.yml by the caller. */
export interface OpsSettings {
  /** One-click ack links: on when `ops.external_url` is set and ALERTPRISM_ACK_LINK_KEY holds a key. */
  readonly ackLinks: AckLinkSettings | undefined;
  readonly escalation: ReadonlyArray<EscalationRule & { readonly where: string }>;
}

export const NO_OPS_SETTINGS: OpsSettings = { ackLinks: undefined, escalation: [] };

export function loadOpsSettings(file: string, env: NodeJS.ProcessEnv = process.env): OpsSettings {
  return opsSettingsFrom(readYamlFile(file, env), env);
}

/** loadOpsSettings for text already in memory (tests, tools). */
export function parseOpsSettings(text: string, file = "alertprism.yml", env: NodeJS.ProcessEnv = process.env): OpsSettings {
  return opsSettingsFrom(parseYaml(text, file, env), env);
}

function opsSettingsFrom(src: YamlSource, env: NodeJS.ProcessEnv): OpsSettings {
  const parsed = validateWith(alertprismSchema, src);
  const key = env[ACK_LINK_KEY_ENV] ?? "";
  if (key !== "" && key.length < MIN_ACK_LINK_KEY_LENGTH) {
    throw new ConfigError(`${ACK_LINK_KEY_ENV} must be at least ${MIN_ACK_LINK_KEY_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  const ops = parsed.ops;
  const ackLinks = ops?.external_url !== undefined && key !== ""
    ? { baseUrl: ops.external_url.replace(/\/+$/, ""), key, ttlMs: parseDuration(ops.ack_links?.ttl ?? DEFAULT_ACK_LINK_TTL) }
    : undefined;
  const seen = new Map<string, number>();
  const escalation = (parsed.escalation ?? []).map((rule, i) => {
    const matchers: Matcher[] = [];
    (rule.matchers ?? []).forEach((text, j) => {
      try {
        matchers.push(...parseMatchers(text));
      } catch (err) {
        if (!(err instanceof MatcherError)) throw err;
        throw new ConfigError(err.message, src.where(["escalation", i, "matchers", j]));
      }
    });
    const id = escalationRuleId(rule.receiver, matchers);
    const twin = seen.get(id);
    if (twin !== undefined) throw new ConfigError(`same matchers and receiver as escalation[${twin}]`, src.where(["escalation", i]));
    seen.set(id, i);
    return { id, matchers, afterMs: parseDuration(rule.after), receiver: rule.receiver, where: src.where(["escalation", i, "receiver"]) };
  });
  return { ackLinks, escalation };
}

/** The smallest size limit accepted: below it even an alert or silence of a few short labels is refused. */
const MIN_SIZE_LIMIT_BYTES = 256;

/** alertprism.yml's `limits:`, validated, with the defaults for what is not given. */
export function loadLimits(file: string, env?: NodeJS.ProcessEnv): Limits {
  return limitsFrom(readYamlFile(file, env));
}

/** loadLimits for text already in memory (tests, tools). */
export function parseLimits(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): Limits {
  return limitsFrom(parseYaml(text, file, env));
}

function limitsFrom(src: YamlSource): Limits {
  const given = validateWith(alertprismSchema, src).limits ?? {};
  const size = (key: "max_alert_size_bytes" | "max_silence_size_bytes", fallback: number): number => {
    const v = given[key];
    if (v === undefined) return fallback;
    const bytes = parseByteSize(v);
    if (bytes < MIN_SIZE_LIMIT_BYTES) throw new ConfigError(`must be at least ${MIN_SIZE_LIMIT_BYTES} bytes (a few short labels take that much)`, src.where(["limits", key]));
    return bytes;
  };
  const maxAlerts = given.max_alerts ?? DEFAULT_LIMITS.maxAlerts;
  const perName = given.max_alerts_per_alertname;
  if (perName !== undefined && perName > maxAlerts) {
    throw new ConfigError(`${perName} is above max_alerts (${maxAlerts}), so it could never apply`, src.where(["limits", "max_alerts_per_alertname"]));
  }
  return {
    maxAlerts,
    maxAlertsPerAlertname: perName ?? Math.min(DEFAULT_LIMITS.maxAlertsPerAlertname, maxAlerts),
    maxAlertSizeBytes: size("max_alert_size_bytes", DEFAULT_LIMITS.maxAlertSizeBytes),
    maxSilences: given.max_silences ?? DEFAULT_LIMITS.maxSilences,
    maxSilenceSizeBytes: size("max_silence_size_bytes", DEFAULT_LIMITS.maxSilenceSizeBytes),
    maxAggregationGroups: given.max_aggregation_groups ?? DEFAULT_LIMITS.maxAggregationGroups,
  };
}

/** A configured heartbeat, with where its receiver is written (checked against alertmanager.yml by the caller). */
export type HeartbeatSetting = Heartbeat & { readonly timeoutText: string; readonly where: string };

/** alertprism.yml's `heartbeats:`, validated: matchers in Alertmanager's syntax, no two entries for the same alerts. */
export function loadHeartbeats(file: string, env?: NodeJS.ProcessEnv): readonly HeartbeatSetting[] {
  return heartbeatsFrom(readYamlFile(file, env));
}

/** loadHeartbeats for text already in memory (tests, tools). */
export function parseHeartbeats(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): readonly HeartbeatSetting[] {
  return heartbeatsFrom(parseYaml(text, file, env));
}

function heartbeatsFrom(src: YamlSource): readonly HeartbeatSetting[] {
  const seen = new Map<string, number>();
  return (validateWith(alertprismSchema, src).heartbeats ?? []).map((entry, i) => {
    const matchers: Matcher[] = [];
    entry.matchers.forEach((text, j) => {
      try {
        matchers.push(...parseMatchers(text));
      } catch (err) {
        if (!(err instanceof MatcherError)) throw err;
        throw new ConfigError(err.message, src.where(["heartbeats", i, "matchers", j]));
      }
    });
    if (matchers.length === 0) throw new ConfigError("at least one matcher: the alert that is the heartbeat", src.where(["heartbeats", i, "matchers"]));
    const id = heartbeatId(matchers);
    const twin = seen.get(id);
    if (twin !== undefined) throw new ConfigError(`same matchers as heartbeats[${twin}]: one heartbeat per set of alerts`, src.where(["heartbeats", i, "matchers"]));
    seen.set(id, i);
    return { id, matchers, timeoutMs: parseDuration(entry.timeout), timeoutText: entry.timeout, receiver: entry.receiver, where: src.where(["heartbeats", i, "receiver"]) };
  });
}
