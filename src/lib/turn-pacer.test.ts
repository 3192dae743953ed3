import { test } from "node:test";
import assert from "node:assert/strict";
import { TurnPacer } from "./turn-pacer.ts";

/** Counts event-loop turns: one immediate per turn, re-queued by itself. */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let handle = setImmediate(function tick() {
    turn++;
    handle = setImmediate(tick);
  });
  return { get turn() { return turn; }, stop: () => clearImmediate(handle) };
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the work of one continuation */ }
}

test("waiters resume in a later turn, in the order they asked", async () => {
  const pacer = new TurnPacer();
  const order: number[] = [];
  const all = Array.from({ length: 50 }, (_, i) => pacer.turn().then(() => order.push(i)));
  await Promise.resolve();
  const resumedSynchronously = order.length > 0;
  assert.equal(pacer.pending, 50);
  await Promise.all(all);
  assert.equal(resumedSynchronously, false);
  assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(pacer.pending, 0);
});

test("work over the budget runs one waiter per turn", async () => {
  const pacer = new TurnPacer(5);
  const turns = turnCounter();
  const seen: number[] = [];
  await Promise.all(Array.from({ length: 6 }, () => pacer.turn().then(() => {
    seen.push(turns.turn);
    busy(8);
  })));
  turns.stop();
  assert.equal(new Set(seen).size, 6, `turns: ${seen.join(",")}`);
});

test("cheap work is released in growing batches, not one per turn", async () => {
  const pacer = new TurnPacer(10);
  const turns = turnCounter();
  const seen: number[] = [];
  await Promise.all(Array.from({ length: 1000 }, () => pacer.turn().then(() => seen.push(turns.turn))));
  turns.stop();
  // Doubling from 1 needs about ten turns for a thousand no-op waiters; far below one per waiter even
  // when a loaded machine makes some turns slow.
  assert.ok(new Set(seen).size < 500, `${new Set(seen).size} turns`);
});

test("a waiter that asks again goes behind those already waiting", async () => {
  const pacer = new TurnPacer();
  const order: string[] = [];
  await Promise.all([
    pacer.turn().then(async () => {
      order.push("a1");
      await pacer.turn();
      order.push("a2");
    }),
    pacer.turn().then(() => order.push("b")),
    pacer.turn().then(() => order.push("c")),
  ]);
  assert.deepEqual(order, ["a1", "b", "c", "a2"]);
});
