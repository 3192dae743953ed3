import { test } from "node:test";
import assert from "node:assert/strict";
import { LabelSetInterner } from "./label-set-interner.ts";
import { alertStatus, EMPTY_STATUS } from "./alert.ts";

test("equal label sets come back as one shared, frozen object; different ones stay apart", () => {
  const interner = new LabelSetInterner(10);
  const a = interner.intern({ runbook: "r", summary: "disk full" });
  const b = interner.intern({ runbook: "r", summary: "disk full" });
  const c = interner.intern({ runbook: "r", summary: "disk fine" });
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.deepEqual(c, { runbook: "r", summary: "disk fine" });
  assert.ok(Object.isFrozen(a));
  assert.deepEqual(interner.intern({}), {});
});

test("the interner holds at most maxSets sets, starting afresh when full", () => {
  const interner = new LabelSetInterner(3);
  const first = interner.intern({ n: "0" });
  for (let i = 1; i < 3; i++) interner.intern({ n: String(i) });
  assert.equal(interner.size, 3);
  assert.equal(interner.intern({ n: "0" }), first);
  interner.intern({ n: "3" });
  assert.equal(interner.size, 1);
  const again = interner.intern({ n: "0" });
  assert.notEqual(again, first);
  assert.deepEqual(again, first);
});

test("a status with no silences and no inhibitors is the shared EMPTY_STATUS", () => {
  assert.equal(alertStatus([], []), EMPTY_STATUS);
  assert.deepEqual(alertStatus(["s1"], []), { silencedBy: ["s1"], inhibitedBy: [] });
  assert.deepEqual(alertStatus([], ["fp"]), { silencedBy: [], inhibitedBy: ["fp"] });
  assert.ok(Object.isFrozen(EMPTY_STATUS) && Object.isFrozen(EMPTY_STATUS.silencedBy));
});

test("a set repeating the one before it is the shared object; the same pairs in another order are another set", () => {
  const interner = new LabelSetInterner(10);
  const first = interner.intern({ a: "1", b: "2" });
  assert.equal(interner.intern({ a: "1", b: "2" }), first);
  const reordered = interner.intern({ b: "2", a: "1" });
  assert.notEqual(reordered, first, "name order is part of a set's identity, as in the JSON the live set writes");
  assert.deepEqual(Object.keys(reordered), ["b", "a"]);
  assert.notEqual(interner.intern({ a: "1", b: "3" }), first);
  assert.equal(interner.intern({ a: "1", b: "2" }), first);
});
