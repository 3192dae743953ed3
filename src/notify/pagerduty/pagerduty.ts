import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { ChannelDeps } from "../channel.ts";
import { NotifyError } from "../notifier.ts";
import { findFirewallRefusal, firewallNotifyError } from "../firewall.ts";
import type { NotificationData, Notifier, NotifyRequest, Templater } from "../notifier.ts";
import type { Logger } from "../../lib/log.ts";
import { Secret } from "../secret.ts";
import { isPermanentTransportCode } from "../transport-errors.ts";
import type { TlsSettings } from "../tls-config.ts";
import { annotateCurrentSpan, correlationHeaders } from "../../lib/tracing.ts";

export { Secret };
export type { TlsSettings };

/**
 * PagerDuty Events API v2, as Alertmanager 0.25's pagerduty integration speaks it.
 *
 * The event is built by a pure function (table-tested) and posted with Node's own http/https client rather
 * than @pagerduty/pdjs: pdjs's `event()` can only reach `https://<server>/v2/enqueue` (no other scheme or
 * path, so neither a configured `url` nor a plain-HTTP test double), it re-sends a 429 three times with a
 * 20 s sleep in between (only notify/retry.ts may retry or sleep), and it loses the status code of any
 * non-JSON reply such as a proxy's 502 page.
 */

/** What PagerDuty accepts in `payload.severity`. */
export const PAGERDUTY_SEVERITIES = ["critical", "error", "warning", "info"] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

export function isPagerDutySeverity(s: string): s is PagerDutySeverity {
  return (PAGERDUTY_SEVERITIES as readonly string[]).includes(s);
}

/** PagerDuty refuses events over 512 KB; Alertmanager counts that as 512 000 bytes, and so do we. */
export const MAX_EVENT_BYTES = 512_000;
/** PagerDuty's limit on payload.summary, in characters (Alertmanager truncates by runes). */
export const MAX_SUMMARY_RUNES = 1024;



export interface PagerDutyImage {
  readonly src: string;
  readonly alt: string;
  readonly href: string;
}

export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

/** One pagerduty_configs entry after validation, defaults and global fallbacks (camelCase domain form). */
export interface PagerDutyConfig {
  readonly sendResolved: boolean;
  /** Exactly one of routingKey and routingKeyFile is set. */
  readonly routingKey?: Secret;
  /** Read at every send (trimmed, as Alertmanager does), so a rotated key needs no reload. */
  readonly routingKeyFile?: string;
  readonly url: string;
  readonly client: string;
  readonly clientUrl: string;
  readonly description: string;
  readonly details: Readonly<Record<string, string>>;
  readonly images: readonly PagerDutyImage[];
  readonly links: readonly PagerDutyLink[];
  readonly source: string;
  /** Unset means: the group's common `severity` label when PagerDuty accepts it, else "error". */
  readonly severity?: string;
  readonly class?: string;
  readonly component?: string;
  readonly group?: string;
  readonly http: {
    readonly tls?: TlsSettings;
    readonly followRedirects: boolean;
  };
}

/** The Events API v2 body, keys in the order Alertmanager's Go structs encode them. */
export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly dedup_key: string;
  readonly event_action: "trigger" | "resolve";
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: string;
    readonly class?: string;
    readonly component?: string;
    readonly group?: string;
    readonly custom_details?: Readonly<Record<string, string>>;
  };
  readonly client?: string;
  readonly client_url?: string;
  readonly images?: ReadonlyArray<{ readonly src: string; readonly alt: string; readonly href: string }>;
  readonly links?: ReadonlyArray<{ readonly href: string; readonly text: string }>;
}

/** SHA-256 hex of the group key: stable per group and always 64 chars, under PagerDuty's 255-char limit. */
export function dedupKey(groupKey: string): string {
  return createHash("sha256").update(groupKey).digest("hex");
}

/** Alertmanager's notify.Truncate: counts runes (code points), and marks a cut with "…". */
export function truncateRunes(s: string, max: number): string {
  const runes = Array.from(s);
  if (runes.length <= max) return s;
  if (max <= 3) return runes.slice(0, max).join("");
  return runes.slice(0, max - 1).join("") + "…";
}

/**
 * Severity when none is configured. Alertmanager always falls back to "error"; AlertPrism first looks at the
 * group's common `severity` label (critical|error|warning|info, any case), because most Prometheus rules
 * already carry one and paging on "error" for a `severity: info` alert is the usual complaint. A configured
 * severity always wins, and a label PagerDuty would reject (e.g. "page") falls back to "error".
 */
export function resolveSeverity(configured: string | undefined, data: NotificationData, templater: Templater): string {
  if (configured !== undefined) return templater.render(configured, data);
  const label = data.commonLabels.severity?.toLowerCase();
  return label !== undefined && isPagerDutySeverity(label) ? label : "error";
}

/**
 * Builds the Events API v2 event for one notification. Pure: the routing key is passed in already resolved
 * (read from routing_key_file by the notifier), and every text field goes through the templater.
 */
export function buildPagerDutyEvent(
  cfg: PagerDutyConfig & { readonly routingKey: Secret },
  data: NotificationData,
  groupKey: string,
  templater: Templater,
): PagerDutyEvent {
  const tmpl = (text: string) => templater.render(text, data);
  const optional = (text: string | undefined) => {
    // Go's omitempty: an empty class/component/group/client is left out rather than sent as "".
    const v = text === undefined ? "" : tmpl(text);
    return v === "" ? undefined : v;
  };

  const details: Record<string, string> = {};
  for (const key of Object.keys(cfg.details).sort()) details[key] = tmpl(cfg.details[key]!);

  // PagerDuty needs a src (an href for links); like Alertmanager, entries that render empty are dropped rather
  // than failing the event. alt/href/text are always sent, even empty, as Alertmanager's structs do.
  const images = cfg.images.map((i) => ({ src: tmpl(i.src), alt: tmpl(i.alt), href: tmpl(i.href) })).filter((i) => i.src !== "");
  const links = cfg.links.map((l) => ({ href: tmpl(l.href), text: tmpl(l.text) })).filter((l) => l.href !== "");

  const payload: PagerDutyEvent["payload"] = {
    summary: truncateRunes(tmpl(cfg.description), MAX_SUMMARY_RUNES),
    source: tmpl(cfg.source),
    severity: resolveSeverity(cfg.severity, data, templater),
    ...withOptional("class", optional(cfg.class)),
    ...withOptional("component", optional(cfg.component)),
    ...withOptional("group", optional(cfg.group)),
    ...(Object.keys(details).length > 0 ? { custom_details: details } : {}),
  };
  return {
    routing_key: cfg.routingKey.reveal(),
    dedup_key: dedupKey(groupKey),
    event_action: data.status === "firing" ? "trigger" : "resolve",
    payload,
    ...withOptional("client", optional(cfg.client)),
    ...withOptional("client_url", optional(cfg.clientUrl)),
    ...(images.length > 0 ? { images } : {}),
    ...(links.length > 0 ? { links } : {}),
  };
}

function withOptional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export interface EncodedEvent {
  readonly body: string;
  /** Set when custom_details had to go: the size in bytes of the event as first encoded. */
  readonly originalBytes?: number;
}

/**
 * JSON-encodes the event within PagerDuty's size limit. Like Alertmanager, an oversized event loses its
 * custom_details (the per-alert listings, which is what grows) in favour of a note saying so, rather than
 * being refused by PagerDuty with a 400 that no retry can fix. An event still too big without them is
 * refused here, not sent.
 */
export function encodePagerDutyEvent(event: PagerDutyEvent, maxBytes = MAX_EVENT_BYTES): EncodedEvent {
  const body = goJson(event);
  const bytes = Buffer.byteLength(body);
  if (bytes <= maxBytes) return { body };
  const note = `Custom details have been removed because the original event (${bytes} bytes) exceeds PagerDuty's maximum event size of ${maxBytes} bytes`;
  const smaller = goJson({ ...event, payload: { ...event.payload, custom_details: { error: note } } });
  const smallerBytes = Buffer.byteLength(smaller);
  if (smallerBytes > maxBytes) {
    throw new NotifyError(false, `event is ${smallerBytes} bytes even without custom_details, over PagerDuty's limit of ${maxBytes} bytes`);
  }
  return { body: smaller, originalBytes: bytes };
}

/**
 * JSON as Go's encoding/json writes it: <, > and & (and U+2028/U+2029) escaped as \uXXXX. Same meaning to
 * PagerDuty, but the body and its size match Alertmanager's, which differential tests compare. The characters
 * can only occur inside JSON strings, so replacing them everywhere is safe.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Replaces each secret in text that comes from outside (server replies). A short secret is only replaced as a
 * whole token: scrubbing every "p" of a one-letter password would garble the text and, worse, show where it is.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 8) out = out.split(s).join("<secret>");
    else if (s.length > 0) out = out.replace(new RegExp(`(?<![A-Za-z0-9])${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9])`, "g"), "<secret>");
  }
  return out;
}

interface HttpReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Only the start of an error body is kept: enough for PagerDuty's `errors`, bounded for a misbehaving peer. */
const MAX_ERROR_BODY = 64 * 1024;
const MAX_REDIRECTS = 10;

/**
 * Classifies PagerDuty's answer: 2xx delivered (it sends 202); 429 and 5xx worth retrying, with Retry-After
 * passed on; any other status is a rejection no retry will change. The reason quotes PagerDuty's `message`
 * and `errors`, with the routing key scrubbed in case a reply ever echoes it.
 */
export function classifyPagerDutyReply(status: number, body: string, retryAfter: string | undefined, secrets: readonly string[], nowMs = Date.now()): NotifyError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const detail = redact(describeBody(body), secrets);
  const suffix = detail === "" ? "" : `: ${detail}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return new NotifyError(true, `PagerDuty is rate-limiting events (429)${suffix}`, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status >= 500) return new NotifyError(true, `PagerDuty failed to accept the event (${status})${suffix}`, { status });
  return new NotifyError(false, `PagerDuty rejected the event (${status})${suffix}`, { status });
}

/** PagerDuty's error bodies look like {"status":"invalid event","message":"Event object is invalid","errors":["…"]}. */
function describeBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed === "") return "";
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      const o = parsed as Record<string, unknown>;
      const parts: string[] = [];
      if (typeof o.message === "string") parts.push(o.message);
      else if (typeof o.status === "string") parts.push(o.status);
      if (Array.isArray(o.errors)) parts.push(o.errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join("; "));
      if (parts.length > 0) return parts.join(": ");
    }
  } catch {
    // Not JSON (a proxy's error page, say): quote its start below.
  }
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The URL without credentials, path or query, for error text: those can carry tokens. */
function origin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function tlsOptions(t: TlsSettings | undefined): https.RequestOptions {
  if (!t) return {};
  // Files are read per request, like Alertmanager, so rotated certificates are picked up without a reload.
  return {
    ...(t.caFile !== undefined ? { ca: readFileSync(t.caFile) } : {}),
    ...(t.certFile !== undefined ? { cert: readFileSync(t.certFile) } : {}),
    ...(t.keyFile !== undefined ? { key: readFileSync(t.keyFile) } : {}),
    ...(t.serverName !== undefined ? { servername: t.serverName } : {}),
    ...(t.minVersion !== undefined ? { minVersion: t.minVersion } : {}),
    rejectUnauthorized: !t.insecureSkipVerify,
  };
}

/** One POST, following 307/308 when allowed (the only redirects that keep the method and body). */
/** Agents per scheme; given when the receiver firewall is on, so every hop's address is checked. */
interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

async function postJson(start: URL, body: string, opts: { userAgent: string; tls?: TlsSettings; followRedirects: boolean; signal: AbortSignal; agents?: Agents }): Promise<HttpReply> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const reply = await postOnce(url, body, opts);
    const location = reply.headers.location;
    if ((reply.status === 307 || reply.status === 308) && opts.followRedirects && location !== undefined && hop < MAX_REDIRECTS) {
      url = new URL(location, url);
      continue;
    }
    if (reply.status >= 300 && reply.status < 400) {
      throw new NotifyError(false, `${origin(url)} answered with a redirect (${reply.status}) that was not followed`, { status: reply.status });
    }
    return reply;
  }
}

function postOnce(url: URL, body: string, opts: { userAgent: string; tls?: TlsSettings; signal: AbortSignal; agents?: Agents }): Promise<HttpReply> {
  return new Promise<HttpReply>((resolve, reject) => {
    let tls: https.RequestOptions;
    try {
      tls = url.protocol === "https:" ? tlsOptions(opts.tls) : {};
    } catch (err) {
      reject(new NotifyError(false, `cannot read a tls_config file: ${(err as NodeJS.ErrnoException).code ?? "error"}`));
      return;
    }
    const request = url.protocol === "https:" ? https.request : http.request;
    const req = request(url, {
      method: "POST",
      // X-Request-Id and traceparent: which request led to this notification, which attempt sends it.
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "User-Agent": opts.userAgent, ...correlationHeaders() },
      signal: opts.signal,
      ...(opts.agents ? { agent: url.protocol === "https:" ? opts.agents.https : opts.agents.http } : {}),
      ...tls,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      annotateCurrentSpan({ "http.response.status_code": res.statusCode ?? 0 });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_ERROR_BODY) }));
      res.on("error", (err) => reject(transportError(url, err, opts.signal)));
    });
    req.on("error", (err) => reject(transportError(url, err, opts.signal)));
    req.end(body);
  });
}

/** OpenSSL/Node verification codes: the peer's certificate is not trusted, and will not be on a retry. */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * Network trouble is worth retrying; an abort means the flush deadline passed, which retry.ts also knows.
 * A certificate that fails verification is a configuration problem (tls_config), so it is not retried.
 */
function transportError(url: URL, err: Error, signal: AbortSignal): NotifyError {
  const refusal = findFirewallRefusal(err);
  if (refusal) return firewallNotifyError(refusal);
  if (signal.aborted) return new NotifyError(true, `request to ${origin(url)} aborted: the flush deadline passed`);
  const code = (err as NodeJS.ErrnoException).code;
  // Node's messages name the address and the failure (ECONNREFUSED 127.0.0.1:443), never the body.
  const reason = `request to ${origin(url)} failed: ${code !== undefined && !err.message.includes(code) ? `${code} ` : ""}${err.message}`;
  // A failed handshake (EPROTO: https:// to a plain-HTTP port) is a configuration problem too.
  return new NotifyError(!((code !== undefined && CERTIFICATE_ERROR.test(code)) || isPermanentTransportCode(code)), reason);
}

export class PagerDutyNotifier implements Notifier {
  readonly kind = "pagerduty";
  readonly sendResolved: boolean;
  readonly #cfg: PagerDutyConfig;
  readonly #deps: ChannelDeps;
  readonly #log: Logger;
  readonly #url: URL;
  readonly #agents: Agents | undefined;

  constructor(cfg: PagerDutyConfig, readonly index: number, deps: ChannelDeps) {
    this.#cfg = cfg;
    this.#agents = deps.firewall ? { http: deps.firewall.httpAgent, https: deps.firewall.httpsAgent } : undefined;
    this.#deps = deps;
    this.sendResolved = cfg.sendResolved;
    this.#url = new URL(cfg.url);
    this.#log = deps.log.child({ integration: "pagerduty", index });
  }

  async notify(req: NotifyRequest): Promise<void> {
    const routingKey = await this.#routingKey();
    const secrets = [routingKey.reveal()];
    let event: PagerDutyEvent;
    try {
      event = buildPagerDutyEvent({ ...this.#cfg, routingKey }, req.data, req.groupKey, this.#deps.templater);
    } catch (err) {
      throw new NotifyError(false, `cannot build the PagerDuty event: ${redact(err instanceof Error ? err.message : String(err), secrets)}`);
    }
    const { body, originalBytes } = encodePagerDutyEvent(event);
    if (originalBytes !== undefined) {
      this.#log.warn({ groupKey: req.groupKey, originalBytes, maxBytes: MAX_EVENT_BYTES }, "custom_details removed: the PagerDuty event exceeded the size limit");
    }
    const reply = await postJson(this.#url, body, {
      userAgent: this.#deps.userAgent,
      ...(this.#cfg.http.tls ? { tls: this.#cfg.http.tls } : {}),
      followRedirects: this.#cfg.http.followRedirects,
      signal: req.signal,
      ...(this.#agents ? { agents: this.#agents } : {}),
    });
    const retryAfter = reply.headers["retry-after"];
    const failure = classifyPagerDutyReply(reply.status, reply.body, typeof retryAfter === "string" ? retryAfter : undefined, secrets);
    if (failure) throw failure;
    this.#log.debug({ groupKey: req.groupKey, status: reply.status, action: event.event_action }, "PagerDuty accepted the event");
  }

  async #routingKey(): Promise<Secret> {
    if (this.#cfg.routingKey) return this.#cfg.routingKey;
    const file = this.#cfg.routingKeyFile!;
    let content: string;
    try {
      content = await readFile(file, "utf8");
    } catch (err) {
      throw new NotifyError(false, `cannot read routing_key_file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    const key = content.trim();
    if (key === "") throw new NotifyError(false, `routing_key_file ${file} is empty`);
    return new Secret(key);
  }
}
