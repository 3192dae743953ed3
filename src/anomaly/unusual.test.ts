import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyUnusual, RARE_MAX_DAYS, UNUSUAL_WINDOW_DAYS } from "./unusual.ts";

test("unusual: 5 % of 30 days is at most one day", () => {
  assert.equal(UNUSUAL_WINDOW_DAYS, 30);
  assert.equal(RARE_MAX_DAYS, 1);
});

test("unusual: class by distinct days with an episode start", () => {
  const table: Array<[string, number[], "new" | "rare" | "frequent", number]> = [
    ["never in the window", [], "new", 0],
    ["one day", [20_412], "rare", 1],
    ["one day, many episodes that day", [20_412, 20_412, 20_412], "rare", 1],
    ["two days (6.7 %)", [20_412, 20_413], "frequent", 2],
    ["two days, repeated", [20_413, 20_412, 20_413], "frequent", 2],
    ["every day", Array.from({ length: 30 }, (_, i) => 20_400 + i), "frequent", 30],
    ["31 dates (both window ends mid-day)", Array.from({ length: 31 }, (_, i) => 20_400 + i), "frequent", 31],
  ];
  for (const [name, days, cls, n] of table) {
    assert.deepEqual(classifyUnusual(days), { class: cls, daysWithEpisodes: n, windowDays: 30 }, name);
  }
});
