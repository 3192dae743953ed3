import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePostableAlerts } from "./postable-alerts.ts";
import { parseApiTime } from "../../types/time.ts";

test("alerts of a batch that send the same time text share one parsed timestamp", () => {
  const endsAt = "2026-01-01T10:00:00.123456+02:00";
  const [a, b, c] = decodePostableAlerts([
    { labels: { alertname: "A" }, startsAt: endsAt, endsAt },
    { labels: { alertname: "B" }, endsAt },
    { labels: { alertname: "C" }, endsAt: "2026-01-01T10:00:01Z" },
  ]);
  assert.equal(a!.endsAt, b!.endsAt);
  assert.equal(a!.startsAt, a!.endsAt);
  assert.deepEqual(a!.endsAt, parseApiTime(endsAt));
  assert.deepEqual(c!.endsAt, parseApiTime("2026-01-01T10:00:01Z"));
  assert.equal(b!.startsAt, undefined);
});

test("a bad time is still reported with Go's message when an earlier alert sent a good one", () => {
  assert.throws(
    () => decodePostableAlerts([{ labels: { alertname: "A" }, endsAt: "2026-01-01T10:00:00Z" }, { labels: { alertname: "B" }, endsAt: "soon" }]),
    (err: Error) => err.message.includes('parsing time "soon"'),
  );
});
