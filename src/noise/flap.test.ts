import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isFlapping, isForgettable, recordChange, type FlapConfig, type FlapPhase, type FlapState } from "./flap.ts";

const MIN = 60_000;
const cfg: FlapConfig = { changes: 4, withinMs: 30 * MIN, quietForMs: 30 * MIN };

/** Applies [minute, phase] changes in order. */
function run(changes: ReadonlyArray<readonly [number, FlapPhase]>, c = cfg): FlapState | undefined {
  let s: FlapState | undefined;
  for (const [m, phase] of changes) s = recordChange(s, phase, m * MIN, c);
  return s;
}

describe("flap damping", () => {
  test("the fourth change within the window makes the alert flap", () => {
    const three = run([[0, "firing"], [2, "resolved"], [4, "firing"]]);
    assert.equal(isFlapping(three, 4 * MIN, cfg), false);
    const four = recordChange(three, "resolved", 6 * MIN, cfg);
    assert.equal(isFlapping(four, 6 * MIN, cfg), true);
    assert.equal(four.flappingSinceMs, 6 * MIN);
  });

  test("changes spread wider than the window do not flap", () => {
    const s = run([[0, "firing"], [20, "resolved"], [40, "firing"], [60, "resolved"], [80, "firing"]]);
    assert.equal(isFlapping(s, 80 * MIN, cfg), false);
  });

  test("a repeated phase is not a change", () => {
    const s = run([[0, "firing"], [1, "firing"], [2, "firing"], [3, "firing"]]);
    assert.deepEqual(s?.changes, [0]);
  });

  test("a flapping alert stays flapping while firing, and until it has been resolved for quiet_for", () => {
    const s = run([[0, "firing"], [2, "resolved"], [4, "firing"], [6, "resolved"], [8, "firing"]]);
    assert.equal(isFlapping(s, 300 * MIN, cfg), true, "firing for hours: still flapping");
    const resolved = recordChange(s, "resolved", 300 * MIN, cfg);
    assert.equal(isFlapping(resolved, 329 * MIN, cfg), true);
    assert.equal(isFlapping(resolved, 330 * MIN, cfg), false);
  });

  test("re-firing before quiet_for keeps it flapping; after quiet_for counting starts afresh", () => {
    const flapping = run([[0, "firing"], [2, "resolved"], [4, "firing"], [6, "resolved"]]);
    const back = recordChange(flapping, "firing", 20 * MIN, cfg);
    assert.equal(isFlapping(back, 20 * MIN, cfg), true);
    const quietThenBack = recordChange(flapping, "firing", 40 * MIN, cfg);
    assert.equal(isFlapping(quietThenBack, 40 * MIN, cfg), false);
    assert.deepEqual(quietThenBack.changes, [40 * MIN]);
  });

  test("an alert firing and resolving every 2 minutes for an hour flaps from its fourth change on", () => {
    let s: FlapState | undefined;
    const flappingAt: number[] = [];
    for (let m = 0; m < 60; m += 2) {
      s = recordChange(s, (m / 2) % 2 === 0 ? "firing" : "resolved", m * MIN, cfg);
      if (isFlapping(s, m * MIN, cfg)) flappingAt.push(m);
    }
    assert.equal(flappingAt[0], 6);
    assert.equal(flappingAt.length, 27);
    assert.ok((s?.changes.length ?? 0) <= cfg.changes, "memory is bounded by `changes`");
  });

  test("states are forgettable once they can no longer matter", () => {
    const once = run([[0, "firing"], [1, "resolved"]]) as FlapState;
    assert.equal(isForgettable(once, 30 * MIN, cfg), false);
    assert.equal(isForgettable(once, 32 * MIN, cfg), true);
    const firing = run([[0, "firing"]]) as FlapState;
    assert.equal(isForgettable(firing, 1000 * MIN, cfg), false, "a firing alert's next change may still count");
    const flapping = run([[0, "firing"], [2, "resolved"], [4, "firing"], [6, "resolved"]]) as FlapState;
    assert.equal(isForgettable(flapping, 35 * MIN, cfg), false);
    assert.equal(isForgettable(flapping, 36 * MIN, cfg), true);
  });
});
