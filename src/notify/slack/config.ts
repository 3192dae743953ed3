import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import { GoTemplater } from "../templater.ts";
import type { Channel, ChannelDeps, Where } from "../channel.ts";
import { checkHttpUrl, createHttpClient, globalWhere, integrationHttpConfig, readableFile, validateConfig } from "../http.ts";
import type { Notifier } from "../notifier.ts";
import { isWebApiUrl, SlackNotifier, type SlackActionConfig, type SlackConfig } from "./slack.ts";

export type { SlackConfig };

const tpl = (name: string): string => `{{ template "${name}" . }}`;

/** Alertmanager 0.25's DefaultSlackConfig: template references resolved at send time. */
const DEFAULTS = {
  username: tpl("slack.default.username"),
  color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
  title: tpl("slack.default.title"),
  title_link: tpl("slack.default.titlelink"),
  pretext: tpl("slack.default.pretext"),
  text: tpl("slack.default.text"),
  footer: tpl("slack.default.footer"),
  fallback: tpl("slack.default.fallback"),
  callback_id: tpl("slack.default.callbackid"),
  icon_emoji: tpl("slack.default.iconemoji"),
  icon_url: tpl("slack.default.iconurl"),
} as const;

/** A non-empty string, with Alertmanager's message when it is missing or empty. */
const required = (message: string) => z.string({ error: message }).min(1, message);

const field = z.strictObject({
  title: required("missing title in Slack field configuration"),
  value: required("missing value in Slack field configuration"),
  short: z.boolean().optional(),
});

const action = z.strictObject({
  type: required("missing type in Slack action configuration"),
  text: required("missing text in Slack action configuration"),
  url: z.string().optional(),
  style: z.string().optional(),
  name: z.string().optional(),
  value: z.string().optional(),
  confirm: z.strictObject({
    text: required("missing text in Slack confirmation configuration"),
    title: z.string().optional(),
    ok_text: z.string().optional(),
    dismiss_text: z.string().optional(),
  }).optional(),
}).refine((a) => Boolean(a.url || a.name), { message: "missing name or url in Slack action configuration" });

const rawSlackSchema = z.strictObject({
  send_resolved: z.boolean().optional(),
  http_config: z.unknown().optional(),
  api_url: z.string().optional(),
  api_url_file: z.string().optional(),
  channel: z.string().optional(),
  username: z.string().optional(),
  color: z.string().optional(),
  title: z.string().optional(),
  title_link: z.string().optional(),
  pretext: z.string().optional(),
  text: z.string().optional(),
  fields: z.array(field).optional(),
  short_fields: z.boolean().optional(),
  footer: z.string().optional(),
  fallback: z.string().optional(),
  callback_id: z.string().optional(),
  icon_emoji: z.string().optional(),
  icon_url: z.string().optional(),
  image_url: z.string().optional(),
  thumb_url: z.string().optional(),
  link_names: z.boolean().optional(),
  mrkdwn_in: z.array(z.string()).optional(),
  actions: z.array(action).optional(),
});

const globalSlackSchema = z.object({
  slack_api_url: z.string().optional(),
  slack_api_url_file: z.string().optional(),
});

export function parseSlackConfig(raw: Readonly<Record<string, unknown>>, global: Readonly<Record<string, unknown>>, where: Where): SlackConfig {
  const c = validateConfig(rawSlackSchema, raw, where, []);
  const httpConfig = integrationHttpConfig(raw, global, where);

  if (c.api_url && c.api_url_file) throw new ConfigError("at most one of api_url & api_url_file must be configured", where(["api_url"]));
  let apiUrl: string | undefined;
  let apiUrlFile: string | undefined;
  if (c.api_url || c.api_url_file) {
    apiUrl = c.api_url ? checkHttpUrl(c.api_url, where(["api_url"])) : undefined;
    apiUrlFile = c.api_url_file ? readableFile(c.api_url_file, where(["api_url_file"])) : undefined;
  } else {
    // Alertmanager fills in the global URL only when the entry names neither.
    const gw = globalWhere(where);
    const g = validateConfig(globalSlackSchema, global, gw, []);
    if (g.slack_api_url && g.slack_api_url_file) throw new ConfigError("at most one of slack_api_url & slack_api_url_file must be configured", gw(["slack_api_url"]));
    if (!g.slack_api_url && !g.slack_api_url_file) throw new ConfigError("no global Slack API URL set either inline or in a file", where([]));
    apiUrl = g.slack_api_url ? checkHttpUrl(g.slack_api_url, gw(["slack_api_url"])) : undefined;
    apiUrlFile = g.slack_api_url_file ? readableFile(g.slack_api_url_file, gw(["slack_api_url_file"])) : undefined;
  }

  const config: SlackConfig = {
    ...(apiUrl !== undefined ? { apiUrl } : { apiUrlFile: apiUrlFile! }),
    sendResolved: c.send_resolved ?? false,
    httpConfig,
    channel: c.channel ?? "",
    username: c.username ?? DEFAULTS.username,
    color: c.color ?? DEFAULTS.color,
    title: c.title ?? DEFAULTS.title,
    titleLink: c.title_link ?? DEFAULTS.title_link,
    pretext: c.pretext ?? DEFAULTS.pretext,
    text: c.text ?? DEFAULTS.text,
    fields: c.fields ?? [],
    shortFields: c.short_fields ?? false,
    footer: c.footer ?? DEFAULTS.footer,
    fallback: c.fallback ?? DEFAULTS.fallback,
    callbackId: c.callback_id ?? DEFAULTS.callback_id,
    iconEmoji: c.icon_emoji ?? DEFAULTS.icon_emoji,
    iconUrl: c.icon_url ?? DEFAULTS.icon_url,
    imageUrl: c.image_url ?? "",
    thumbUrl: c.thumb_url ?? "",
    linkNames: c.link_names ?? false,
    mrkdwnIn: c.mrkdwn_in ?? [],
    actions: (c.actions ?? []).map(normaliseAction),
  };
  checkTemplates(config, where);
  if (apiUrl !== undefined && isWebApiUrl(apiUrl)) checkWebApi(config, apiUrl, where);
  return config;
}

/** Alertmanager's rule: a URL button drops the message-action fields; otherwise a name is required. */
function normaliseAction(a: z.infer<typeof action>): SlackActionConfig {
  const base = { type: a.type, text: a.text, ...(a.style !== undefined ? { style: a.style } : {}) };
  if (a.url) return { ...base, url: a.url };
  const confirm = a.confirm && {
    text: a.confirm.text,
    ...(a.confirm.title !== undefined ? { title: a.confirm.title } : {}),
    ...(a.confirm.ok_text !== undefined ? { okText: a.confirm.ok_text } : {}),
    ...(a.confirm.dismiss_text !== undefined ? { dismissText: a.confirm.dismiss_text } : {}),
  };
  return { ...base, name: a.name ?? "", ...(a.value !== undefined ? { value: a.value } : {}), ...(confirm ? { confirm } : {}) };
}

/** Every text field must be something the templater can render; a raw `{{ … }}` must not reach Slack. */
function checkTemplates(c: SlackConfig, where: Where): void {
  const templater = new GoTemplater();
  const check = (text: string | undefined, path: ReadonlyArray<string | number>): void => {
    if (text) templater.check(text, where(path));
  };
  const top: Array<[string, string]> = [
    ["channel", c.channel], ["username", c.username], ["color", c.color], ["title", c.title], ["title_link", c.titleLink],
    ["pretext", c.pretext], ["text", c.text], ["footer", c.footer], ["fallback", c.fallback], ["callback_id", c.callbackId],
    ["icon_emoji", c.iconEmoji], ["icon_url", c.iconUrl], ["image_url", c.imageUrl], ["thumb_url", c.thumbUrl],
  ];
  for (const [key, text] of top) check(text, [key]);
  c.fields.forEach((f, i) => {
    check(f.title, ["fields", i, "title"]);
    check(f.value, ["fields", i, "value"]);
  });
  c.actions.forEach((a, i) => {
    for (const [key, text] of [["type", a.type], ["text", a.text], ["url", a.url], ["style", a.style], ["name", a.name], ["value", a.value]] as const) check(text, ["actions", i, key]);
    if (a.confirm) {
      for (const [key, text] of [["text", a.confirm.text], ["title", a.confirm.title], ["ok_text", a.confirm.okText], ["dismiss_text", a.confirm.dismissText]] as const) {
        check(text, ["actions", i, "confirm", key]);
      }
    }
  });
}

/**
 * chat.postMessage cannot work without a bot token (AM 0.25 users put it in http_config.authorization)
 * and a channel; say so at load instead of failing every notification with "not_authed".
 */
function checkWebApi(c: SlackConfig, apiUrl: string, where: Where): void {
  const hasQueryToken = new URL(apiUrl).searchParams.has("token");
  if (!c.httpConfig.authorization && !hasQueryToken) {
    throw new ConfigError("the Slack Web API (chat.postMessage) needs a bot token: set http_config.authorization.credentials", where(["api_url"]));
  }
  if (c.channel === "") throw new ConfigError("the Slack Web API (chat.postMessage) needs a channel", where(["channel"]));
}

export const slackChannel: Channel<SlackConfig> = {
  kind: "slack",
  parseConfig: parseSlackConfig,
  create(config: SlackConfig, index: number, deps: ChannelDeps): Notifier {
    return new SlackNotifier(config, index, createHttpClient(config.httpConfig, deps.userAgent, deps.firewall), deps.templater, deps.log.child({ integration: "slack" }));
  },
};
