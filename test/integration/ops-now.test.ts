// GET /api/ops/v1/alerts/now and POST /api/ops/v1/silences: what the web page's "Now" view and its
// silence action use. Checked against the served OpenAPI document.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { startFakeClockApp, MIN, type FakeClockApp } from "./fake-clock-app.ts";

const routing = (sink: string) => `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  routes:
    - matchers: ['team="db"']
      receiver: db
      group_by: [alertname, instance]
receivers:
  - name: default
    webhook_configs: [{ url: "${sink}/default" }]
  - name: db
    webhook_configs: [{ url: "${sink}/db" }]
`;

interface NowPage { totalAlerts: number; totalGroups: number; offset: number; groups: Array<{ receiver: string; labels: Record<string, string>; size: number; storm: boolean; alerts: Array<{ fingerprint: string; labels: Record<string, string>; state: string; silencedBy: string[]; priority?: string; flapping: boolean; ack: null | { actor: string; comment: string } }> }> }

async function app(t: TestContext): Promise<FakeClockApp<never>> {
  const h = await startFakeClockApp<never>({ routing });
  t.after(() => h.close());
  return h;
}

test("firing alerts grouped as the route tree groups them, with priority, muting and ack", async (t) => {
  const h = await app(t);
  await h.post([
    { labels: { alertname: "DiskFull", instance: "db1", team: "db", priority: "P2" } },
    { labels: { alertname: "DiskFull", instance: "db2", team: "db", priority: "P2" } },
    { labels: { alertname: "HighLatency", service: "api", priority: "P1" } },
  ]);
  const sil = await h.ops("POST", "/silences", "/silences", { matchers: ['instance="db2"'], duration: "2h", comment: "replacing disk" });
  assert.equal(sil.status, 200);
  const fpDb1 = ((await h.ops("GET", "/alerts/now", "/alerts/now")).json as NowPage).groups.flatMap((g) => g.alerts).find((a) => a.labels.instance === "db1")!.fingerprint;
  assert.equal((await h.ops("POST", `/alerts/${fpDb1}/ack`, "/alerts/:fingerprint/ack", { comment: "on it" })).status, 200);

  const page = (await h.ops("GET", "/alerts/now", "/alerts/now")).json as NowPage;
  // team="db" alerts match the db route (one group per alertname+instance) and, as a child matched,
  // not the root; HighLatency falls to the root's group per alertname.
  assert.equal(page.totalGroups, 3);
  assert.equal(page.totalAlerts, 3);
  const db = page.groups.filter((g) => g.receiver === "db");
  assert.deepEqual(db.map((g) => g.labels.instance).sort(), ["db1", "db2"]);
  const all = page.groups.flatMap((g) => g.alerts);
  const db2 = all.find((a) => a.labels.instance === "db2")!;
  assert.equal(db2.state, "suppressed");
  assert.deepEqual(db2.silencedBy, [(sil.json as { silenceID: string }).silenceID]);
  const db1 = all.find((a) => a.labels.instance === "db1")!;
  assert.deepEqual([db1.state, db1.priority, db1.ack?.comment, db1.ack?.actor], ["active", "P2", "on it", "local"]);
  assert.equal(all.find((a) => a.labels.alertname === "HighLatency")?.ack, null);

  const filtered = (await h.ops("GET", '/alerts/now?filter=priority%3D"P1"', "/alerts/now")).json as NowPage;
  assert.deepEqual(filtered.groups.flatMap((g) => g.alerts.map((a) => a.labels.alertname)), ["HighLatency"]);
  const unmuted = (await h.ops("GET", "/alerts/now?muted=false", "/alerts/now")).json as NowPage;
  assert.equal(unmuted.totalAlerts, 2, "db2 (silenced) is left out");
  const bad = await h.ops("GET", "/alerts/now?filter=%3Dvalue", "/alerts/now");
  assert.equal(bad.status, 400);

  // The silence is audited under the caller.
  const audit = (await h.ops("GET", "/audit?action=silence.create", "/audit")).json as { entries: Array<{ actor: string; target: string }> };
  assert.deepEqual(audit.entries.map((e) => [e.actor, e.target]), [["local", (sil.json as { silenceID: string }).silenceID]]);
});

test("10,000 firing alerts come a page at a time, in a stable order", async (t) => {
  const h = await app(t);
  const alerts = Array.from({ length: 10_000 }, (_, i) => ({ labels: { alertname: `A${i % 7}`, instance: `host-${i}` } }));
  for (let i = 0; i < alerts.length; i += 2000) await h.post(alerts.slice(i, i + 2000));
  const first = (await h.ops("GET", "/alerts/now?limit=1000", "/alerts/now")).json as NowPage;
  assert.equal(first.totalAlerts, 10_000);
  assert.equal(first.totalGroups, 7);
  assert.equal(first.groups.reduce((n, g) => n + g.alerts.length, 0), 1000);
  const seen = new Set<string>();
  for (let offset = 0; offset < 10_000; offset += 1000) {
    const p = (await h.call("GET", `/api/ops/v1/alerts/now?limit=1000&offset=${offset}`)).json as NowPage;
    for (const g of p.groups) for (const a of g.alerts) seen.add(a.fingerprint);
  }
  assert.equal(seen.size, 10_000, "every alert exactly once across the pages");
  await h.run(MIN);
});

test("POST /silences rejects bad input with 400 and says why", async (t) => {
  const h = await app(t);
  const bad = async (body: unknown, msg: RegExp) => {
    const r = await h.ops("POST", "/silences", "/silences", body);
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.match((r.json as { message: string }).message, msg);
  };
  await bad({ matchers: [], duration: "1h", comment: "x" }, /matchers/);
  await bad({ matchers: ['a="b"'], duration: "soon", comment: "x" }, /bad duration/);
  await bad({ matchers: ['a="b"'], duration: "1h", comment: "" }, /comment is required/);
  await bad({ matchers: ['a=="b"'], duration: "1h", comment: "x" }, /bad filter/);
  await bad({ matchers: ['a="b"'], duration: "0s", comment: "x" }, /above 0/);
  await bad({ matchers: ['a="b"'], duration: "1h", comment: "x", createdBy: "mallory" }, /unknown field/);
  await bad({ matchers: ['a=~".*"'], duration: "1h", comment: "x" }, /empty|match/i);
});
