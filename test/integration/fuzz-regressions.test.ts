// One test per bug the endpoint fuzzer (test/fuzz) found: each request here used to get a 5xx, crash,
// or change the state although it was refused.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "./app-fixture.ts";
import { sendRaw, type RawRequest } from "../fuzz/raw-http.ts";
import { collected } from "../helpers/gc.ts";

describe("fuzzer regressions", () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp();
    port = Number(new URL(t.url).port);
  });
  after(async () => t.close());

  const send = (method: string, target: string, headers: Array<[string, string]> = [], body?: string, delivery: RawRequest["delivery"] = "whole") =>
    sendRaw(port, { method, target, headers, body: body === undefined ? undefined : Buffer.from(body), delivery });

  test("a path parameter with a bad %-escape is 400, not 500", async () => {
    for (const target of ["/api/v2/silence/%zz", "/api/v2/silence/%ED%A0%80", "/api/ops/v1/alerts/%/explain", "/api/ops/v1/alerts/%FF", "/ack/%C0%AF", "/ui/static/%zz"]) {
      const r = await send("GET", target);
      assert.equal(r.status, 400, target);
    }
    const r = await send("POST", "/api/ops/v1/alerts/%zz/comments", [["content-type", "application/json"]], JSON.stringify({ text: "x" }));
    assert.equal(r.status, 400);
  });

  test("an unknown Content-Encoding is 415 and a body that does not decompress is 400, not 500", async () => {
    const json: [string, string] = ["content-type", "application/json"];
    for (const [encoding, want] of [["compress", 415], ["gzip", 400], ["deflate", 400], ["br", 400]] as const) {
      for (const target of ["/api/v2/alerts", "/api/v1/webhook", "/api/ops/v1/acks"]) {
        const r = await send("POST", target, [json, ["content-encoding", encoding]], "[]");
        assert.equal(r.status, want, `${target} with ${encoding}`);
      }
    }
  });

  test("a relative time beyond what a Date holds is 400, not 500", async () => {
    for (const q of ["until=-99999999999d", "since=-9999999999999w"]) {
      const r = await t.get(`/api/ops/v1/stats?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.match(r.text, /further back than a time can/);
    }
  });

  test("POST /-/reload cut short (Content-Length larger than what is sent) reloads nothing", async () => {
    const reloads = async () => ((await t.get("/api/ops/v1/audit")).json as { entries: Array<{ action: string }> }).entries.filter((e) => e.action === "reload").length;
    assert.equal((await send("POST", "/-/reload")).status, 200);
    const before = await reloads();
    assert.equal(before, 1, "a whole reload is audited");
    const r = await send("POST", "/-/reload", [["content-type", "application/json"]], "{\"a\":", "truncate");
    assert.notEqual(r.status, 200);
    // Let a reload started anyway reach its audit record.
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(await reloads(), before);
  });

  test("a deeply nested body holding a lone surrogate escape is decoded, not a stack overflow (500)", async () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const alerts = await t.post("/api/v2/alerts", `[{"labels":{"alertname":"Deep\\ud800"},"x":${deep(12_000)}}]`);
    assert.equal(alerts.status, 200, alerts.text);
    const got = (await t.get("/api/v2/alerts")).json as Array<{ labels: Record<string, string> }>;
    assert.ok(got.some((a) => a.labels.alertname === "Deep\uFFFD"), "the lone surrogate became U+FFFD, as Go decodes it");
    const silence = await t.post("/api/v2/silences", `{"comment":"\\ud800","x":${deep(12_000)}}`);
    assert.equal(silence.status, 422, silence.text);
    const webhook = await t.post("/api/v1/webhook", `{"version":"4","x":"\\udc00","alerts":${deep(12_000)}}`);
    assert.equal(webhook.status, 400, webhook.text);
  });

  test("a webhook payload whose version is nested 12,000 deep is 400, not a stack overflow (500)", async () => {
    const r = await t.post("/api/v1/webhook", `{"version":${"[".repeat(12_000)}${"]".repeat(12_000)},"alerts":[]}`);
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /unsupported version \(an array\)/);
  });

  test("a stopped app is garbage: no process-wide registry (maintenance timers, prom-client's GC observer) keeps it and what it held", async () => {
    // The fuzzer's heap after GC grew with every app it started and stopped: each one stayed reachable,
    // with its alerts, silences and database handles, from the task registry of the cron library used then
    // (stopped tasks stayed registered until destroyed) and from the GC observer of prom-client's default
    // metrics. Its maintenance timers must be cleared on stop for the same reason.
    const stoppedApp = async (): Promise<WeakRef<object>> => {
      const other = await startTestApp();
      assert.equal((await other.post("/api/v2/alerts", [{ labels: { alertname: "Held" } }])).status, 200);
      assert.equal((await other.get("/metrics")).status, 200);
      await other.close();
      return new WeakRef(other.app);
    };
    const ref = await stoppedApp();
    assert.ok(await collected(ref), "the stopped app was garbage collected");
  });
});
