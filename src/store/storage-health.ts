import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { StorageError } from "../lib/errors.ts";
import type { CommitObserver } from "./commit-queue.ts";

/** While writes keep failing, one log line per this interval (with how many failed in between). */
const LOG_EVERY_MS = 60_000;

export interface StorageHealthOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Called for every failed group with the primary code (e.g. "SQLITE_FULL", "PG_08"), its units and the error's message. */
  readonly onFailure: (code: string, units: number, message: string) => void;
  /** Called with true when writes start failing, false when they succeed again. */
  readonly onState?: (failing: boolean) => void;
  readonly onCommit?: (units: number) => void;
}

interface Failing {
  readonly sinceMs: number;
  code: string;
  message: string;
  failures: number;
  unlogged: number;
  lastLogMs: number;
}

/**
 * Watches the commit queue: counts failed writes by SQLite code, logs the first failure at once and
 * then at most once a minute, and logs recovery at the first commit that changed rows again.
 */
export class StorageHealth implements CommitObserver {
  private failing: Failing | undefined;

  constructor(private readonly opts: StorageHealthOptions) {}

  failed(error: StorageError, units: number): void {
    const code = primaryCode(error.code);
    this.opts.onFailure(code, units, error.message);
    const now = this.opts.clock.now();
    const f = this.failing;
    if (!f) {
      this.failing = { sinceMs: now, code, message: error.message, failures: 1, unlogged: 0, lastLogMs: now };
      this.opts.onState?.(true);
      this.opts.log.error({ code, err: error.message, units }, "storage write failed: writes are answered 503 until storage accepts them again");
      return;
    }
    f.failures++;
    f.code = code;
    f.message = error.message;
    if (now - f.lastLogMs < LOG_EVERY_MS) {
      f.unlogged++;
      return;
    }
    this.opts.log.error({ code, err: error.message, failedSinceLastLog: f.unlogged + 1, failingForMs: now - f.sinceMs }, "storage writes still failing");
    f.unlogged = 0;
    f.lastLogMs = now;
  }

  committed(units: number, wrote: boolean): void {
    this.opts.onCommit?.(units);
    const f = this.failing;
    if (!f || !wrote) return;
    this.failing = undefined;
    this.opts.onState?.(false);
    this.opts.log.warn({ failures: f.failures, failedForMs: this.opts.clock.now() - f.sinceMs, lastCode: f.code }, "storage writes succeed again");
  }

  /** The current failure, if the last write that reached storage failed. */
  current(): { readonly code: string; readonly message: string; readonly sinceMs: number } | undefined {
    const f = this.failing;
    return f && { code: f.code, message: f.message, sinceMs: f.sinceMs };
  }
}

/**
 * A few stable metric series: "SQLITE_IOERR_WRITE" → "SQLITE_IOERR"; a PostgreSQL SQLSTATE → its class
 * ("57P01" → "PG_57", "AP409" → "PG_AP"); a system error as it is ("ECONNREFUSED").
 */
export function primaryCode(code: string | undefined): string {
  if (code === undefined) return "unknown";
  const sqlite = /^SQLITE_[A-Z]+/.exec(code)?.[0];
  if (sqlite) return sqlite;
  // SQLSTATEs are five characters with a digit among them (EPIPE, also five, is a system error).
  if (/^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code)) return `PG_${code.slice(0, 2)}`;
  return /^E[A-Z]+$/.test(code) ? code : "unknown";
}
