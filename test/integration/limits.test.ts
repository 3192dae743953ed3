import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/lib/log.ts";
import { isoIn, startTestApp, type TestApp } from "./app-fixture.ts";

const ONE_ALERTNAME_GROUPS = `
route:
  receiver: default
  group_by: [alertname]
receivers: [{name: default}]
`;

/** Starts the app on `dir` with these limits (alertprism.yml written there), keeping the directory for a restart. */
async function startWith(dir: string, limits: string, opts: { config?: string; lines?: string[] } = {}): Promise<TestApp> {
  const file = join(dir, "alertprism.yml");
  writeFileSync(file, `limits:\n${limits}`);
  const logger = opts.lines ? createLogger({ level: "info", format: "json", destination: { write: (l: string) => void opts.lines!.push(l) } }) : undefined;
  return startTestApp({ dir, config: opts.config ?? ONE_ALERTNAME_GROUPS, flags: { "alertprism.config.file": file }, ...(logger ? { logger } : {}) });
}

const firing = (alertname: string, instance: string, annotations: Record<string, string> = {}) =>
  ({ labels: { alertname, instance }, annotations, startsAt: isoIn(-60_000), endsAt: isoIn(3_600_000) });
const resolved = (alertname: string, instance: string) =>
  ({ labels: { alertname, instance }, annotations: {}, startsAt: isoIn(-60_000), endsAt: isoIn(-1_000) });

async function metric(t: TestApp, name: string, limit: string): Promise<number> {
  const text = (await t.get("/metrics")).text;
  const m = new RegExp(`^${name}\\{limit="${limit}"\\} (\\S+)$`, "m").exec(text);
  assert.ok(m, `${name}{limit="${limit}"} is exported`);
  return Number(m[1]);
}

/** "alertname/instance" of the alerts GET /api/v2/alerts lists (active, not yet ended). */
async function listed(t: TestApp): Promise<string[]> {
  const r = await t.get("/api/v2/alerts");
  return (r.json as Array<{ labels: Record<string, string> }>).map((a) => `${a.labels.alertname}/${a.labels.instance}`).sort();
}

test("max_alerts and max_alerts_per_alertname: new alerts over a limit get 400, the rest of the batch is kept, held alerts can be updated and resolved, and a restart keeps it all", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-limits-"));
  const limits = "  max_alerts: 5\n  max_alerts_per_alertname: 3\n";
  let t = await startWith(dir, limits);
  try {
    assert.equal(await metric(t, "alertprism_limit", "max_alerts"), 5);
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_alerts"), 0);

    let r = await t.post("/api/v2/alerts", [firing("A", "1"), firing("A", "2"), firing("A", "3"), firing("A", "4"), firing("B", "1")]);
    assert.equal(r.status, 400);
    assert.equal(r.json, 'limit reached: 1 new alert named "A" refused, limits.max_alerts_per_alertname is 3 (updates and resolutions of alerts already held are accepted)');
    assert.deepEqual(await listed(t), ["A/1", "A/2", "A/3", "B/1"], "the alerts within the limits were committed");
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_alerts_per_alertname"), 1);

    r = await t.post("/api/v2/alerts", [firing("B", "2"), firing("C", "1"), firing("C", "2")]);
    assert.equal(r.status, 400);
    assert.equal(r.json, "limit reached: 2 new alerts refused, the live set holds 5 alerts and limits.max_alerts is 5 (updates and resolutions of alerts already held are accepted)");
    assert.deepEqual(await listed(t), ["A/1", "A/2", "A/3", "B/1", "B/2"]);
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_alerts"), 2);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_alerts"), 5);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_alerts_per_alertname"), 3);

    // At the limit: an update and a resolution of held alerts pass; a resolved alert never held is dropped quietly.
    r = await t.post("/api/v2/alerts", [firing("A", "1", { summary: "updated" }), resolved("A", "2"), resolved("D", "1")]);
    assert.equal(r.status, 200, r.text);
    const a1 = (await t.get("/api/v2/alerts?filter=instance%3D%221%22&filter=alertname%3D%22A%22")).json as Array<{ annotations: Record<string, string> }>;
    assert.deepEqual(a1.map((a) => a.annotations), [{ summary: "updated" }]);
    assert.deepEqual(await listed(t), ["A/1", "A/3", "B/1", "B/2"], "A/2 resolved");
    assert.equal(await metric(t, "alertprism_limit_usage", "max_alerts"), 5, "D/1 was not stored; A/2 stays in the live set until gc_interval");

    // A flood of new alerts keeps the live set at its limit.
    const flood = Array.from({ length: 200 }, (_, i) => firing(`Flood${i % 7}`, String(i)));
    r = await t.post("/api/v2/alerts", flood);
    assert.equal(r.status, 400);
    assert.match(String(r.json), /^limit reached: 200 new alerts refused, the live set holds 5 alerts/);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_alerts"), 5);

    // The webhook receiver answers the same refusal in its own (framework) error shape.
    r = await t.post("/api/v1/webhook", {
      version: "4", status: "firing", receiver: "x", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am", groupKey: "{}", truncatedAlerts: 0,
      alerts: [
        { status: "firing", labels: { alertname: "B", instance: "1" }, annotations: { via: "webhook" }, startsAt: isoIn(-60_000), endsAt: "0001-01-01T00:00:00Z" },
        { status: "firing", labels: { alertname: "W", instance: "1" }, annotations: {}, startsAt: isoIn(-60_000), endsAt: "0001-01-01T00:00:00Z" },
      ],
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { code: 400, message: "alerts refused by limits: limit reached: 1 new alert refused, the live set holds 5 alerts and limits.max_alerts is 5 (updates and resolutions of alerts already held are accepted)" });
    const b1 = (await t.get("/api/v2/alerts?filter=alertname%3D%22B%22&filter=instance%3D%221%22")).json as Array<{ annotations: Record<string, string> }>;
    assert.deepEqual(b1.map((a) => a.annotations), [{ via: "webhook" }], "the held alert of the webhook batch was updated");
    // 2 + D/1 (dropped quietly, but counted) + 200 + W/1.
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_alerts"), 204);

    await t.close();
    t = await startWith(dir, limits);
    assert.deepEqual(await listed(t), ["A/1", "A/3", "B/1", "B/2"], "nothing refused was persisted");
    assert.equal(await metric(t, "alertprism_limit_usage", "max_alerts"), 5);
    r = await t.post("/api/v2/alerts", [firing("C", "1")]);
    assert.equal(r.status, 400, "still at the limit after the restart");
    r = await t.post("/api/v2/alerts", [firing("B", "2", { after: "restart" })]);
    assert.equal(r.status, 200);
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("max_alert_size_bytes: an alert whose labels and annotations are too large is refused, the rest of the batch is kept", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-limits-"));
  const t = await startWith(dir, "  max_alert_size_bytes: 1KiB\n");
  try {
    const big = firing("Big", "1", { description: "x".repeat(1100) });
    const r = await t.post("/api/v2/alerts", [big, firing("Small", "1")]);
    assert.equal(r.status, 400);
    assert.match(String(r.json), /^alert "Big" \(fingerprint [0-9a-f]{16}\) too large: its labels and annotations take 1\d{3} bytes, above limits\.max_alert_size_bytes \(1024\)$/);
    assert.deepEqual(await listed(t), ["Small/1"]);
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_alert_size_bytes"), 1);
    // An update that grows a held alert past the size is refused too; the held version stays.
    const grown = await t.post("/api/v2/alerts", [firing("Small", "1", { description: "y".repeat(1100) })]);
    assert.equal(grown.status, 400);
    const small = (await t.get("/api/v2/alerts")).json as Array<{ annotations: Record<string, string> }>;
    assert.deepEqual(small.map((a) => a.annotations), [{}]);
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const silence = (value: string, extra: Record<string, unknown> = {}) => ({
  matchers: [{ name: "alertname", value, isRegex: false, isEqual: true }],
  startsAt: isoIn(-1000), endsAt: isoIn(3_600_000), createdBy: "test", comment: "limits", ...extra,
});

test("max_silences and max_silence_size_bytes: 400 over the limit, in-place updates and replacements pass, concurrent creations cannot overshoot, a restart keeps the count", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-limits-"));
  const limits = "  max_silences: 3\n  max_silence_size_bytes: 512\n";
  let t = await startWith(dir, limits);
  try {
    const ids: string[] = [];
    for (const v of ["a", "b"]) {
      const r = await t.post("/api/v2/silences", silence(v));
      assert.equal(r.status, 200, r.text);
      ids.push((r.json as { silenceID: string }).silenceID);
    }
    // Five at once for the last place: exactly one gets it.
    const race = await Promise.all(["c1", "c2", "c3", "c4", "c5"].map((v) => t.post("/api/v2/silences", silence(v))));
    assert.deepEqual(race.map((r) => r.status).sort(), [200, 400, 400, 400, 400]);
    const refusedBody = race.find((r) => r.status === 400)!.json;
    assert.equal(refusedBody, "too many silences: 3 are active or pending, limits.max_silences is 3; expire one first (updating a silence in place is still accepted)");
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_silences"), 4);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_silences"), 3);

    // At the limit: an update in place keeps its id; a replacement (new matchers) expires the old one.
    // In place: an active silence keeps its (stored, clamped to creation) start.
    const { startsAt } = (await t.get(`/api/v2/silence/${ids[0]}`)).json as { startsAt: string };
    let r = await t.post("/api/v2/silences", silence("a", { id: ids[0], startsAt, endsAt: isoIn(7_200_000) }));
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json as { silenceID: string }).silenceID, ids[0]);
    r = await t.post("/api/v2/silences", silence("b2", { id: ids[1] }));
    assert.equal(r.status, 200, r.text);
    assert.notEqual((r.json as { silenceID: string }).silenceID, ids[1]);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_silences"), 3);

    // Size: matchers, comment and createdBy count, for new silences and updates alike.
    r = await t.post("/api/v2/silences", silence("a", { id: ids[0], comment: "c".repeat(600) }));
    assert.equal(r.status, 400);
    assert.match(String(r.json), /^silence too large: its matchers, comment and createdBy take 6\d\d bytes, above limits\.max_silence_size_bytes \(512\)$/);
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_silence_size_bytes"), 1);

    // Expiring one frees its place.
    assert.equal((await t.del(`/api/v2/silence/${ids[0]}`)).status, 200);
    r = await t.post("/api/v2/silences", silence("d"));
    assert.equal(r.status, 200, r.text);

    await t.close();
    t = await startWith(dir, limits);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_silences"), 3);
    r = await t.post("/api/v2/silences", silence("e"));
    assert.equal(r.status, 400, "still at the limit after the restart");
    const all = (await t.get("/api/v2/silences")).json as Array<{ status: { state: string } }>;
    assert.equal(all.filter((s) => s.status.state !== "expired").length, 3, "nothing refused was persisted");
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("max_aggregation_groups: alerts that need a group beyond the limit are stored but not dispatched, counted, and logged once", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-limits-"));
  const lines: string[] = [];
  const t = await startWith(dir, "  max_aggregation_groups: 2\n", { lines });
  try {
    const r = await t.post("/api/v2/alerts", ["G1", "G2", "G3", "G4"].map((n) => firing(n, "1")));
    assert.equal(r.status, 200, "dispatch is asynchronous: the alerts are accepted");
    assert.equal((await listed(t)).length, 4);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_aggregation_groups"), 2);
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_aggregation_groups"), 2);
    await t.post("/api/v2/alerts", ["G3", "G4", "G5"].map((n) => firing(n, "1")));
    assert.equal(await metric(t, "alertprism_limit_rejections_total", "max_aggregation_groups"), 5);
    assert.equal(await metric(t, "alertprism_limit_usage", "max_aggregation_groups"), 2);
    const logged = lines.filter((l) => l.includes("aggregation group limit reached"));
    assert.equal(logged.length, 1, "one log line per minute, not one per alert");
    assert.equal(JSON.parse(logged[0]!).limit, 2);
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a reload applies new limits at once; a bad value keeps the limits in force", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-limits-"));
  const t = await startWith(dir, "  max_alerts: 2\n");
  const file = join(dir, "alertprism.yml");
  try {
    assert.equal((await t.post("/api/v2/alerts", [firing("R", "1"), firing("R", "2")])).status, 200);
    assert.equal((await t.post("/api/v2/alerts", [firing("R", "3")])).status, 400);
    writeFileSync(file, "limits:\n  max_alerts: 3\n");
    assert.equal((await t.post("/-/reload", "")).status, 200);
    assert.equal(await metric(t, "alertprism_limit", "max_alerts"), 3);
    assert.equal((await t.post("/api/v2/alerts", [firing("R", "3")])).status, 200);
    writeFileSync(file, "limits:\n  max_alerts: 0\n");
    const bad = await t.post("/-/reload", "");
    assert.equal(bad.status, 500);
    assert.match(bad.text, /\(limits\.max_alerts\): must be at least 1/);
    assert.equal(await metric(t, "alertprism_limit", "max_alerts"), 3, "the previous limits stay in force");
    assert.equal((await t.post("/api/v2/alerts", [firing("R", "4")])).status, 400);
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("max_silences: creating and expiring in a loop keeps at most twice the limit held, expired ones dropped oldest first", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-limits-"));
  const t = await startWith(dir, "  max_silences: 2\n");
  try {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await t.post("/api/v2/silences", silence(`loop${i}`));
      assert.equal(r.status, 200, r.text);
      const id = (r.json as { silenceID: string }).silenceID;
      ids.push(id);
      assert.equal((await t.del(`/api/v2/silence/${id}`)).status, 200);
    }
    const held = ((await t.get("/api/v2/silences")).json as Array<{ id: string }>).map((s) => s.id).sort();
    assert.deepEqual(held, ids.slice(-4).sort(), "the newest expired silences are kept");
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
