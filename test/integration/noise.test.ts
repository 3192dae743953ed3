// Replica dedup and enrichment (alertprism.yml `noise.dedup` and `enrich`) through the whole app:
// both ways in, the listing, routing on the enriched label, notifications, history and reloads.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { AlertsRepo, type AlertEvent } from "../../src/store/alerts-repo.ts";
import { fingerprint } from "../../src/types/labels.ts";
import { startTestApp, isoIn, type TestApp } from "./app-fixture.ts";

interface Notification { path: string; body: { alerts: Array<{ labels: Record<string, string>; status: string }>; commonLabels: Record<string, string> } }
type GettableAlert = { labels: Record<string, string>; fingerprint: string; receivers: Array<{ name: string }> };

const RULES = `
noise:
  dedup:
    ignore_labels: [prometheus_replica, replica]
enrich:
  - matchers: ['severity="critical"', 'service=~"trading|database"']
    set: { priority: P1 }
  - matchers: ['severity="critical"']
    set: { priority: P2 }
  - matchers: ['severity="warning"']
    set: { priority: P3 }
  - set: { priority: P4 }
`;

const routing = (sink: string) => `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  routes:
    - matchers: ['priority="P1"']
      receiver: pager
    - matchers: ['priority="P2"']
      receiver: chat
    - matchers: ['priority=~"P3|P4"']
      receiver: hook
receivers:
  - name: default
  - name: chat
  - name: pager
    webhook_configs: [{ url: "${sink}/pager" }]
  - name: hook
    webhook_configs: [{ url: "${sink}/hook" }]
`;

async function startSink(): Promise<{ url: string; received: Notification[]; server: Server }> {
  const received: Notification[] = [];
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(b) as Notification["body"] });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("noise control: replica dedup and priority enrichment at ingest", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-it-noise-"));
  const prismFile = join(dir, "alertprism.yml");
  let t: TestApp;
  let sink: Awaited<ReturnType<typeof startSink>>;

  before(async () => {
    sink = await startSink();
    writeFileSync(prismFile, RULES);
    t = await startTestApp({ dir, config: routing(sink.url), flags: { "alertprism.config.file": prismFile } });
  });
  after(async () => {
    await t.close();
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async (filter: string) => (await t.get(`/api/v2/alerts?filter=${encodeURIComponent(filter)}`)).json as GettableAlert[];

  /** History of one alert, oldest first, read through the store's repository beside the running app. */
  function history(labels: Record<string, string>): AlertEvent[] {
    const db = new Database(join(dir, "alertprism.db"), { readonly: true, fileMustExist: true });
    try {
      return new AlertsRepo(db).events({ fingerprint: fingerprint(labels), limit: 100 }).reverse();
    } finally {
      db.close();
    }
  }

  test("two replicas posting the same alert make ONE alert, without replica labels, enriched, routed on priority, notified once", async () => {
    const base = { alertname: "OrderLatency", service: "trading", severity: "critical" };
    const endsAt = isoIn(60_000);
    const a = await t.post("/api/v2/alerts", [{ labels: { ...base, replica: "a" }, annotations: { summary: "slow" }, endsAt }]);
    assert.equal(a.status, 200, a.text);
    const b = await t.post("/api/v2/alerts", [{ labels: { ...base, replica: "b", prometheus_replica: "prom-1" }, annotations: { summary: "slow" }, endsAt }]);
    assert.equal(b.status, 200, b.text);

    const alerts = await list('alertname="OrderLatency"');
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    const expected = { ...base, priority: "P1" };
    assert.deepEqual(alerts[0]!.labels, expected);
    assert.equal(alerts[0]!.fingerprint, fingerprint(expected), "the fingerprint is the one of the enriched labels, replica labels excluded");
    assert.deepEqual(alerts[0]!.receivers, [{ name: "pager" }]);
    assert.equal((await list('replica="a"')).length, 0, "no listed alert carries a replica label");

    await until("the P1 notification", () => sink.received.some((n) => n.path === "/pager"));
    await new Promise((r) => setTimeout(r, 1500)); // one more group_interval: still one notification
    const toPager = sink.received.filter((n) => n.path === "/pager");
    assert.equal(toPager.length, 1, JSON.stringify(toPager));
    assert.equal(toPager[0]!.body.alerts.length, 1);
    assert.deepEqual(toPager[0]!.body.alerts[0]!.labels, expected, "notifications carry no replica label");

    const events = history(expected);
    assert.deepEqual(events.map((e) => e.kind), ["new", "source_added"]);
    assert.deepEqual(events[0]!.detail.sources, [{ replica: "a" }]);
    assert.deepEqual(events[1]!.detail, { source: { prometheus_replica: "prom-1", replica: "b" }, sources: [{ replica: "a" }, { prometheus_replica: "prom-1", replica: "b" }] });
    assert.deepEqual(events[0]!.labels, expected, "the stored series has no replica label");
    const db = new Database(join(dir, "alertprism.db"), { readonly: true });
    try {
      const names = db.prepare("SELECT DISTINCT name FROM series_labels").all() as Array<{ name: string }>;
      assert.ok(!names.some((n) => n.name === "replica" || n.name === "prometheus_replica"), "replica labels are stored nowhere as labels");
    } finally {
      db.close();
    }
  });

  test("each priority level, and an alert's own priority wins", async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ alertname: "DbDown", service: "database", severity: "critical" }, "P1", "pager"],
      [{ alertname: "CacheDown", service: "redis", severity: "critical" }, "P2", "chat"],
      [{ alertname: "DiskFilling", severity: "warning" }, "P3", "hook"],
      [{ alertname: "Info", severity: "info" }, "P4", "hook"],
      [{ alertname: "NoSeverity" }, "P4", "hook"],
      [{ alertname: "OwnPriority", service: "trading", severity: "critical", priority: "P3" }, "P3", "hook"],
    ];
    const r = await t.post("/api/v2/alerts", cases.map(([labels]) => ({ labels })));
    assert.equal(r.status, 200, r.text);
    for (const [labels, priority, receiver] of cases) {
      const [a] = await list(`alertname="${labels.alertname}"`);
      assert.ok(a, labels.alertname);
      assert.deepEqual(a.labels, { ...labels, priority }, labels.alertname);
      assert.deepEqual(a.receivers, [{ name: receiver }], labels.alertname);
    }
    assert.equal((await list('priority="P4"')).length >= 2, true, "filters see the enriched label");
  });

  test("the webhook receiver applies the same rules: one alert from two forwarded replicas, sources in history", async () => {
    const payload = (replica: string, status: "firing" | "resolved") => ({
      version: "4", status, receiver: "forward", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am", groupKey: "{}", truncatedAlerts: 0,
      alerts: [{ status, labels: { alertname: "Forwarded", severity: "warning", replica }, annotations: {}, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: status === "resolved" ? new Date().toISOString() : "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "x" }],
    });
    for (const replica of ["a", "b"]) {
      const r = await t.post("/api/v1/webhook", payload(replica, "firing"));
      assert.equal(r.status, 200, r.text);
    }
    const alerts = await list('alertname="Forwarded"');
    assert.equal(alerts.length, 1);
    const expected = { alertname: "Forwarded", priority: "P3", severity: "warning" };
    assert.deepEqual(alerts[0]!.labels, expected);
    assert.deepEqual(alerts[0]!.receivers, [{ name: "hook" }]);
    const r = await t.post("/api/v1/webhook", payload("b", "resolved"));
    assert.equal(r.status, 200, r.text);
    assert.equal((await list('alertname="Forwarded"')).length, 0);
    const events = history(expected);
    assert.deepEqual(events.map((e) => e.kind), ["new", "source_added", "resolved"]);
    assert.deepEqual(events[2]!.detail, { by: "client", source: { replica: "b" }, sources: [{ replica: "a" }, { replica: "b" }] });
  });

  test("invalid alerts stay invalid: replica labels only, bad names", async () => {
    const r = await t.post("/api/v2/alerts", [{ labels: { replica: "a" } }, { labels: { "bad-name": "x", replica: "a" } }]);
    assert.equal(r.status, 400);
    assert.equal(r.json, 'at least one label pair required; invalid label set: invalid name "bad-name"');
  });

  test("a reload with a bad alertprism.yml is refused with file:line (path): reason; the old rules stay in force", async () => {
    writeFileSync(prismFile, RULES.replace("set: { priority: P2 }", "set: { priority: P2, 'bad-name': x }"));
    const bad = await t.post("/-/reload", undefined);
    assert.equal(bad.status, 500);
    assert.match(bad.text, /failed to reload config: .*alertprism\.yml:\d+:\d+ \(enrich\[1\]\.set\.bad-name\): invalid label name "bad-name"/);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /alertmanager_config_last_reload_successful 0/);
    const r = await t.post("/api/v2/alerts", [{ labels: { alertname: "AfterBadReload", severity: "critical", replica: "a" } }]);
    assert.equal(r.status, 200);
    const [a] = await list('alertname="AfterBadReload"');
    assert.deepEqual(a?.labels, { alertname: "AfterBadReload", priority: "P2", severity: "critical" }, "dedup and enrich of the previous file still apply");

    writeFileSync(prismFile, RULES.replace("matchers: ['severity=\"critical\"']\n", "matchers: ['severity=\"critical\"', 'x~~y']\n"));
    const badMatcher = await t.post("/-/reload", undefined);
    assert.equal(badMatcher.status, 500);
    assert.match(badMatcher.text, /alertprism\.yml:\d+:\d+ \(enrich\[1\]\.matchers\[1\]\): bad matcher format: x~~y/);
  });

  test("a reload with a valid alertprism.yml swaps the rules: only new alerts see them", async () => {
    writeFileSync(prismFile, "enrich:\n  - set: { priority: P2 }\n");
    const ok = await t.post("/-/reload", undefined);
    assert.equal(ok.status, 200, ok.text);
    const r = await t.post("/api/v2/alerts", [{ labels: { alertname: "AfterGoodReload", severity: "warning", replica: "a" } }]);
    assert.equal(r.status, 200);
    const [a] = await list('alertname="AfterGoodReload"');
    assert.deepEqual(a?.labels, { alertname: "AfterGoodReload", priority: "P2", replica: "a", severity: "warning" }, "dedup is off now, enrich has one rule");
  });
});
