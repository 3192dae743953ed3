import type { Clock, TimerHandle } from "../../lib/clock.ts";

/** DingTalk counts a robot's messages per minute. */
export const BUDGET_WINDOW_MS = 60_000;

/**
 * At most `limit` messages in any sliding window of `windowMs`. Each message taken occupies a slot from
 * the moment it is taken until `windowMs` later. Time comes only from the Clock, so tests drive it.
 */
export class RateBudget {
  /** Times slots were taken, ascending. */
  private readonly stamps: number[] = [];
  private cap: number;

  constructor(private readonly clock: Clock, limit: number, readonly windowMs: number = BUDGET_WINDOW_MS) {
    this.cap = checkLimit(limit);
  }

  get limit(): number {
    return this.cap;
  }

  /** A reload may change messages_per_minute; the slots already taken still count against the new limit. */
  setLimit(limit: number): void {
    this.cap = checkLimit(limit);
  }

  /** Slots occupied right now. */
  used(): number {
    this.prune();
    return this.stamps.length;
  }

  available(): number {
    return Math.max(0, this.cap - this.used());
  }

  /** Takes `n` slots at once, or none: a message split in parts must not be cut off half-way by the budget. */
  tryTake(n = 1): boolean {
    if (n < 1 || n > this.available()) return false;
    const at = this.stampNow();
    for (let i = 0; i < n; i++) this.stamps.push(at);
    return true;
  }

  /** Earliest time at which `n` slots are free: now if they already are, Infinity if n exceeds the limit. */
  freeAt(n = 1): number {
    this.prune();
    if (n > this.cap) return Infinity;
    const mustExpire = this.stamps.length - (this.cap - n);
    if (mustExpire <= 0) return this.clock.now();
    return this.stamps[mustExpire - 1]! + this.windowMs;
  }

  /**
   * Marks every slot as taken now. Used when DingTalk itself says "send too fast" (errcode 130101): our
   * count was wrong (another sender shares the robot, or a restart forgot earlier sends), so we wait a
   * whole window rather than probe.
   */
  saturate(): void {
    const at = this.stampNow();
    this.stamps.length = 0;
    for (let i = 0; i < this.cap; i++) this.stamps.push(at);
  }

  private prune(): void {
    const now = this.clock.now();
    let expired = 0;
    while (expired < this.stamps.length && this.stamps[expired]! + this.windowMs <= now) expired++;
    if (expired > 0) this.stamps.splice(0, expired);
  }

  /** Never earlier than the last stamp, so the list stays sorted even if the wall clock steps back. */
  private stampNow(): number {
    const last = this.stamps[this.stamps.length - 1];
    return last === undefined ? this.clock.now() : Math.max(last, this.clock.now());
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  return limit;
}

/** One digest message prepared from the head of the queue. */
export interface Fold {
  /** How many queued items, from the head, the message carries (at least 1). */
  readonly count: number;
  send(signal: AbortSignal): Promise<void>;
}

export interface DigestLaneOptions<T> {
  readonly clock: Clock;
  readonly budget: RateBudget;
  /** Builds one message from as many head items as fit. Called with a slot already taken for it. */
  fold(items: readonly T[]): Fold;
  /** True if a failed digest means "robot over its limit": its items stay queued for a later digest. */
  isRateLimited(err: unknown): boolean;
  /** The error for a waiter that stops waiting: its deadline passed, or the lane was stopped. */
  abandoned(why: "deadline" | "stopped", retryAfterMs: number): Error;
}

interface Waiter<T> {
  readonly item: T;
  settled: boolean;
  inFlight: boolean;
  settle(err?: unknown): void;
}

/**
 * The queue in front of one robot. Callers first ask `tryDirect(parts)`; if the budget allows and nobody
 * is queued ahead, they send themselves. Otherwise they `enqueue` and wait: whenever a slot frees, the lane
 * folds the queue's head into ONE digest message and sends it, resolving every waiter it carried.
 *
 * Nothing is dropped: a waiter leaves the queue only when a digest carrying it is delivered, when the
 * digest fails for a reason other than rate limiting (it gets that error), or when its own signal aborts
 * (it gets a retryable error and the caller's outbox keeps the notification).
 */
export class DigestLane<T> {
  private readonly queue: Array<Waiter<T>> = [];
  private timer: TimerHandle | undefined;
  private flight: { readonly ctrl: AbortController; readonly batch: ReadonlyArray<Waiter<T>> } | undefined;
  private stopped = false;

  constructor(private readonly opts: DigestLaneOptions<T>) {}

  /** Items waiting for a digest (not counting one in flight). */
  get pending(): number {
    return this.queue.length;
  }

  /** Takes `slots` budget slots for a direct send, unless the budget is short or others are queued ahead. */
  tryDirect(slots: number): boolean {
    if (this.stopped || this.queue.length > 0) return false;
    return this.opts.budget.tryTake(slots);
  }

  /** Resolves once a digest carrying `item` was delivered; rejects as described on the class. */
  enqueue(item: T, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.stopped) return reject(this.opts.abandoned("stopped", 0));
      if (signal.aborted) return reject(this.opts.abandoned("deadline", this.retryAfter()));
      const onAbort = () => this.abandon(w);
      const w: Waiter<T> = {
        item,
        settled: false,
        inFlight: false,
        settle(err?: unknown) {
          if (this.settled) return;
          this.settled = true;
          signal.removeEventListener("abort", onAbort);
          if (err === undefined) resolve();
          else reject(err);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(w);
      this.schedule();
    });
  }

  /** Rejects everything queued, aborts a digest in flight, cancels the timer. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer();
    for (const w of this.queue.splice(0)) w.settle(this.opts.abandoned("stopped", 0));
    this.flight?.ctrl.abort();
  }

  private retryAfter(): number {
    return Math.max(0, this.opts.budget.freeAt(1) - this.opts.clock.now());
  }

  private abandon(w: Waiter<T>): void {
    if (w.settled) return;
    if (!w.inFlight) {
      const i = this.queue.indexOf(w);
      if (i >= 0) this.queue.splice(i, 1);
    }
    w.settle(this.opts.abandoned("deadline", this.retryAfter()));
    // A digest nobody waits for any more is not worth finishing; the callers will retry what it carried.
    if (this.flight && this.flight.batch.every((x) => x.settled)) this.flight.ctrl.abort();
    if (this.queue.length === 0) this.cancelTimer();
  }

  private schedule(): void {
    if (this.stopped || this.flight || this.timer || this.queue.length === 0) return;
    const delay = this.opts.budget.freeAt(1) - this.opts.clock.now();
    if (delay <= 0) {
      this.pump();
      return;
    }
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
  }

  private cancelTimer(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    if (this.stopped || this.flight || this.queue.length === 0) return;
    if (!this.opts.budget.tryTake(1)) {
      this.schedule();
      return;
    }
    let fold: Fold;
    try {
      fold = this.opts.fold(this.queue.map((w) => w.item));
    } catch (err) {
      // A digest that cannot even be built would fail the same way next time: fail its waiters now.
      for (const w of this.queue.splice(0)) w.settle(err);
      return;
    }
    const batch = this.queue.splice(0, Math.min(Math.max(1, fold.count), this.queue.length));
    for (const w of batch) w.inFlight = true;
    const ctrl = new AbortController();
    this.flight = { ctrl, batch };
    fold.send(ctrl.signal).then(
      () => {
        for (const w of batch) w.settle();
      },
      (err: unknown) => {
        if (!this.stopped && this.opts.isRateLimited(err)) {
          // DingTalk refused for speed: keep the items, at the head and in order, for the next window.
          this.opts.budget.saturate();
          const back = batch.filter((w) => !w.settled);
          for (const w of back) w.inFlight = false;
          this.queue.unshift(...back);
        } else {
          for (const w of batch) w.settle(err);
        }
      },
    ).finally(() => {
      this.flight = undefined;
      this.schedule();
    });
  }
}
