import { detached } from "./correlation.ts";

/** Injectable time source: every timer and `now()` in AlertPrism goes through a Clock so tests can drive time. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

let nextTimerId = 1;

/** Wall-clock time with real timers; timers are unref'd so they never keep a stopping process alive. */
export class SystemClock implements Clock {
  /** Pending timers by id: how to cancel each. */
  private readonly timers = new Map<number, () => void>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    // A timer's work is caused by time, not by the request that happened to arm it: it logs without
    // that request's id (a group flush sets the ids of its alerts' requests itself).
    const fire = () => {
      this.timers.delete(id);
      detached(fn);
    };
    // Node runs a 0 ms timeout after at least 1 ms; due now (group_wait: 0s) means this turn's check phase.
    if (ms <= 0) {
      const immediate = setImmediate(fire).unref();
      this.timers.set(id, () => clearImmediate(immediate));
    } else {
      const timeout = setTimeout(fire, ms).unref();
      this.timers.set(id, () => clearTimeout(timeout));
    }
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.get(handle.id)?.();
    this.timers.delete(handle.id);
  }
}

/** A clock tests move by hand: `advance(ms)` fires due timers in time order. */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 10, 22, 3, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) if (t.at <= target && t.at < nextAt) { nextAt = t.at; nextId = id; }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId);
      this.timers.delete(nextId);
      this.current = nextAt;
      timer?.fn();
    }
    this.current = target;
  }
}
