import assert from "node:assert/strict";
import { test } from "node:test";
import { parseApiTime, ZERO_TIME } from "../types/time.ts";
import { durationString, formatTime, timeString } from "./gotime.ts";

test("Time.String in UTC, in fixed zones and for the zero time", () => {
  assert.equal(timeString(parseApiTime("2024-03-05T10:15:30.123456789Z")), "2024-03-05 10:15:30.123456789 +0000 UTC");
  assert.equal(timeString(parseApiTime("2024-03-05T09:00:00+02:00")), "2024-03-05 09:00:00 +0200 +0200");
  assert.equal(timeString(parseApiTime("2023-12-31T23:59:59.999999999-05:30")), "2023-12-31 23:59:59.999999999 -0530 -0530");
  assert.equal(timeString(ZERO_TIME), "0001-01-01 00:00:00 +0000 UTC");
});

test("Format with Go layouts", () => {
  const t = parseApiTime("2024-03-05T10:15:30.123456789Z");
  assert.equal(formatTime(t, "2006-01-02T15:04:05Z07:00 Mon Jan 2 3:04PM .000 MST"), "2024-03-05T10:15:30Z Tue Mar 5 10:15AM .123 UTC");
  assert.equal(formatTime(t, "Monday, January _2 2006 (day 002, __2) 03:04:05.999 pm ,000000"), "Tuesday, March  5 2024 (day 065,  65) 10:15:30.123 am ,123456");
  const z = parseApiTime("2023-12-31T23:59:59.5-05:30");
  assert.equal(formatTime(z, "-07:00 -0700 -07 Z07:00 Z0700 -07:00:00 MST .9 .000"), "-05:30 -0530 -05 -05:30 -0530 -05:30:00 -0530 .5 .500");
  // Jan followed by a lower-case letter is not a month; neither is _2006.
  assert.equal(formatTime(t, "Janx _2006"), "Janx _2024");
});

test("Duration.String", () => {
  assert.equal(durationString(0n), "0s");
  assert.equal(durationString(1n), "1ns");
  assert.equal(durationString(1500n), "1.5µs");
  assert.equal(durationString(1_500_000n), "1.5ms");
  assert.equal(durationString(14_400_500_000_000n), "4h0m0.5s");
  assert.equal(durationString(-90_000_000_000n), "-1m30s");
  assert.equal(durationString((1n << 63n) - 1n), "2562047h47m16.854775807s");
});
