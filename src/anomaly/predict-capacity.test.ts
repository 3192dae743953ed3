import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { capacityNote, formatBytes } from "./predict-capacity.ts";
import { predictCrossing, type Sample } from "./predict.ts";

const HOUR = 3_600_000;
const GB = 1e9;

/** A disk with `freeGb` free now, falling `gbPerHour`, sampled every 5 minutes for 12 hours. */
function disk(freeGb: number, gbPerHour: number): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k <= 144; k++) out.push([k * 5 * 60_000, (freeGb + gbPerHour * (12 - k / 12)) * GB]);
  return out;
}

describe("capacity note", () => {
  test("rate, time left and what it takes to last the horizon", () => {
    const p = predictCrossing(disk(19.32, 2.1), { threshold: 0 });
    const c = capacityNote(p, { horizonMs: 24 * HOUR, format: formatBytes });
    assert.ok(Math.abs(c.rate + 2.1 * GB) < 1e3);
    assert.ok(Math.abs(c.timeLeftMs! - 9.2 * HOUR) < 60_000);
    assert.ok(Math.abs(c.extraHeadroom - (2.1 * 24 - 19.32) * GB) < 1e4);
    assert.equal(c.text, "falling 2.1 GB/h; at this rate reaches 0 B in 9h12m; to last 1d, add 31.1 GB of headroom or cut the rate by 62%");
  });

  test("halving is named", () => {
    const p = predictCrossing(disk(24, 2), { threshold: 0 });
    assert.match(capacityNote(p, { horizonMs: 24 * HOUR, format: formatBytes }).text, /add 24 GB of headroom or halve the rate$/);
  });

  test("enough headroom, and a trend that moves away", () => {
    const ok = predictCrossing(disk(100, 2), { threshold: 0 });
    assert.match(capacityNote(ok, { horizonMs: 24 * HOUR, format: formatBytes }).text, /in 2d2h; lasts beyond 1d$/);
    const away = predictCrossing(disk(100, -2), { threshold: 0 });
    const c = capacityNote(away, { horizonMs: 24 * HOUR, format: formatBytes });
    assert.equal(c.timeLeftMs, undefined);
    assert.equal(c.text, "rising 2 GB/h; moving away from 0 B");
  });

  test("formatBytes", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(31_080_000_000), "31.1 GB");
    assert.equal(formatBytes(-2.5e12), "-2.5 TB");
  });
});
