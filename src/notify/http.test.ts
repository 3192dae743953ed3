import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../lib/errors.ts";
import type { Where } from "./channel.ts";
import {
  classifyResponse, createHttpClient, DEFAULT_HTTP_CONFIG, encodeGoJson, integrationHttpConfig, parseHttpConfig,
  parseRetryAfter, redactUrl, type HttpResponse,
} from "./http.ts";
import { NotifyError } from "./notifier.ts";

const dir = mkdtempSync(join(tmpdir(), "alertprism-http-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tmpFile(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const where: Where = (path) => `am.yml (${path.join(".")})`;

function configError(fn: () => unknown, message: RegExp, at: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, message);
    assert.equal(err.where, `am.yml (${at})`);
    return true;
  });
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local server that records requests and answers with `reply`. */
async function serve(reply: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => { body += c; });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      reply(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => { server.closeAllConnections(); server.close(); });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const signal = () => new AbortController().signal;

async function notifyError(p: Promise<unknown>): Promise<NotifyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof NotifyError, String(err));
    return err;
  }
  assert.fail("expected a NotifyError");
}

function classified(res: Partial<HttpResponse> & { status: number }): NotifyError | undefined {
  try {
    classifyResponse({ headers: {}, body: "", ...res }, "webhook");
    return undefined;
  } catch (err) {
    assert.ok(err instanceof NotifyError);
    return err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// parseHttpConfig

test("http_config: defaults, and snake_case in, camelCase out", () => {
  assert.deepEqual(parseHttpConfig(undefined, where, ["http_config"]), DEFAULT_HTTP_CONFIG);
  assert.deepEqual(parseHttpConfig({}, where, ["http_config"]), { tls: { insecureSkipVerify: false }, followRedirects: true, enableHttp2: true });
  const pw = tmpFile("pw", "s3cret\n");
  assert.deepEqual(
    parseHttpConfig({ basic_auth: { username: "u", password_file: pw }, follow_redirects: false, enable_http2: false, tls_config: { insecure_skip_verify: true, server_name: "x.test", min_version: "TLS12" } }, where, ["http_config"]),
    { basicAuth: { username: "u", passwordFile: pw }, tls: { serverName: "x.test", insecureSkipVerify: true, minVersion: "TLS12" }, followRedirects: false, enableHttp2: false },
  );
});

test("http_config: bearer_token and bearer_token_file become an authorization of type Bearer; type defaults to Bearer", () => {
  const tok = tmpFile("tok", "abc\n");
  assert.deepEqual(parseHttpConfig({ bearer_token: "t0k" }, where, []).authorization, { type: "Bearer", credentials: "t0k" });
  assert.deepEqual(parseHttpConfig({ bearer_token_file: tok }, where, []).authorization, { type: "Bearer", credentialsFile: tok });
  assert.deepEqual(parseHttpConfig({ authorization: { credentials: "c" } }, where, []).authorization, { type: "Bearer", credentials: "c" });
  assert.deepEqual(parseHttpConfig({ authorization: { type: " Token ", credentials: "c" } }, where, []).authorization, { type: "Token", credentials: "c" });
});

test("http_config: unknown keys are named with their path", () => {
  configError(() => parseHttpConfig({ bogus: 1 }, where, ["http_config"]), /bogus/, "http_config.bogus");
  configError(() => parseHttpConfig({ tls_config: { ca: "x" } }, where, ["receivers", 0, "http_config"]), /ca/, "receivers.0.http_config.tls_config.ca");
  configError(() => parseHttpConfig({ follow_redirects: "yes" }, where, ["h"]), /boolean/, "h.follow_redirects");
  configError(() => parseHttpConfig({ tls_config: { min_version: "TLS9" } }, where, ["h"]), /unknown TLS version: TLS9/, "h.tls_config.min_version");
});

test("http_config: prometheus/common's exclusivity rules", () => {
  const cases: Array<[Record<string, unknown>, RegExp, string]> = [
    [{ bearer_token: "a", bearer_token_file: "b" }, /at most one of bearer_token & bearer_token_file/, "h.bearer_token"],
    [{ basic_auth: { username: "u" }, bearer_token: "a" }, /at most one of basic_auth, oauth2, bearer_token/, "h.basic_auth"],
    [{ basic_auth: { username: "u", password: "p", password_file: "f" } }, /at most one of basic_auth password & password_file/, "h.basic_auth.password"],
    [{ authorization: { credentials: "c" }, bearer_token: "a" }, /authorization is not compatible with bearer_token/, "h.authorization"],
    [{ authorization: { credentials: "c", credentials_file: "f" } }, /at most one of authorization credentials & credentials_file/, "h.authorization.credentials"],
    [{ authorization: { type: "Basic", credentials: "c" } }, /cannot be set to "basic"/, "h.authorization.type"],
    [{ authorization: { credentials: "c" }, basic_auth: { username: "u" } }, /at most one of basic_auth, oauth2 & authorization/, "h.authorization"],
    [{ oauth2: { client_id: "x" } }, /oauth2 is not supported/, "h.oauth2"],
    [{ tls_config: { cert_file: "c" } }, /specified without client key file/, "h.tls_config.cert_file"],
    [{ tls_config: { min_version: "TLS13", max_version: "TLS12" } }, /max_version must be greater than or equal/, "h.tls_config.max_version"],
    [{ proxy_url: "socks5://p:1080" }, /proxy_url must be an http/, "h.proxy_url"],
  ];
  for (const [raw, message, at] of cases) configError(() => parseHttpConfig(raw, where, ["h"]), message, at);
});

test("http_config: files must be readable at load, and TLS files usable", () => {
  const missing = join(dir, "missing");
  configError(() => parseHttpConfig({ basic_auth: { username: "u", password_file: missing } }, where, ["h"]), /cannot read file .*ENOENT/, "h.basic_auth.password_file");
  configError(() => parseHttpConfig({ authorization: { credentials_file: missing } }, where, ["h"]), /ENOENT/, "h.authorization.credentials_file");
  configError(() => parseHttpConfig({ bearer_token_file: missing }, where, ["h"]), /ENOENT/, "h.bearer_token_file");
  configError(() => parseHttpConfig({ tls_config: { ca_file: missing } }, where, ["h"]), /ENOENT/, "h.tls_config.ca_file");
  const junk = tmpFile("junk.pem", "not a certificate\n");
  configError(() => parseHttpConfig({ tls_config: { ca_file: junk } }, where, ["h"]), /unusable TLS files/, "h.tls_config");
});

test("http_config: an integration without one inherits global.http_config, and errors say so", () => {
  const entryWhere: Where = (p) => `am.yml:9:7 (receivers[0].webhook_configs[0]${p.length ? "." + p.join(".") : ""})`;
  assert.equal(integrationHttpConfig({}, { http_config: { follow_redirects: false } }, entryWhere).followRedirects, false);
  assert.equal(integrationHttpConfig({ http_config: {} }, { http_config: { follow_redirects: false } }, entryWhere).followRedirects, true);
  assert.throws(() => integrationHttpConfig({}, { http_config: { nope: 1 } }, entryWhere), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.where, "am.yml:9:7 (receivers[0].webhook_configs[0]), inherited from global.http_config.nope");
    return true;
  });
});

// ---------------------------------------------------------------------------------------------------------
// classifyResponse, Retry-After, redaction, encoding

test("classification: 2xx ok, 429/5xx retryable, other 4xx and unfollowed 3xx not", () => {
  for (const status of [200, 201, 202, 204]) assert.equal(classified({ status }), undefined, String(status));
  for (const status of [429, 500, 502, 503, 504]) {
    const e = classified({ status });
    assert.equal(e?.retryable, true, String(status));
    assert.equal(e?.opts.status, status);
  }
  for (const status of [301, 302, 400, 401, 403, 404, 410, 422]) assert.equal(classified({ status })?.retryable, false, String(status));
  assert.match(classified({ status: 302 })!.reason, /302 \(redirect not followed\)/);
});

test("classification: reason carries the status and at most ~200 characters of the body", () => {
  const e = classified({ status: 500, body: `oops\n  ${"x".repeat(500)}` })!;
  assert.match(e.reason, /^webhook: unexpected status code 500: oops x+…$/);
  assert.ok(e.reason.length < 260, String(e.reason.length));
  assert.equal(classified({ status: 404 })!.reason, "webhook: unexpected status code 404");
});

test("classification: Retry-After in seconds or as an HTTP date", () => {
  assert.equal(classified({ status: 429, headers: { "retry-after": "7" } })?.opts.retryAfterMs, 7000);
  assert.equal(classified({ status: 503, headers: { "retry-after": "Sun, 22 Nov 2026 03:00:30 GMT", date: "Sun, 22 Nov 2026 03:00:00 GMT" } })?.opts.retryAfterMs, 30_000);
  assert.equal(classified({ status: 400, headers: { "retry-after": "7" } })?.opts.retryAfterMs, undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(parseRetryAfter("Sun, 22 Nov 2026 02:59:00 GMT", "Sun, 22 Nov 2026 03:00:00 GMT"), 0);
});

test("redactUrl keeps scheme, host and port only", () => {
  assert.equal(redactUrl("https://hooks.slack.com/services/T0/B0/XXXX"), "https://hooks.slack.com/<redacted>");
  assert.equal(redactUrl("https://user:pw@oapi.dingtalk.com:8443/robot/send?access_token=abc"), "https://oapi.dingtalk.com:8443/<redacted>");
  assert.equal(redactUrl("not a url /secret"), "<redacted>");
});

test("encodeGoJson escapes like Go's json.Encoder", () => {
  assert.equal(encodeGoJson({ u: "http://p/graph?a=<1>&b=2", s: "\u2028" }), '{"u":"http://p/graph?a=\\u003c1\\u003e\\u0026b=2","s":"\\u2028"}\n');
  assert.deepEqual(JSON.parse(encodeGoJson({ a: "<&>" })), { a: "<&>" });
});

// ---------------------------------------------------------------------------------------------------------
// The client, against a real local server

test("client: posts Go-encoded JSON with Content-Type, User-Agent and basic auth (password file read at each request)", async () => {
  const srv = await serve((_req, res) => res.writeHead(200, { "X-Reply": "Yes" }).end("fine"));
  const pw = tmpFile("pw2", "first\n");
  const client = createHttpClient(parseHttpConfig({ basic_auth: { username: "am", password_file: pw } }, where, []), "Alertmanager/0.25.0");
  const res = await client.postJson(`${srv.url}/hook`, { a: "x&y" }, { signal: signal() });
  writeFileSync(pw, "second");
  await client.postJson(`${srv.url}/hook`, {}, { signal: signal(), headers: { "X-Extra": "1" } });
  client.close();
  assert.deepEqual(res, { status: 200, headers: res.headers, body: "fine" });
  assert.equal(res.headers["x-reply"], "Yes");
  const [first, second] = srv.seen;
  assert.equal(first!.method, "POST");
  assert.equal(first!.url, "/hook");
  assert.equal(first!.body, '{"a":"x\\u0026y"}\n');
  assert.equal(first!.headers["content-type"], "application/json");
  assert.equal(first!.headers["user-agent"], "Alertmanager/0.25.0");
  assert.equal(first!.headers.authorization, `Basic ${Buffer.from("am:first").toString("base64")}`);
  assert.equal(second!.headers.authorization, `Basic ${Buffer.from("am:second").toString("base64")}`);
  assert.equal(second!.headers["x-extra"], "1");
});

test("client: authorization header from credentials", async () => {
  const srv = await serve((_req, res) => res.writeHead(204).end());
  const client = createHttpClient(parseHttpConfig({ authorization: { type: "Token", credentials: "xyz" } }, where, []), "ua");
  await client.postJson(srv.url, {}, { signal: signal() });
  client.close();
  assert.equal(srv.seen[0]!.headers.authorization, "Token xyz");
});

test("client: follow_redirects", async () => {
  const target = await serve((_req, res) => res.writeHead(200).end("ok"));
  const redirector = await serve((_req, res) => res.writeHead(307, { Location: `${target.url}/moved` }).end());
  const following = createHttpClient(DEFAULT_HTTP_CONFIG, "ua");
  assert.equal((await following.postJson(redirector.url, { n: 1 }, { signal: signal() })).status, 200);
  following.close();
  assert.deepEqual(target.seen.map((s) => [s.method, s.url, s.body]), [["POST", "/moved", '{"n":1}\n']]);

  const notFollowing = createHttpClient(parseHttpConfig({ follow_redirects: false }, where, []), "ua");
  const res = await notFollowing.postJson(redirector.url, {}, { signal: signal() });
  notFollowing.close();
  assert.equal(res.status, 307);
  assert.equal(target.seen.length, 1);
  assert.throws(() => classifyResponse(res, "webhook"), (e: unknown) => e instanceof NotifyError && !e.retryable);
});

test("client: network errors and aborts are retryable NotifyErrors without the URL path", async () => {
  const srv = await serve(() => undefined);
  srv.server.close();
  srv.server.closeAllConnections();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const client = createHttpClient(DEFAULT_HTTP_CONFIG, "ua");
  const refused = await notifyError(client.postJson(`${srv.url}/services/T0/B0/TOPSECRET`, {}, { signal: signal() }));
  assert.equal(refused.retryable, true);
  assert.match(refused.reason, /ECONNREFUSED/);
  assert.match(refused.reason, /^POST http:\/\/127\.0\.0\.1:\d+\/<redacted>: /);
  assert.doesNotMatch(refused.reason, /TOPSECRET|services/);

  const hang = await serve(() => undefined); // never answers
  const controller = new AbortController();
  const pending = notifyError(client.postJson(`${hang.url}/x`, {}, { signal: controller.signal }));
  setTimeout(() => controller.abort(), 20);
  const aborted = await pending;
  client.close();
  assert.equal(aborted.retryable, true);
  assert.match(aborted.reason, /aborted/);

  const invalid = await notifyError(client.postJson("ftp://h/secret", {}, { signal: signal() }));
  assert.equal(invalid.retryable, false);
  assert.doesNotMatch(invalid.reason, /secret/);
});

test("client: secrets echoed by the server never reach an error reason", async () => {
  // The server repeats the request line and headers back, in several encodings, as broken servers do.
  const srv = await serve((req, res) => {
    const url = `http://${req.headers.host}${req.url}`;
    res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({
      url, escaped: url.replace(/\//g, "\\/"), encoded: encodeURIComponent(url), auth: req.headers.authorization,
    }));
  });
  const token = "tok-9f8e7d6c5b4a";
  const client = createHttpClient(parseHttpConfig({ authorization: { credentials: token } }, where, []), "ua");
  const res = await client.postJson(`${srv.url}/robot/send?access_token=ACCESS123456`, {}, { signal: signal() });
  client.close();
  const err = classified({ ...res });
  assert.ok(err);
  for (const secret of [token, "ACCESS123456", "/robot/send"]) {
    assert.doesNotMatch(err.reason, new RegExp(secret), err.reason);
    assert.doesNotMatch(res.body, new RegExp(secret), res.body);
  }
  assert.match(err.reason, /<redacted>/);

  const basicSrv = await serve((req, res) => res.writeHead(400).end(`you sent ${req.headers.authorization}`));
  const basic = createHttpClient(parseHttpConfig({ basic_auth: { username: "am", password: "hunter2hunter2" } }, where, []), "ua");
  const r2 = await basic.postJson(basicSrv.url, {}, { signal: signal() });
  basic.close();
  assert.equal(r2.body, "you sent Basic <redacted>");
});

test("client: proxy_url is used; HTTP_PROXY from the environment is not", async () => {
  const target = await serve((_req, res) => res.writeHead(200).end("direct"));
  const proxy = await serve((_req, res) => res.writeHead(200).end("via proxy"));
  const proxied = createHttpClient(parseHttpConfig({ proxy_url: proxy.url }, where, []), "ua");
  const r1 = await proxied.postJson(`${target.url}/p`, {}, { signal: signal() });
  proxied.close();
  assert.equal(r1.body, "via proxy");
  // A forward proxy receives the absolute URL.
  assert.equal(proxy.seen[0]!.url, `${target.url}/p`);

  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
  process.env.HTTP_PROXY = proxy.url;
  process.env.http_proxy = proxy.url;
  delete process.env.NO_PROXY;
  delete process.env.no_proxy;
  try {
    const direct = createHttpClient(DEFAULT_HTTP_CONFIG, "ua");
    const r2 = await direct.postJson(`${target.url}/d`, {}, { signal: signal() });
    direct.close();
    assert.equal(r2.body, "direct");
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  assert.equal(proxy.seen.length, 1);
});
