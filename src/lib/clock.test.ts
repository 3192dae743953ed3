import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs";
import { SystemClock } from "./clock.ts";

/** Runs `fn` inside an I/O callback, where Node orders immediates before timers deterministically. */
function inIoCallback(fn: () => void): Promise<void> {
  return new Promise((resolve, reject) => readFile(import.meta.filename, (err) => (err ? reject(err) : resolve(fn()))));
}

test("a SystemClock timer due now runs in this turn, before a Node 0 ms timeout (which waits at least 1 ms)", async () => {
  const clock = new SystemClock();
  const order: string[] = [];
  let done: () => void = () => {};
  const both = new Promise<void>((resolve) => (done = resolve));
  await inIoCallback(() => {
    setTimeout(() => {
      order.push("node timeout");
      done();
    }, 0);
    clock.setTimeout(() => order.push("clock, due now"), 0);
  });
  await both;
  assert.deepEqual(order, ["clock, due now", "node timeout"]);
});

test("clearTimeout cancels SystemClock timers, due now or later", async () => {
  const clock = new SystemClock();
  const fired: string[] = [];
  clock.clearTimeout(clock.setTimeout(() => fired.push("now"), 0));
  clock.clearTimeout(clock.setTimeout(() => fired.push("later"), 5));
  clock.setTimeout(() => fired.push("kept"), 0);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(fired, ["kept"]);
});
