import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestApp, isoIn, type TestApp } from "./app-fixture.ts";

type GettableAlert = {
  labels: Record<string, string>; annotations: Record<string, string>; fingerprint: string; startsAt: string; endsAt: string;
  updatedAt: string; generatorURL?: string; receivers: Array<{ name: string }>;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
};

describe("POST/GET /api/v2/alerts", () => {
  let t: TestApp;
  before(async () => { t = await startTestApp(); });
  after(async () => { await t.close(); });

  test("stores an alert and lists it in Alertmanager's shape", async () => {
    const r = await t.post("/api/v2/alerts", [{ labels: { alertname: "HighCPU", cluster: "c1", instance: "host1:9100", job: "node", severity: "warning" }, annotations: { summary: "hot" }, generatorURL: "http://prom/graph" }]);
    assert.equal(r.status, 200);
    assert.equal(r.text, "");
    const list = (await t.get("/api/v2/alerts?filter=alertname=HighCPU")).json as GettableAlert[];
    assert.equal(list.length, 1);
    const a = list[0]!;
    assert.equal(a.fingerprint, "3904234a4172db2a");
    assert.deepEqual(Object.keys(a), ["annotations", "endsAt", "fingerprint", "receivers", "startsAt", "status", "updatedAt", "generatorURL", "labels"]);
    assert.deepEqual(a.status, { inhibitedBy: [], silencedBy: [], state: "active" });
    assert.match(a.startsAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(Date.parse(a.endsAt) - Date.parse(a.updatedAt), 5 * 60_000, "endsAt = updatedAt + resolve_timeout");
    assert.deepEqual(a.receivers, [{ name: "default" }]);
  });

  test("keeps client offsets and truncates to milliseconds", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Offset" }, startsAt: "2026-11-22T04:56:35.123456789+02:00", endsAt: "2099-01-01T00:00:00Z" }]);
    const [a] = (await t.get("/api/v2/alerts?filter=alertname=Offset")).json as GettableAlert[];
    assert.equal(a!.startsAt, "2026-11-22T04:56:35.123+02:00");
    assert.equal(a!.endsAt, "2099-01-01T00:00:00.000Z");
  });

  test("receivers follow the route tree in match order, continue included", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Deploy", team: "ops" } }]);
    const [a] = (await t.get("/api/v2/alerts?filter=alertname=Deploy")).json as GettableAlert[];
    assert.deepEqual(a!.receivers, [{ name: "ops" }, { name: "dev" }]);
    assert.equal(((await t.get("/api/v2/alerts?receiver=dev&filter=alertname=Deploy")).json as unknown[]).length, 1);
    assert.equal(((await t.get("/api/v2/alerts?receiver=de&filter=alertname=Deploy")).json as unknown[]).length, 0, "receiver regex is anchored");
    const bad = await t.get("/api/v2/alerts?receiver=(");
    assert.equal(bad.status, 400);
    assert.equal(bad.json, "failed to parse receiver param: error parsing regexp: missing closing ): `^(?:()$`");
  });

  test("filter semantics for missing labels", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Watchdog" } }, { labels: { alertname: "F2", foo: "x" } }]);
    const names = async (q: string) => ((await t.get(`/api/v2/alerts?${q}`)).json as GettableAlert[]).map((a) => a.labels.alertname).filter((n) => n === "Watchdog" || n === "F2").sort();
    assert.deepEqual(await names('filter=foo=""'), ["Watchdog"]);
    assert.deepEqual(await names('filter=foo!=""'), ["F2"]);
    assert.deepEqual(await names('filter=foo=~"x|"'), ["F2", "Watchdog"]);
    assert.deepEqual(await names("filter=alertname=~\"Watch.*\"&filter=foo=\"\""), ["Watchdog"]);
    const bad = await t.get("/api/v2/alerts?filter=alertname~~x");
    assert.equal(bad.status, 400);
    assert.equal(bad.json, "bad matcher format: alertname~~x");
  });

  test("a batch keeps its valid alerts and reports the invalid ones", async () => {
    const r = await t.post("/api/v2/alerts", [{ labels: { "bad-name": "1" } }, { labels: { alertname: "GoodOne" } }, { labels: {} }, { labels: { x: "" } }]);
    assert.equal(r.status, 400);
    assert.equal(r.json, 'invalid label set: invalid name "bad-name"; at least one label pair required; at least one label pair required');
    const list = (await t.get("/api/v2/alerts?filter=alertname=GoodOne")).json as GettableAlert[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.fingerprint, "3f779503f87a9103");
  });

  test("rejects bad input with Alertmanager's codes and shapes", async () => {
    const cases: Array<[unknown, number, unknown, string?]> = [
      ['[{"labels":{"a":"1"}', 400, { code: 400, message: 'parsing alerts body from "" failed, because unexpected EOF' }],
      ["", 422, { code: 602, message: "alerts in body is required" }],
      [[{ annotations: {} }], 422, { code: 602, message: "0.labels in body is required" }],
      [[{ labels: { a: "1" } }, {}], 422, { code: 602, message: "1.labels in body is required" }],
      [[{ labels: { a: "1" }, generatorURL: "foo" }], 422, { code: 601, message: '0.generatorURL in body must be of type uri: "foo"' }],
      [[{ labels: { a: 1 } }], 400, { code: 400, message: 'parsing alerts body from "" failed, because json: cannot unmarshal number into Go struct field Alert.labels of type string' }],
      [[{ labels: { a: "1" }, startsAt: "yesterday" }], 400, { code: 400, message: 'parsing alerts body from "" failed, because parsing time "yesterday" as "2006-01-02 15:04:05": cannot parse "yesterday" as "2006"' }],
      [[{ labels: { a: "1" }, startsAt: 12345 }], 400, { code: 400, message: 'parsing alerts body from "" failed, because json: cannot unmarshal number into Go struct field .startsAt of type string' }],
      [{}, 400, { code: 400, message: 'parsing alerts body from "" failed, because json: cannot unmarshal object into Go value of type models.PostableAlerts' }],
      [[{ labels: { a: "1" }, startsAt: isoIn(3600_000), endsAt: isoIn(60_000) }], 400, "start time must be before end time"],
      [[{ labels: { a: "1" }, startsAt: isoIn(3600_000) }], 400, "start time must be before end time"],
      [[{ labels: { a: "1" } }], 415, { code: 415, message: 'unsupported media type "text/plain", only [application/json] are allowed' }, "text/plain"],
    ];
    for (const [body, status, expected, ct] of cases) {
      const r = await t.post("/api/v2/alerts", body, ct);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.deepEqual(r.json, expected, JSON.stringify(body));
    }
    assert.equal((await t.post("/api/v2/alerts", "null")).status, 200);
    assert.equal((await t.post("/api/v2/alerts", [])).status, 200);
    const noType = await fetch(`${t.url}/api/v2/alerts`, { method: "POST", body: "[]", headers: { "content-type": "" } });
    assert.equal(noType.status, 415);
  });

  test("oversized bodies get 413 and store nothing", async () => {
    const small = await startTestApp({ flags: { "web.max-request-bytes": "1KiB" } });
    try {
      const alerts = Array.from({ length: 50 }, (_, i) => ({ labels: { alertname: "Big", i: String(i) } }));
      const r = await small.post("/api/v2/alerts", alerts);
      assert.equal(r.status, 413);
      assert.equal((r.json as { code: number }).code, 413);
      assert.equal(((await small.get("/api/v2/alerts")).json as unknown[]).length, 0);
    } finally {
      await small.close();
    }
  });

  test("an alert posted with endsAt in the past vanishes from the listing at once", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Gone" } }]);
    assert.equal(((await t.get("/api/v2/alerts?filter=alertname=Gone")).json as unknown[]).length, 1);
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Gone" }, endsAt: new Date().toISOString() }]);
    assert.equal(((await t.get("/api/v2/alerts?filter=alertname=Gone")).json as unknown[]).length, 0);
  });

  test("re-posting keeps startsAt and extends a timeout-derived endsAt", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Repost" } }]);
    const [first] = (await t.get("/api/v2/alerts?filter=alertname=Repost")).json as GettableAlert[];
    await new Promise((r) => setTimeout(r, 20));
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Repost" }, annotations: { v: "2" } }]);
    const [second] = (await t.get("/api/v2/alerts?filter=alertname=Repost")).json as GettableAlert[];
    assert.equal(second!.startsAt, first!.startsAt);
    assert.ok(Date.parse(second!.endsAt) > Date.parse(first!.endsAt));
    assert.deepEqual(second!.annotations, { v: "2" });
  });

  test("inhibition shows in status and in the inhibited flag", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Inh", severity: "warning" } }, { labels: { alertname: "Inh", severity: "critical" } }]);
    const all = (await t.get("/api/v2/alerts?filter=alertname=Inh")).json as GettableAlert[];
    const warning = all.find((a) => a.labels.severity === "warning")!;
    const critical = all.find((a) => a.labels.severity === "critical")!;
    assert.deepEqual(warning.status, { inhibitedBy: [critical.fingerprint], silencedBy: [], state: "suppressed" });
    assert.equal(critical.status.state, "active");
    const visible = (await t.get("/api/v2/alerts?filter=alertname=Inh&inhibited=false")).json as GettableAlert[];
    assert.deepEqual(visible.map((a) => a.labels.severity), ["critical"]);
    const onlyInhibited = (await t.get("/api/v2/alerts?filter=alertname=Inh&active=false")).json as GettableAlert[];
    assert.deepEqual(onlyInhibited.map((a) => a.labels.severity), ["warning"]);
    // The source resolves: the target is active again.
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Inh", severity: "critical" }, endsAt: new Date().toISOString() }]);
    const after = (await t.get("/api/v2/alerts?filter=alertname=Inh")).json as GettableAlert[];
    assert.deepEqual(after.map((a) => [a.labels.severity, a.status.state]), [["warning", "active"]]);
  });

  test("listing is sorted by fingerprint and bool params follow go-openapi", async () => {
    const list = (await t.get("/api/v2/alerts")).json as GettableAlert[];
    const fps = list.map((a) => a.fingerprint);
    assert.deepEqual(fps, [...fps].sort());
    assert.equal(((await t.get("/api/v2/alerts?active=maybe")).json as GettableAlert[]).filter((a) => a.status.state === "active").length, 0);
    assert.ok(((await t.get("/api/v2/alerts?active=yes")).json as GettableAlert[]).some((a) => a.status.state === "active"));
  });
});

describe("GET /api/v2/alerts/groups", () => {
  let t: TestApp;
  before(async () => { t = await startTestApp(); });
  after(async () => { await t.close(); });

  test("groups per route and group labels, sorted, with per-alert receivers", async () => {
    await t.post("/api/v2/alerts", [
      { labels: { alertname: "Disk", instance: "b", job: "node" } },
      { labels: { alertname: "Disk", instance: "a", job: "node" } },
      { labels: { alertname: "Deploy", team: "ops" } },
    ]);
    const groups = (await t.get("/api/v2/alerts/groups")).json as Array<{ labels: Record<string, string>; receiver: { name: string }; alerts: GettableAlert[] }>;
    assert.deepEqual(groups.map((g) => [g.labels, g.receiver.name, g.alerts.length]), [
      [{ alertname: "Deploy" }, "dev", 1],
      [{ alertname: "Deploy" }, "ops", 1],
      [{ alertname: "Disk" }, "default", 2],
    ]);
    assert.deepEqual(groups[2]!.alerts.map((a) => a.labels.instance), ["a", "b"], "alerts in notification order");
    assert.deepEqual(groups[0]!.alerts[0]!.receivers, [{ name: "dev" }, { name: "ops" }], "sorted receivers of the groups holding the alert");
    const onlyOps = (await t.get("/api/v2/alerts/groups?receiver=ops")).json as unknown[];
    assert.equal(onlyOps.length, 1);
  });

  test("each listing shows the alert's status and receivers of now, though the alert itself did not change", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Rollout", team: "ops" } }]);
    type Group = { alerts: GettableAlert[] };
    const flat = async () => ((await t.get("/api/v2/alerts?filter=alertname=Rollout")).json as GettableAlert[])[0]!;
    const grouped = async () => ((await t.get("/api/v2/alerts/groups?filter=alertname=Rollout")).json as Group[]).map((g) => g.alerts[0]!);
    const names = (a: GettableAlert) => a.receivers.map((r) => r.name);
    // Alternating listings: match order in the flat one, sorted in the groups (the same alert, two JSON texts).
    assert.deepEqual(names(await flat()), ["ops", "dev"]);
    assert.deepEqual((await grouped()).map(names), [["dev", "ops"], ["dev", "ops"]]);
    assert.deepEqual(names(await flat()), ["ops", "dev"]);

    const silence = await t.post("/api/v2/silences", {
      matchers: [{ name: "alertname", value: "Rollout", isRegex: false, isEqual: true }],
      startsAt: isoIn(-1000), endsAt: isoIn(3600_000), createdBy: "test", comment: "listing",
    });
    const id = (silence.json as { silenceID: string }).silenceID;
    const muted = { inhibitedBy: [], silencedBy: [id], state: "suppressed" };
    assert.deepEqual((await flat()).status, muted);
    assert.deepEqual((await grouped()).map((a) => a.status), [muted, muted]);

    assert.equal((await t.del(`/api/v2/silence/${id}`)).status, 200);
    const active = { inhibitedBy: [], silencedBy: [], state: "active" };
    assert.deepEqual((await flat()).status, active);
    assert.deepEqual((await grouped()).map((a) => a.status), [active, active]);
  });
});

describe("status, receivers and lifecycle endpoints", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ config: `
global:
  slack_api_url: https://hooks.example/services/SECRET
route:
  receiver: hook
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:1/hook
        http_config:
          basic_auth: {username: u, password: hunter2}
  - name: second
`, flags: { "web.route-prefix": "/am" } });
  });
  after(async () => { await t.close(); });

  test("status re-serialises the config with secrets masked", async () => {
    const r = await t.get("/api/v2/status");
    assert.equal(r.status, 200);
    const s = r.json as { cluster: unknown; config: { original: string }; uptime: string; versionInfo: { version: string } };
    assert.deepEqual(s.cluster, { peers: [], status: "disabled" });
    assert.equal(s.versionInfo.version, "0.25.0");
    assert.match(s.uptime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(!s.config.original.includes("hunter2"));
    assert.ok(!s.config.original.includes("SECRET"));
    assert.match(s.config.original, /password: <secret>/);
    assert.match(s.config.original, /resolve_timeout: 5m/);
    assert.match(s.config.original, /send_resolved: true/);
  });

  test("receivers in config order; route prefix honoured; unknown paths and methods", async () => {
    assert.deepEqual((await t.get("/api/v2/receivers")).json, [{ name: "hook" }, { name: "second" }]);
    const healthy = await fetch(`${t.url}/-/healthy`);
    assert.equal(healthy.status, 200);
    assert.equal(await healthy.text(), "OK");
    assert.equal((await fetch(`${t.url}/-/ready`)).status, 200);
    assert.deepEqual((await t.get("/api/v2/nope")).json, { code: 404, message: "path /am/api/v2/nope was not found" });
    const put = await fetch(`${t.url}/api/v2/alerts`, { method: "PUT" });
    assert.equal(put.status, 405);
    assert.deepEqual(await put.json(), { code: 405, message: "method PUT is not allowed, but [POST,GET] are" });
    assert.equal((await fetch(`${t.url}/-/reload`)).status, 405);
    const outside = await fetch(t.url.replace(/\/am$/, "") + "/api/v2/status");
    assert.equal(outside.status, 404);
  });

  test("reload applies a valid config and keeps the old one on error", async () => {
    const { writeFileSync } = await import("node:fs");
    const file = `${t.dir}/alertmanager.yml`;
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Rerouted" } }]);
    const receiversOfAlert = async () => ((await t.get("/api/v2/alerts?filter=alertname=Rerouted")).json as GettableAlert[])[0]!.receivers;
    assert.deepEqual(await receiversOfAlert(), [{ name: "hook" }]);
    writeFileSync(file, "route:\n  receiver: a\nreceivers:\n  - name: a\n  - name: b\n");
    assert.equal((await t.post("/-/reload", undefined)).status, 200);
    assert.deepEqual((await t.get("/api/v2/receivers")).json, [{ name: "a" }, { name: "b" }]);
    assert.deepEqual(await receiversOfAlert(), [{ name: "a" }], "the unchanged alert listed with the new route's receiver");
    writeFileSync(file, "route:\n  receiver: missing\nreceivers:\n  - name: a\n");
    const bad = await t.post("/-/reload", undefined);
    assert.equal(bad.status, 500);
    assert.match(bad.text, /failed to reload config: .*alertmanager\.yml:2:13 \(route\.receiver\): undefined receiver "missing" used in route/);
    assert.deepEqual((await t.get("/api/v2/receivers")).json, [{ name: "a" }, { name: "b" }]);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /alertmanager_config_last_reload_successful 0/);
  });
});
