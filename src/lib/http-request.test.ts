import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { selfSignedCert } from "../../test/helpers/fault-servers.ts";
import { HttpRequestError, httpRequest, type HttpRequestOptions } from "./http-request.ts";

interface Seen { method: string; url: string; headers: IncomingMessage["headers"]; body: string }

function record(handler: (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const seen: Seen[] = [];
  const h = (req: IncomingMessage, res: ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, seen);
    });
  };
  return Object.assign(h, { seen });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void): Promise<{ url: string; seen: Seen[] }> {
  const h = record(handler);
  const port = await listen(createServer(h));
  return { url: `http://127.0.0.1:${port}`, seen: (h as unknown as { seen: Seen[] }).seen };
}

const POST: HttpRequestOptions = { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}", maxRedirects: 10, maxResponseBytes: 1024 };

test("301/302/303 turn a POST into a GET without body; 307/308 repeat it; credentials stay on the same host only", async () => {
  const target = await serve((_req, res) => res.end("ok"));
  const other = target.url.replace("127.0.0.1", "localhost");
  const redirector = await serve((req, res) => {
    const [, status, where] = /^\/(\d+)\/(same|other)$/.exec(req.url ?? "") ?? [];
    res.writeHead(Number(status), { Location: `${where === "same" ? target.url : other}/landed` }).end();
  });
  const auth = { ...POST, headers: { ...POST.headers, Authorization: "Bearer s3cret" } };
  for (const status of [301, 302, 303]) {
    assert.equal((await httpRequest(`${redirector.url}/${status}/same`, auth)).body, "ok");
    const last = target.seen.at(-1)!;
    assert.deepEqual([last.method, last.body, last.headers["content-type"], last.headers.authorization], ["GET", "", undefined, "Bearer s3cret"], String(status));
  }
  for (const status of [307, 308]) {
    await httpRequest(`${redirector.url}/${status}/same`, auth);
    const last = target.seen.at(-1)!;
    assert.deepEqual([last.method, last.body, last.headers["content-type"]], ["POST", "{}", "application/json"], String(status));
  }
  await httpRequest(`${redirector.url}/307/other`, auth);
  assert.equal(target.seen.at(-1)!.headers.authorization, undefined, "Authorization does not follow to another host");
  assert.equal(target.seen.at(-1)!.body, "{}");
});

test("a redirect loop stops after maxRedirects with ERR_TOO_MANY_REDIRECTS; maxRedirects 0 returns the 3xx", async () => {
  const loop = await serve((req, res) => res.writeHead(302, { Location: req.url ?? "/" }).end());
  await assert.rejects(httpRequest(loop.url, { ...POST, maxRedirects: 3 }), (err: unknown) => err instanceof HttpRequestError && err.code === "ERR_TOO_MANY_REDIRECTS");
  assert.equal(loop.seen.length, 4);
  const res = await httpRequest(loop.url, { ...POST, maxRedirects: 0 });
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, "/");
});

test("gzip bodies are decoded, a BOM dropped, and a body over the limit is refused", async () => {
  const srv = await serve((req, res) => {
    if (req.url === "/gzip") res.writeHead(200, { "Content-Encoding": "gzip" }).end(gzipSync("\ufeffzipped"));
    else res.end("x".repeat(2000));
  });
  const zipped = await httpRequest(`${srv.url}/gzip`, POST);
  assert.equal(zipped.body, "zipped");
  assert.match(srv.seen[0]!.headers["accept-encoding"] ?? "", /gzip/);
  await assert.rejects(httpRequest(`${srv.url}/big`, POST), (err: unknown) => err instanceof HttpRequestError && err.code === "ERR_RESPONSE_TOO_LARGE");
});

test("a timeout ends a trickling response with ETIMEDOUT; an abort with ABORT_ERR", async () => {
  const slow = await serve((_req, res) => {
    res.writeHead(200);
    const t = setInterval(() => res.write("."), 20);
    res.on("close", () => clearInterval(t));
  });
  await assert.rejects(httpRequest(slow.url, { ...POST, timeoutMs: 150, maxResponseBytes: 1 << 20 }), (err: unknown) => (err as { code?: string }).code === "ETIMEDOUT");
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(httpRequest(slow.url, { ...POST, signal: controller.signal, maxResponseBytes: 1 << 20 }), (err: unknown) => (err as { code?: string }).code === "ABORT_ERR");
});

test("through a proxy: http:// as an absolute URL with Proxy-Authorization, https:// in a CONNECT tunnel with the origin's TLS options", async () => {
  const cert = selfSignedCert();
  const tlsTarget = createHttpsServer({ key: cert.key, cert: cert.cert }, record((req, res) => res.end(`tls ${req.method} ${req.url}`)));
  const tlsPort = await listen(tlsTarget);
  const connects: string[] = [];
  const forwarded: Seen[] = [];
  const proxy = createServer(record((req, res, seen) => {
    forwarded.push(seen.at(-1)!);
    res.end("via proxy");
  }));
  proxy.on("connect", (req: IncomingMessage, client: Socket) => {
    connects.push(`${req.url} ${req.headers["proxy-authorization"] ?? ""}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  const proxyPort = await listen(proxy);
  const proxyUrl = new URL(`http://user:p%40ss@127.0.0.1:${proxyPort}`);
  const basic = `Basic ${Buffer.from("user:p@ss").toString("base64")}`;

  const plain = await httpRequest("http://example.invalid:8080/hook?x=1", { ...POST, proxy: proxyUrl });
  assert.equal(plain.body, "via proxy");
  assert.equal(forwarded[0]!.url, "http://example.invalid:8080/hook?x=1");
  assert.equal(forwarded[0]!.headers["proxy-authorization"], basic);
  assert.equal(forwarded[0]!.headers.host, "example.invalid:8080");

  const secure = await httpRequest(`https://127.0.0.1:${tlsPort}/hook`, { ...POST, proxy: proxyUrl, tls: { ca: cert.cert } });
  assert.equal(secure.body, "tls POST /hook");
  assert.deepEqual(connects, [`127.0.0.1:${tlsPort} ${basic}`]);
  // The origin's certificate is still verified inside the tunnel.
  await assert.rejects(httpRequest(`https://127.0.0.1:${tlsPort}/hook`, { ...POST, proxy: proxyUrl }), /self-signed|certificate/i);
});

test("a connection cut in the middle of the body rejects instead of returning a partial body", async () => {
  const cut = await serve((_req, res) => {
    res.writeHead(200, { "Content-Length": "100" });
    res.write("partial");
    setTimeout(() => res.socket?.destroy(), 20);
  });
  await assert.rejects(httpRequest(cut.url, POST), (err: unknown) => (err as { code?: string }).code === "ECONNRESET");
});
