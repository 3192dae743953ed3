import { readFile } from "node:fs/promises";
import type { Logger } from "../../lib/log.ts";
import { bodyExcerpt, classifyResponse, type HttpClient, type HttpConfig, type HttpResponse } from "../http.ts";
import { NotifyError, type NotificationData, type Notifier, type NotifyRequest, type Templater } from "../notifier.ts";

/** A `fields` entry; `short` unset means "use short_fields". */
export interface SlackFieldConfig {
  readonly title: string;
  readonly value: string;
  readonly short?: boolean;
}

export interface SlackConfirmConfig {
  readonly text: string;
  readonly title?: string;
  readonly okText?: string;
  readonly dismissText?: string;
}

export interface SlackActionConfig {
  readonly type: string;
  readonly text: string;
  readonly url?: string;
  readonly style?: string;
  readonly name?: string;
  readonly value?: string;
  readonly confirm?: SlackConfirmConfig;
}

/**
 * One `slack_configs` entry, validated (see config.ts). Text fields hold template text, rendered at send
 * time. Exactly one of `apiUrl` and `apiUrlFile` is set.
 */
export interface SlackConfig {
  readonly apiUrl?: string;
  /** Read at every send (trimmed), as Alertmanager does. */
  readonly apiUrlFile?: string;
  readonly sendResolved: boolean;
  readonly httpConfig: HttpConfig;
  readonly channel: string;
  readonly username: string;
  readonly color: string;
  readonly title: string;
  readonly titleLink: string;
  readonly pretext: string;
  readonly text: string;
  readonly fields: readonly SlackFieldConfig[];
  readonly shortFields: boolean;
  readonly footer: string;
  readonly fallback: string;
  readonly callbackId: string;
  readonly iconEmoji: string;
  readonly iconUrl: string;
  readonly imageUrl: string;
  readonly thumbUrl: string;
  readonly linkNames: boolean;
  /** Empty: Alertmanager's default, ["fallback", "pretext", "text"]. */
  readonly mrkdwnIn: readonly string[];
  readonly actions: readonly SlackActionConfig[];
}

export interface SlackField {
  readonly title?: string;
  readonly value?: string;
  readonly short: boolean;
}

export interface SlackConfirm {
  readonly text?: string;
  readonly title?: string;
  readonly ok_text?: string;
  readonly dismiss_text?: string;
}

export interface SlackAction {
  readonly type?: string;
  readonly text?: string;
  readonly url?: string;
  readonly style?: string;
  readonly name?: string;
  readonly value?: string;
  readonly confirm?: SlackConfirm;
}

/**
 * Alertmanager 0.25's attachment, in its field order. Absent properties are the ones Go omits when empty
 * (`omitempty`); text, fallback, callback_id and footer have no omitempty and are always sent.
 */
export interface SlackAttachment {
  readonly title?: string;
  readonly title_link?: string;
  readonly pretext?: string;
  readonly text: string;
  readonly fallback: string;
  readonly callback_id: string;
  readonly fields?: readonly SlackField[];
  readonly actions?: readonly SlackAction[];
  readonly image_url?: string;
  readonly thumb_url?: string;
  readonly footer: string;
  readonly color?: string;
  readonly mrkdwn_in?: readonly string[];
}

export interface SlackPayload {
  readonly channel?: string;
  readonly username?: string;
  readonly icon_emoji?: string;
  readonly icon_url?: string;
  readonly link_names?: true;
  readonly attachments: readonly SlackAttachment[];
}

/** Slack rejects longer attachment titles; Alertmanager cuts them to this many characters. */
export const MAX_TITLE_RUNES = 1024;
const DEFAULT_MRKDWN_IN = ["fallback", "pretext", "text"];

/** The request body Alertmanager 0.25 posts to Slack for a batch (attachment style). */
export function buildSlackPayload(cfg: SlackConfig, data: NotificationData, templater: Templater): SlackPayload {
  const t = (text: string | undefined): string => (text ? templater.render(text, data) : "");
  const attachment = omitEmpty({
    title: truncateRunes(t(cfg.title), MAX_TITLE_RUNES),
    title_link: t(cfg.titleLink),
    pretext: t(cfg.pretext),
    text: t(cfg.text),
    fallback: t(cfg.fallback),
    callback_id: t(cfg.callbackId),
    fields: cfg.fields.map((f) => omitEmpty({ title: t(f.title), value: t(f.value), short: f.short ?? cfg.shortFields })),
    actions: cfg.actions.map((a) => omitEmpty({
      type: t(a.type), text: t(a.text), url: t(a.url), style: t(a.style), name: t(a.name), value: t(a.value),
      confirm: a.confirm && omitEmpty({ text: t(a.confirm.text), title: t(a.confirm.title), ok_text: t(a.confirm.okText), dismiss_text: t(a.confirm.dismissText) }),
    })),
    image_url: t(cfg.imageUrl),
    thumb_url: t(cfg.thumbUrl),
    footer: t(cfg.footer),
    color: t(cfg.color),
    mrkdwn_in: cfg.mrkdwnIn.length > 0 ? [...cfg.mrkdwnIn] : DEFAULT_MRKDWN_IN,
  }, ["text", "fallback", "callback_id", "footer"]) as SlackAttachment;
  return omitEmpty({
    channel: t(cfg.channel),
    username: t(cfg.username),
    icon_emoji: t(cfg.iconEmoji),
    icon_url: t(cfg.iconUrl),
    link_names: cfg.linkNames || undefined,
    attachments: [attachment],
  }, ["attachments"]) as SlackPayload;
}

/** Go's omitempty: drops "", undefined, false and empty arrays, except the keys listed as always sent. */
function omitEmpty<T extends Record<string, unknown>>(o: T, keep: readonly string[] = []): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const empty = v === undefined || v === "" || v === false || (Array.isArray(v) && v.length === 0);
    // `short` is a *bool in Go: once set it is sent, even when false.
    if (!empty || keep.includes(k) || (k === "short" && typeof v === "boolean")) out[k] = v;
  }
  return out as Partial<T>;
}

/** Cuts to n code points, the last one replaced by "…", as Alertmanager's TruncateInRunes. */
export function truncateRunes(s: string, n: number): string {
  const runes = [...s];
  if (runes.length <= n) return s;
  return n <= 3 ? runes.slice(0, n).join("") : runes.slice(0, n - 1).join("") + "…";
}

/** The Web API (bot token) rather than an incoming webhook: the token travels in the Authorization header. */
export function isWebApiUrl(url: string): boolean {
  try {
    return new URL(url).pathname.endsWith("/api/chat.postMessage");
  } catch {
    return false;
  }
}

export class SlackNotifier implements Notifier {
  readonly kind = "slack";
  readonly sendResolved: boolean;

  constructor(
    private readonly config: SlackConfig,
    readonly index: number,
    private readonly client: HttpClient,
    private readonly templater: Templater,
    private readonly log: Logger,
  ) {
    this.sendResolved = config.sendResolved;
  }

  async notify(req: NotifyRequest): Promise<void> {
    const payload = buildSlackPayload(this.config, req.data, this.templater);
    if ([...this.templater.render(this.config.title, req.data)].length > MAX_TITLE_RUNES) {
      // Alertmanager warns too: the cut may drop what told alerts apart.
      this.log.warn({ groupKey: req.groupKey, maxRunes: MAX_TITLE_RUNES }, "truncated Slack title");
    }
    const url = this.config.apiUrl ?? (await readUrlFile(this.config.apiUrlFile!));
    const res = await this.client.postJson(url, payload, { signal: req.signal });
    // Alertmanager names the channel in its errors; it helps find the failing config entry.
    const integration = payload.channel ? `slack channel ${JSON.stringify(payload.channel)}` : "slack";
    classifyResponse(res, integration);
    checkSlackBody(res, integration);
  }
}

/**
 * Slack answers most failures with HTTP 200: the Web API (and newer webhooks) with JSON `{"ok": false,
 * "error": "..."}`, incoming webhooks with a text body other than `ok`. Only `ratelimited` is worth retrying.
 */
export function checkSlackBody(res: HttpResponse, integration: string): void {
  if (res.status === 204) return;
  if ((res.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // Slack said JSON and sent something else: a proxy or an outage page, which may pass.
      throw new NotifyError(true, `${integration}: unparseable JSON response: ${bodyExcerpt(res.body)}`, { status: res.status });
    }
    if (parsed !== null && typeof parsed === "object" && (parsed as Record<string, unknown>).ok === false) {
      const error = String((parsed as Record<string, unknown>).error ?? "unknown error");
      throw new NotifyError(error === "ratelimited", `${integration}: error response from Slack: ${bodyExcerpt(error)}`, { status: res.status });
    }
    return;
  }
  if (res.body.trim() !== "ok") {
    throw new NotifyError(false, `${integration}: error response from Slack: ${bodyExcerpt(res.body) || "(empty body)"}`, { status: res.status });
  }
}

async function readUrlFile(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new NotifyError(false, `cannot read api_url_file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}
