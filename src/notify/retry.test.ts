import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { NotifyError } from "./notifier.ts";
import { backoffMs, sendWithRetry, type AttemptReport, type RetryResult } from "./retry.ts";

/** Lets pending promise continuations run (FakeClock fires timers synchronously, awaits resume later). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Drives the clock in fixed steps until the retry loop settles; returns its result. */
async function drive(clock: FakeClock, run: Promise<RetryResult>, stepMs = 50, maxSteps = 10_000): Promise<RetryResult> {
  let settled = false;
  void run.finally(() => { settled = true; });
  for (let i = 0; i < maxSteps; i++) {
    await tick();
    if (settled) return run;
    clock.advance(stepMs);
  }
  throw new Error("retry loop did not settle");
}

/** A send that fails with the given errors in turn, then succeeds; records the clock time of each attempt. */
function scripted(clock: FakeClock, failures: Array<NotifyError | Error>) {
  const at: number[] = [];
  const attempts: number[] = [];
  const send = async (attempt: number): Promise<void> => {
    at.push(clock.now());
    attempts.push(attempt);
    const f = failures.shift();
    if (f) throw f;
  };
  return { send, at, attempts };
}

const e503 = () => new NotifyError(true, "webhook: unexpected status code 503", { status: 503 });
const fixed = () => 0.5; // jitter factor exactly 1

test("retries retryable failures with doubling backoff until success", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const s = scripted(clock, [e503(), e503(), e503()]);
  const reports: AttemptReport[] = [];
  const r = await drive(clock, sendWithRetry(s.send, { clock, deadlineMs: t0 + 60_000, random: fixed }, (x) => reports.push(x)));
  assert.deepEqual(r, { ok: true, attempts: 4 });
  assert.deepEqual(s.attempts, [1, 2, 3, 4]);
  assert.deepEqual(s.at.map((t) => t - t0), [0, 500, 1500, 3500]);
  assert.deepEqual(reports.map((x) => [x.attempt, x.ok, x.error?.opts.status]), [[1, false, 503], [2, false, 503], [3, false, 503], [4, true, undefined]]);
});

test("stops at the first non-retryable error", async () => {
  const clock = new FakeClock();
  const bad = new NotifyError(false, "webhook: unexpected status code 400", { status: 400 });
  const s = scripted(clock, [e503(), bad, e503()]);
  const r = await drive(clock, sendWithRetry(s.send, { clock, deadlineMs: clock.now() + 60_000, random: fixed }));
  assert.equal(r.ok, false);
  assert.equal(r.attempts, 2);
  assert.equal(r.lastError, bad);
});

test("waits at least Retry-After", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const s = scripted(clock, [new NotifyError(true, "429", { status: 429, retryAfterMs: 3000 }), e503()]);
  const r = await drive(clock, sendWithRetry(s.send, { clock, deadlineMs: t0 + 60_000, random: fixed }));
  assert.equal(r.ok, true);
  // 3000 from Retry-After (not the 500 backoff), then the ordinary 1000 backoff.
  assert.deepEqual(s.at.map((t) => t - t0), [0, 3000, 4000]);
});

test("a Retry-After beyond the deadline ends the loop without sleeping", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const s = scripted(clock, [new NotifyError(true, "429", { status: 429, retryAfterMs: 120_000 })]);
  const r = await sendWithRetry(s.send, { clock, deadlineMs: t0 + 10_000, random: fixed });
  assert.equal(r.ok, false);
  assert.equal(r.attempts, 1);
  assert.equal(r.lastError?.opts.status, 429);
  assert.equal(clock.now(), t0);
});

test("never sleeps past the deadline and reports the last error", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const s = scripted(clock, Array.from({ length: 100 }, e503));
  const r = await drive(clock, sendWithRetry(s.send, { clock, deadlineMs: t0 + 10_000, random: fixed }));
  assert.equal(r.ok, false);
  // 0, 500, 1500, 3500, 7500; the next wait (8000, capped) would end past 10000.
  assert.deepEqual(s.at.map((t) => t - t0), [0, 500, 1500, 3500, 7500]);
  assert.equal(r.attempts, 5);
  assert.equal(r.lastError?.reason, "webhook: unexpected status code 503");
  assert.ok(clock.now() - t0 < 10_000);
});

test("no attempt once the deadline has passed", async () => {
  const clock = new FakeClock();
  const s = scripted(clock, []);
  const r = await sendWithRetry(s.send, { clock, deadlineMs: clock.now() });
  assert.equal(r.ok, false);
  assert.equal(r.attempts, 0);
  assert.equal(r.lastError?.retryable, true);
  assert.deepEqual(s.attempts, []);
});

test("an unexpected exception is retryable, with a generic reason that does not repeat its message", async () => {
  const clock = new FakeClock();
  const s = scripted(clock, [new TypeError("boom https://hooks.example/services/T0/B0/SECRET")]);
  const reports: AttemptReport[] = [];
  const r = await drive(clock, sendWithRetry(s.send, { clock, deadlineMs: clock.now() + 60_000, random: fixed }, (x) => reports.push(x)));
  assert.equal(r.ok, true);
  assert.equal(r.attempts, 2);
  assert.equal(reports[0]!.error?.retryable, true);
  assert.equal(reports[0]!.error?.reason, "unexpected error in send (TypeError)");
});

test("reports each attempt's duration on the clock", async () => {
  const clock = new FakeClock();
  const reports: AttemptReport[] = [];
  const r = await sendWithRetry(async () => { clock.advance(120); }, { clock, deadlineMs: clock.now() + 1000 }, (x) => reports.push(x));
  assert.deepEqual(r, { ok: true, attempts: 1 });
  assert.deepEqual(reports, [{ attempt: 1, ok: true, durationMs: 120 }]);
});

test("an abort signal ends a pending sleep", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const s = scripted(clock, [e503(), e503()]);
  const run = sendWithRetry(s.send, { clock, deadlineMs: clock.now() + 60_000, random: fixed, signal: controller.signal });
  await tick();
  controller.abort();
  const r = await run;
  assert.equal(r.ok, false);
  assert.equal(r.attempts, 1);
});

test("backoff: jitter in [0.5, 1.5) of a doubling base capped at maxBackoffMs", () => {
  assert.equal(backoffMs(1, {}, () => 0), 250);
  assert.equal(backoffMs(1, {}, () => 0.999), 750);
  assert.equal(backoffMs(3, {}, () => 0.5), 2000);
  assert.equal(backoffMs(10, {}, () => 0.5), 8000);
  assert.equal(backoffMs(10, { maxBackoffMs: 1000 }, () => 0), 500);
  assert.equal(backoffMs(2, { initialBackoffMs: 100 }, () => 0.5), 200);
  for (let i = 0; i < 200; i++) {
    const b = backoffMs(2, {}, Math.random);
    assert.ok(b >= 500 && b <= 1500, String(b));
  }
});

test("a throwing onAttempt observer does not cause a re-send", async () => {
  const clock = new FakeClock();
  let sends = 0;
  await assert.rejects(
    sendWithRetry(async () => { sends++; }, { clock, deadlineMs: clock.now() + 60_000 }, () => { throw new Error("observer broke"); }),
    /observer broke/,
  );
  assert.equal(sends, 1);
});
