import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTime, parseLimit, encodeCursor, decodeCursor, queryValue } from "./params.ts";
import { OpsError } from "./route-table.ts";

const NOW = Date.UTC(2026, 0, 2, 12, 0, 0);
const is400 = (fn: () => unknown, re?: RegExp) => assert.throws(fn, (e: unknown) => e instanceof OpsError && e.status === 400 && (!re || re.test(e.message)));

test("parseTime: RFC 3339 and relative times; anything else is 400", () => {
  const ok: Array<[string, number]> = [
    ["2026-01-02T03:04:05Z", Date.UTC(2026, 0, 2, 3, 4, 5)],
    ["2026-01-02T03:04:05.250Z", Date.UTC(2026, 0, 2, 3, 4, 5, 250)],
    ["2026-01-02T05:04:05+02:00", Date.UTC(2026, 0, 2, 3, 4, 5)],
    ["-24h", NOW - 86_400_000],
    ["-30m", NOW - 1_800_000],
    ["-90s", NOW - 90_000],
    ["-7d", NOW - 7 * 86_400_000],
    ["-1.5h", NOW - 5_400_000],
  ];
  for (const [text, want] of ok) assert.equal(parseTime(text, NOW), want, text);
  for (const bad of ["", "yesterday", "24h", "-24", "-h", "2026-01-02", "2026-13-45T99:00:00Z", "1700000000", "-1y"]) is400(() => parseTime(bad, NOW, "since"), /since/);
  // Further back than a Date holds (found by the fuzzer: it was a RangeError, a 500, when printed).
  for (const far of ["-99999999999d", "-9999999999999w"]) is400(() => parseTime(far, NOW, "until"), /until.*further back/);
});

test("parseLimit: default, bounds, garbage", () => {
  assert.equal(parseLimit(undefined, 100, 1000), 100);
  assert.equal(parseLimit("", 100, 1000), 100);
  assert.equal(parseLimit("1000", 100, 1000), 1000);
  for (const bad of ["0", "1001", "-1", "1.5", "ten", "1e3", "99999999999"]) is400(() => parseLimit(bad, 100, 1000));
});

test("cursors round-trip; garbage is 400 bad cursor", () => {
  const c = encodeCursor({ id: 42, at: 7 });
  assert.match(c, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(c), { id: 42, at: 7 });
  for (const bad of ["", "!!!", "bm90IGpzb24", encodeCursor({}).slice(0, 1), Buffer.from("[1]").toString("base64url"), Buffer.from("null").toString("base64url"), "A".repeat(5000)]) {
    is400(() => decodeCursor(bad), /^bad cursor$/);
  }
});

test("queryValue takes the last value", () => {
  assert.equal(queryValue({ a: ["1", "2"] }, "a"), "2");
  assert.equal(queryValue({ a: [] }, "a"), undefined);
  assert.equal(queryValue({}, "a"), undefined);
});
