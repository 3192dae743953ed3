import { test } from "node:test";
import assert from "node:assert/strict";
import { CoalescedWrites } from "./coalesced-writes.ts";

test("the latest value per key, in one batch on the next turn; later sets start a new batch", async () => {
  const batches: Array<ReadonlyArray<readonly [string, number | null]>> = [];
  const writes = new CoalescedWrites<number | null>((b) => batches.push(b));
  writes.set("a", 1);
  writes.set("b", 2);
  writes.set("a", 3);
  writes.set("c", null);
  assert.equal(batches.length, 0, "nothing before the turn ends");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[["a", 3], ["b", 2], ["c", null]]]);
  writes.set("b", 4);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches[1], [["b", 4]]);
});
