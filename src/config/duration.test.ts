import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration, formatDuration } from "./duration.ts";

test("parses Prometheus durations", () => {
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("0s"), 0);
  assert.equal(parseDuration("1d2h"), 93_600_000);
  assert.equal(parseDuration("250ms"), 250);
  for (const bad of ["", "5", "m", "1.5h", "5m1h", "-1s", "1 h"]) assert.throws(() => parseDuration(bad), /not a valid duration/, bad);
});

test("formats like model.Duration.String", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(5_400_000), "1h30m");
  assert.equal(formatDuration(4 * 3600_000), "4h");
  assert.equal(formatDuration(7 * 24 * 3600_000), "1w");
  assert.equal(formatDuration(8 * 24 * 3600_000), "8d");
  assert.equal(formatDuration(1500), "1s500ms");
});
