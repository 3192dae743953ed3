import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { migrate } from "../store/migrate.ts";
import { UnusualRepo } from "../store/unusual-repo.ts";
import { UnusualAlerts, type UnusualSource } from "./unusual-service.ts";
import { daysInWindow } from "../anomaly/unusual.ts";
import type { NotificationData, NotifyAlert } from "../notify/notifier.ts";
import { fromMillis } from "../types/time.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 11, 1, 10);
const fixedClock = (now: number) => ({ now: () => now }) as unknown as ConstructorParameters<typeof UnusualAlerts>[0]["clock"];

function seeded(): { db: Database.Database; fire(fp: string, labels: Record<string, string>, atMs: number): void } {
  const db = new Database(":memory:");
  migrate(db);
  const ids = new Map<string, number>();
  return {
    db,
    fire(fp, labels, atMs) {
      let id = ids.get(fp);
      if (id === undefined) {
        id = Number(db.prepare("INSERT INTO series (fingerprint, labels) VALUES (?, ?)").run(fp, JSON.stringify(labels)).lastInsertRowid);
        for (const [n, v] of Object.entries(labels)) db.prepare("INSERT INTO series_labels (name, value, series_id) VALUES (?, ?, ?)").run(n, v, id);
        ids.set(fp, id);
      }
      db.prepare("INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (?, ?, 'new', '{}')").run(id, atMs);
      db.prepare("INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (?, ?, 'resolved', '{}')").run(id, atMs + 60_000);
    },
  };
}

test("unusual repo: distinct UTC days of the pair's episode starts in [from, to), other series of the pair included", async () => {
  const { db, fire } = seeded();
  const disk = { alertname: "Disk", service: "db" };
  fire("a", { ...disk, instance: "1" }, T0 - 40 * DAY); // before the window
  fire("a", { ...disk, instance: "1" }, T0 - 30 * DAY); // its first millisecond
  fire("b", { ...disk, instance: "2" }, T0 - 3 * DAY);
  fire("b", { ...disk, instance: "2" }, T0 - 3 * DAY + 3_600_000); // the same day again
  fire("c", { alertname: "Disk", service: "web" }, T0 - 2 * DAY); // another service
  fire("d", { alertname: "Disk" }, T0 - 1 * DAY); // no service
  fire("a", { ...disk, instance: "1" }, T0); // the episode itself: not in [from, to)
  const repo = new UnusualRepo(db);
  const episodeDays = async (alertname: string, service: string, from: number, to: number) =>
    daysInWindow(await repo.episodeDayBounds(alertname, service, from, to), from, to);
  const days = await episodeDays("Disk", "db", T0 - 30 * DAY, T0);
  assert.deepEqual(days, [Math.floor((T0 - 30 * DAY) / DAY), Math.floor((T0 - 3 * DAY) / DAY)]);
  assert.deepEqual((await repo.episodeDayBounds("Disk", "db", T0 - 30 * DAY, T0))[1], { day: Math.floor((T0 - 3 * DAY) / DAY), firstMs: T0 - 3 * DAY, lastMs: T0 - 3 * DAY + 3_600_000 });
  assert.deepEqual(await episodeDays("Disk", "", T0 - 30 * DAY, T0), [Math.floor((T0 - DAY) / DAY)]);
  assert.deepEqual(await episodeDays("Nope", "db", T0 - 30 * DAY, T0), []);
  assert.deepEqual(await repo.episodeStarts(["a", "b", "zz"], T0 + DAY), new Map([["a", T0], ["b", T0 - 3 * DAY + 3_600_000]]));
  assert.deepEqual(await repo.episodeStarts(["a"], T0 - 1), new Map([["a", T0 - 30 * DAY]]));
  assert.deepEqual(await repo.episodeStarts(["zz"], T0), new Map());
  assert.deepEqual(await repo.episodeStarts([], T0), new Map());

  const u = new UnusualAlerts({ clock: fixedClock(T0 + 1000), source: repo });
  assert.deepEqual(await u.episodeAt("a", { ...disk, instance: "1" }, T0 + 1000), { class: "frequent", daysWithEpisodes: 2, windowDays: 30, startMs: T0 });
  assert.equal((await u.episodeAt("d", { alertname: "Disk" }, T0 + 1000))?.class, "new");
  assert.equal((await u.episodeAt("c", { alertname: "Disk", service: "web" }, T0 + 1000))?.class, "new");
  // b's first episode (T0 − 3 d): a's start 27 days before it → rare; its second, an hour later, also sees its first → frequent.
  assert.equal((await u.episodeAt("b", { ...disk, instance: "2" }, T0 - 3 * DAY + 60_000))?.class, "rare");
  assert.equal((await u.episodeAt("b", { ...disk, instance: "2" }, T0))?.class, "frequent");
  assert.equal(await u.episodeAt("x", {}, T0), undefined);
});

test("unusual: the plans use the label and lifecycle indexes", async () => {
  const { db } = seeded();
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join("\n");
  const days = plan(`SELECT e.at_ms / 86400000, min(e.at_ms), max(e.at_ms) FROM alert_events e
      WHERE e.kind IN ('new', 'resolved') AND e.kind = 'new' AND e.at_ms >= 1 AND e.at_ms < 2
        AND e.series_id IN (SELECT n.series_id FROM series_labels n WHERE n.name = 'alertname' AND n.value = 'x'
          AND EXISTS (SELECT 1 FROM series_labels s WHERE s.series_id = n.series_id AND s.name = 'service' AND s.value = 'y'))
      GROUP BY 1 ORDER BY 1`);
  assert.match(days, /USING INDEX alert_events_lifecycle_by_series \(series_id=\? AND at_ms>\? AND at_ms<\?\)/);
  assert.match(days, /SEARCH n USING PRIMARY KEY \(name=\? AND value=\?\)/);
  assert.doesNotMatch(days, /SCAN/);
  const starts = plan(`SELECT s.fingerprint, (SELECT e.at_ms FROM alert_events e WHERE e.series_id = s.id AND e.kind IN ('new', 'resolved')
      AND e.kind = 'new' AND e.at_ms <= 5 ORDER BY e.at_ms DESC LIMIT 1) FROM series s WHERE s.fingerprint IN (SELECT value FROM json_each('["a"]'))`);
  assert.match(starts, /USING INDEX alert_events_lifecycle_by_series \(series_id=\? AND at_ms<\?\)/);
  assert.match(starts, /SEARCH s USING (COVERING )?INDEX sqlite_autoindex_series_1 \(fingerprint=\?\)/);
  assert.doesNotMatch(starts, /SCAN (e|s|alert_events|series)\b/);
});

test("unusual: a notification's alerts are classified once per episode, with one days query per pair, not per flush", async () => {
  let queries = 0;
  const source: UnusualSource = {
    episodeStarts: (fps) => { queries++; return Promise.resolve(new Map(fps.map((fp) => [fp, T0]))); },
    episodeDayBounds: () => { queries++; return Promise.resolve([]); },
  };
  const u = new UnusualAlerts({ clock: fixedClock(T0 + 5000), source });
  const alert = (i: number): NotifyAlert => ({
    status: "firing", labels: { alertname: "Many", instance: String(i) }, annotations: {}, startsAt: fromMillis(T0),
    endsAt: fromMillis(0), generatorURL: "", fingerprint: i.toString(16).padStart(16, "0"),
  });
  const data: NotificationData = {
    receiver: "r", status: "firing", alerts: Array.from({ length: 1000 }, (_, i) => alert(i)),
    groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "",
  };
  const first = await u.decorate(data);
  assert.equal(queries, 2, "the 1,000 episode starts at once, and the days of the one (alertname, service) pair once");
  assert.ok(first.alerts.every((a) => a.unusual === "new"));
  assert.equal(data.alerts[0]!.unusual, undefined, "the input is not changed");
  for (let i = 0; i < 5; i++) await u.decorate(data);
  assert.equal(queries, 2, "later flushes of the same episodes query nothing");
  // Another startsAt: the episode start is looked up again (here history says it is the same episode, whose days are cached).
  await u.decorate({ ...data, alerts: [{ ...alert(1), startsAt: fromMillis(T0 + 1000) }] });
  assert.equal(queries, 3);
});

test("unusual: unknown (no episode start in history yet) leaves the alert as it is and is not cached", async () => {
  let starts = 0;
  const u = new UnusualAlerts({ clock: fixedClock(T0), source: { episodeStarts: () => { starts++; return Promise.resolve(new Map()); }, episodeDayBounds: () => Promise.resolve([]) } });
  const data: NotificationData = {
    receiver: "r", status: "firing", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "",
    alerts: [{ status: "firing", labels: { alertname: "X" }, annotations: {}, startsAt: fromMillis(T0), endsAt: fromMillis(0), generatorURL: "", fingerprint: "0000000000000001" }],
  };
  assert.equal(await u.decorate(data), data);
  await u.decorate(data);
  assert.equal(starts, 2);
});

test("unusual: a notification classifies each alert as episodeAt does alone, pairs and window edges included", async () => {
  const { db, fire } = seeded();
  const disk = { alertname: "Disk", service: "db" };
  // Starts on the edges of the windows that follow: the first millisecond of one, the last of another.
  fire("a", { ...disk, instance: "1" }, T0 - 30 * DAY);
  fire("b", { ...disk, instance: "2" }, T0 - 30 * DAY + 5_000 - 1);
  fire("c", { ...disk, instance: "3" }, T0 - 10 * DAY);
  fire("w", { alertname: "Disk", service: "web" }, T0 - 4 * DAY);
  fire("n", { alertname: "Net" }, T0 - 2 * DAY);
  fire("a", { ...disk, instance: "1" }, T0);
  fire("b", { ...disk, instance: "2" }, T0 + 5_000);
  fire("c", { ...disk, instance: "3" }, T0 + 9 * 3_600_000);
  fire("w", { alertname: "Disk", service: "web" }, T0 + DAY);
  fire("n", { alertname: "Net" }, T0 + 1);
  const repo = new UnusualRepo(db);
  const now = T0 + 2 * DAY;
  const alerts: NotifyAlert[] = [
    ["a", { ...disk, instance: "1" }, T0], ["b", { ...disk, instance: "2" }, T0 + 5_000], ["c", { ...disk, instance: "3" }, T0 + 9 * 3_600_000],
    ["w", { alertname: "Disk", service: "web" }, T0 + DAY], ["n", { alertname: "Net" }, T0 + 1],
  ].map(([fingerprint, labels, startsAt]) => ({
    status: "firing", labels: labels as Record<string, string>, annotations: {}, startsAt: fromMillis(startsAt as number),
    endsAt: fromMillis(0), generatorURL: "", fingerprint: fingerprint as string,
  }));
  const data: NotificationData = { receiver: "r", status: "firing", alerts, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "" };
  const together = (await new UnusualAlerts({ clock: fixedClock(now), source: repo }).decorate(data)).alerts.map((a) => a.unusual);
  const alone = await Promise.all(alerts.map(async (a) => (await new UnusualAlerts({ clock: fixedClock(now), source: repo }).episodeAt(a.fingerprint, a.labels, now))?.class));
  assert.deepEqual(together, alone);
  // a: its earlier start is its window's first millisecond (and b's, 5 s later, the same day) + c's → 2 days.
  // b: both earlier starts fall out of its window (its own by 1 ms); c's and a's second → 2 days. c: alike.
  assert.deepEqual(alone, ["frequent", "frequent", "frequent", "rare", "rare"]);
});

test("daysInWindow: interior days count, edge days only by the starts inside the window", async () => {
  const d = (day: number, first: number, last: number) => ({ day, firstMs: day * DAY + first, lastMs: day * DAY + last });
  const days = [d(10, 100, 900), d(11, 0, 0), d(40, 50, 60)];
  assert.deepEqual(daysInWindow(days, 10 * DAY + 500, 40 * DAY + 55), [10, 11, 40]);
  assert.deepEqual(daysInWindow(days, 10 * DAY + 901, 40 * DAY + 50), [11], "day 10's last start is before the window, day 40's first is not before its end");
  assert.deepEqual(daysInWindow(days, 10 * DAY + 900, 40 * DAY + 51), [10, 11, 40]);
  assert.deepEqual(daysInWindow([], 0, 30 * DAY), []);
});

test("unusual: a notification larger than the cache still gets every alert's class", async () => {
  const source: UnusualSource = { episodeStarts: (fps) => Promise.resolve(new Map(fps.map((fp) => [fp, T0]))), episodeDayBounds: () => Promise.resolve([]) };
  const u = new UnusualAlerts({ clock: fixedClock(T0 + 5000), source, maxCached: 3 });
  const alerts: NotifyAlert[] = Array.from({ length: 10 }, (_, i) => ({
    status: "firing", labels: { alertname: "Many", instance: String(i) }, annotations: {}, startsAt: fromMillis(T0),
    endsAt: fromMillis(0), generatorURL: "", fingerprint: i.toString(16).padStart(16, "0"),
  }));
  const out = await u.decorate({ receiver: "r", status: "firing", alerts, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "" });
  assert.deepEqual(out.alerts.map((a) => a.unusual), Array(10).fill("new"));
});
