import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { startTestApp, type TestApp } from "./app-fixture.ts";

interface Received { path: string; body: Record<string, unknown> }

async function sink(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(b) as Record<string, unknown> });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("notification delivery in-process", () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof sink>>;
  const config = (url: string, receiverName = "hook") => `
route:
  receiver: ${receiverName}
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: ${receiverName}
    webhook_configs:
      - url: ${url}/hook/TOKEN
`;
  before(async () => {
    s = await sink();
    t = await startTestApp({ config: config(s.url) });
  });
  after(async () => {
    await t.close();
    s.server.close();
  });

  test("a posted alert reaches the webhook as Alertmanager's v4 payload and the attempt is recorded", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Delivered", instance: "i1" }, annotations: { summary: "s" } }]);
    await until(() => s.received.length > 0);
    const body = s.received[0]!.body;
    assert.equal(s.received[0]!.path, "/hook/TOKEN");
    assert.deepEqual(Object.keys(body), ["receiver", "status", "alerts", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "version", "groupKey", "truncatedAlerts"]);
    assert.equal(body.groupKey, '{}:{alertname="Delivered"}');
    assert.equal(body.status, "firing");
    assert.deepEqual(body.commonAnnotations, { summary: "s" });
    await until(() => {
      const db = new Database(`${t.dir}/alertprism.db`, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM deliveries WHERE status = 'success'").get() as { n: number }).n === 1;
      } finally {
        db.close();
      }
    });
  });

  test("the config file changing on disk is reloaded; an invalid channel config keeps the old one", async () => {
    writeFileSync(`${t.dir}/alertmanager.yml`, config(s.url, "renamed"));
    await until(() => ((t.app as unknown as { runtime: { routing: { receiverNames: string[] } } }).runtime.routing.receiverNames[0] === "renamed"), 5000);
    assert.deepEqual((await t.get("/api/v2/receivers")).json, [{ name: "renamed" }]);
    writeFileSync(`${t.dir}/alertmanager.yml`, config("not-a-url", "broken"));
    const r = await t.post("/-/reload", undefined);
    assert.equal(r.status, 500);
    assert.match(r.text, /alertmanager\.yml:\d+:\d+ \(receivers\[0\]\.webhook_configs\[0\]\.url\)/);
    assert.deepEqual((await t.get("/api/v2/receivers")).json, [{ name: "renamed" }]);
  });
});
