import { stringify } from "yaml";
import { formatDuration } from "./duration.ts";
import { parseDuration } from "./duration.ts";
import { matcherString } from "../matchers/index.ts";
import { parseMatchers } from "../matchers/index.ts";
import { pathKey } from "./yaml-source.ts";
import type { AlertmanagerConfig } from "./alertmanager.ts";
import type { RawConfig, RawGlobal, RawRoute, IntegrationKey } from "./alertmanager-schema.ts";

/**
 * Re-serialises the loaded config the way Alertmanager fills `config.original` in /api/v2/status:
 * defaults filled in, field order as Alertmanager's, secrets replaced by `<secret>`. amtool parses it.
 */

export const SECRET = "<secret>";

const HTTP_DEFAULTS = { follow_redirects: true, enable_http2: true };

const GLOBAL_DEFAULTS: Record<string, unknown> = {
  resolve_timeout: "5m",
  http_config: HTTP_DEFAULTS,
  smtp_hello: "localhost",
  smtp_require_tls: true,
  pagerduty_url: "https://events.pagerduty.com/v2/enqueue",
  opsgenie_api_url: "https://api.opsgenie.com/",
  wechat_api_url: "https://qyapi.weixin.qq.com/cgi-bin/",
  victorops_api_url: "https://alert.victorops.com/integrations/generic/20131114/alert/",
  telegram_api_url: "https://api.telegram.org",
  webex_api_url: "https://webexapis.com/v1/messages",
};

const GLOBAL_ORDER = [
  "resolve_timeout", "http_config", "smtp_from", "smtp_hello", "smtp_smarthost", "smtp_auth_username",
  "smtp_auth_password", "smtp_auth_secret", "smtp_auth_identity", "smtp_require_tls", "slack_api_url",
  "slack_api_url_file", "pagerduty_url", "opsgenie_api_url", "opsgenie_api_key", "opsgenie_api_key_file",
  "wechat_api_url", "wechat_api_secret", "wechat_api_corp_id", "victorops_api_url", "victorops_api_key",
  "victorops_api_key_file", "telegram_api_url", "webex_api_url",
];

/** Keys whose values are secrets wherever they appear. */
const SECRET_KEYS = new Set([
  "smtp_auth_password", "smtp_auth_secret", "slack_api_url", "opsgenie_api_key", "wechat_api_secret",
  "victorops_api_key", "password", "credentials", "bearer_token", "client_secret", "routing_key", "service_key",
  "auth_password", "auth_secret", "api_url", "key",
]);

type Obj = Record<string, unknown>;
type Defaults = Array<[string, (g: RawGlobal) => unknown]>;

const tpl = (name: string) => `{{ template "${name}" . }}`;

/** Per integration: the key order Alertmanager prints and the defaults it fills in. */
const INTEGRATION_DEFAULTS: Record<IntegrationKey, Defaults> = {
  email_configs: [
    ["send_resolved", () => false], ["to", () => undefined], ["from", (g) => g.smtp_from],
    ["hello", (g) => g.smtp_hello ?? "localhost"], ["smarthost", (g) => g.smtp_smarthost],
    ["auth_username", (g) => g.smtp_auth_username], ["auth_password", (g) => g.smtp_auth_password],
    ["auth_secret", (g) => g.smtp_auth_secret], ["auth_identity", (g) => g.smtp_auth_identity],
    ["headers", () => undefined], ["html", () => tpl("email.default.html")], ["text", () => undefined],
    ["require_tls", (g) => g.smtp_require_tls ?? true], ["tls_config", () => undefined],
  ],
  pagerduty_configs: [
    ["send_resolved", () => true], ["http_config", () => undefined], ["service_key", () => undefined],
    ["routing_key", () => undefined], ["url", (g) => g.pagerduty_url ?? GLOBAL_DEFAULTS.pagerduty_url],
    ["client", () => tpl("pagerduty.default.client")], ["client_url", () => tpl("pagerduty.default.clientURL")],
    ["description", () => '{{ template "pagerduty.default.description" .}}'],
    ["details", () => ({
      firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
      num_firing: "{{ .Alerts.Firing | len }}",
      num_resolved: "{{ .Alerts.Resolved | len }}",
      resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
    })],
    ["images", () => undefined], ["links", () => undefined], ["source", () => tpl("pagerduty.default.client")],
    ["severity", () => undefined], ["class", () => undefined], ["component", () => undefined], ["group", () => undefined],
  ],
  slack_configs: [
    ["send_resolved", () => false], ["http_config", () => undefined], ["api_url", (g) => g.slack_api_url],
    ["api_url_file", (g) => g.slack_api_url_file], ["channel", () => undefined],
    ["username", () => tpl("slack.default.username")],
    ["color", () => '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'],
    ["title", () => tpl("slack.default.title")], ["title_link", () => tpl("slack.default.titlelink")],
    ["pretext", () => tpl("slack.default.pretext")], ["text", () => tpl("slack.default.text")],
    ["fields", () => undefined], ["short_fields", () => false], ["footer", () => tpl("slack.default.footer")],
    ["fallback", () => tpl("slack.default.fallback")], ["callback_id", () => tpl("slack.default.callbackid")],
    ["icon_emoji", () => tpl("slack.default.iconemoji")], ["icon_url", () => tpl("slack.default.iconurl")],
    ["image_url", () => undefined], ["thumb_url", () => undefined], ["link_names", () => false],
    ["mrkdwn_in", () => undefined], ["actions", () => undefined],
  ],
  webhook_configs: [
    ["send_resolved", () => true], ["http_config", () => undefined], ["url", () => undefined],
    ["url_file", () => undefined], ["max_alerts", () => 0],
  ],
};

export function originalConfigYaml(config: AlertmanagerConfig): string {
  const raw = config.raw;
  const g = raw.global ?? {};
  const out: Obj = {};
  out.global = ordered({ ...GLOBAL_DEFAULTS, ...g, http_config: withHttpDefaults(g.http_config) }, GLOBAL_ORDER);
  if (raw.route) out.route = routeOut(raw.route);
  if (raw.inhibit_rules?.length) out.inhibit_rules = raw.inhibit_rules.map((r) => ({ ...r }));
  out.receivers = (raw.receivers ?? []).map((r) => {
    const rec: Obj = { name: r.name };
    for (const kind of Object.keys(INTEGRATION_DEFAULTS) as IntegrationKey[]) {
      const list = r[kind];
      if (list) rec[kind] = list.map((c) => integrationOut(kind, c, g));
    }
    return rec;
  });
  out.templates = raw.templates ?? [];
  if (raw.mute_time_intervals) out.mute_time_intervals = raw.mute_time_intervals;
  if (raw.time_intervals) out.time_intervals = raw.time_intervals;
  maskSecrets(out, [], config.fromEnv);
  return stringify(out, { lineWidth: 0, aliasDuplicateObjects: false });
}

function withHttpDefaults(h: unknown): Obj {
  return { ...(isObj(h) ? h : {}), ...HTTP_DEFAULTS, ...(isObj(h) ? h : {}) };
}

function routeOut(r: RawRoute): Obj {
  const o: Obj = {};
  if (r.receiver !== undefined) o.receiver = r.receiver;
  if (r.group_by !== undefined) o.group_by = r.group_by;
  if (r.match) o.match = r.match;
  if (r.match_re) o.match_re = r.match_re;
  if (r.matchers?.length) o.matchers = r.matchers.flatMap((s) => parseMatchers(s).map(matcherString));
  if (r.mute_time_intervals?.length) o.mute_time_intervals = r.mute_time_intervals;
  if (r.active_time_intervals?.length) o.active_time_intervals = r.active_time_intervals;
  o.continue = r.continue ?? false;
  if (r.routes?.length) o.routes = r.routes.map(routeOut);
  for (const k of ["group_wait", "group_interval", "repeat_interval"] as const) {
    const v = r[k];
    if (v !== undefined) o[k] = formatDuration(parseDuration(v));
  }
  return o;
}

function integrationOut(kind: IntegrationKey, c: Obj, g: RawGlobal): Obj {
  const defaults = INTEGRATION_DEFAULTS[kind];
  const merged: Obj = {};
  for (const [key, def] of defaults) {
    const v = c[key] !== undefined ? c[key] : def(g);
    if (v !== undefined) merged[key] = v;
  }
  for (const [k, v] of Object.entries(c)) if (!(k in merged)) merged[k] = v;
  if (kind !== "email_configs") merged.http_config = withHttpDefaults(c.http_config ?? g.http_config);
  if (kind === "pagerduty_configs") {
    // Alertmanager adds its default details to the configured ones, and sources from the configured client.
    const defaultDetails = defaults.find(([k]) => k === "details")![1](g) as Obj;
    merged.details = { ...defaultDetails, ...(isObj(c.details) ? c.details : {}) };
    if (c.source === undefined && c.client !== undefined) merged.source = c.client;
  }
  if (kind === "email_configs") {
    const headers: Obj = {};
    if (merged.from !== undefined) headers.From = merged.from;
    headers.Subject = tpl("email.default.subject");
    if (merged.to !== undefined) headers.To = merged.to;
    merged.headers = { ...headers, ...(isObj(c.headers) ? c.headers : {}) };
  }
  return ordered(merged, defaults.map(([k]) => k));
}

function ordered(o: Obj, order: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const [k, v] of Object.entries(o)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

function maskSecrets(node: unknown, path: Array<string | number>, fromEnv: ReadonlySet<string>): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      if (typeof v === "string" && fromEnv.has(pathKey([...path, i]))) node[i] = SECRET;
      else maskSecrets(v, [...path, i], fromEnv);
    });
  } else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === "string" && (SECRET_KEYS.has(k) || fromEnv.has(pathKey([...path, k])))) node[k] = SECRET;
      else maskSecrets(v, [...path, k], fromEnv);
    }
  }
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export type { RawConfig };

/**
 * The built-in default text of an integration field (e.g. slack_configs.title →
 * `{{ template "slack.default.title" . }}`): what a broken custom template falls back to at send time.
 */
export function defaultFieldText(kind: IntegrationKey, path: readonly (string | number)[]): string | undefined {
  const [key, sub] = path;
  const entry = INTEGRATION_DEFAULTS[kind].find(([k]) => k === key);
  const v = entry?.[1]({});
  if (typeof v === "string" && v.includes("{{")) return v;
  if (isObj(v) && typeof sub === "string" && typeof v[sub] === "string") return v[sub] as string;
  return undefined;
}
