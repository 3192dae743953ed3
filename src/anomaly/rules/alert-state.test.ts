import { test } from "node:test";
import assert from "node:assert/strict";
import { advance, forgetResolved, INACTIVE, RESOLVED_RETENTION_MS, type AlertState } from "./alert-state.ts";

const run = (conds: boolean[], forMs: number, keepFiringForMs = 0, stepMs = 60_000): AlertState[] => {
  const out: AlertState[] = [];
  let s = INACTIVE;
  conds.forEach((c, i) => {
    s = advance(s, c, i * stepMs, { forMs, keepFiringForMs });
    out.push(s);
  });
  return out;
};

test("fires once the condition held for `for`, from the first true sample", () => {
  const s = run([false, true, true, true, true], 180_000);
  assert.deepEqual(s.map((x) => x.phase), ["inactive", "pending", "pending", "pending", "firing"]);
  assert.equal(s[4]!.activeAtMs, 60_000);
  assert.equal(s[4]!.firedAtMs, 240_000);
});

test("a pending alert that clears never fires; for: 0 fires at once", () => {
  assert.deepEqual(run([true, true, false, true], 180_000).map((x) => x.phase), ["pending", "pending", "inactive", "pending"]);
  assert.deepEqual(run([true], 0).map((x) => x.phase), ["firing"]);
});

test("resolving records when and which episode; keep_firing_for holds it", () => {
  const plain = run([true, true, false], 0);
  assert.equal(plain[2]!.phase, "inactive");
  assert.equal(plain[2]!.resolvedAtMs, 120_000);
  assert.equal(plain[2]!.resolvedFiredAtMs, 0);
  const kept = run([true, false, false, false], 0, 150_000);
  assert.deepEqual(kept.map((x) => x.phase), ["firing", "firing", "firing", "inactive"]);
});

test("a resolved episode is remembered for the retention, then forgotten", () => {
  const s = run([true, false], 0)[1]!;
  assert.equal(forgetResolved(s, 60_000 + RESOLVED_RETENTION_MS - 1).resolvedAtMs, 60_000);
  assert.equal(forgetResolved(s, 60_000 + RESOLVED_RETENTION_MS).resolvedAtMs, undefined);
});
