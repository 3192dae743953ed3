import { test } from "node:test";
import assert from "node:assert/strict";
import type { Alert } from "../types/alert.ts";
import { fromMillis } from "../types/time.ts";
import { applyIncoming, mergeAlerts } from "./merge.ts";

const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
const min = 60_000;

function alert(p: { starts: number; ends: number; updated: number; timeout?: boolean; note?: string }): Alert {
  return {
    fingerprint: "f", labels: { a: "1" }, annotations: p.note ? { note: p.note } : {},
    startsAt: fromMillis(NOW + p.starts), endsAt: fromMillis(NOW + p.ends), updatedAt: fromMillis(NOW + p.updated),
    generatorURL: "", timeout: p.timeout ?? false,
  };
}

test("re-posting a firing alert keeps the original startsAt and takes the younger annotations", () => {
  const old = alert({ starts: -10 * min, ends: 5 * min, updated: -1 * min, timeout: true, note: "old" });
  const inc = alert({ starts: 0, ends: 5 * min + 1000, updated: 0, timeout: true, note: "new" });
  const { alert: r, merged } = applyIncoming(old, inc, NOW);
  assert.ok(merged);
  assert.equal(r.startsAt.ms, old.startsAt.ms);
  assert.equal(r.endsAt.ms, inc.endsAt.ms, "timeout-derived endsAt is extended");
  assert.deepEqual(r.annotations, { note: "new" });
});

test("an explicit endsAt cannot be shortened by a firing re-post", () => {
  const old = alert({ starts: -10 * min, ends: 30 * min, updated: -1 * min, timeout: false });
  const inc = alert({ starts: -10 * min, ends: 10 * min, updated: 0, timeout: false });
  assert.equal(applyIncoming(old, inc, NOW).alert.endsAt.ms, NOW + 30 * min);
});

test("a timeout-derived older endsAt does not win", () => {
  const old = alert({ starts: -10 * min, ends: 30 * min, updated: -1 * min, timeout: true });
  const inc = alert({ starts: -10 * min, ends: 10 * min, updated: 0 });
  assert.equal(applyIncoming(old, inc, NOW).alert.endsAt.ms, NOW + 10 * min);
});

test("resolving keeps startsAt; resolved twice, the later end wins", () => {
  const old = alert({ starts: -10 * min, ends: -1 * min, updated: -2 * min });
  const inc = alert({ starts: -5 * min, ends: -3 * min, updated: 0 });
  const r = mergeAlerts(old, inc, NOW);
  assert.equal(r.startsAt.ms, NOW - 10 * min);
  assert.equal(r.endsAt.ms, NOW - 1 * min);
});

test("no overlap: a re-fire after resolution replaces the old alert", () => {
  const old = alert({ starts: -30 * min, ends: -20 * min, updated: -20 * min });
  const inc = alert({ starts: -1 * min, ends: 4 * min, updated: 0, timeout: true });
  const { alert: r, merged } = applyIncoming(old, inc, NOW);
  assert.ok(!merged);
  assert.equal(r.startsAt.ms, NOW - 1 * min);
});

test("merge is symmetric in which argument is younger", () => {
  const a = alert({ starts: -10 * min, ends: 5 * min, updated: -1 * min, note: "a" });
  const b = alert({ starts: -5 * min, ends: 6 * min, updated: 0, note: "b" });
  assert.deepEqual(mergeAlerts(a, b, NOW), mergeAlerts(b, a, NOW));
});
