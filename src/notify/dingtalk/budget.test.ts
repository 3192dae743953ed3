import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../lib/clock.ts";
import { DigestLane, RateBudget, type Fold } from "./budget.ts";

const S = 1_000;

test("RateBudget: at most `limit` in any sliding 60 s window; a slot frees 60 s after it was taken", () => {
  const clock = new FakeClock();
  const b = new RateBudget(clock, 3);
  const t0 = clock.now();
  assert.ok(b.tryTake());
  clock.advance(10 * S);
  assert.ok(b.tryTake());
  assert.ok(b.tryTake());
  assert.equal(b.available(), 0);
  assert.equal(b.tryTake(), false);
  assert.equal(b.freeAt(1), t0 + 60 * S);
  assert.equal(b.freeAt(2), t0 + 70 * S);
  assert.equal(b.freeAt(4), Infinity, "more than the limit never fits");
  clock.advance(50 * S - 1);
  assert.equal(b.tryTake(), false, "1 ms before the first slot frees");
  clock.advance(1);
  assert.ok(b.tryTake());
  assert.equal(b.tryTake(), false);
});

test("RateBudget: tryTake(n) takes all n slots or none", () => {
  const clock = new FakeClock();
  const b = new RateBudget(clock, 5);
  assert.ok(b.tryTake(3));
  assert.equal(b.tryTake(3), false);
  assert.equal(b.used(), 3);
  assert.ok(b.tryTake(2));
  assert.equal(b.freeAt(1), clock.now() + 60 * S);
});

test("RateBudget: saturate() holds every slot for a full window from now; setLimit counts slots already taken", () => {
  const clock = new FakeClock();
  const b = new RateBudget(clock, 20);
  b.tryTake();
  clock.advance(30 * S);
  b.saturate();
  assert.equal(b.available(), 0);
  assert.equal(b.freeAt(1), clock.now() + 60 * S);
  clock.advance(60 * S);
  assert.equal(b.available(), 20);
  b.tryTake(5);
  b.setLimit(4);
  assert.equal(b.available(), 0);
  assert.throws(() => b.setLimit(0), RangeError);
});

/** A lane whose digests go to an in-memory list; `fail` decides the fate of each digest send. */
function lane(limit: number, opts: { maxPerDigest?: number; fail?: (n: number) => Error | undefined } = {}) {
  const clock = new FakeClock();
  const budget = new RateBudget(clock, limit);
  const digests: Array<{ at: number; items: string[] }> = [];
  const l = new DigestLane<string>({
    clock,
    budget,
    fold(items): Fold {
      const take = items.slice(0, opts.maxPerDigest ?? items.length);
      return {
        count: take.length,
        send: async () => {
          const err = opts.fail?.(digests.length);
          digests.push({ at: clock.now(), items: [...take] });
          if (err) throw err;
        },
      };
    },
    isRateLimited: (err) => err instanceof Error && err.message === "too fast",
    abandoned: (why, retryAfterMs) => Object.assign(new Error(`abandoned: ${why}`), { retryAfterMs }),
  });
  return { clock, budget, lane: l, digests };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test("DigestLane: direct while the budget lasts, then one digest of everything queued when a slot frees", async () => {
  const { clock, lane: l, digests } = lane(20);
  const signal = new AbortController().signal;
  const t0 = clock.now();
  let direct = 0;
  const waits: Array<Promise<void>> = [];
  for (let i = 0; i < 25; i++) {
    if (l.tryDirect(1)) direct++;
    else waits.push(l.enqueue(`n${i}`, signal));
    clock.advance(2 * S);
  }
  assert.equal(direct, 20);
  assert.equal(l.pending, 5);
  assert.equal(digests.length, 0);
  clock.advance(t0 + 60 * S - clock.now());
  await Promise.all(waits);
  assert.deepEqual(digests, [{ at: t0 + 60 * S, items: ["n20", "n21", "n22", "n23", "n24"] }]);
  assert.equal(l.pending, 0);
});

test("DigestLane: nobody jumps the queue; a multi-slot send waits behind queued items", () => {
  const { lane: l } = lane(3);
  assert.ok(l.tryDirect(2));
  assert.equal(l.tryDirect(2), false, "only one slot left");
  void l.enqueue("a", new AbortController().signal).catch(() => undefined);
  // "a" took the last slot as a one-item digest at once.
  assert.equal(l.tryDirect(1), false);
});

test("DigestLane: what one digest cannot carry goes out in the next slot", async () => {
  const { clock, lane: l, digests } = lane(2, { maxPerDigest: 2 });
  const signal = new AbortController().signal;
  l.tryDirect(2);
  const waits = ["a", "b", "c"].map((x) => l.enqueue(x, signal));
  clock.advance(60 * S);
  await tick();
  clock.advance(0);
  await Promise.all(waits);
  assert.deepEqual(digests.map((d) => d.items), [["a", "b"], ["c"]]);
});

test("DigestLane: a waiter whose signal aborts leaves the queue with a retryable-style error and is not in the digest", async () => {
  const { clock, lane: l, digests } = lane(1);
  l.tryDirect(1);
  const ctrl = new AbortController();
  const gone = l.enqueue("gone", ctrl.signal);
  const kept = l.enqueue("kept", new AbortController().signal);
  clock.advance(15 * S);
  ctrl.abort();
  await assert.rejects(gone, (e: Error & { retryAfterMs?: number }) => e.message === "abandoned: deadline" && e.retryAfterMs === 45 * S);
  clock.advance(45 * S);
  await kept;
  assert.deepEqual(digests.map((d) => d.items), [["kept"]]);
  await assert.rejects(l.enqueue("late", ctrl.signal), /abandoned: deadline/, "an already aborted signal is refused at once");
});

test("DigestLane: a rate-limited digest keeps its items queued, in order, for a whole window", async () => {
  const { clock, lane: l, digests } = lane(1, { fail: (n) => (n === 0 ? new Error("too fast") : undefined) });
  const signal = new AbortController().signal;
  const waits = ["a", "b"].map((x) => l.enqueue(x, signal));
  await tick();
  assert.equal(digests.length, 1);
  assert.equal(l.pending, 2, "both still queued");
  clock.advance(60 * S - 1);
  await tick();
  assert.equal(digests.length, 1, "nothing before the window passed");
  clock.advance(1);
  await Promise.all(waits);
  // "a" went out alone at once (a slot was free); refused, it went back ahead of "b".
  assert.deepEqual(digests.map((d) => d.items), [["a"], ["a", "b"]]);
});

test("DigestLane: any other digest failure rejects the waiters it carried", async () => {
  const { clock, lane: l, digests } = lane(1, { fail: () => new Error("refused") });
  const signal = new AbortController().signal;
  const waits = ["a", "b"].map((x) => l.enqueue(x, signal));
  await assert.rejects(waits[0]!, /refused/);
  clock.advance(60 * S);
  await assert.rejects(waits[1]!, /refused/);
  assert.deepEqual(digests.map((d) => d.items), [["a"], ["b"]]);
  assert.equal(l.pending, 0);
});

test("DigestLane: stop() rejects everything queued, is idempotent, and refuses new items", async () => {
  const { lane: l } = lane(1);
  l.tryDirect(1);
  const w = l.enqueue("a", new AbortController().signal);
  l.stop();
  l.stop();
  await assert.rejects(w, /abandoned: stopped/);
  await assert.rejects(l.enqueue("b", new AbortController().signal), /abandoned: stopped/);
  assert.equal(l.tryDirect(1), false);
});
