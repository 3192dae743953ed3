import { formatDuration } from "./duration.ts";
import { parseDuration } from "./duration.ts";
import { matcherString } from "../matchers/index.ts";
import { parseMatchers, sortMatchers } from "../matchers/index.ts";
import { goDir, goJoin } from "./template-files.ts";
import { pathKey } from "./yaml-source.ts";
import { emitYamlV2, flow, goMap, FlowStyle, type YamlValue } from "./yaml-v2-emitter.ts";
import type { AlertmanagerConfig } from "./alertmanager.ts";
import type { RawConfig, RawGlobal, RawRoute, RawInhibitRule, RawTimeInterval, IntegrationKey } from "./alertmanager-schema.ts";

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
  // Alertmanager makes relative template and http_config file paths relative to the config file's directory.
  const base = goDir(config.file);
  const inBase = (file: unknown): unknown => (typeof file === "string" && file !== "" && !file.startsWith("/") ? goJoin(base, file) : file);
  const out: Obj = {};
  const resolveTimeout = g.resolve_timeout === undefined ? undefined : formatDuration(parseDuration(g.resolve_timeout));
  out.global = struct({ ...GLOBAL_DEFAULTS, ...g, resolve_timeout: resolveTimeout ?? GLOBAL_DEFAULTS.resolve_timeout, http_config: httpConfigOut(g.http_config, inBase) }, GLOBAL_ORDER);
  if (raw.route) out.route = routeOut(raw.route);
  if (raw.inhibit_rules?.length) out.inhibit_rules = raw.inhibit_rules.map(inhibitRuleOut);
  out.receivers = (raw.receivers ?? []).map((r) => {
    const rec: Obj = { name: r.name };
    for (const kind of Object.keys(INTEGRATION_DEFAULTS) as IntegrationKey[]) {
      const list = r[kind];
      if (list) rec[kind] = list.map((c) => integrationOut(kind, c, g, inBase));
    }
    return rec;
  });
  out.templates = (raw.templates ?? []).map(inBase);
  if (raw.mute_time_intervals) out.mute_time_intervals = namedTimeIntervalsOut(raw.mute_time_intervals);
  if (raw.time_intervals) out.time_intervals = namedTimeIntervalsOut(raw.time_intervals);
  maskSecrets(out, [], config.fromEnv);
  return emitYamlV2(out as YamlValue);
}

/** Each list entry may hold several matchers; Alertmanager keeps one per entry, in its canonical form. */
function matchersOut(list: readonly string[]): string[] {
  return sortMatchers(list.flatMap((s) => parseMatchers(s))).map(matcherString);
}

function inhibitRuleOut(r: RawInhibitRule): Obj {
  const o: Obj = {};
  for (const side of ["source", "target"] as const) {
    const match = r[`${side}_match`], matchRe = r[`${side}_match_re`], matchers = r[`${side}_matchers`];
    if (match && Object.keys(match).length > 0) o[`${side}_match`] = goMap(match);
    if (matchRe && Object.keys(matchRe).length > 0) o[`${side}_match_re`] = goMap(matchRe);
    if (matchers?.length) o[`${side}_matchers`] = matchersOut(matchers);
  }
  if (r.equal?.length) o.equal = r.equal;
  return o;
}

const MONTH_NAMES = [
  "january", "february", "march", "april", "may", "june",
  "july", "august", "september", "october", "november", "december",
];

/**
 * A range as Alertmanager prints it back: lower-cased, members in canonical form (weekday names; months, days
 * and years as numbers), and a single member when the range starts and ends on the same one.
 */
function rangeOut(raw: string, member: (s: string) => string): string {
  const [begin, end] = raw.toLowerCase().split(":").map(member) as [string, string | undefined];
  return end === undefined || end === begin ? begin : `${begin}:${end}`;
}

const weekdayOut = (s: string): string => s;
const monthOut = (s: string): string => {
  const i = MONTH_NAMES.indexOf(s);
  return i >= 0 ? String(i + 1) : String(Number(s));
};
const numberOut = (s: string): string => String(Number(s));

/**
 * Alertmanager's time interval lists are `,flow` fields, and so is `location`; yaml.v2 keeps the flow request of
 * a scalar field pending until the next collection it writes. So an interval (or a whole named entry) that
 * follows an interval with a location is written in flow style. This replays that, in output order.
 */
function namedTimeIntervalsOut(list: ReadonlyArray<{ name: string; time_intervals: RawTimeInterval[] }>): YamlValue[] {
  let pendingFlow = false;
  const collection = <T extends Obj>(o: T): YamlValue => {
    const asFlow = pendingFlow;
    pendingFlow = false;
    return asFlow ? flow(o as { [k: string]: YamlValue }) : (o as YamlValue);
  };
  return list.map((named) => {
    const entry: Obj = {};
    const result = collection(entry);
    entry.name = named.name;
    entry.time_intervals = (named.time_intervals ?? []).map((ti) => {
      const o: Obj = {};
      const self = collection(o);
      if (ti.times?.length) o.times = ti.times.map((t) => ({ start_time: t.start_time, end_time: t.end_time }));
      if (ti.weekdays?.length) o.weekdays = flow(ti.weekdays.map((s) => rangeOut(s, weekdayOut)));
      if (ti.days_of_month?.length) o.days_of_month = flow(ti.days_of_month.map((s) => rangeOut(s, numberOut)));
      if (ti.months?.length) o.months = flow(ti.months.map((s) => rangeOut(s, monthOut)));
      if (ti.years?.length) o.years = flow(ti.years.map((s) => rangeOut(s, numberOut)));
      if (ti.location !== undefined) {
        o.location = ti.location === "" ? "UTC" : ti.location;
        pendingFlow = true;
      }
      return self;
    });
    return result;
  });
}

/**
 * An http_config as prometheus/common writes it: its field order, `bearer_token(_file)` turned into an
 * `authorization` of type Bearer, the default type filled in, and empty fields left out.
 */
function httpConfigOut(h: unknown, inBase: (file: unknown) => unknown): Obj {
  const c: Obj = { ...HTTP_DEFAULTS, ...(isObj(h) ? h : {}) };
  let authorization = isObj(c.authorization) ? { ...c.authorization } : undefined;
  if (c.bearer_token !== undefined || c.bearer_token_file !== undefined) {
    authorization = { credentials: c.bearer_token, credentials_file: c.bearer_token_file };
  }
  if (authorization) authorization = { type: "Bearer", ...authorization };
  return struct({
    ...c,
    basic_auth: isObj(c.basic_auth)
      ? struct({ ...c.basic_auth, password_file: inBase(c.basic_auth.password_file) }, ["username", "password", "password_file"])
      : c.basic_auth,
    authorization: authorization && struct({ ...authorization, credentials_file: inBase(authorization.credentials_file) }, ["type", "credentials", "credentials_file"]),
    bearer_token: undefined,
    bearer_token_file: undefined,
    tls_config: tlsConfigOut(c.tls_config, inBase),
  }, ["basic_auth", "authorization", "oauth2", "proxy_url", "tls_config", "follow_redirects", "enable_http2"]);
}

function tlsConfigOut(t: unknown, inBase: (file: unknown) => unknown): Obj | undefined {
  if (!isObj(t)) return undefined;
  return struct(
    {
      ...t,
      ca_file: inBase(t.ca_file),
      cert_file: inBase(t.cert_file),
      key_file: inBase(t.key_file),
      insecure_skip_verify: t.insecure_skip_verify === true ? true : undefined,
    },
    ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version"],
  );
}

/**
 * A Go struct as yaml.v2 writes it: fields in `order` (others after, as given), and `omitempty` fields that are
 * empty left out (an empty string, list or mapping, or a struct with nothing left in it). Every field of
 * Alertmanager's config structs that can be empty is `omitempty`; the ones that are not are booleans/numbers.
 */
function struct(o: Obj, order: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of [...order, ...Object.keys(o)]) {
    const v = o[k];
    if (k in out || isEmpty(v)) continue;
    out[k] = v;
  }
  return out;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  if (isObj(v)) return Object.values(v).every(isEmpty);
  return false;
}

/** Lists of structs inside integrations, with the field order Alertmanager writes. */
const NESTED_ORDER: Record<string, readonly string[]> = {
  images: ["src", "alt", "href"],
  links: ["href", "text"],
  fields: ["title", "value", "short"],
  actions: ["type", "text", "url", "style"],
};
/** Alertmanager 0.25 reads a Slack action's name, value and confirm but does not write them back (measured). */
const UNWRITTEN: Record<string, readonly string[]> = { actions: ["name", "value", "confirm"] };

function nestedOut(key: string, v: unknown): unknown {
  const order = NESTED_ORDER[key];
  if (!order || !Array.isArray(v)) return v;
  return v.map((item: unknown) => {
    if (!isObj(item)) return item;
    const o = { ...item };
    for (const k of UNWRITTEN[key] ?? []) delete o[k];
    return struct(o, order);
  });
}

function routeOut(r: RawRoute): Obj {
  const o: Obj = {};
  if (r.receiver) o.receiver = r.receiver;
  if (r.group_by?.length) o.group_by = r.group_by;
  if (r.match && Object.keys(r.match).length > 0) o.match = goMap(r.match);
  if (r.match_re && Object.keys(r.match_re).length > 0) o.match_re = goMap(r.match_re);
  if (r.matchers?.length) o.matchers = matchersOut(r.matchers);
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

function integrationOut(kind: IntegrationKey, c: Obj, g: RawGlobal, inBase: (file: unknown) => unknown): Obj {
  const defaults = INTEGRATION_DEFAULTS[kind];
  const merged: Obj = {};
  for (const [key, def] of defaults) {
    const v = c[key] !== undefined ? c[key] : def(g);
    if (v !== undefined) merged[key] = v;
  }
  for (const [k, v] of Object.entries(c)) if (!(k in merged)) merged[k] = v;
  if (kind !== "email_configs") merged.http_config = httpConfigOut(c.http_config ?? g.http_config, inBase);
  // The email integration's own tls_config is not part of an http_config: Alertmanager leaves its paths as written.
  else if (c.tls_config !== undefined) merged.tls_config = tlsConfigOut(c.tls_config, (f) => f);
  for (const k of Object.keys(merged)) merged[k] = nestedOut(k, merged[k]);
  if (kind === "pagerduty_configs") {
    // Alertmanager adds its default details to the configured ones, and sources from the configured client.
    const defaultDetails = defaults.find(([k]) => k === "details")![1](g) as Obj;
    merged.details = goMap({ ...defaultDetails, ...(isObj(c.details) ? c.details : {}) } as Record<string, YamlValue>);
    if (c.source === undefined && c.client !== undefined) merged.source = c.client;
  }
  if (kind === "webhook_configs" && typeof merged.url === "string") merged.url = maskWebhookUrlToken(merged.url);
  if (kind === "email_configs") {
    const headers: Obj = {};
    if (merged.from !== undefined) headers.From = merged.from;
    headers.Subject = tpl("email.default.subject");
    if (merged.to !== undefined) headers.To = merged.to;
    merged.headers = goMap({ ...headers, ...(isObj(c.headers) ? c.headers : {}) } as Record<string, YamlValue>);
  }
  return struct(merged, defaults.map(([k]) => k));
}

/**
 * A webhook URL whose path or query carries a token (a part of 8+ characters mixing letters and digits, or
 * of 20+) shown as `scheme://host/<secret>`. Alertmanager 0.25 prints webhook URLs as written (0.26 masks
 * them whole, which amtool 0.25 cannot parse back); keeping scheme and host keeps the URL parseable and
 * useful, and URLs of plain words stay byte-identical to Alertmanager's.
 */
export function maskWebhookUrlToken(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const tokenLike = (part: string) => part.length >= 20 || (part.length >= 8 && /\d/.test(part) && /[A-Za-z]/.test(part));
  const parts = [...u.pathname.split("/"), ...u.searchParams.values()];
  return u.password !== "" || parts.some(tokenLike) ? `${u.protocol}//${u.host}/${SECRET}` : url;
}

function maskSecrets(node: unknown, path: Array<string | number>, fromEnv: ReadonlySet<string>): void {
  if (node instanceof FlowStyle) {
    maskSecrets(node.value, path, fromEnv);
  } else if (node instanceof Map) {
    for (const [k, v] of node as Map<string, unknown>) {
      if (typeof v === "string" && (SECRET_KEYS.has(k) || fromEnv.has(pathKey([...path, k])))) node.set(k, SECRET);
      else maskSecrets(v, [...path, k], fromEnv);
    }
  } else if (Array.isArray(node)) {
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
