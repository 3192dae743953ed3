// The short crash torture of `npm test` (the long one is `npm run test:torture`): a real AlertPrism
// process under mixed load, killed with SIGKILL 12 times at random moments and restarted on the same
// SQLite file. Every acknowledged alert, silence and ack must come back exactly, every decided
// notification must reach the receiver, duplicates only inside README's at-least-once window, and
// `PRAGMA integrity_check` must say ok after every kill.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runTorture, summary } from "../torture/driver.ts";

test("crash torture: 12 kills -9 under mixed load lose nothing and duplicate only inside the documented window", { timeout: 600_000 }, async () => {
  const seed = Number(process.env.TORTURE_SEED ?? Date.now() % 2 ** 31);
  const r = await runTorture({ iterations: 12, seed });
  const text = summary(r);
  console.log(text);
  assert.ok(r.iterations === 12 && Object.values(r.kills).reduce((a, b) => a + b, 0) === 12, text);
  // The run must have exercised something, or "no loss" proves little.
  assert.ok(r.acknowledgedWrites >= 50 && r.checks >= 200 && r.deliveries >= 10, `too little load: ${text}`);
  assert.deepEqual(r.losses, [], text);
  assert.deepEqual(r.phantoms, [], text);
  assert.deepEqual(r.deliveryProblems, [], text);
  assert.equal(r.duplicates.outsideWindow, 0, text);
  assert.deepEqual(r.integrity.notOk, [], text);
  assert.equal(r.integrity.checked, 13, "one integrity_check per kill and one after the clean stop");
});
