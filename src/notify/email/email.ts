import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import addressparser from "nodemailer/lib/addressparser";
import type MailComposer from "nodemailer/lib/mail-composer";
import type SMTPConnection from "nodemailer/lib/smtp-connection";
import type {
  SMTPConnectionAuth, SMTPConnectionCustomAuthContext, SMTPConnectionCustomAuthHandlers, SMTPConnectionOptions, SMTPConnectionSendInfo,
} from "nodemailer/lib/smtp-connection";
import type { ChannelDeps } from "../channel.ts";
import { NotifyError } from "../notifier.ts";
import type { NotificationData, Notifier, NotifyRequest, Templater } from "../notifier.ts";
import type { Logger } from "../../lib/log.ts";
import { Secret } from "../secret.ts";
import type { TlsSettings } from "../tls-config.ts";

export { Secret };
export type { TlsSettings };

/**
 * Alertmanager 0.25's email integration over SMTP, driven through nodemailer's SMTPConnection (not its
 * transport) so that this file decides what Alertmanager decides: implicit TLS on port 465, STARTTLS only when
 * require_tls, which SASL mechanism gets which credential, and whether a failure is worth a retry. The
 * message itself is composed by nodemailer's MailComposer (MIME, encoded words, Date, Message-ID).
 */



/** One email_configs entry after validation, defaults and global fallbacks. */
export interface EmailConfig {
  readonly sendResolved: boolean;
  /** Template text; rendered, then parsed as a comma-separated address list for RCPT TO. */
  readonly to: string;
  /** Template text; rendered, then parsed as one address for MAIL FROM. */
  readonly from: string;
  readonly smarthost: { readonly host: string; readonly port: number };
  readonly hello: string;
  readonly authUsername?: string;
  /** At most one of authPassword and authPasswordFile; the file is read at every send, like Alertmanager. */
  readonly authPassword?: Secret;
  readonly authPasswordFile?: string;
  /** The CRAM-MD5 shared secret (Alertmanager keeps it apart from the PLAIN/LOGIN password). */
  readonly authSecret?: Secret;
  readonly authIdentity?: string;
  readonly requireTls: boolean;
  readonly tls: TlsSettings;
  /** Canonical MIME keys (Go's textproto form); always holds From, To and Subject. Values are template text. */
  readonly headers: Readonly<Record<string, string>>;
  /** Template text; an empty string sends no HTML part. */
  readonly html: string;
  /** Template text; unset sends the HTML part only, set sends multipart/alternative. */
  readonly text?: string;
}

/** What the notifier sends, after templating: the SMTP envelope and the message content. */
export interface RenderedEmail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly headers: Readonly<Record<string, string>>;
  readonly html?: string;
  readonly text?: string;
}

/**
 * Addresses out of an RFC 5322 list ("Ops <ops@x>, b@y"), groups flattened; undefined when the list is empty
 * or any entry is not a mailbox, so a typo is reported instead of silently dropping a recipient.
 */
export function parseAddressList(list: string): string[] | undefined {
  const addresses = addressparser(list, { flatten: true }).map((a) => a.address);
  return addresses.length > 0 && addresses.every((a) => /^[^@\s]+@[^@\s]+$/.test(a)) ? addresses : undefined;
}

/**
 * Renders every template field. The envelope comes from `to`/`from`, not from the headers: as in
 * Alertmanager, a custom To header changes what the reader sees, not who receives the message.
 */
export function renderEmail(cfg: EmailConfig, data: NotificationData, templater: Templater): RenderedEmail {
  const tmpl = (text: string) => templater.render(text, data);
  const to = parseAddressList(tmpl(cfg.to));
  if (!to) throw new NotifyError(false, "the rendered to field is not a list of email addresses");
  const from = parseAddressList(tmpl(cfg.from));
  if (from?.length !== 1) throw new NotifyError(false, "the rendered from field is not exactly one email address");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.headers)) headers[k] = tmpl(v);
  return {
    envelope: { from: from[0]!, to },
    headers,
    ...(cfg.html !== "" ? { html: tmpl(cfg.html) } : {}),
    ...(cfg.text !== undefined && cfg.text !== "" ? { text: tmpl(cfg.text) } : {}),
  };
}

interface SmtpModules {
  readonly MailComposer: typeof MailComposer;
  readonly SMTPConnection: typeof SMTPConnection;
}

let smtpModules: Promise<SmtpModules> | undefined;

/**
 * nodemailer's composer and SMTP client, loaded at the first email: a process without email receivers
 * does not carry them (several MiB of resident memory). A failed load is retried at the next email.
 */
function loadSmtpModules(): Promise<SmtpModules> {
  smtpModules ??= Promise.all([import("nodemailer/lib/mail-composer"), import("nodemailer/lib/smtp-connection")]).then(
    ([composer, connection]) => ({ MailComposer: composer.default, SMTPConnection: connection.default }),
    (err: unknown) => {
      smtpModules = undefined;
      throw err;
    },
  );
  return smtpModules;
}

/** The MIME message: HTML alone as text/html, or text + HTML as multipart/alternative. */
export async function composeEmail(email: RenderedEmail): Promise<Buffer> {
  const { MailComposer } = await loadSmtpModules();
  return new MailComposer({
    // MailComposer formats address headers, encodes non-ASCII values as encoded words and folds CR/LF in
    // templated values into spaces, so a label value cannot inject a header.
    headers: { ...email.headers },
    ...(email.html !== undefined ? { html: email.html } : {}),
    ...(email.text !== undefined ? { text: email.text } : {}),
    // Quoted-printable like Alertmanager's parts, so the HTML stays readable in a raw message.
    textEncoding: "quoted-printable",
  }).compile().build();
}

/** The connection plan: implicit TLS on 465; otherwise STARTTLS if and only if require_tls (as Alertmanager). */
export function smtpConnectionOptions(cfg: EmailConfig): SMTPConnectionOptions {
  const implicitTls = cfg.smarthost.port === 465;
  const t = cfg.tls;
  const servername = t.serverName ?? (isIP(cfg.smarthost.host) === 0 ? cfg.smarthost.host : undefined);
  return {
    host: cfg.smarthost.host,
    port: cfg.smarthost.port,
    secure: implicitTls,
    // Without require_tls Alertmanager never sends STARTTLS, even when offered; an internal relay with a
    // certificate nobody can verify is the usual reason for require_tls: false, so opportunistic TLS would
    // turn a working setup into a failing one.
    requireTLS: cfg.requireTls && !implicitTls,
    ignoreTLS: !cfg.requireTls,
    name: cfg.hello,
    ...(servername !== undefined ? { servername } : {}),
    tls: {
      // Files are read per connection, so rotated certificates are picked up without a reload.
      ...(t.caFile !== undefined ? { ca: readFileSync(t.caFile) } : {}),
      ...(t.certFile !== undefined ? { cert: readFileSync(t.certFile) } : {}),
      ...(t.keyFile !== undefined ? { key: readFileSync(t.keyFile) } : {}),
      ...(servername !== undefined ? { servername } : {}),
      ...(t.minVersion !== undefined ? { minVersion: t.minVersion } : {}),
      rejectUnauthorized: !t.insecureSkipVerify,
    },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
  };
}

interface Credentials {
  readonly auth: SMTPConnectionAuth;
  readonly customAuth: SMTPConnectionCustomAuthHandlers;
  /** Every form in which a credential could travel, for scrubbing error text. */
  readonly secrets: readonly string[];
}

/**
 * Which SASL mechanism gets which credential, as in Alertmanager: PLAIN and LOGIN use the password (PLAIN
 * with auth_identity as authorization identity), CRAM-MD5 uses auth_secret. With a password, nodemailer picks
 * PLAIN, then LOGIN, then CRAM-MD5 among what the server offers; with only a secret, CRAM-MD5 it is.
 */
export function smtpCredentials(cfg: EmailConfig, password: string | undefined): Credentials | undefined {
  const user = cfg.authUsername;
  if (user === undefined || user === "") return undefined;
  const secret = cfg.authSecret?.reveal();
  const customAuth: SMTPConnectionCustomAuthHandlers = {};
  const identity = cfg.authIdentity ?? "";
  if (password !== undefined && identity !== "") {
    // nodemailer always sends an empty authorization identity; Alertmanager sends auth_identity.
    customAuth.PLAIN = async (ctx: SMTPConnectionCustomAuthContext) => {
      const reply = await ctx.sendCommand(`AUTH PLAIN ${Buffer.from(`${identity}\0${user}\0${password}`, "utf8").toString("base64")}`);
      if (reply.status === 235) ctx.resolve();
      else ctx.reject(new Error("Invalid login"));
    };
  }
  if (secret !== undefined) {
    // nodemailer's CRAM-MD5 keys the HMAC with the password; Alertmanager keys it with auth_secret.
    customAuth["CRAM-MD5"] = async (ctx: SMTPConnectionCustomAuthContext) => {
      const challenge = await ctx.sendCommand("AUTH CRAM-MD5");
      if (challenge.status !== 334) return ctx.reject(new Error("Invalid login sequence while waiting for the CRAM-MD5 challenge"));
      const digest = createHmac("md5", secret).update(Buffer.from(challenge.text.trim(), "base64")).digest("hex");
      const reply = await ctx.sendCommand(Buffer.from(`${user} ${digest}`, "utf8").toString("base64"));
      if (reply.status === 235) ctx.resolve();
      else ctx.reject(new Error("Invalid login"));
    };
  }
  const secrets = [password, secret].filter((s): s is string => s !== undefined && s !== "");
  const encoded = secrets.flatMap((s) => [
    Buffer.from(s, "utf8").toString("base64"),
    Buffer.from(`\0${user}\0${s}`, "utf8").toString("base64"),
    Buffer.from(`${identity}\0${user}\0${s}`, "utf8").toString("base64"),
  ]);
  if (password !== undefined) return { auth: { user, pass: password }, customAuth, secrets: [...secrets, ...encoded] };
  if (secret !== undefined) return { auth: { user, method: "CRAM-MD5" }, customAuth, secrets: [...secrets, ...encoded] };
  return undefined;
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

/** The SMTP steps worth naming in a reason; anything else (a raw AUTH continuation line) is not quoted. */
const NAMED_COMMANDS = /^(CONN|EHLO|HELO|STARTTLS|AUTH [A-Z0-9-]+|MAIL FROM|RCPT TO|DATA)$/;
/** Node/OpenSSL verification failures; retrying cannot make an untrusted certificate trusted. */
const CERTIFICATE_ERROR = /certificate|self[- ]signed|altnames|CERT_|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/i;

interface SmtpFailure extends Error {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
}

/**
 * Classifies a failed SMTP session. A server reply decides by its class (RFC 5321): 4yz transient →
 * retryable, 5yz permanent → not. Connection trouble is retryable; a refused login without a reply, a
 * certificate that does not verify, and a server without STARTTLS when require_tls is set are not.
 * The reason carries the server's reply, never a command line (AUTH lines carry credentials).
 */
export function classifySmtpError(err: unknown, secrets: readonly string[]): NotifyError {
  if (err instanceof NotifyError) return err;
  const e: SmtpFailure = err instanceof Error ? err : new Error(String(err));
  const command = e.command !== undefined && NAMED_COMMANDS.test(e.command) ? e.command : undefined;
  const reply = e.response?.trim();
  const rc = e.responseCode;
  const scrub = (s: string) => redact(s, secrets);
  if (e.code === "ETLS" && command === "STARTTLS" && rc !== undefined && rc >= 500) {
    return new NotifyError(false, scrub(`require_tls is true but the server does not advertise STARTTLS (it answered STARTTLS with "${reply}")`), { status: rc });
  }
  if (rc !== undefined && rc > 0 && reply !== undefined) {
    const step = command !== undefined ? ` to ${command}` : "";
    return new NotifyError(rc < 500, scrub(`SMTP server answered${step}: ${reply}`), { status: rc });
  }
  const detail = scrub(e.message);
  if (e.code === "EAUTH") return new NotifyError(false, `SMTP authentication failed: ${detail}`);
  if (CERTIFICATE_ERROR.test(e.originalCode ?? "") || ((e.code === "ETLS" || e.code === "ESOCKET") && CERTIFICATE_ERROR.test(e.message))) {
    return new NotifyError(false, `TLS with the SMTP server failed: ${detail}`);
  }
  const code = e.originalCode ?? e.code;
  const what = command === undefined || command === "CONN" ? "connection" : command;
  return new NotifyError(true, `SMTP ${what} failed${code !== undefined && !detail.includes(code) ? ` (${code})` : ""}: ${detail}`);
}

const aborted = () => new NotifyError(true, "SMTP session aborted: the flush deadline passed");

/**
 * One SMTP session: connect (TLS as planned), log in if the server offers AUTH and credentials are set, send,
 * QUIT. Errors arrive either through a step's callback or as an 'error'/'end' event; whichever comes first
 * settles the step. Abort closes the socket at once.
 */
async function deliver(options: SMTPConnectionOptions, credentials: Credentials | undefined, email: RenderedEmail, message: Buffer, signal: AbortSignal, log: Logger): Promise<SMTPConnectionSendInfo> {
  const { SMTPConnection } = await loadSmtpModules();
  if (signal.aborted) throw aborted();
  const conn = new SMTPConnection({ ...options, ...(credentials ? { customAuth: credentials.customAuth } : {}) });
  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  // Kept for the connection's whole life: an 'error' event without a listener would crash the process.
  conn.on("error", (err: Error) => fail(err));
  conn.once("end", () => fail(Object.assign(new Error("connection closed by the SMTP server"), { code: "ECONNECTION" })));
  const onAbort = () => {
    fail(aborted());
    conn.close();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const step = <T>(run: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> =>
    Promise.race([new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T)))), failed]);

  let sent = false;
  try {
    await step<void>((done) => conn.connect((err) => done(err)));
    if (credentials) {
      if (conn.allowsAuth) await step<boolean>((done) => conn.login(credentials.auth, done));
      // Alertmanager, too, goes on without authenticating when the server does not offer AUTH.
      else log.debug("SMTP server does not offer AUTH; sending without authentication");
    }
    const info = await step<SMTPConnectionSendInfo>((done) => conn.send({ from: email.envelope.from, to: [...email.envelope.to] }, message, done));
    sent = true;
    conn.quit();
    return info;
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!sent) conn.close();
  }
}

export class EmailNotifier implements Notifier {
  readonly kind = "email";
  readonly sendResolved: boolean;
  readonly #cfg: EmailConfig;
  readonly #deps: ChannelDeps;
  readonly #log: Logger;

  constructor(cfg: EmailConfig, readonly index: number, deps: ChannelDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.sendResolved = cfg.sendResolved;
    this.#log = deps.log.child({ integration: "email", index });
  }

  async notify(req: NotifyRequest): Promise<void> {
    const password = this.#password();
    const credentials = smtpCredentials(this.#cfg, password);
    const secrets = credentials?.secrets ?? [];
    let email: RenderedEmail;
    let message: Buffer;
    let options: SMTPConnectionOptions;
    try {
      email = renderEmail(this.#cfg, req.data, this.#deps.templater);
      message = await composeEmail(email);
    } catch (err) {
      if (err instanceof NotifyError) throw err;
      throw new NotifyError(false, `cannot build the email: ${redact(err instanceof Error ? err.message : String(err), secrets)}`);
    }
    try {
      options = smtpConnectionOptions(this.#cfg);
    } catch (err) {
      throw new NotifyError(false, `cannot read a tls_config file: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    let info: SMTPConnectionSendInfo;
    try {
      info = await deliver(options, credentials, email, message, req.signal, this.#log);
    } catch (err) {
      throw classifySmtpError(err, secrets);
    }
    if (info.rejected.length > 0) {
      // The accepted recipients have the message; failing now would make retry.ts send it to them again.
      this.#log.warn({ groupKey: req.groupKey, rejected: info.rejected, accepted: info.accepted.length }, "SMTP server refused some recipients");
    }
    this.#log.debug({ groupKey: req.groupKey, recipients: info.accepted.length, bytes: info.messageSize }, "email sent");
  }

  #password(): string | undefined {
    if (this.#cfg.authPassword) return this.#cfg.authPassword.reveal();
    const file = this.#cfg.authPasswordFile;
    if (file === undefined) return undefined;
    try {
      // Read at every send, like Alertmanager, so a rotated password needs no reload. One trailing line break
      // goes: `echo secret > file` and editors add it, and it is never part of the password.
      return readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new NotifyError(false, `cannot read auth_password_file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
}
