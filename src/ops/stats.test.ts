import { test } from "node:test";
import assert from "node:assert/strict";
import { nearestRank, summarize, groupLabelsFromKey, deliveryBucket } from "./stats.ts";
import { firstTickAfter } from "./explain.ts";
import { labelSetString } from "../types/labels.ts";

test("nearest-rank percentiles: the ⌈p/100·n⌉-th sorted sample", () => {
  assert.equal(nearestRank([], 50), undefined);
  assert.equal(nearestRank([7], 90), 7);
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(nearestRank(xs, 50), 5);
  assert.equal(nearestRank(xs, 90), 9);
  assert.equal(nearestRank(xs, 91), 10);
  assert.deepEqual(summarize([300_000, 120_000, 180_000]), { samples: 3, p50: 180, p90: 300, mean: 200 });
  assert.deepEqual(summarize([]), { samples: 0, p50: null, p90: null, mean: null });
  assert.deepEqual(summarize([1, 2]), { samples: 2, p50: 0.001, p90: 0.002, mean: 0.002 });
});

test("group labels from a group key, with Go-quoted values and route keys containing ':' and braces", () => {
  const labels = { alertname: 'Disk "full"', path: "a:{b}\\c\n" };
  assert.deepEqual(groupLabelsFromKey(`{}/{team="a:{x}"}:${labelSetString(labels)}`), labels);
  assert.deepEqual(groupLabelsFromKey("{}:{}"), {});
  assert.equal(groupLabelsFromKey("no labels here"), undefined);
  assert.equal(deliveryBucket("alertname", { groupKey: '{}:{alertname="A"}', receiver: "r" }), "A");
  assert.equal(deliveryBucket("team", { groupKey: '{}:{alertname="A"}', receiver: "r" }), undefined);
  assert.equal(deliveryBucket("receiver", { groupKey: "x", receiver: "r" }), "r");
});

test("the first group tick strictly after a repeat falls due", () => {
  assert.equal(firstTickAfter(100, 60, 50), 100);
  assert.equal(firstTickAfter(100, 60, 100), 160);
  assert.equal(firstTickAfter(100, 60, 219), 220);
  assert.equal(firstTickAfter(100, 60, 220), 280);
});
