import type { Logger } from "./lib/log.ts";
import { loadAlertmanagerConfigFile, type AlertmanagerConfig } from "./config/alertmanager.ts";
import { loadDingTalkAttachments, loadHeartbeats, loadIngestRules, loadLimits, loadNoiseStages, loadOpsSettings, NO_OPS_SETTINGS, type HeartbeatSetting, type OpsSettings } from "./config/alertprism.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits/limits.ts";
import { createIngestRules, NO_INGEST_RULES, NO_NOISE_STAGES, type IngestRules, type IngestRulesConfig, type NoiseStagesConfig } from "./noise/index.ts";
import { originalConfigYaml } from "./config/original.ts";
import { RoutingTable } from "./dispatch/routing-table.ts";
import { Inhibitor } from "./inhibit/inhibitor.ts";
import { buildNotifiers } from "./notify/registry.ts";
import { GoTemplater, templateSetWith } from "./notify/templater.ts";
import { TemplateError, TemplateSet } from "./template/index.ts";
import { readTemplateFiles } from "./config/template-files.ts";
import { defaultFieldText } from "./config/original.ts";
import type { DingTalkAttachment } from "./notify/registry.ts";
import type { NotificationData } from "./notify/notifier.ts";
import { fromMillis, ZERO_TIME } from "./types/time.ts";
import { ConfigError } from "./lib/errors.ts";
import type { Notifier } from "./notify/notifier.ts";
import { parseTimeInterval, TimeIntervalSet, type TimeInterval } from "./timeinterval/index.ts";
import { VERSION } from "./version.ts";
import { createDingTalkChannel, type DingTalkChannel } from "./notify/dingtalk/config.ts";
import { loadAuthSettings } from "./config/auth.ts";
import type { AuthSettings } from "./auth/index.ts";
import { loadAnomalySettings } from "./config/anomaly.ts";
import { loadFirewall } from "./config/firewall.ts";
import { NO_ANOMALY_SETTINGS, type AnomalySettings } from "./anomaly/rules/types.ts";

/** Everything derived from the two config files; built whole and swapped whole on reload. */
export interface RuntimeConfig {
  readonly config: AlertmanagerConfig;
  readonly routing: RoutingTable;
  readonly inhibitor: Inhibitor;
  readonly original: string;
  readonly timeIntervals: TimeIntervalSet;
  readonly notifiers: ReadonlyMap<string, readonly Notifier[]>;
  readonly templates: TemplateSet;
  /** alertprism.yml's `noise.dedup` and `enrich`, as loaded (for check-config's summary) and as applied at ingest. */
  readonly ingestRulesConfig: IngestRulesConfig;
  readonly ingestRules: IngestRules;
  /** alertprism.yml's `noise.storm` and `noise.flapping`: the pipeline stages they turn on. */
  readonly noiseStages: NoiseStagesConfig;
  /** alertprism.yml's `auth:`; undefined without one (ops API loopback-only, /api/v2 open). */
  readonly auth: AuthSettings | undefined;
  /** alertprism.yml's `ops:` (one-click ack links) and `escalation:` (receivers checked against alertmanager.yml). */
  readonly ops: OpsSettings;
  /** alertprism.yml's `prometheus:`, `anomaly_rules:` and `predictions:` (none: the engine idles). */
  readonly anomaly: AnomalySettings;
  /** alertprism.yml's `limits:`, defaults filled in. */
  readonly limits: Limits;
  /** alertprism.yml's `heartbeats:` (receivers checked against alertmanager.yml); empty: off. */
  readonly heartbeats: readonly HeartbeatSetting[];
}

/** Sent on HTTP notifications: Alertmanager's token first, for receivers that look for it. */
export const USER_AGENT = `Alertmanager/0.25.0 (AlertPrism ${VERSION})`;

/**
 * Loads and validates alertmanager.yml and (optionally) alertprism.yml: routes, inhibition, time
 * intervals, every integration and its templates. Throws ConfigError naming file, line and path.
 */
export function loadRuntimeConfig(
  files: { configFile: string; alertprismFile: string | undefined }, log: Logger, env?: NodeJS.ProcessEnv,
  dingtalkChannel: DingTalkChannel = createDingTalkChannel(),
  onTemplateError: (message: string) => void = () => undefined,
): RuntimeConfig {
  const config = loadAlertmanagerConfigFile(files.configFile, env);
  const dingtalk = files.alertprismFile ? loadDingTalkAttachments(files.alertprismFile, env) : [];
  const ingestRulesConfig = files.alertprismFile ? loadIngestRules(files.alertprismFile, env) : NO_INGEST_RULES;
  const noiseStages = files.alertprismFile ? loadNoiseStages(files.alertprismFile, env) : NO_NOISE_STAGES;
  const auth = files.alertprismFile ? loadAuthSettings(files.alertprismFile, env) : undefined;
  const ops = files.alertprismFile ? loadOpsSettings(files.alertprismFile, env) : NO_OPS_SETTINGS;
  const anomaly = files.alertprismFile ? loadAnomalySettings(files.alertprismFile, env) : NO_ANOMALY_SETTINGS;
  const limits = files.alertprismFile ? loadLimits(files.alertprismFile, env) : DEFAULT_LIMITS;
  const firewall = files.alertprismFile ? loadFirewall(files.alertprismFile, env) : undefined;
  const heartbeats = files.alertprismFile ? loadHeartbeats(files.alertprismFile, env) : [];
  const receiverNames = new Set(config.receivers.map((r) => r.name));
  for (const rule of ops.escalation) {
    if (!receiverNames.has(rule.receiver)) throw new ConfigError(`escalation receiver "${rule.receiver}" is not a receiver of ${config.file}`, rule.where);
  }
  for (const hb of heartbeats) {
    if (!receiverNames.has(hb.receiver)) throw new ConfigError(`heartbeat receiver "${hb.receiver}" is not a receiver of ${config.file}`, hb.where);
  }
  const templates = loadTemplates(config);
  const fallbacks = checkTemplateFields(config, dingtalk, templates);
  const templater = new GoTemplater({
    set: templates,
    fallbacks,
    onError: (message) => {
      onTemplateError(message);
      log.warn({ component: "notify", err: message }, "template failed at send time; the built-in default was used");
    },
  });
  return {
    config,
    routing: new RoutingTable(config),
    inhibitor: new Inhibitor(config.inhibitRules),
    original: originalConfigYaml(config),
    timeIntervals: parseTimeIntervals(config),
    notifiers: buildNotifiers(config, dingtalk, { templater, userAgent: USER_AGENT, log: log.child({ component: "notify" }), ...(firewall ? { firewall } : {}) }, dingtalkChannel),
    templates,
    ingestRulesConfig,
    ingestRules: createIngestRules(ingestRulesConfig),
    noiseStages,
    auth,
    ops,
    anomaly,
    limits,
    heartbeats,
  };
}

/** The built-in templates plus the `templates:` files; a broken file fails the load with its file and line. */
function loadTemplates(config: AlertmanagerConfig): TemplateSet {
  const files = readTemplateFiles(config.templates, config.file, (i) => config.where(["templates", i]));
  try {
    return templateSetWith(files);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    // Go's messages name the template file and line: "template: name.tmpl:3: …".
    const m = /^template: ([^:]+):(\d+)/.exec(err.message);
    // Files in different directories may share a base name: the culprit is the one that fails alone.
    const file = m ? files.filter((f) => f.name === m[1]).find((f) => !parsesAlone(f.name, f.text)) : undefined;
    throw new ConfigError(err.message, file && m ? `${file.path}:${m[2]}` : config.file);
  }
}

function parsesAlone(name: string, text: string): boolean {
  try {
    TemplateSet.parse(name, text);
    return true;
  } catch {
    return false;
  }
}

/** Data every template field is rendered against at load, so errors surface before the first alert does. */
const SAMPLE: NotificationData = {
  receiver: "example",
  status: "firing",
  alerts: [
    { status: "firing", labels: { alertname: "Example", instance: "host:9100", job: "node", severity: "critical" }, annotations: { summary: "example" }, startsAt: fromMillis(Date.UTC(2026, 0, 1)), endsAt: ZERO_TIME, generatorURL: "http://prometheus/graph", fingerprint: "0000000000000001" },
    { status: "resolved", labels: { alertname: "Example", instance: "host2:9100", job: "node", severity: "critical" }, annotations: {}, startsAt: fromMillis(Date.UTC(2026, 0, 1)), endsAt: fromMillis(Date.UTC(2026, 0, 1, 1)), generatorURL: "", fingerprint: "0000000000000002" },
  ],
  groupLabels: { alertname: "Example" },
  commonLabels: { alertname: "Example", job: "node", severity: "critical" },
  commonAnnotations: {},
  externalURL: "http://alertprism:9093",
};

/**
 * Renders every templated field of every integration against sample data (undefined templates, bad
 * fields and function errors fail the load with the field's location) and maps each custom text to
 * its field's built-in default, the send-time fallback.
 */
function checkTemplateFields(config: AlertmanagerConfig, dingtalk: readonly DingTalkAttachment[], set: TemplateSet): Map<string, string> {
  const fallbacks = new Map<string, string>();
  const probe = new GoTemplater({ set, onError: (message) => { throw new TemplateError(message, "exec"); } });
  const check = (text: string, where: () => string, fallback: string | undefined) => {
    try {
      probe.render(text, SAMPLE);
    } catch (err) {
      if (err instanceof TemplateError) throw new ConfigError(err.message, where());
      throw err;
    }
    if (fallback !== undefined && fallback !== text && !fallbacks.has(text)) fallbacks.set(text, fallback);
  };
  config.receivers.forEach((r, ri) => {
    for (const integ of r.integrations) {
      const walk = (v: unknown, path: Array<string | number>) => {
        if (typeof v === "string") {
          if (v.includes("{{")) check(v, () => config.where(["receivers", ri, integ.kind, integ.index, ...path]), defaultFieldText(integ.kind, path));
        } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
        else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      };
      walk(integ.settings, []);
    }
  });
  for (const d of dingtalk) {
    check(d.config.title, () => d.where, '{{ template "dingtalk.default.title" . }}');
    check(d.config.text, () => d.where, '{{ template "dingtalk.default.text" . }}');
  }
  return fallbacks;
}

/** Every named time interval of the config, parsed with file:line errors. */
function parseTimeIntervals(config: AlertmanagerConfig): TimeIntervalSet {
  const named = new Map<string, TimeInterval[]>();
  for (const key of ["mute_time_intervals", "time_intervals"] as const) {
    (config.raw[key] ?? []).forEach((entry, i) => {
      named.set(entry.name, entry.time_intervals.map((ti, j) => parseTimeInterval(ti, (path) => config.where([key, i, "time_intervals", j, ...path]))));
    });
  }
  return new TimeIntervalSet(named);
}
