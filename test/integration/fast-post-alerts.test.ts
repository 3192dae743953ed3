import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startTestApp, type TestApp } from "./app-fixture.ts";
import { fastPostAlerts } from "../../src/api/v2/fast-post-alerts.ts";
import type { ApiContext } from "../../src/api/v2/context.ts";
import { silentLogger } from "../../src/lib/log.ts";

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

/** One POST; `chunked` sends no Content-Length, which leaves the request to express. */
function post(base: string, path: string, body: string, headers: Record<string, string>, chunked: boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(base + path);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST",
        headers: { ...headers, ...(chunked ? {} : { "content-length": String(Buffer.byteLength(body)) }) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    if (chunked) req.write(body.slice(0, 1));
    req.end(chunked ? body.slice(1) : body);
  });
}

/** What a client sees, without what differs by nature (date, connection bookkeeping, framing). */
function visible(r: Reply): unknown {
  const { date: _d, connection: _c, "keep-alive": _k, "transfer-encoding": _t, ...headers } = r.headers;
  return { status: r.status, headers, body: r.body };
}

describe("POST /api/v2/alerts without express answers as the express route does", () => {
  let t: TestApp;
  before(async () => { t = await startTestApp(); });
  after(async () => { await t.close(); });

  const json = { "content-type": "application/json", "x-request-id": "req-1" };
  const cases: Array<[string, string, Record<string, string>]> = [
    ["one alert", JSON.stringify([{ labels: { alertname: "Fast", instance: "a" } }]), json],
    ["a batch", JSON.stringify([{ labels: { alertname: "Fast", instance: "b" } }, { labels: { alertname: "Fast", instance: "c" }, annotations: { s: "x" } }]), json],
    ["null", "null", json],
    ["an empty body", "", json],
    ["invalid JSON", "[{", json],
    ["an object", "{}", json],
    ["labels missing", JSON.stringify([{ annotations: {} }]), json],
    ["an invalid label name", JSON.stringify([{ labels: { "0bad": "x" } }]), json],
    ["a form body", "a=b", { "content-type": "application/x-www-form-urlencoded", "x-request-id": "req-1" }],
    ["no content type", "[]", { "x-request-id": "req-1" }],
    ["invalid UTF-8", "[{\"labels\":{\"alertname\":\"\u00ff\"}}]", json],
  ];
  for (const [name, body, headers] of cases) {
    test(name, async () => {
      const fast = await post(t.url, "/api/v2/alerts", body, headers, false);
      const full = await post(t.url, "/api/v2/alerts", body, headers, true);
      assert.deepEqual(visible(fast), visible(full));
      assert.equal(fast.headers["x-request-id"], "req-1");
    });
  }

  test("the alerts it accepted are stored and listed", async () => {
    await post(t.url, "/api/v2/alerts", JSON.stringify([{ labels: { alertname: "FastListed" } }]), json, false);
    const list = (await t.get("/api/v2/alerts?filter=alertname=FastListed")).json as unknown[];
    assert.equal(list.length, 1);
  });
});

describe("which requests the route without express takes", () => {
  let server: Server;
  let base = "";
  let needsFullRoute = false;
  const ingested: unknown[] = [];
  before(async () => {
    const ctx = { log: silentLogger(), ingest: async (alerts: readonly unknown[]) => { ingested.push(...alerts); return { errors: [], limited: [] }; } } as unknown as ApiContext;
    const fast = fastPostAlerts(ctx, { prefix: "/am", maxRequestBytes: 1000, needsFullRoute: () => needsFullRoute });
    server = createServer((req, res) => {
      if (fast(req, res)) return;
      req.resume();
      req.on("end", () => { res.statusCode = 299; res.end(); });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const body = JSON.stringify([{ labels: { alertname: "A" } }]);
  const json = { "content-type": "application/json" };
  const taken = async (path: string, headers: Record<string, string> = json, chunked = false, text = body) =>
    (await post(base, path, text, headers, chunked)).status !== 299;

  test("the exact path, with or without a query string", async () => {
    assert.equal(await taken("/am/api/v2/alerts"), true);
    assert.equal(await taken("/am/api/v2/alerts?x=1"), true);
    assert.ok(ingested.length >= 2);
  });
  test("not other paths, a trailing slash or another prefix", async () => {
    assert.equal(await taken("/am/api/v2/alerts/"), false);
    assert.equal(await taken("/api/v2/alerts"), false);
    assert.equal(await taken("/am/api/v2/silences"), false);
    assert.equal(await taken("/AM/api/v2/alerts"), false);
  });
  test("not a body without Content-Length, over the limit, or encoded", async () => {
    assert.equal(await taken("/am/api/v2/alerts", json, true), false);
    assert.equal(await taken("/am/api/v2/alerts", json, false, JSON.stringify([{ labels: { alertname: "x".repeat(1000) } }])), false);
    assert.equal(await taken("/am/api/v2/alerts", { ...json, "content-encoding": "gzip" }), false);
    assert.equal(await taken("/am/api/v2/alerts", { ...json, "content-encoding": "identity" }), true);
  });
  test("not while credentials or spans are needed", async () => {
    needsFullRoute = true;
    try {
      assert.equal(await taken("/am/api/v2/alerts"), false);
    } finally {
      needsFullRoute = false;
    }
  });
});
