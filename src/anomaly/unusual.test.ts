import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyUnusual, RARE_MAX_DAYS, utcDate, UNUSUAL_WINDOW_DAYS } from "./unusual.ts";

test("unusual: 5 % of 30 days is at most one day", () => {
  assert.equal(UNUSUAL_WINDOW_DAYS, 30);
  assert.equal(RARE_MAX_DAYS, 1);
});

test("unusual: class by distinct days with an episode start", () => {
  const table: Array<[string, string[], "new" | "rare" | "frequent", number]> = [
    ["never in the window", [], "new", 0],
    ["one day", ["2026-11-20"], "rare", 1],
    ["one day, many episodes that day", ["2026-11-20", "2026-11-20", "2026-11-20"], "rare", 1],
    ["two days (6.7 %)", ["2026-11-20", "2026-11-21"], "frequent", 2],
    ["two days, repeated", ["2026-11-21", "2026-11-20", "2026-11-21"], "frequent", 2],
    ["every day", Array.from({ length: 30 }, (_, i) => utcDate(20_400 + i)), "frequent", 30],
    ["31 dates (both window ends mid-day)", Array.from({ length: 31 }, (_, i) => utcDate(20_400 + i)), "frequent", 31],
  ];
  for (const [name, days, cls, n] of table) {
    assert.deepEqual(classifyUnusual(days), { class: cls, daysWithEpisodes: n, windowDays: 30 }, name);
  }
});

test("unusual: utcDate of an epoch day", () => {
  assert.equal(utcDate(0), "1970-01-01");
  assert.equal(utcDate(Math.floor(Date.UTC(2026, 11, 2, 23, 59) / 86_400_000)), "2026-12-02");
});
