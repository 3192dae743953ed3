import { test } from "node:test";
import assert from "node:assert/strict";
import { AlertAdmission } from "./alert-admission.ts";
import { labelBytes } from "./alert-size.ts";
import { countRefusalMessages } from "./messages.ts";
import { LiveAlertMap } from "../provider/live-alert-map.ts";
import { ThrottledReport } from "../lib/throttled-report.ts";
import { FakeClock } from "../lib/clock.ts";

test("admission: only new fingerprints count; the batch's own additions count against both limits", () => {
  const held = new Map([["A", 2]]);
  const a = new AlertAdmission({ maxAlerts: 5, maxAlertsPerAlertname: 3 }, 3, (n) => held.get(n) ?? 0);
  assert.deepEqual(a.admit("A", true, false), { admitted: true }, "an update of a held alert");
  assert.deepEqual(a.admit("A", false, false), { admitted: true });
  assert.deepEqual(a.admit("A", false, false), { admitted: false, limit: "max_alerts_per_alertname", resolved: false });
  assert.deepEqual(a.admit("B", false, false), { admitted: true });
  assert.deepEqual(a.admit("C", false, true), { admitted: false, limit: "max_alerts", resolved: true }, "a resolved stranger when full");
  assert.deepEqual(a.admit("A", true, true), { admitted: true }, "a resolution of a held alert, at the limit");
});

test("labelBytes counts UTF-8 bytes of names and values", () => {
  assert.equal(labelBytes({ alertname: "Disk" }, { summary: "é" }), 9 + 4 + 7 + 2);
});

test("refusal messages: one per limit, one per alertname", () => {
  const msgs = countRefusalMessages([
    { limit: "max_alerts", alertname: "X" }, { limit: "max_alerts", alertname: "Y" },
    { limit: "max_alerts_per_alertname", alertname: "A" }, { limit: "max_alerts_per_alertname", alertname: "A" },
  ], { maxAlerts: 10, maxAlertsPerAlertname: 4 }, 10);
  assert.equal(msgs.length, 2);
  assert.match(msgs[0]!, /^limit reached: 2 new alerts refused, the live set holds 10 alerts and limits\.max_alerts is 10/);
  assert.match(msgs[1]!, /^limit reached: 2 new alerts named "A" refused, limits\.max_alerts_per_alertname is 4/);
});

test("LiveAlertMap keeps per-alertname counts exact through set, overwrite, delete and clear", () => {
  const m = new LiveAlertMap<{ alert: { labels: Record<string, string> } }>();
  const e = (alertname: string) => ({ alert: { labels: { alertname } } });
  m.set("1", e("A"));
  m.set("1", e("A"));
  m.set("2", e("A"));
  m.set("3", e("B"));
  assert.equal(m.countWithName("A"), 2);
  assert.equal(m.largestNameCount(), 2);
  m.delete("1");
  m.delete("404");
  assert.equal(m.countWithName("A"), 1);
  m.clear();
  assert.equal(m.countWithName("B"), 0);
  assert.equal(m.largestNameCount(), 0);
});

test("ThrottledReport: the first occurrence at once, then at most one report per interval with the count", () => {
  const clock = new FakeClock();
  const reports: Array<[number, string]> = [];
  const r = new ThrottledReport<string>(clock, 60_000, (n, latest) => reports.push([n, latest]));
  r.note("a");
  for (let i = 0; i < 100; i++) r.note(`b${i}`);
  assert.deepEqual(reports, [[1, "a"]]);
  clock.advance(60_000);
  r.note("c");
  assert.deepEqual(reports, [[1, "a"], [101, "c"]]);
});
