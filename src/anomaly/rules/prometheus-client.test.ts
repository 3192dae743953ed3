import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createPrometheusClient, MAX_RANGE_POINTS, PrometheusQueryError } from "./prometheus-client.ts";

interface Seen { path: string; auth: string | undefined; form: URLSearchParams }

async function server(answer: (s: Seen) => { status?: number; body: unknown }) {
  const seen: Seen[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      const s = { path: req.url ?? "", auth: req.headers.authorization, form: new URLSearchParams(b) };
      seen.push(s);
      const a = answer(s);
      res.statusCode = a.status ?? 200;
      res.end(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

test("instant and range results decode to labelled samples; special values and scalars too", async (t) => {
  const s = await server((q) => q.path === "/api/v1/query"
    ? { body: { status: "success", data: { resultType: "vector", result: [{ metric: { venue: "a" }, value: [1700000000.5, "NaN"] }, { metric: {}, value: [1700000000.5, "+Inf"] }] } } }
    : { body: { status: "success", data: { resultType: "matrix", result: [{ metric: { venue: "a" }, values: [[1700000000, "1.5"], [1700000060, "-Inf"]] }] } } });
  t.after(s.close);
  const c = createPrometheusClient({ url: s.url, timeoutMs: 5000 }, "test");
  t.after(() => c.close());
  const v = await c.query("up", 1_700_000_000_500);
  assert.equal(s.seen[0]?.form.get("time"), "1700000000.500");
  assert.deepEqual(v.map((x) => [x.labels, x.samples]), [[{ venue: "a" }, [[1_700_000_000_500, NaN]]], [{}, [[1_700_000_000_500, Infinity]]]]);
  const r = await c.queryRange("up", 1_700_000_000_000, 1_700_000_060_000, 60_000);
  assert.deepEqual(r[0]?.samples, [[1_700_000_000_000, 1.5], [1_700_000_060_000, -Infinity]]);
});

test("a range of more points than Prometheus allows is read in chunks and joined per series", async (t) => {
  const s = await server((q) => {
    const start = Number(q.form.get("start"));
    const end = Number(q.form.get("end"));
    const values: Array<[number, string]> = [];
    for (let x = start; x <= end; x += 60) values.push([x, "1"]);
    return { body: { status: "success", data: { resultType: "matrix", result: [{ metric: { a: "1" }, values }] } } };
  });
  t.after(s.close);
  const c = createPrometheusClient({ url: s.url, timeoutMs: 5000 }, "test");
  t.after(() => c.close());
  const points = 2 * MAX_RANGE_POINTS + 5;
  const r = await c.queryRange("up", 0, (points - 1) * 60_000, 60_000);
  assert.equal(s.seen.length, 3);
  assert.ok(s.seen.every((q) => (Number(q.form.get("end")) - Number(q.form.get("start"))) / 60 < 11_000));
  assert.equal(r.length, 1);
  assert.equal(r[0]?.samples.length, points);
  assert.equal(new Set(r[0]?.samples.map(([t]) => t)).size, points, "no sample twice at chunk edges");
});

test("errors carry Prometheus's message and never the credentials", async (t) => {
  const s = await server(() => ({ status: 400, body: { status: "error", errorType: "bad_data", error: "parse error at char 4" } }));
  t.after(s.close);
  const url = s.url.replace("http://", "http://alice:s3cret-pw@");
  const c = createPrometheusClient({ url, timeoutMs: 5000 }, "test");
  t.after(() => c.close());
  await assert.rejects(c.query("up{", 0), (err: unknown) => {
    assert.ok(err instanceof PrometheusQueryError);
    assert.equal(err.message, "bad_data: parse error at char 4");
    return true;
  });
  assert.equal(s.seen[0]?.auth, `Basic ${Buffer.from("alice:s3cret-pw").toString("base64")}`);

  const bearer = createPrometheusClient({ url: s.url, timeoutMs: 5000, bearerToken: "tok-123" }, "test");
  t.after(() => bearer.close());
  await assert.rejects(bearer.query("up", 0));
  assert.equal(s.seen[1]?.auth, "Bearer tok-123");

  const down = createPrometheusClient({ url: "http://bob:hunter2@127.0.0.1:1", timeoutMs: 2000 }, "test");
  t.after(() => down.close());
  await assert.rejects(down.query("up", 0), (err: unknown) => {
    assert.ok(err instanceof PrometheusQueryError);
    assert.match(err.message, /^http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    assert.doesNotMatch(err.message, /hunter2|bob/);
    return true;
  });
});

test("a response that is not the Prometheus API is an error, not a crash", async (t) => {
  const s = await server((q) => (q.path.endsWith("query") ? { status: 502, body: "<html>bad gateway</html>" } : { body: { status: "success", data: { resultType: "string", result: [0, "x"] } } }));
  t.after(s.close);
  const c = createPrometheusClient({ url: s.url, timeoutMs: 5000 }, "test");
  t.after(() => c.close());
  await assert.rejects(c.query("up", 0), /HTTP 502, not a Prometheus API response/);
  await assert.rejects(c.queryRange("up", 0, 60_000, 60_000), /returns a string/);
});
