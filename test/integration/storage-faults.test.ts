// Disk full during writes, on the real app and a real database file: SQLite's max_page_count on the
// app's live connection stands in for a full volume (a loop/tmpfs mount would need root; see README).
// Every write path must answer 503 in its own error shape, store nothing (database and memory), and
// work again once space returns, without a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { startTestApp, isoIn, type TestApp } from "./app-fixture.ts";

const BIG = "x".repeat(64 * 1024); // needs new pages: a full database cannot absorb it in free space
const FULL_MESSAGE = /^storage full: database or disk is full \(SQLITE_FULL\); the write was not stored, retry later/;

function alert(name: string, annotation = "small") {
  return { labels: { alertname: name, team: "ops" }, annotations: { summary: annotation }, startsAt: isoIn(-60_000), endsAt: isoIn(3_600_000) };
}

/** Row counts of the tables the write paths touch, read through a second connection to the file. */
function rowCounts(h: TestApp): Record<string, number> {
  const db = new BetterSqlite3(join(h.dir, "alertprism.db"), { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ["alerts", "alert_events", "silences", "acks", "audit"]) out[t] = db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    return out;
  } finally {
    db.close();
  }
}

/** What the API shows: alerts (name → summary) and silences (comment). */
async function apiState(h: TestApp): Promise<{ alerts: Record<string, string>; silences: string[] }> {
  const alerts = (await h.get("/api/v2/alerts")).json as Array<{ labels: { alertname: string }; annotations: { summary: string } }>;
  const silences = (await h.get("/api/v2/silences")).json as Array<{ comment: string }>;
  return {
    alerts: Object.fromEntries(alerts.map((a) => [a.labels.alertname, a.annotations.summary.slice(0, 10)])),
    silences: silences.map((s) => s.comment.slice(0, 10)).sort(),
  };
}

function metric(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  assert.ok(line, `${series} is exposed`);
  return Number(line.split(" ")[1]);
}

test("disk full: every write path answers 503 with the reason, stores nothing, and recovers when space returns", { timeout: 60_000 }, async (t) => {
  // Writes big enough to need new pages are above the default size limits; raise them so storage, not a limit, refuses.
  const dir = mkdtempSync(join(tmpdir(), "alertprism-it-"));
  const alertprismFile = join(dir, "alertprism.yml");
  writeFileSync(alertprismFile, "limits:\n  max_alert_size_bytes: 1MiB\n  max_silence_size_bytes: 1MiB\n");
  const h = await startTestApp({ dir, flags: { "alertprism.config.file": alertprismFile } });
  t.after(() => h.close());
  assert.equal((await h.post("/api/v2/alerts", [alert("Before")])).status, 200);
  const fp = ((await h.get("/api/v2/alerts")).json as Array<{ fingerprint: string }>)[0]!.fingerprint;

  // The disk fills: no page may be added, and alerts use up what is free in the pages there are.
  h.app.limitDatabasePages(1);
  let fills = 0;
  for (let size = 16_384; size >= 16; size = Math.floor(size / 2)) {
    while ((await h.post("/api/v2/alerts", [alert(`Fill${fills}`, "f".repeat(size))])).status === 200) fills++;
  }
  const rowsBefore = rowCounts(h);
  const stateBefore = await apiState(h);

  await t.test("POST /api/v2/alerts: 503, Alertmanager's bare-string error", async () => {
    const r = await h.post("/api/v2/alerts", [alert("During1"), alert("Before", "changed"), alert("During2", BIG)]);
    assert.equal(r.status, 503, r.text);
    assert.equal(typeof r.json, "string");
    assert.match(r.json as string, FULL_MESSAGE);
  });
  await t.test("POST /api/v1/webhook: 503, {code, message}", async () => {
    const r = await h.post("/api/v1/webhook", {
      version: "4", status: "firing", receiver: "r", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am",
      alerts: [{ status: "firing", ...alert("ViaWebhook", BIG), generatorURL: "", fingerprint: "0000000000000001" }],
    });
    assert.equal(r.status, 503, r.text);
    const body = r.json as { code: number; message: string };
    assert.equal(body.code, 503);
    assert.match(body.message, FULL_MESSAGE);
  });
  await t.test("POST /api/v2/silences: 503", async () => {
    const r = await h.post("/api/v2/silences", {
      matchers: [{ name: "alertname", value: "Before", isRegex: false, isEqual: true }],
      startsAt: isoIn(0), endsAt: isoIn(3_600_000), createdBy: "me", comment: BIG,
    });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json as string, FULL_MESSAGE);
  });
  await t.test("ops API ack: 503 in the ops API's {code, message}", async () => {
    // The longest comment allowed: its history event and audit row need pages the full database lacks.
    const r = await h.post(`/api/ops/v1/alerts/${fp}/ack`, { comment: "c".repeat(2000) });
    assert.equal(r.status, 503, r.text);
    const body = r.json as { code: number; message: string };
    assert.equal(body.code, 503);
    assert.match(body.message, FULL_MESSAGE);
  });
  await t.test("nothing half-written: database rows and API state as before; the process still serves reads", async () => {
    assert.deepEqual(rowCounts(h), rowsBefore);
    assert.deepEqual(await apiState(h), stateBefore);
    const ack = await h.get(`/api/ops/v1/alerts/${fp}/ack`);
    assert.notEqual(ack.status, 200, "the refused ack is not in memory either");
  });
  await t.test("metrics: failures counted by code; the failing gauge is 1", async () => {
    const m = (await h.get("/metrics")).text;
    assert.ok(metric(m, 'alertprism_storage_write_failures_total{code="SQLITE_FULL"}') >= 5);
    assert.equal(metric(m, "alertprism_storage_write_failing"), 1);
    assert.equal((await h.get("/-/ready")).status, 200, "readiness stays: Prometheus keeps sending, and the next write detects recovery");
  });

  h.app.limitDatabasePages(1_000_000); // space returns

  await t.test("recovery without restart: the same writes succeed and show, earlier data intact", async () => {
    assert.equal((await h.post("/api/v2/alerts", [alert("During1"), alert("Before", "changed"), alert("During2", BIG)])).status, 200);
    const r = await h.post("/api/v2/silences", {
      matchers: [{ name: "alertname", value: "Before", isRegex: false, isEqual: true }],
      startsAt: isoIn(0), endsAt: isoIn(3_600_000), createdBy: "me", comment: "after",
    });
    assert.equal(r.status, 200, r.text);
    assert.equal((await h.post(`/api/ops/v1/alerts/${fp}/ack`, { comment: "after" })).status, 200);
    const state = await apiState(h);
    assert.deepEqual({ ...state.alerts, ...Object.fromEntries(Object.keys(state.alerts).filter((k) => k.startsWith("Fill")).map((k) => [k, "fill"])) },
      { ...stateBefore.alerts, ...Object.fromEntries(Object.keys(stateBefore.alerts).filter((k) => k.startsWith("Fill")).map((k) => [k, "fill"])), Before: "changed", During1: "small", During2: "xxxxxxxxxx" });
    assert.deepEqual(state.silences, ["after"]);
    const rows = rowCounts(h);
    assert.equal(rows.alerts, rowsBefore.alerts! + 2);
    assert.ok(rows.alert_events! > rowsBefore.alert_events!);
    assert.equal(rows.acks, 1);
    const m = (await h.get("/metrics")).text;
    assert.equal(metric(m, "alertprism_storage_write_failing"), 0);
  });
});
