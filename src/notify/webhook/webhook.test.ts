import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions } from "node:https";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { ConfigError } from "../../lib/errors.ts";
import { silentLogger } from "../../lib/log.ts";
import { parseApiTime, ZERO_TIME } from "../../types/time.ts";
import { GoTemplater } from "../templater.ts";
import type { ChannelDeps, Where } from "../channel.ts";
import { NotifyError, type NotificationData, type Notifier, type NotifyAlert } from "../notifier.ts";
import { webhookChannel } from "./config.ts";
import { buildWebhookPayload } from "./webhook.ts";
import { failingUpstream, sendInEveryFailureMode, type FailureMode } from "../../../test/helpers/failing-upstream.ts";
import { LeakScanner, secretsFromSettings } from "../../../test/helpers/secret-leaks.ts";

const dir = mkdtempSync(join(tmpdir(), "alertprism-webhook-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const where: Where = (path) => `am.yml (receivers[0].webhook_configs[0]${path.map((k) => `.${k}`).join("")})`;
const deps: ChannelDeps = { templater: new GoTemplater(), userAgent: "Alertmanager/0.25.0", log: silentLogger() };

function tmpFile(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// The captured Alertmanager 0.25 notification (alertmanager-compat.md §9), rebuilt from its own values.

const CAPTURED =
  '{"receiver":"default","status":"firing","alerts":[' +
  '{"status":"resolved","labels":{"alertname":"Disk","cluster":"eu","instance":"a"},"annotations":{},"startsAt":"2026-11-22T02:48:01.84855Z","endsAt":"2026-11-22T02:48:06.84855Z","generatorURL":"","fingerprint":"813362aa75759e0d"},' +
  '{"status":"firing","labels":{"alertname":"Disk","cluster":"eu","instance":"b"},"annotations":{},"startsAt":"2026-11-22T02:48:01.84855Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"813d62aa757df292"},' +
  '{"status":"firing","labels":{"alertname":"Disk","cluster":"eu","instance":"c"},"annotations":{},"startsAt":"2026-11-22T02:48:03.84855Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"813b62aa757d6fbb"}],' +
  '"groupLabels":{"alertname":"Disk","cluster":"eu"},"commonLabels":{"alertname":"Disk","cluster":"eu"},"commonAnnotations":{},' +
  '"externalURL":"http://vm:9095","version":"4","groupKey":"{}:{alertname=\\"Disk\\", cluster=\\"eu\\"}","truncatedAlerts":0}';
const CAPTURED_GROUP_KEY = '{}:{alertname="Disk", cluster="eu"}';

function alert(status: NotifyAlert["status"], labels: Record<string, string>, startsAt: string, endsAt: string | undefined, fingerprint: string): NotifyAlert {
  return { status, labels, annotations: {}, startsAt: parseApiTime(startsAt), endsAt: endsAt ? parseApiTime(endsAt) : ZERO_TIME, generatorURL: "", fingerprint };
}

function capturedData(externalURL = "http://vm:9095"): NotificationData {
  return {
    receiver: "default",
    status: "firing",
    alerts: [
      // Labels deliberately out of order: Go's encoder sorts map keys.
      alert("resolved", { instance: "a", cluster: "eu", alertname: "Disk" }, "2026-11-22T02:48:01.84855Z", "2026-11-22T02:48:06.84855Z", "813362aa75759e0d"),
      alert("firing", { alertname: "Disk", cluster: "eu", instance: "b" }, "2026-11-22T02:48:01.84855Z", undefined, "813d62aa757df292"),
      alert("firing", { alertname: "Disk", cluster: "eu", instance: "c" }, "2026-11-22T02:48:03.84855Z", undefined, "813b62aa757d6fbb"),
    ],
    groupLabels: { cluster: "eu", alertname: "Disk" },
    commonLabels: { alertname: "Disk", cluster: "eu" },
    commonAnnotations: {},
    externalURL,
  };
}

test("payload: byte for byte the notification Alertmanager 0.25 sent", () => {
  assert.equal(JSON.stringify(buildWebhookPayload(capturedData(), CAPTURED_GROUP_KEY, 0)), CAPTURED);
  assert.equal(
    JSON.stringify(buildWebhookPayload(capturedData("https://alertprism.example"), CAPTURED_GROUP_KEY, 0)),
    CAPTURED.replace('"http://vm:9095"', '"https://alertprism.example"'),
  );
});

test("payload: max_alerts keeps the first N, counts the rest, and describes only what is sent", () => {
  const db = (n: number, severity: string): NotifyAlert =>
    alert("firing", { alertname: "DBSlow", instance: `db${n}`, severity }, "2026-11-22T02:48:01Z", undefined, `f${n}`);
  const data: NotificationData = {
    receiver: "db",
    status: "firing",
    alerts: [db(1, "warning"), db(2, "warning"), db(3, "critical")],
    groupLabels: { alertname: "DBSlow" },
    commonLabels: { alertname: "DBSlow" },
    commonAnnotations: {},
    externalURL: "http://ap:9093",
  };
  const groupKey = '{}/{team=~"db|infra"}:{alertname="DBSlow"}';
  const p = buildWebhookPayload(data, groupKey, 2);
  assert.deepEqual(p.alerts.map((a) => a.labels.instance), ["db1", "db2"]);
  assert.equal(p.truncatedAlerts, 1);
  assert.equal(p.groupKey, groupKey);
  // Alertmanager truncates before building the template data.
  assert.deepEqual(p.commonLabels, { alertname: "DBSlow", severity: "warning" });
  assert.deepEqual(Object.keys(p), ["receiver", "status", "alerts", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "version", "groupKey", "truncatedAlerts"]);
  assert.equal(buildWebhookPayload(data, groupKey, 3).truncatedAlerts, 0);
  assert.equal(buildWebhookPayload(data, groupKey, 0).alerts.length, 3);

  const mixed: NotificationData = { ...data, alerts: [{ ...db(1, "x"), status: "resolved" }, db(2, "x")] };
  assert.equal(buildWebhookPayload(mixed, groupKey, 1).status, "resolved");
});

// ---------------------------------------------------------------------------------------------------------
// Config

function configError(raw: Record<string, unknown>, message: RegExp, at: string, global: Record<string, unknown> = {}): void {
  assert.throws(() => webhookChannel.parseConfig(raw, global, where), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, message);
    assert.equal(err.where, `am.yml (receivers[0].webhook_configs[0]${at})`);
    return true;
  });
}

test("config: Alertmanager's defaults", () => {
  assert.deepEqual(webhookChannel.parseConfig({ url: "http://127.0.0.1:5001/" }, {}, where), {
    url: "http://127.0.0.1:5001/", sendResolved: true, maxAlerts: 0,
    httpConfig: { tls: { insecureSkipVerify: false }, followRedirects: true, enableHttp2: true },
  });
  const c = webhookChannel.parseConfig({ url: "https://h/x", send_resolved: false, max_alerts: 5 }, { http_config: { bearer_token: "g" } }, where);
  assert.equal(c.sendResolved, false);
  assert.equal(c.maxAlerts, 5);
  assert.deepEqual(c.httpConfig.authorization, { type: "Bearer", credentials: "g" });
  const f = tmpFile("url", "http://127.0.0.1:1/\n");
  assert.equal(webhookChannel.parseConfig({ url_file: f }, {}, where).urlFile, f);
});

test("config: invalid entries name the key", () => {
  configError({}, /one of url or url_file must be configured/, "");
  configError({ url: "http://a/", url_file: "/x" }, /at most one of url & url_file/, ".url");
  configError({ url: "ftp://a/" }, /unsupported scheme "ftp"/, ".url");
  configError({ url: "not a url" }, /invalid URL/, ".url");
  configError({ url: "http://a/", max_alerts: -1 }, /must not be negative/, ".max_alerts");
  configError({ url: "http://a/", max_alerts: 1.5 }, /whole number/, ".max_alerts");
  configError({ url: "http://a/", sendresolved: true }, /sendresolved/, ".sendresolved");
  configError({ url: "http://a/", http_config: { basic_auth: { username: "u" }, bearer_token: "t" } }, /at most one of basic_auth/, ".http_config.basic_auth");
  configError({ url_file: join(dir, "nope") }, /ENOENT/, ".url_file");
});

// ---------------------------------------------------------------------------------------------------------
// Sending, against real local servers

interface Seen {
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

function recording(seen: Seen[], reply: Handler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => { body += c; });
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: req.headers, body });
      reply(req, res, body);
    });
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => { (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.(); server.close(); });
  return (server.address() as AddressInfo).port;
}

async function serve(reply: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const port = await listen(createServer(recording(seen, reply)));
  return { url: `http://127.0.0.1:${port}`, seen };
}

async function serveTls(opts: ServerOptions, reply: Handler): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const port = await listen(createHttpsServer(opts, recording(seen, reply)));
  return { port, seen };
}

function notifier(raw: Record<string, unknown>, global: Record<string, unknown> = {}): Notifier {
  return webhookChannel.create(webhookChannel.parseConfig(raw, global, where), 0, deps);
}

const send = (n: Notifier, data = capturedData()): Promise<void> =>
  n.notify({ data, groupKey: CAPTURED_GROUP_KEY, signal: new AbortController().signal });

async function sendError(n: Notifier): Promise<NotifyError> {
  try {
    await send(n);
  } catch (err) {
    assert.ok(err instanceof NotifyError, String(err));
    return err;
  }
  assert.fail("expected a NotifyError");
}

test("notifier: POSTs exactly Alertmanager's bytes with its headers", async () => {
  const srv = await serve((_req, res) => res.writeHead(200).end());
  const n = notifier({ url: `${srv.url}/alerts?x=1` });
  assert.equal(n.kind, "webhook");
  assert.equal(n.sendResolved, true);
  await send(n);
  const [seen] = srv.seen;
  assert.equal(seen!.url, "/alerts?x=1");
  // Go's json.Encoder ends with a newline.
  assert.equal(seen!.body, CAPTURED + "\n");
  assert.equal(seen!.headers["content-type"], "application/json");
  assert.equal(seen!.headers["user-agent"], "Alertmanager/0.25.0");
  assert.equal(seen!.headers.authorization, undefined);
});

test("notifier: url_file is read at send time", async () => {
  const srv = await serve((_req, res) => res.writeHead(200).end());
  const f = tmpFile("url2", `${srv.url}/first\n`);
  const n = notifier({ url_file: f });
  await send(n);
  writeFileSync(f, `${srv.url}/second`);
  await send(n);
  assert.deepEqual(srv.seen.map((s) => s.url), ["/first", "/second"]);
});

test("notifier: basic auth and bearer tokens arrive at the server", async () => {
  const srv = await serve((_req, res) => res.writeHead(200).end());
  await send(notifier({ url: srv.url, http_config: { basic_auth: { username: "am", password: "pa:ss" } } }));
  await send(notifier({ url: srv.url, http_config: { bearer_token: "tok123" } }));
  await send(notifier({ url: srv.url }, { http_config: { authorization: { credentials_file: tmpFile("cred", "fromfile\n") } } }));
  assert.deepEqual(srv.seen.map((s) => s.headers.authorization), [
    `Basic ${Buffer.from("am:pa:ss").toString("base64")}`,
    "Bearer tok123",
    "Bearer fromfile",
  ]);
});

test("notifier: classification of responses", async () => {
  const replies: Array<[number, Record<string, string>]> = [];
  const srv = await serve((_req, res) => {
    const [status, headers] = replies.shift()!;
    res.writeHead(status, headers).end(status >= 300 ? `status ${status}` : undefined);
  });
  const n = notifier({ url: srv.url });
  const outcome = async (status: number, headers: Record<string, string> = {}): Promise<NotifyError | "ok"> => {
    replies.push([status, headers]);
    try {
      await send(n);
      return "ok";
    } catch (err) {
      assert.ok(err instanceof NotifyError);
      return err;
    }
  };
  assert.equal(await outcome(200), "ok");
  assert.equal(await outcome(204), "ok");
  const limited = await outcome(429, { "Retry-After": "12" });
  assert.ok(limited !== "ok" && limited.retryable && limited.opts.retryAfterMs === 12_000 && limited.opts.status === 429);
  for (const status of [500, 503]) {
    const e = await outcome(status);
    assert.ok(e !== "ok" && e.retryable, String(status));
    assert.equal(e.reason, `webhook: unexpected status code ${status}: status ${status}`);
  }
  for (const status of [400, 404]) {
    const e = await outcome(status);
    assert.ok(e !== "ok" && !e.retryable && e.opts.status === status, String(status));
  }
});

/** A port nothing listens on: bound once, then released. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test("notifier: a refused connection is retryable", async () => {
  const e = await sendError(notifier({ url: `http://127.0.0.1:${await deadPort()}/hook` }));
  assert.equal(e.retryable, true);
  assert.match(e.reason, /ECONNREFUSED/);
});

test("notifier: no secret appears in any error reason, even when the server echoes the request", async () => {
  const echo: Handler = (req, res) => {
    res.writeHead(500).end(`POST ${req.url} from ${req.headers.host} with ${req.headers.authorization}; url=http://${req.headers.host}${req.url}`);
  };
  const srv = await serve(echo);
  const password = "pw-7c1d9e55";
  const token = "bt-51aa02ce";
  const pathToken = "XyZ987pathtoken";
  const reasons: string[] = [];
  for (const http_config of [{ basic_auth: { username: "am", password } }, { bearer_token: token }, { authorization: { credentials: token } }]) {
    const e = await sendError(notifier({ url: `${srv.url}/hooks/${pathToken}?key=${pathToken}`, http_config }));
    assert.equal(e.retryable, true);
    reasons.push(e.reason, e.message);
  }
  // A network failure too: nothing listens on the port any more.
  const e = await sendError(notifier({ url: `http://am:${password}@127.0.0.1:${await deadPort()}/hooks/${pathToken}`, http_config: { bearer_token: token } }));
  reasons.push(e.reason);
  assert.ok(srv.seen.length === 3 && srv.seen.every((s) => s.url.includes(pathToken)), "the secrets did reach the server");
  for (const r of reasons) {
    for (const secret of [password, token, pathToken, Buffer.from(`am:${password}`).toString("base64"), "/hooks/"]) {
      assert.ok(!r.includes(secret), `${JSON.stringify(secret)} leaked into ${JSON.stringify(r)}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// TLS with a throw-away CA made by openssl

interface Pki {
  caFile: string;
  serverKey: Buffer;
  serverCert: Buffer;
  ca: Buffer;
  clientCertFile: string;
  clientKeyFile: string;
}

let pki: Pki | undefined;

/** A CA, a server certificate for 127.0.0.1 and alertprism.test, and a client certificate, all signed by the CA. */
function makePki(): Pki {
  if (pki) return pki;
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=AlertPrism test CA");
  const leaf = (name: string, cn: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), ext);
    openssl("req", "-new", ...ec, "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`), "-subj", `/CN=${cn}`);
    openssl("x509", "-req", "-in", p(`${name}.csr`), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-set_serial", String(Date.now()),
      "-days", "2", "-out", p(`${name}.crt`), "-extfile", p(`${name}.ext`));
  };
  leaf("server", "alertprism.test", "subjectAltName=IP:127.0.0.1,DNS:alertprism.test\nextendedKeyUsage=serverAuth\n");
  leaf("client", "alertmanager", "extendedKeyUsage=clientAuth\n");
  pki = {
    caFile: p("ca.crt"), ca: readFileSync(p("ca.crt")),
    serverKey: readFileSync(p("server.key")), serverCert: readFileSync(p("server.crt")),
    clientCertFile: p("client.crt"), clientKeyFile: p("client.key"),
  };
  return pki;
}

const okReply: Handler = (_req, res) => res.writeHead(200).end();

test("TLS: a self-signed CA via ca_file, server_name checked, and insecure_skip_verify", async () => {
  const k = makePki();
  const srv = await serveTls({ key: k.serverKey, cert: k.serverCert }, okReply);
  const url = `https://127.0.0.1:${srv.port}/tls`;

  const untrusted = await sendError(notifier({ url }));
  // Not retried within the flush: another handshake meets the same certificate (the next flush tries again).
  assert.equal(untrusted.retryable, false);
  assert.match(untrusted.reason, /certificate/i);

  await send(notifier({ url, http_config: { tls_config: { ca_file: k.caFile } } }));
  await send(notifier({ url, http_config: { tls_config: { ca_file: k.caFile, server_name: "alertprism.test" } } }));
  const wrongName = await sendError(notifier({ url, http_config: { tls_config: { ca_file: k.caFile, server_name: "other.test" } } }));
  assert.match(wrongName.reason, /altnames|other\.test/);
  await send(notifier({ url, http_config: { tls_config: { insecure_skip_verify: true } } }));
  assert.equal(srv.seen.length, 3);
  assert.equal(srv.seen[0]!.body, CAPTURED + "\n");
});

test("TLS: a client certificate from cert_file and key_file", async () => {
  const k = makePki();
  const srv = await serveTls({ key: k.serverKey, cert: k.serverCert, ca: k.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const socket = req.socket as TLSSocket;
    res.writeHead(200).end(socket.getPeerCertificate().subject?.CN ?? "");
  });
  const url = `https://127.0.0.1:${srv.port}/mtls`;
  const without = await sendError(notifier({ url, http_config: { tls_config: { ca_file: k.caFile } } }));
  // The server refuses the handshake: a tls_config problem, not retried within the flush.
  assert.equal(without.retryable, false);
  await send(notifier({ url, http_config: { tls_config: { ca_file: k.caFile, cert_file: k.clientCertFile, key_file: k.clientKeyFile } } }));
  assert.equal(srv.seen.length, 1);
});

test("leak check: 5xx, 4xx, 429, a hang and a refused connection leave no configured secret in errors or logs", async () => {
  const upstream = await failingUpstream();
  after(() => upstream.close());
  const raw = (mode: FailureMode) => ({
    url: `${upstream.base(mode)}/hooks/whk7f3e2a91c0?sig=qsSig5566aa`,
    http_config: { basic_auth: { username: "am", password: "basicPw8812xyz" } },
  });
  const scanner = new LeakScanner(secretsFromSettings(raw("server-error"), ["webhook_configs", 0]));
  const d = { ...deps, log: scanner.logger() };
  const errors = await sendInEveryFailureMode((mode) => webhookChannel.create(webhookChannel.parseConfig(raw(mode), {}, where), 0, d), scanner);
  assert.equal(errors.get("client-error")!.retryable, false);
  assert.equal(errors.get("server-error")!.retryable, true);
  scanner.check();
});
