import { createHash, createHmac } from "node:crypto";
import { SystemClock, type Clock } from "../../lib/clock.ts";
import { httpRequest, type HttpResult } from "../../lib/http-request.ts";
import { annotateCurrentSpan, correlationHeaders } from "../../lib/tracing.ts";
import type { Logger } from "../../lib/log.ts";
import type { ChannelDeps } from "../channel.ts";
import { findFirewallRefusal, firewallNotifyError } from "../firewall.ts";
import { NotifyError, type NotificationData, type NotifyAlert, type Notifier, type NotifyRequest } from "../notifier.ts";
import { DigestLane, RateBudget, type Fold } from "./budget.ts";
import { isPermanentTransportCode } from "../transport-errors.ts";
import {
  ALERT_SEPARATOR, MessageSizeError, TITLE_MAX_BYTES, bodyBytes, jsonStringBytes, markdownBody, mentionSuffix,
  serializeBody, splitMarkdown, truncateToJsonBytes, type AtTargets, type MarkdownBody,
} from "./split.ts";

/**
 * One validated `dingtalk_configs` entry (config.ts parses the snake_case file form into this): a DingTalk
 * custom robot attached to an Alertmanager receiver by name.
 */
export interface DingTalkConfig {
  /** Alertmanager receiver this robot is attached to, when the entry named it; the caller checks it exists. */
  readonly receiver: string | undefined;
  /** Robot endpoint including `access_token`, before signing. Also the robot's identity for the rate budget. */
  readonly webhookUrl: string;
  /** "加签" signing secret; when set every request carries `timestamp` and `sign`. */
  readonly secret: string | undefined;
  readonly title: string;
  readonly text: string;
  readonly atMobiles: readonly string[];
  readonly atUserIds: readonly string[];
  readonly isAtAll: boolean;
  readonly sendResolved: boolean;
  /** DingTalk's per-robot limit; sends beyond it are folded into a digest. */
  readonly messagesPerMinute: number;
  /** Largest request body sent; bigger messages are split into numbered parts. */
  readonly maxMessageBytes: number;
}

/** DingTalk answers HTTP 200 for nearly everything; the verdict is in `errcode`. */
export const ERRCODE_OK = 0;
/** "send too fast": the robot's per-minute limit was hit. */
export const ERRCODE_SEND_TOO_FAST = 130101;
/** Security settings refused the message: keyword missing, bad signature, or IP not allowed. */
export const ERRCODE_SECURITY_MISMATCH = 310000;
/** DingTalk's generic "system busy, try later". */
export const ERRCODE_SYSTEM_BUSY = -1;

/** After "send too fast" DingTalk wants a quiet minute. */
const SEND_TOO_FAST_RETRY_MS = 60_000;
/** DingTalk answers with a few hundred bytes; anything far larger is not DingTalk and is not kept. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Longest piece of a response body quoted in a reason: enough to diagnose, not enough to flood a log. */
const SNIPPET_CHARS = 200;

/** A classified DingTalk failure; `errcode` is set when DingTalk answered with one. */
export class DingTalkError extends NotifyError {
  override name = "DingTalkError";
  constructor(
    retryable: boolean,
    reason: string,
    opts: { readonly status?: number; readonly retryAfterMs?: number } = {},
    readonly errcode?: number,
  ) {
    super(retryable, reason, opts);
  }
}

/** `base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret))`, not yet URL-encoded. */
export function dingtalkSignature(secret: string, timestampMs: number): string {
  return createHmac("sha256", secret).update(`${timestampMs}\n${secret}`, "utf8").digest("base64");
}

/** The robot URL with `timestamp` and `sign` appended when the robot has a secret. */
export function signedUrl(url: string, secret: string | undefined, timestampMs: number): string {
  if (secret === undefined) return url;
  const sign = encodeURIComponent(dingtalkSignature(secret, timestampMs));
  return `${url}${url.includes("?") ? "&" : "?"}timestamp=${timestampMs}&sign=${sign}`;
}

/**
 * Turns an HTTP answer into nothing (delivered) or a DingTalkError. Pure, so the whole table is tested
 * without a server. `scrub` removes secrets from anything quoted back from the response.
 */
export function classifyResponse(
  status: number, body: string, retryAfterHeader: string | undefined, nowMs: number, scrub: (s: string) => string,
): DingTalkError | undefined {
  const snippet = () => scrub(body.slice(0, SNIPPET_CHARS));
  if (status >= 200 && status < 300) {
    const reply = parseReply(body);
    if (reply === undefined) return new DingTalkError(false, `DingTalk answered HTTP ${status} without an errcode: ${JSON.stringify(snippet())}`, { status });
    const errmsg = scrub(reply.errmsg.slice(0, SNIPPET_CHARS));
    switch (reply.errcode) {
      case ERRCODE_OK:
        return undefined;
      case ERRCODE_SEND_TOO_FAST:
        return new DingTalkError(true, `DingTalk rate limit hit (errcode ${reply.errcode}: ${errmsg})`, { status, retryAfterMs: SEND_TOO_FAST_RETRY_MS }, reply.errcode);
      case ERRCODE_SECURITY_MISMATCH:
        return new DingTalkError(false, `DingTalk refused the message: keyword, signature or IP allow-list mismatch (errcode ${reply.errcode}: ${errmsg})`, { status }, reply.errcode);
      case ERRCODE_SYSTEM_BUSY:
        return new DingTalkError(true, `DingTalk is busy (errcode ${reply.errcode}: ${errmsg})`, { status }, reply.errcode);
      default:
        return new DingTalkError(false, `DingTalk refused the message (errcode ${reply.errcode}: ${errmsg})`, { status }, reply.errcode);
    }
  }
  const retryAfterMs = parseRetryAfter(retryAfterHeader, nowMs);
  const opts = retryAfterMs === undefined ? { status } : { status, retryAfterMs };
  if (status === 429 || status >= 500) return new DingTalkError(true, `DingTalk answered HTTP ${status}: ${JSON.stringify(snippet())}`, opts);
  // Redirects are not followed (they would carry the token elsewhere) and count as a wrong URL.
  return new DingTalkError(false, `DingTalk answered HTTP ${status}: ${JSON.stringify(snippet())}`, { status });
}

function parseReply(body: string): { errcode: number; errmsg: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const rec = v as Record<string, unknown>;
  if (typeof rec.errcode !== "number") return undefined;
  return { errcode: rec.errcode, errmsg: typeof rec.errmsg === "string" ? rec.errmsg : "" };
}

/** Retry-After as seconds or an HTTP date. */
export function parseRetryAfter(v: string | undefined, nowMs: number): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Replaces the access token, the secret, the signature and anything that looks like those query
 * parameters with `<secret>`. Every reason and log line built from outside text passes through it.
 */
export function secretScrubber(url: string, secret: string | undefined, extra: readonly string[] = []): (s: string) => string {
  const literals = new Set<string>([url, ...extra]);
  const token = tokenOf(url);
  if (token) {
    literals.add(token);
    literals.add(encodeURIComponent(token));
  }
  if (secret !== undefined) {
    literals.add(secret);
    literals.add(encodeURIComponent(secret));
  }
  // Longest first, so a URL is replaced whole before the token inside it.
  const list = [...literals].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (s) => {
    let out = s;
    for (const lit of list) out = out.split(lit).join("<secret>");
    return out.replace(/\b(access_token|sign)=[^&\s"'<>]*/gi, "$1=<secret>");
  };
}

function tokenOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get("access_token") ?? undefined;
  } catch {
    return undefined;
  }
}

/** Names a robot in logs without its token: host, path and a short hash of the full URL. */
function robotLabel(url: string): string {
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 8);
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}#${hash}`;
  } catch {
    return `robot#${hash}`;
  }
}

function atTargets(c: DingTalkConfig): AtTargets {
  return { atMobiles: c.atMobiles, atUserIds: c.atUserIds, isAtAll: c.isAtAll };
}

/** What waits in a robot's queue: enough to write the notification's line in a digest. */
interface Queued {
  readonly title: string;
  readonly data: NotificationData;
  readonly config: DingTalkConfig;
  readonly deps: ChannelDeps;
}

/** The digest mentions everybody any of its notifications would have mentioned. */
function mergeAt(a: AtTargets, c: DingTalkConfig): AtTargets {
  const union = (x: readonly string[], y: readonly string[]) => [...new Set([...x, ...y])];
  return { atMobiles: union(a.atMobiles, c.atMobiles), atUserIds: union(a.atUserIds, c.atUserIds), isAtAll: a.isAtAll || c.isAtAll };
}

const NO_ONE: AtTargets = { atMobiles: [], atUserIds: [], isAtAll: false };
const DIGEST_ALERT_LINES = 10;
const DIGEST_SUMMARY_BYTES = 160;
const DIGEST_LABELS = 4;

export function digestTitle(n: number): string {
  return `[DIGEST] ${n} notification${n === 1 ? "" : "s"}`;
}

/** One line per alert: status, alertname, the labels that tell it apart from its group, and its summary. */
function digestAlertLine(a: NotifyAlert, groupLabels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(a.labels).filter((k) => k !== "alertname" && !(k in groupLabels)).sort();
  const shown = keys.slice(0, DIGEST_LABELS).map((k) => `${k}=${a.labels[k]}`);
  if (keys.length > DIGEST_LABELS) shown.push("…");
  const summary = a.annotations.summary ?? a.annotations.description ?? a.annotations.message;
  return `- ${a.status === "firing" ? "🔥" : "✅"} **${a.labels.alertname ?? ""}**` +
    (shown.length > 0 ? ` ${shown.join(" ")}` : "") +
    (summary ? ` — ${truncateToJsonBytes(summary.replace(/\s+/g, " "), DIGEST_SUMMARY_BYTES)}` : "");
}

export function digestEntry(i: number, title: string, data: NotificationData): string {
  const lines = data.alerts.slice(0, DIGEST_ALERT_LINES).map((a) => digestAlertLine(a, data.groupLabels));
  const more = data.alerts.length - DIGEST_ALERT_LINES;
  if (more > 0) lines.push(`- … and ${more} more alert${more === 1 ? "" : "s"}`);
  return `**${i}. ${title}**\n\n${lines.join("\n")}`;
}

function digestText(n: number, limit: number, entries: readonly string[], externalURL: string, at: AtTargets): string {
  const head = `### ${digestTitle(n)}\n\nThis robot may send ${limit} messages a minute; these notifications were held back and folded into one message.`;
  const foot = externalURL ? `\n\n[AlertPrism](${externalURL})` : "";
  return head + entries.map((e) => ALERT_SEPARATOR + e).join("") + foot + mentionSuffix(at);
}

/** Everything that belongs to one robot URL: its budget, its queue, and how to post to it. */
class Robot {
  readonly budget: RateBudget;
  readonly lane: DigestLane<Queued>;
  readonly label: string;

  constructor(readonly url: string, limit: number, private readonly clock: Clock) {
    this.budget = new RateBudget(clock, limit);
    this.label = robotLabel(url);
    this.lane = new DigestLane<Queued>({
      clock,
      budget: this.budget,
      fold: (items) => this.fold(items),
      isRateLimited: (err) => err instanceof DingTalkError && err.errcode === ERRCODE_SEND_TOO_FAST,
      abandoned: (why, retryAfterMs) => why === "stopped"
        ? new NotifyError(true, "DingTalk channel stopped before the rate-limited notification was sent", { retryAfterMs })
        : new NotifyError(true, `DingTalk rate budget (${this.budget.limit}/min) exhausted; the notification waited for a digest until its deadline`, { retryAfterMs }),
    });
  }

  /**
   * Posts one message. Signs with the clock's time per request (DingTalk rejects stale timestamps) and
   * never lets the URL, token, secret or signature into an error.
   */
  async post(body: MarkdownBody, secret: string | undefined, signal: AbortSignal, deps: ChannelDeps): Promise<void> {
    const ts = this.clock.now();
    const target = signedUrl(this.url, secret, ts);
    const sign = secret === undefined ? [] : [dingtalkSignature(secret, ts), encodeURIComponent(dingtalkSignature(secret, ts))];
    const scrub = secretScrubber(this.url, secret, [target, ...sign]);
    let res: HttpResult;
    try {
      res = await httpRequest(target, {
        method: "POST",
        // X-Request-Id and traceparent: which request led to this message (none for a digest sent later).
        headers: { "Content-Type": "application/json; charset=utf-8", "User-Agent": deps.userAgent, ...correlationHeaders() },
        body: Buffer.from(serializeBody(body), "utf8"),
        signal,
        ...(deps.firewall ? { agents: { http: deps.firewall.httpAgent, https: deps.firewall.httpsAgent } } : {}),
        maxRedirects: 0,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
    } catch (err) {
      throw transportError(err, signal, scrub);
    }
    annotateCurrentSpan({ "http.response.status_code": res.status });
    // A Retry-After date is measured against the response's own Date, so a skewed local clock cannot
    // stretch it past the flush deadline (or shrink it to nothing).
    const date = res.headers.date;
    const serverNow = date !== undefined ? Date.parse(date) : NaN;
    const e = classifyResponse(res.status, res.body, res.headers["retry-after"], Number.isNaN(serverNow) ? this.clock.now() : serverNow, scrub);
    if (e === undefined) return;
    if (e.errcode === ERRCODE_SEND_TOO_FAST) {
      // Our count disagrees with DingTalk's: hold everything for a window, and say when it frees.
      this.budget.saturate();
      throw new DingTalkError(true, e.reason, { status: e.opts.status, retryAfterMs: Math.max(SEND_TOO_FAST_RETRY_MS, this.budget.freeAt(1) - this.clock.now()) }, e.errcode);
    }
    throw e;
  }

  /**
   * One digest message from as many queued notifications as fit in a single message (never split: a digest
   * that took several slots would make the backlog worse). The rest wait for the next free slot.
   */
  private fold(items: readonly Queued[]): Fold {
    const first = items[0]!;
    const maxBytes = first.config.maxMessageBytes;
    const externalURL = first.data.externalURL;
    const limit = this.budget.limit;
    const entries: string[] = [];
    let entryCost = 0;
    let at = NO_ONE;
    for (const [i, item] of items.entries()) {
      const entry = digestEntry(i + 1, item.title, item.data);
      const nextAt = mergeAt(at, item.config);
      const n = i + 1;
      // Text cost is additive (see jsonStringBytes), so only the envelope is re-serialised per step.
      const fixed = bodyBytes(markdownBody(digestTitle(n), digestText(n, limit, [], externalURL, nextAt), nextAt));
      const cost = entryCost + jsonStringBytes(ALERT_SEPARATOR + entry);
      if (fixed + cost > maxBytes) break;
      entries.push(entry);
      entryCost = cost;
      at = nextAt;
    }
    if (entries.length === 0) {
      // Even one entry is too big (hundreds of alerts, a huge title): send it cut short rather than never.
      at = mergeAt(NO_ONE, first.config);
      const fixed = bodyBytes(markdownBody(digestTitle(1), digestText(1, limit, [], externalURL, at), at));
      entries.push(truncateToJsonBytes(digestEntry(1, first.title, first.data), maxBytes - fixed - jsonStringBytes(ALERT_SEPARATOR)));
    }
    const n = entries.length;
    const body = markdownBody(digestTitle(n), digestText(n, limit, entries, externalURL, at), at);
    return {
      count: n,
      send: async (signal) => {
        await this.post(body, first.config.secret, signal, first.deps);
        first.deps.log.info({ integration: "dingtalk", robot: this.label, notifications: n, stillQueued: this.lane.pending }, "DingTalk digest delivered");
      },
    };
  }
}

function transportError(err: unknown, signal: AbortSignal, scrub: (s: string) => string): NotifyError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (signal.aborted || code === "ABORT_ERR") return new NotifyError(true, "DingTalk request aborted (deadline passed or shutting down)");
  const refusal = findFirewallRefusal(err);
  if (refusal) return firewallNotifyError(refusal);
  const message = err instanceof Error ? err.message : String(err);
  // Only code and message, scrubbed: a message may still name the URL, token included.
  return new NotifyError(!isPermanentTransportCode(code), `DingTalk request failed: ${scrub(code ? `${code}: ${message}` : message)}`);
}

class DingTalkNotifier implements Notifier {
  readonly kind = "dingtalk";
  readonly sendResolved: boolean;

  constructor(
    readonly index: number,
    private readonly config: DingTalkConfig,
    private readonly robot: Robot,
    private readonly deps: ChannelDeps,
    private readonly log: Logger,
  ) {
    this.sendResolved = config.sendResolved;
  }

  /**
   * Sends directly while the robot's budget allows. Past it, the notification joins the robot's queue and
   * this call resolves only once a digest carrying it was delivered: the caller's outbox entry stays until
   * then, and if `req.signal` aborts first the call throws a retryable NotifyError so the outbox keeps it.
   */
  async notify(req: NotifyRequest): Promise<void> {
    if (req.signal.aborted) throw new NotifyError(true, "DingTalk notification not sent: deadline already passed");
    const { title, parts } = this.render(req.data);
    if (this.robot.lane.tryDirect(parts.length)) {
      // Parts go out in order; if one fails the retry resends them all, which is the lesser evil than gaps.
      for (const part of parts) await this.robot.post(part, this.config.secret, req.signal, this.deps);
      this.log.debug({ groupKey: req.groupKey, parts: parts.length }, "DingTalk message delivered");
      return;
    }
    // Warn once when a backlog starts; in a storm a warning per queued notification would drown the log.
    const queued = this.robot.lane.pending + 1;
    this.log[queued === 1 ? "warn" : "debug"]({ groupKey: req.groupKey, queued, limitPerMinute: this.robot.budget.limit },
      "DingTalk rate budget exhausted; notification will go out in the next digest");
    await this.robot.lane.enqueue({ title, data: req.data, config: this.config, deps: this.deps }, req.signal);
  }

  private render(data: NotificationData): { title: string; parts: MarkdownBody[] } {
    let title: string;
    let text: string;
    try {
      title = truncateToJsonBytes(this.deps.templater.render(this.config.title, data), TITLE_MAX_BYTES);
      text = this.deps.templater.render(this.config.text, data);
    } catch (err) {
      throw new NotifyError(false, `DingTalk template failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      return { title, parts: splitMarkdown(title, text, atTargets(this.config), this.config.maxMessageBytes) };
    } catch (err) {
      if (err instanceof MessageSizeError) throw new NotifyError(false, `DingTalk message cannot be split: ${err.message}`);
      throw err;
    }
  }
}

/**
 * Every robot the process talks to, keyed by webhook URL: each with its rate budget and digest queue,
 * shared by every config that names the same robot. Keep ONE instance for the life of the process (the
 * channel in config.ts does): a reload that forgot the budgets would let a fresh burst exceed the limit.
 */
export class DingTalkRobots {
  private readonly robots = new Map<string, Robot>();

  constructor(private readonly clock: Clock = new SystemClock()) {}

  notifier(config: DingTalkConfig, index: number, deps: ChannelDeps): Notifier {
    let robot = this.robots.get(config.webhookUrl);
    if (robot === undefined) {
      robot = new Robot(config.webhookUrl, config.messagesPerMinute, this.clock);
      this.robots.set(config.webhookUrl, robot);
    } else {
      // Last writer wins, so a reload can change the limit; the list schema keeps one file consistent.
      robot.budget.setLimit(config.messagesPerMinute);
    }
    const log = deps.log.child({ integration: "dingtalk", receiver: config.receiver, index, robot: robot.label });
    return new DingTalkNotifier(index, config, robot, deps, log);
  }

  /** Rejects queued notifications (retryable) and cancels digest timers; later notifiers start afresh. Idempotent. */
  stop(): void {
    for (const r of this.robots.values()) r.lane.stop();
    this.robots.clear();
  }
}
