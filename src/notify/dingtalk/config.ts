import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import { GoTemplater } from "../templater.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Channel, Where } from "../channel.ts";
import { DingTalkRobots, type DingTalkConfig } from "./dingtalk.ts";
import { MIN_TEXT_ROOM, worstCaseTextRoom } from "./split.ts";

export type { DingTalkConfig };

export const DINGTALK_DEFAULT_URL = "https://oapi.dingtalk.com/robot/send";
export const DINGTALK_DEFAULT_TITLE = '{{ template "dingtalk.default.title" . }}';
export const DINGTALK_DEFAULT_TEXT = '{{ template "dingtalk.default.text" . }}';
/** DingTalk documents 20 messages per minute per robot; going over mutes the robot for 10 minutes. */
export const DINGTALK_DEFAULT_MESSAGES_PER_MINUTE = 20;
export const DINGTALK_DEFAULT_MAX_MESSAGE_BYTES = 20_000;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

const httpUrl = z.string().refine(isHttpUrl, "must be an absolute http:// or https:// URL");

/**
 * A mention is written as `@id` in the text, so it cannot contain spaces. Numbers are refused rather than
 * converted: YAML reads an unquoted 0-prefixed or +-prefixed phone number as a different number.
 */
const mentionId = (what: string) =>
  z.string({ error: (iss) => (typeof iss.input === "number" ? `quote ${what} in YAML ('13800000000'), or a leading 0 or + is lost` : undefined) })
    .regex(/^[^\s@]+$/, `${what} must be non-empty without spaces or @`);

const receiver = z.string().min(1, "receiver must name an Alertmanager receiver");

/** `receiver` is optional here: the app may take it off the entry before handing it to the channel. */
const entrySchema = z.strictObject({
  receiver: receiver.optional(),
  webhook_url: httpUrl.optional(),
  access_token: z.string().min(1).optional(),
  url: httpUrl.optional(),
  secret: z.string().min(1).optional(),
  title: z.string().default(DINGTALK_DEFAULT_TITLE),
  text: z.string().default(DINGTALK_DEFAULT_TEXT),
  at_mobiles: z.array(mentionId("at_mobiles entries")).default([]),
  at_user_ids: z.array(mentionId("at_user_ids entries")).default([]),
  is_at_all: z.boolean().default(false),
  send_resolved: z.boolean().default(true),
  messages_per_minute: z.number().int().min(1).max(10_000).default(DINGTALK_DEFAULT_MESSAGES_PER_MINUTE),
  max_message_bytes: z.number().int().min(512).max(10_000_000).default(DINGTALK_DEFAULT_MAX_MESSAGE_BYTES),
});

type RawEntry = z.output<typeof entrySchema>;

function checkEntry(e: RawEntry, ctx: z.RefinementCtx): void {
  if (e.webhook_url !== undefined && e.access_token !== undefined) {
    ctx.addIssue({ code: "custom", path: ["access_token"], message: "set either webhook_url, or access_token (with an optional url), not both" });
  } else if (e.webhook_url === undefined && e.access_token === undefined) {
    ctx.addIssue({ code: "custom", path: [], message: "one of webhook_url or access_token is required" });
  }
  if (e.url !== undefined && e.access_token === undefined) {
    ctx.addIssue({ code: "custom", path: ["url"], message: "url is only used with access_token; put the whole robot URL in webhook_url instead" });
  }
  for (const key of ["webhook_url", "url"] as const) {
    const v = e[key];
    if (v === undefined || !isHttpUrl(v)) continue;
    const q = new URL(v).searchParams;
    // A signed URL copied from somewhere expires within the hour; AlertPrism signs each request itself.
    if (q.has("sign") || q.has("timestamp")) {
      ctx.addIssue({ code: "custom", path: [key], message: "must not carry timestamp or sign; set secret and AlertPrism signs every request" });
    }
    if (key === "url" && q.has("access_token")) {
      ctx.addIssue({ code: "custom", path: [key], message: "carries an access_token already; use webhook_url for a complete robot URL" });
    }
  }
  const room = worstCaseTextRoom({ atMobiles: e.at_mobiles, atUserIds: e.at_user_ids, isAtAll: e.is_at_all }, e.max_message_bytes);
  if (room < MIN_TEXT_ROOM) {
    ctx.addIssue({ code: "custom", path: ["max_message_bytes"], message: `too small for the title and @mentions: leaves ${room} bytes of text per message, need ${MIN_TEXT_ROOM}` });
  }
}

function robotUrl(e: RawEntry): string {
  if (e.webhook_url !== undefined) return e.webhook_url;
  const base = e.url ?? DINGTALK_DEFAULT_URL;
  return `${base}${base.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(e.access_token ?? "")}`;
}

function toConfig(e: RawEntry): DingTalkConfig {
  return {
    receiver: e.receiver,
    webhookUrl: robotUrl(e),
    secret: e.secret,
    title: e.title,
    text: e.text,
    atMobiles: e.at_mobiles,
    atUserIds: e.at_user_ids,
    isAtAll: e.is_at_all,
    sendResolved: e.send_resolved,
    messagesPerMinute: e.messages_per_minute,
    maxMessageBytes: e.max_message_bytes,
  };
}

/** One raw `dingtalk_configs` entry → DingTalkConfig; `receiver` may be absent. */
export const dingtalkConfigSchema = entrySchema.superRefine(checkEntry).transform(toConfig);

/** An entry of the list in alertprism.yml, where `receiver` is what attaches the robot and is required. */
const listEntrySchema = entrySchema.extend({ receiver }).superRefine(checkEntry).transform(toConfig);

/**
 * The whole `dingtalk_configs` list, for alertprism.yml's schema
 * (`dingtalk_configs: dingtalkConfigsSchema.optional()`). Its output is already DingTalkConfig[].
 * Entries that share a robot share its rate budget, so they must agree on the secret and the limit.
 */
export const dingtalkConfigsSchema = z.array(listEntrySchema).superRefine((list, ctx) => {
  const first = new Map<string, number>();
  list.forEach((c, i) => {
    const j = first.get(c.webhookUrl);
    if (j === undefined) {
      first.set(c.webhookUrl, i);
      return;
    }
    const other = list[j]!;
    if (other.secret !== c.secret) {
      ctx.addIssue({ code: "custom", path: [i, "secret"], message: `same robot as dingtalk_configs[${j}] but a different secret` });
    }
    if (other.messagesPerMinute !== c.messagesPerMinute) {
      ctx.addIssue({ code: "custom", path: [i, "messages_per_minute"], message: `same robot as dingtalk_configs[${j}] but a different messages_per_minute` });
    }
  });
});

/** Validates `dingtalk_configs`; `where` gets paths relative to the list (`[0, "webhook_url"]`). */
export function parseDingTalkConfigs(list: unknown, where: Where): DingTalkConfig[] {
  const configs = validate(dingtalkConfigsSchema, list, where);
  configs.forEach((c, i) => checkTemplates(c, (p) => where([i, ...p])));
  return configs;
}

/** Validates one entry; `where` gets paths relative to the entry (`["webhook_url"]`). */
export function parseDingTalkConfig(raw: unknown, where: Where): DingTalkConfig {
  const config = validate(dingtalkConfigSchema, raw, where);
  checkTemplates(config, where);
  return config;
}

function validate<T>(schema: z.ZodType<T>, data: unknown, where: Where): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path: Array<string | number> = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  // Point at the offending key itself, not at the map that holds it.
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) path.push(issue.keys[0]!);
  throw new ConfigError(issue.message, where(path));
}

const templateChecker = new GoTemplater();

/**
 * Fails start-up on template text the built-in templater would send raw. Channel.parseConfig gets no
 * templater, so this uses the built-in one; when Go templates arrive this check moves with them.
 */
function checkTemplates(c: DingTalkConfig, where: Where): void {
  templateChecker.check(c.title, where(["title"]));
  templateChecker.check(c.text, where(["text"]));
}

export interface DingTalkChannelOptions {
  /** Drives signing timestamps and the rate budgets; a FakeClock in tests. Default: the system clock. */
  readonly clock?: Clock;
}

/** The Channel, plus the stop() that the robots' queues and timers need. */
export interface DingTalkChannel extends Channel<DingTalkConfig> {
  /** Rejects queued notifications (retryable) and cancels digest timers. Idempotent. */
  stop(): void;
}

/**
 * A DingTalk channel with its own robot registry (budgets, digest queues). Create one per process and
 * keep it across reloads; tests pass a FakeClock.
 */
export function createDingTalkChannel(opts: DingTalkChannelOptions = {}): DingTalkChannel {
  const robots = new DingTalkRobots(opts.clock);
  return {
    kind: "dingtalk",
    parseConfig: (raw, _global, where) => parseDingTalkConfig(raw, where),
    create: (config, index, deps) => robots.notifier(config, index, deps),
    stop: () => robots.stop(),
  };
}

/** The process-wide channel on the system clock. */
export const dingtalkChannel: DingTalkChannel = createDingTalkChannel();
