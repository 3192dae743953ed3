import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import type { SMTPServerOptions, SMTPServerSession } from "smtp-server";
import { ConfigError } from "../../lib/errors.ts";
import { GoTemplater } from "../templater.ts";
import type { ChannelDeps, Where } from "../channel.ts";
import { NotifyError } from "../notifier.ts";
import type { NotificationData } from "../notifier.ts";
import { ZERO_TIME } from "../../types/time.ts";
import { canonicalHeaderKey, emailChannel, parseEmailConfig, parseSmarthost } from "./config.ts";
import { classifySmtpError, parseAddressList, redact, renderEmail, smtpConnectionOptions } from "./email.ts";
import type { EmailConfig } from "./email.ts";
import { LeakScanner, secretsFromSettings } from "../../../test/helpers/secret-leaks.ts";

const PASSWORD = "hunter2-Pa55w0rd-SECRET";
const CRAM_SECRET = "cram-md5-shared-SECRET";
const where: Where = (path) => `alertmanager.yml (receivers[0].email_configs[0]${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")})`;
const templater = new GoTemplater();

function data(status: "firing" | "resolved" = "firing"): NotificationData {
  const labels = { alertname: "HighLatency", severity: "critical", job: "api" };
  return {
    receiver: "ops",
    status,
    alerts: [{
      status,
      labels,
      annotations: { summary: "p99 <above> 1s" },
      startsAt: { ms: Date.UTC(2024, 0, 2, 3, 4, 5), subMsNanos: 0, offsetMinutes: 0 },
      endsAt: ZERO_TIME,
      generatorURL: "http://prometheus:9090/graph?g0.expr=up",
      fingerprint: "0123456789abcdef",
    }],
    groupLabels: { alertname: "HighLatency" },
    commonLabels: labels,
    commonAnnotations: { summary: "p99 <above> 1s" },
    externalURL: "http://alertprism:9093",
  };
}

function parse(raw: Record<string, unknown>, global: Record<string, unknown> = {}): EmailConfig {
  return parseEmailConfig(raw, global, where);
}

function captureDeps(): { deps: ChannelDeps; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
  return { deps: { templater, userAgent: "Alertmanager/0.25.0", log }, lines };
}

function request(signal = new AbortController().signal) {
  return { data: data(), groupKey: '{}:{alertname="HighLatency"}', signal };
}

async function notifyError(p: Promise<unknown>): Promise<NotifyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof NotifyError, `expected NotifyError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the send to fail");
}

function assertNoSecret(text: string | undefined): void {
  for (const s of [PASSWORD, CRAM_SECRET, Buffer.from(PASSWORD).toString("base64")]) assert.ok(!text?.includes(s), `secret leaked into: ${text}`);
}

// ── a tiny MIME reader, enough to check what arrived ──

interface Part {
  headers: Map<string, string>;
  body: string;
}

function parsePart(raw: string): Part {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(split + 4) };
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r\n/g, "");
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "=" && /^[0-9A-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function decodedBody(p: Part): string {
  return p.headers.get("content-transfer-encoding") === "quoted-printable" ? decodeQuotedPrintable(p.body) : p.body;
}

function multipartParts(p: Part): Part[] {
  const boundary = /boundary="?([^";]+)"?/.exec(p.headers.get("content-type") ?? "")?.[1];
  assert.ok(boundary, "multipart without boundary");
  return p.body.split(`--${boundary}`).slice(1, -1).map((chunk) => parsePart(chunk.replace(/^\r\n/, "")));
}

// ── a real SMTP server on 127.0.0.1 ──

interface Delivered {
  from: string;
  to: string[];
  message: Part;
  secure: boolean;
  hello: string;
  user: unknown;
}

async function smtpServer(options: SMTPServerOptions = {}) {
  const delivered: Delivered[] = [];
  const server = new SMTPServer({
    logger: false,
    // A reverse DNS lookup of 127.0.0.1 per session costs ~100 ms and tests nothing here.
    disableReverseLookup: true,
    authOptional: true,
    allowInsecureAuth: true,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const mailFrom = session.envelope.mailFrom;
        delivered.push({
          from: mailFrom ? mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          message: parsePart(Buffer.concat(chunks).toString("utf8")),
          secure: session.secure,
          hello: session.hostNameAppearsAs,
          user: session.user,
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return { delivered, port, smarthost: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const users = {
  onAuth: ((auth, _session, callback) => {
    const ok = auth.method === "CRAM-MD5" ? auth.validatePassword(CRAM_SECRET) : auth.password === PASSWORD;
    if (auth.username === "alerts" && ok) callback(null, { user: { method: auth.method, authzid: auth.authzid ?? "" } });
    else callback(new Error("Authentication credentials invalid"));
  }) satisfies SMTPServerOptions["onAuth"],
};

describe("email config", () => {
  test("fills Alertmanager's defaults and the global smtp_* fallbacks", () => {
    const cfg = parse({ to: "ops@example.com" }, {
      smtp_from: "alertprism@example.com", smtp_smarthost: "mail.example.com:587", smtp_hello: "alertprism.local",
      smtp_auth_username: "alerts", smtp_auth_password: PASSWORD, smtp_auth_identity: "id", smtp_require_tls: false,
    });
    assert.equal(cfg.from, "alertprism@example.com");
    assert.deepEqual(cfg.smarthost, { host: "mail.example.com", port: 587 });
    assert.equal(cfg.hello, "alertprism.local");
    assert.equal(cfg.authUsername, "alerts");
    assert.equal(cfg.authPassword?.reveal(), PASSWORD);
    assert.equal(cfg.authIdentity, "id");
    assert.equal(cfg.requireTls, false);
    assert.equal(cfg.sendResolved, false);
    assert.equal(cfg.html, '{{ template "email.default.html" . }}');
    assert.equal(cfg.text, undefined);
    assert.deepEqual(cfg.headers, { From: "alertprism@example.com", To: "ops@example.com", Subject: '{{ template "email.default.subject" . }}' });
    const bare = parse({ to: "ops@example.com", from: "a@example.com", smarthost: "[::1]:25" });
    assert.equal(bare.hello, "localhost");
    assert.equal(bare.requireTls, true);
    assert.deepEqual(bare.smarthost, { host: "::1", port: 25 });
    assert.deepEqual(bare.tls, { insecureSkipVerify: false });
  });

  test("header keys are canonicalised; configured headers replace the defaults", () => {
    const cfg = parse({ to: "ops@example.com", from: "a@example.com", smarthost: "h:25", headers: { "x-team": "sre", subject: "Alert!", "X-PRIORITY": 1 } });
    assert.deepEqual(cfg.headers, { "X-Team": "sre", Subject: "Alert!", "X-Priority": "1", From: "a@example.com", To: "ops@example.com" });
    assert.equal(canonicalHeaderKey("content-TYPE"), "Content-Type");
    assert.equal(canonicalHeaderKey("bad key"), "bad key");
  });

  test("the password never shows when the config is printed or serialised", () => {
    const cfg = parse({ to: "o@x.org", from: "a@x.org", smarthost: "h:25", auth_username: "alerts", auth_password: PASSWORD, auth_secret: CRAM_SECRET });
    assertNoSecret(JSON.stringify(cfg));
    assertNoSecret(`${String(cfg.authPassword)} ${String(cfg.authSecret)}`);
  });

  test("smarthost and address parsing", () => {
    assert.equal(parseSmarthost("mail.example.com"), undefined);
    assert.equal(parseSmarthost("mail:0"), undefined);
    assert.equal(parseSmarthost("::1:25"), undefined);
    assert.deepEqual(parseAddressList('"Ops, Team" <ops@example.com>, b@example.org'), ["ops@example.com", "b@example.org"]);
    assert.equal(parseAddressList("ops@example.com, not an address"), undefined);
    assert.equal(parseAddressList(""), undefined);
  });

  const base = { to: "ops@example.com", from: "a@example.com", smarthost: "mail:25", auth_username: "alerts", auth_password: PASSWORD };
  const rejects: Array<[string, Record<string, unknown>, RegExp, string, Record<string, unknown>?]> = [
    ["no to", { ...base, to: undefined }, /missing to address/, "[0])"],
    ["no from anywhere", { ...base, from: undefined }, /missing from address/, "[0])"],
    ["no smarthost anywhere", { ...base, smarthost: undefined }, /missing smarthost/, "[0])"],
    ["smarthost without port", { ...base, smarthost: "mail.example.com" }, /smarthost must be host:port/, ".smarthost)"],
    ["unknown key", { ...base, subject: "x" }, /unknown field "subject"/, ".subject)"],
    ["unknown tls key", { ...base, tls_config: { verify: false } }, /unknown field "verify"/, ".tls_config.verify)"],
    ["duplicate header", { ...base, headers: { Subject: "a", subject: "b" } }, /duplicate header "Subject"/, ".headers.subject)"],
    ["password and password file", { ...base, auth_password_file: "/etc/hostname" }, /at most one of auth_password & auth_password_file/, ".auth_password_file)"],
    ["username without credentials", { ...base, auth_password: undefined }, /auth_username is set but none of/, ".auth_username)"],
    ["broken template", { ...base, html: "{{ .CommonLabels.alertname " }, /template: .*unclosed action/, ".html)"],
    ["bad to address", { ...base, to: "ops@example.com, oncall" }, /to must be a comma-separated list/, ".to)"],
    ["two from addresses", { ...base, from: "a@x.org, b@x.org" }, /from must hold exactly one/, ".from)"],
    ["unreadable ca_file", { ...base, tls_config: { ca_file: "/nonexistent/ca.pem" } }, /cannot read tls_config.ca_file \/nonexistent\/ca.pem: ENOENT/, ".tls_config.ca_file)"],
    ["wrong type", { ...base, require_tls: "yes" }, /expected boolean/, ".require_tls)"],
  ];
  for (const [name, raw, message, at, global] of rejects) {
    test(`rejects at load: ${name}`, () => {
      const clean = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
      assert.throws(() => parse(clean, global), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        assert.ok(err.where?.endsWith(at), `where ${err.where} should end with ${at}`);
        assertNoSecret(err.message);
        return true;
      });
    });
  }

  test("connection plan: 465 is implicit TLS; STARTTLS only with require_tls", () => {
    const plan = (raw: Record<string, unknown>) => smtpConnectionOptions(parse({ to: "o@x.org", from: "a@x.org", ...raw }));
    const smtps = plan({ smarthost: "mail.example.com:465" });
    assert.equal(smtps.secure, true);
    assert.equal(smtps.requireTLS, false);
    assert.equal(smtps.servername, "mail.example.com");
    const submission = plan({ smarthost: "mail.example.com:587" });
    assert.deepEqual([submission.secure, submission.requireTLS, submission.ignoreTLS], [false, true, false]);
    const relay = plan({ smarthost: "10.0.0.1:25", require_tls: false, hello: "ap.local" });
    assert.deepEqual([relay.secure, relay.requireTLS, relay.ignoreTLS, relay.name, relay.servername], [false, false, true, "ap.local", undefined]);
    const skip = plan({ smarthost: "10.0.0.1:25", tls_config: { insecure_skip_verify: true, server_name: "mx", min_version: "TLS12" } });
    assert.equal(skip.tls?.rejectUnauthorized, false);
    assert.equal(skip.tls?.servername, "mx");
    assert.equal(skip.tls?.minVersion, "TLSv1.2");
  });

  test("the channel object builds an email notifier", () => {
    const n = emailChannel.create(parse({ to: "o@x.org", from: "a@x.org", smarthost: "h:25", send_resolved: true }), 1, captureDeps().deps);
    assert.deepEqual([emailChannel.kind, n.kind, n.index, n.sendResolved], ["email", "email", 1, true]);
  });
});

describe("email rendering and error classification", () => {
  test("the envelope comes from to/from, not from a custom To header", () => {
    const cfg = parse({ to: "a@x.org, B <b@y.org>", from: "Prism <ap@x.org>", smarthost: "h:25", headers: { To: "list@x.org" } });
    const email = renderEmail(cfg, data(), templater);
    assert.deepEqual(email.envelope, { from: "ap@x.org", to: ["a@x.org", "b@y.org"] });
    assert.equal(email.headers.To, "list@x.org");
    assert.equal(email.headers.Subject, "[FIRING:1] HighLatency (api critical)");
    assert.equal(email.text, undefined);
    assert.match(email.html ?? "", /p99 &lt;above&gt; 1s/);
  });

  const table: Array<[string, Record<string, unknown>, boolean, RegExp, number?]> = [
    ["4xx reply", { code: "EMESSAGE", command: "DATA", response: "451 4.3.0 try later", responseCode: 451 }, true, /answered to DATA: 451 4.3.0 try later/, 451],
    ["5xx reply", { code: "EENVELOPE", command: "RCPT TO", response: "550 5.1.1 no such user", responseCode: 550 }, false, /550 5.1.1 no such user/, 550],
    ["auth refused", { code: "EAUTH", command: "AUTH PLAIN", response: "535 5.7.8 bad credentials", responseCode: 535 }, false, /AUTH PLAIN: 535/, 535],
    ["auth without reply", { code: "EAUTH", command: "API", message: "Missing credentials" }, false, /authentication failed/],
    ["STARTTLS refused", { code: "ETLS", command: "STARTTLS", response: "502 5.5.2 command not recognized", responseCode: 502 }, false, /require_tls is true but the server does not advertise STARTTLS/, 502],
    ["STARTTLS busy", { code: "ETLS", command: "STARTTLS", response: "454 4.7.0 TLS not available", responseCode: 454 }, true, /454/, 454],
    ["untrusted certificate", { code: "ETLS", command: "STARTTLS", message: "Error initiating TLS - self-signed certificate" }, false, /TLS .* failed/],
    ["connection refused", { code: "ESOCKET", originalCode: "ECONNREFUSED", command: "CONN", message: "connect ECONNREFUSED 127.0.0.1:25" }, true, /ECONNREFUSED/],
    ["timeout", { code: "ETIMEDOUT", command: "CONN", message: "Greeting never received" }, true, /ETIMEDOUT/],
    ["a reply echoing the password", { code: "EAUTH", command: "AUTH LOGIN", response: `535 ${PASSWORD} rejected`, responseCode: 535 }, false, /535 <secret> rejected/, 535],
  ];
  test("a short password is scrubbed as a whole token only, so the text stays readable", () => {
    assert.equal(redact("535 Authentication not implemented for p", ["p"]), "535 Authentication not implemented for <secret>");
    assert.equal(redact(`user ${PASSWORD}x`, [PASSWORD]), "user <secret>x");
  });

  for (const [name, fields, retryable, reason, status] of table) {
    test(`classify: ${name} → ${retryable ? "retryable" : "not retryable"}`, () => {
      const err = classifySmtpError(Object.assign(new Error(String(fields.message ?? "failed")), fields), [PASSWORD]);
      assert.equal(err.retryable, retryable);
      assert.match(err.reason, reason);
      assert.equal(err.opts.status, status);
      assertNoSecret(err.reason);
    });
  }
});

// Each test runs its own server on its own port, and smtp-server holds every greeting for 100 ms (early-talker
// detection), so the sessions run concurrently.
describe("email notifier against a real SMTP server", { concurrency: true }, () => {
  test("delivers HTML only by default: From, To, Subject, custom headers, envelope, EHLO name; no STARTTLS without require_tls", async () => {
    const smtp = await smtpServer();
    try {
      const { deps, lines } = captureDeps();
      const cfg = parse({
        to: '"On Call" <oncall@example.com>, sre@example.org', from: "AlertPrism <alertprism@example.com>", smarthost: smtp.smarthost,
        hello: "alertprism.test", require_tls: false, headers: { "X-Team": "sre", "Reply-To": "noc@example.com" },
      });
      await emailChannel.create(cfg, 0, deps).notify(request());
      assert.equal(smtp.delivered.length, 1);
      const d = smtp.delivered[0]!;
      assert.equal(d.from, "alertprism@example.com");
      assert.deepEqual(d.to, ["oncall@example.com", "sre@example.org"]);
      assert.equal(d.hello, "alertprism.test");
      assert.equal(d.secure, false, "Alertmanager sends no STARTTLS when require_tls is false");
      const h = d.message.headers;
      assert.equal(h.get("from"), "AlertPrism <alertprism@example.com>");
      assert.equal(h.get("to"), "On Call <oncall@example.com>, sre@example.org");
      assert.equal(h.get("subject"), "[FIRING:1] HighLatency (api critical)");
      assert.equal(h.get("x-team"), "sre");
      assert.equal(h.get("reply-to"), "noc@example.com");
      assert.ok(h.get("message-id") && h.get("date"));
      assert.match(h.get("content-type") ?? "", /^text\/html; charset=utf-8/);
      const html = decodedBody(d.message);
      assert.match(html, /<title>\[FIRING:1\] HighLatency \(api critical\)<\/title>/);
      assert.match(html, /summary = p99 &lt;above&gt; 1s/);
      assert.ok(lines.some((l) => l.includes("email sent")));
    } finally {
      await smtp.close();
    }
  });

  test("with text configured: multipart/alternative with a text and an HTML part", async () => {
    const smtp = await smtpServer();
    try {
      const cfg = parse({ to: "o@example.com", from: "a@example.com", smarthost: smtp.smarthost, require_tls: false, text: '{{ template "email.default.text" . }}' });
      await emailChannel.create(cfg, 0, captureDeps().deps).notify(request());
      const msg = smtp.delivered[0]!.message;
      assert.match(msg.headers.get("content-type") ?? "", /^multipart\/alternative/);
      const parts = multipartParts(msg);
      assert.deepEqual(parts.map((p) => (p.headers.get("content-type") ?? "").split(";")[0]), ["text/plain", "text/html"]);
      // SMTP carries CRLF line ends; the template's LFs arrive as CRLF.
      const text = decodedBody(parts[0]!).replace(/\r\n/g, "\n");
      assert.ok(text.startsWith("[FIRING:1] HighLatency (api critical)\n\nFiring:\nLabels:\n - alertname = HighLatency\n"), text);
      assert.match(decodedBody(parts[1]!), /<!DOCTYPE html>/);
    } finally {
      await smtp.close();
    }
  });

  describe("authentication", { concurrency: true }, () => {
    const authServer = (authMethods: string[]) => smtpServer({ authMethods, authOptional: false, ...users });

    test("PLAIN with the password from auth_password_file; auth_identity sent as authorization identity", async () => {
      const dir = mkdtempSync(join(tmpdir(), "smtp-pass-"));
      const smtp = await authServer(["PLAIN"]);
      try {
        writeFileSync(join(dir, "password"), `${PASSWORD}\n`);
        const cfg = parse({ to: "o@example.com", from: "a@example.com", smarthost: smtp.smarthost, require_tls: false, auth_username: "alerts", auth_password_file: join(dir, "password") });
        await emailChannel.create(cfg, 0, captureDeps().deps).notify(request());
        const withIdentity = parse({ to: "o@example.com", from: "a@example.com", smarthost: smtp.smarthost, require_tls: false, auth_username: "alerts", auth_password: PASSWORD, auth_identity: "alerts" });
        await emailChannel.create(withIdentity, 0, captureDeps().deps).notify(request());
        assert.deepEqual(smtp.delivered.map((d) => d.user), [{ method: "PLAIN", authzid: "" }, { method: "PLAIN", authzid: "alerts" }]);
      } finally {
        await smtp.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("LOGIN, and CRAM-MD5 keyed with auth_secret", async () => {
      const login = await authServer(["LOGIN"]);
      const cram = await authServer(["CRAM-MD5"]);
      try {
        const cfg = (smarthost: string, extra: Record<string, unknown>) => parse({ to: "o@example.com", from: "a@example.com", smarthost, require_tls: false, auth_username: "alerts", ...extra });
        await emailChannel.create(cfg(login.smarthost, { auth_password: PASSWORD }), 0, captureDeps().deps).notify(request());
        await emailChannel.create(cfg(cram.smarthost, { auth_secret: CRAM_SECRET }), 0, captureDeps().deps).notify(request());
        // With both set, CRAM-MD5 still uses the secret, not the password (Alertmanager's split).
        await emailChannel.create(cfg(cram.smarthost, { auth_password: PASSWORD, auth_secret: CRAM_SECRET }), 0, captureDeps().deps).notify(request());
        assert.deepEqual(login.delivered.map((d) => (d.user as { method: string }).method), ["LOGIN"]);
        assert.deepEqual(cram.delivered.map((d) => (d.user as { method: string }).method), ["CRAM-MD5", "CRAM-MD5"]);
      } finally {
        await Promise.all([login.close(), cram.close()]);
      }
    });

    for (const method of ["PLAIN", "LOGIN"]) {
      test(`${method} with the wrong password: not retryable, and no password in the reason or logs`, async () => {
        const smtp = await authServer([method]);
        try {
          const wrong = `${PASSWORD}-wrong`;
          const { deps, lines } = captureDeps();
          const cfg = parse({ to: "o@example.com", from: "a@example.com", smarthost: smtp.smarthost, require_tls: false, auth_username: "alerts", auth_password: wrong });
          const err = await notifyError(emailChannel.create(cfg, 0, deps).notify(request()));
          assert.equal(err.retryable, false);
          assert.equal(err.opts.status, 535);
          assert.match(err.reason, /535/);
          for (const text of [err.reason, err.message, err.stack, ...lines]) {
            assertNoSecret(text);
            assert.ok(!text?.includes(wrong) && !text?.includes(Buffer.from(wrong).toString("base64")));
          }
          assert.equal(smtp.delivered.length, 0);
        } finally {
          await smtp.close();
        }
      });
    }
  });

  describe("TLS", { concurrency: true }, () => {
    let dir = "";
    let key: Buffer;
    let cert: Buffer;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "smtp-tls-"));
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
        "-addext", "subjectAltName=DNS:localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
      key = readFileSync(join(dir, "key.pem"));
      cert = readFileSync(join(dir, "cert.pem"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test("STARTTLS with a self-signed certificate: insecure_skip_verify, or ca_file + server_name; otherwise refused", async () => {
      const smtp = await smtpServer({ key, cert, authMethods: ["PLAIN"], allowInsecureAuth: false, ...users });
      try {
        const cfg = (tls: Record<string, unknown> | undefined) => parse({
          to: "o@example.com", from: "a@example.com", smarthost: smtp.smarthost, auth_username: "alerts", auth_password: PASSWORD, ...(tls ? { tls_config: tls } : {}),
        });
        await emailChannel.create(cfg({ insecure_skip_verify: true }), 0, captureDeps().deps).notify(request());
        await emailChannel.create(cfg({ ca_file: join(dir, "cert.pem"), server_name: "localhost" }), 0, captureDeps().deps).notify(request());
        assert.deepEqual(smtp.delivered.map((d) => d.secure), [true, true]);
        const err = await notifyError(emailChannel.create(cfg(undefined), 0, captureDeps().deps).notify(request()));
        assert.equal(err.retryable, false);
        assert.match(err.reason, /certificate/);
        assertNoSecret(err.reason);
        assert.equal(smtp.delivered.length, 2);
      } finally {
        await smtp.close();
      }
    });

    test("require_tls against a server without STARTTLS: not retryable, nothing sent in the clear", async () => {
      let authTried = false;
      const smtp = await smtpServer({ disabledCommands: ["STARTTLS"], onAuth: (_a, _s, cb) => { authTried = true; cb(new Error("no")); } });
      try {
        const cfg = parse({ to: "o@example.com", from: "a@example.com", smarthost: smtp.smarthost, auth_username: "alerts", auth_password: PASSWORD });
        const err = await notifyError(emailChannel.create(cfg, 0, captureDeps().deps).notify(request()));
        assert.equal(err.retryable, false);
        assert.match(err.reason, /^require_tls is true but the server does not advertise STARTTLS/);
        assert.equal(authTried, false);
        assert.equal(smtp.delivered.length, 0);
      } finally {
        await smtp.close();
      }
    });
  });

  describe("SMTP replies", { concurrency: true }, () => {
    const cfgFor = (smarthost: string, to = "o@example.com") => parse({ to, from: "a@example.com", smarthost, require_tls: false });
    const reply = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

    test("451 at DATA is retryable", async () => {
      const smtp = await smtpServer({ onData: (stream, _s, cb) => { stream.resume(); stream.on("end", () => cb(reply(451, "4.3.0 Temporary failure, try again"))); } });
      try {
        const err = await notifyError(emailChannel.create(cfgFor(smtp.smarthost), 0, captureDeps().deps).notify(request()));
        assert.equal(err.retryable, true);
        assert.equal(err.opts.status, 451);
        assert.match(err.reason, /451 4.3.0 Temporary failure/);
      } finally {
        await smtp.close();
      }
    });

    test("550 for every recipient is not retryable", async () => {
      const smtp = await smtpServer({ onRcptTo: (_a, _s, cb) => cb(reply(550, "5.1.1 Mailbox unavailable")) });
      try {
        const err = await notifyError(emailChannel.create(cfgFor(smtp.smarthost), 0, captureDeps().deps).notify(request()));
        assert.equal(err.retryable, false);
        assert.equal(err.opts.status, 550);
        assert.match(err.reason, /550 5.1.1 Mailbox unavailable/);
      } finally {
        await smtp.close();
      }
    });

    test("550 for one of two recipients: delivered to the other, refusal logged, no retry", async () => {
      const smtp = await smtpServer({ onRcptTo: (a, _s, cb) => cb(a.address === "gone@example.com" ? reply(550, "5.1.1 Mailbox unavailable") : null) });
      try {
        const { deps, lines } = captureDeps();
        await emailChannel.create(cfgFor(smtp.smarthost, "o@example.com, gone@example.com"), 0, deps).notify(request());
        assert.deepEqual(smtp.delivered.map((d) => d.to), [["o@example.com"]]);
        assert.ok(lines.some((l) => l.includes("refused some recipients") && l.includes("gone@example.com")));
      } finally {
        await smtp.close();
      }
    });

    test("connection refused is retryable", async () => {
      const smtp = await smtpServer();
      const smarthost = smtp.smarthost;
      await smtp.close();
      const err = await notifyError(emailChannel.create(cfgFor(smarthost), 0, captureDeps().deps).notify(request()));
      assert.equal(err.retryable, true);
      assert.match(err.reason, /ECONNREFUSED/);
    });

    test("an aborted flush closes a session that hangs, retryable", async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((s) => void sockets.add(s)); // accepts, never greets
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      try {
        const ac = new AbortController();
        const { port } = silent.address() as AddressInfo;
        const pending = emailChannel.create(cfgFor(`127.0.0.1:${port}`), 0, captureDeps().deps).notify(request(ac.signal));
        setTimeout(() => ac.abort(), 30);
        const err = await notifyError(pending);
        assert.equal(err.retryable, true);
        assert.match(err.reason, /aborted/);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
});

test("leak check: a login refused with the password quoted back, a rejected message and a refused connection leave no password in errors or logs", async () => {
  const password = "smtpPass4411zz";
  const quoting = await smtpServer({
    disabledCommands: ["STARTTLS"],
    onAuth: (auth, _session, cb) => cb(new Error(`credentials ${auth.username}/${auth.password ?? ""} rejected`)),
  });
  const rejecting = await smtpServer({
    disabledCommands: ["STARTTLS"],
    onAuth: (_auth, _session, cb) => cb(null, { user: "alerts" }),
    onData: (stream, _session, cb) => {
      stream.resume();
      stream.on("end", () => cb(Object.assign(new Error(`554 message refused for alerts:${password}`), { responseCode: 554 })));
    },
  });
  const dead = net.createServer();
  await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  try {
    const raw = (smarthost: string) => ({ to: "ops@example.org", from: "am@example.org", smarthost, require_tls: false, auth_username: "alerts", auth_password: password });
    const scanner = new LeakScanner(secretsFromSettings(raw(quoting.smarthost), ["email_configs", 0]));
    const deps: ChannelDeps = { templater, userAgent: "Alertmanager/0.25.0", log: scanner.logger() };
    for (const [name, smarthost] of [["auth refused", quoting.smarthost], ["data refused", rejecting.smarthost], ["connection refused", `127.0.0.1:${deadPort}`]] as const) {
      const e = await notifyError(emailChannel.create(parse(raw(smarthost)), 0, deps).notify(request()));
      scanner.add(`${name}: error reason`, e.reason);
      scanner.add(`${name}: error message`, e.message);
    }
    scanner.check();
  } finally {
    await Promise.all([quoting.close(), rejecting.close()]);
  }
});
