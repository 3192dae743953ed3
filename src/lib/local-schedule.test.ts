import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./clock.ts";
import { nextLocalTime, scheduleLocal } from "./local-schedule.ts";

// Local time is what the schedule is about: a zone with DST changes (each test file runs in its own process).
process.env.TZ = "Europe/Berlin";

const local = (ms: number): string => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

test("next minute past the hour, and next daily time, in local time; never the instant itself", () => {
  const at = new Date(2026, 5, 10, 3, 17, 0).getTime();
  assert.equal(local(nextLocalTime({ minute: 17 }, at - 1)), "2026-06-10 03:17:00");
  assert.equal(local(nextLocalTime({ minute: 17 }, at)), "2026-06-10 04:17:00");
  assert.equal(local(nextLocalTime({ minute: 43, hour: 3 }, at)), "2026-06-10 03:43:00");
  assert.equal(local(nextLocalTime({ minute: 43, hour: 3 }, new Date(2026, 5, 10, 3, 43, 30).getTime())), "2026-06-11 03:43:00");
});

test("DST: a skipped local time waits for the next day; a repeated hour runs the hourly task twice", () => {
  // 2026-03-29 02:00 → 03:00 in Berlin: 02:30 does not exist that day.
  assert.equal(local(nextLocalTime({ minute: 30, hour: 2 }, new Date(2026, 2, 29, 1, 0).getTime())), "2026-03-30 02:30:00");
  // 2026-10-25 03:00 → 02:00: 02:17 happens twice, an hour apart.
  const first = nextLocalTime({ minute: 17 }, new Date(2026, 9, 25, 1, 30).getTime());
  const second = nextLocalTime({ minute: 17 }, first);
  assert.equal(local(first), "2026-10-25 02:17:00");
  assert.equal(local(second), "2026-10-25 02:17:00");
  assert.equal(second - first, 3600_000);
});

test("scheduleLocal runs at each due time on the clock, once per due time, until stopped", () => {
  const clock = new FakeClock(new Date(2026, 5, 10, 1, 0, 0).getTime());
  const runs: string[] = [];
  const task = scheduleLocal(clock, { minute: 17 }, () => runs.push(local(clock.now())));
  clock.advance(3 * 3600_000);
  assert.deepEqual(runs, ["2026-06-10 01:17:00", "2026-06-10 02:17:00", "2026-06-10 03:17:00"]);
  task.stop();
  clock.advance(3600_000);
  assert.equal(runs.length, 3);
});
