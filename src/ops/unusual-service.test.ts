import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { migrate } from "../store/migrate.ts";
import { UnusualRepo } from "../store/unusual-repo.ts";
import { UnusualAlerts, type UnusualSource } from "./unusual-service.ts";
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

test("unusual repo: distinct UTC days of the pair's episode starts in [from, to), other series of the pair included", () => {
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
  const days = repo.episodeDays("Disk", "db", T0 - 30 * DAY, T0);
  assert.deepEqual(days, [Math.floor((T0 - 30 * DAY) / DAY), Math.floor((T0 - 3 * DAY) / DAY)]);
  assert.deepEqual(repo.episodeDays("Disk", "", T0 - 30 * DAY, T0), [Math.floor((T0 - DAY) / DAY)]);
  assert.deepEqual(repo.episodeDays("Nope", "db", T0 - 30 * DAY, T0), []);
  assert.equal(repo.episodeStartMs("a", T0 + DAY), T0);
  assert.equal(repo.episodeStartMs("a", T0 - 1), T0 - 30 * DAY);
  assert.equal(repo.episodeStartMs("zz", T0), undefined);

  const u = new UnusualAlerts({ clock: fixedClock(T0 + 1000), source: repo });
  assert.deepEqual(u.episodeAt("a", { ...disk, instance: "1" }, T0 + 1000), { class: "frequent", daysWithEpisodes: 2, windowDays: 30, startMs: T0 });
  assert.equal(u.episodeAt("d", { alertname: "Disk" }, T0 + 1000)?.class, "new");
  assert.equal(u.episodeAt("c", { alertname: "Disk", service: "web" }, T0 + 1000)?.class, "new");
  // b's first episode (T0 − 3 d): a's start 27 days before it → rare; its second, an hour later, also sees its first → frequent.
  assert.equal(u.episodeAt("b", { ...disk, instance: "2" }, T0 - 3 * DAY + 60_000)?.class, "rare");
  assert.equal(u.episodeAt("b", { ...disk, instance: "2" }, T0)?.class, "frequent");
  assert.equal(u.episodeAt("x", {}, T0), undefined);
});

test("unusual: the plans use the label and lifecycle indexes", () => {
  const { db } = seeded();
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join("\n");
  const days = plan(`SELECT DISTINCT e.at_ms / 86400000 FROM alert_events e
      WHERE e.kind IN ('new', 'resolved') AND e.kind = 'new' AND e.at_ms >= 1 AND e.at_ms < 2
        AND e.series_id IN (SELECT n.series_id FROM series_labels n WHERE n.name = 'alertname' AND n.value = 'x'
          AND EXISTS (SELECT 1 FROM series_labels s WHERE s.series_id = n.series_id AND s.name = 'service' AND s.value = 'y'))`);
  assert.match(days, /USING INDEX alert_events_lifecycle_by_series \(series_id=\? AND at_ms>\? AND at_ms<\?\)/);
  assert.match(days, /SEARCH n USING PRIMARY KEY \(name=\? AND value=\?\)/);
  assert.doesNotMatch(days, /SCAN/);
});

test("unusual: a notification's alerts are classified once per episode, not per flush", () => {
  let queries = 0;
  const source: UnusualSource = {
    episodeStartMs: (_fp, _at) => { queries++; return T0; },
    episodeDays: () => { queries++; return []; },
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
  const first = u.decorate(data);
  assert.equal(queries, 2000);
  assert.ok(first.alerts.every((a) => a.unusual === "new"));
  assert.equal(data.alerts[0]!.unusual, undefined, "the input is not changed");
  for (let i = 0; i < 5; i++) u.decorate(data);
  assert.equal(queries, 2000, "later flushes of the same episodes query nothing");
  // Another startsAt: the episode start is looked up again (here history says it is the same episode, whose days are cached).
  u.decorate({ ...data, alerts: [{ ...alert(1), startsAt: fromMillis(T0 + 1000) }] });
  assert.equal(queries, 2001);
});

test("unusual: unknown (no episode start in history yet) leaves the alert as it is and is not cached", () => {
  let starts = 0;
  const u = new UnusualAlerts({ clock: fixedClock(T0), source: { episodeStartMs: () => { starts++; return undefined; }, episodeDays: () => [] } });
  const data: NotificationData = {
    receiver: "r", status: "firing", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "",
    alerts: [{ status: "firing", labels: { alertname: "X" }, annotations: {}, startsAt: fromMillis(T0), endsAt: fromMillis(0), generatorURL: "", fingerprint: "0000000000000001" }],
  };
  assert.equal(u.decorate(data), data);
  u.decorate(data);
  assert.equal(starts, 2);
});
