/**
 * Maintenance at a wall-clock time (cron's "M * * * *" and "M H * * *" in local time) on the injected
 * Clock. Local time comes from Date, which needs none of Intl's time-zone tables that a cron library
 * loads (~5 MiB of resident memory for two timers).
 */
import type { Clock, TimerHandle } from "./clock.ts";

/** `minute` past every hour, or past `hour` only. */
export interface LocalTime {
  readonly minute: number;
  readonly hour?: number;
}

const MINUTE_MS = 60_000;
/** A day and the hour a DST change can add: every local time recurs within it. */
const MAX_MINUTES = 25 * 60 + 1;

/**
 * The first whole minute after `afterMs` whose local time matches `at`. A time skipped by a DST change
 * is not run that day; a time repeated by one runs on each occurrence, as cron's minute fields say.
 */
export function nextLocalTime(at: LocalTime, afterMs: number): number {
  let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let i = 0; i < MAX_MINUTES; i++, t += MINUTE_MS) {
    const d = new Date(t);
    if (d.getMinutes() === at.minute && (at.hour === undefined || d.getHours() === at.hour)) return t;
  }
  throw new RangeError(`no local time ${at.hour ?? "*"}:${at.minute} within a day`);
}

export interface ScheduledTask {
  stop(): void;
}

/**
 * Runs `task` at every `at`. The next run is counted from the one just due, not from the clock, so a
 * timer that fires a little early cannot run the task twice for the same minute.
 */
export function scheduleLocal(clock: Clock, at: LocalTime, task: () => void): ScheduledTask {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const arm = (afterMs: number): void => {
    const due = nextLocalTime(at, afterMs);
    handle = clock.setTimeout(() => {
      if (stopped) return;
      arm(Math.max(due, clock.now()));
      task();
    }, due - clock.now());
  };
  arm(clock.now());
  return {
    stop() {
      stopped = true;
      if (handle) clock.clearTimeout(handle);
    },
  };
}
