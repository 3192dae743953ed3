import type { Clock } from "../lib/clock.ts";
import { NotifyError } from "./notifier.ts";

/**
 * The only retry loop of AlertPrism (DESIGN.md §5). Integrations classify a failure as retryable or not;
 * this loop decides when to try again: exponential backoff with jitter, at least the server's Retry-After,
 * and never past the flush deadline. All waiting goes through the Clock, so tests drive it with FakeClock.
 */

export interface RetryOptions {
  readonly clock: Clock;
  /** Clock time after which no attempt starts and no sleep ends (Alertmanager: the flush context's deadline). */
  readonly deadlineMs: number;
  /** Backoff before the second attempt; doubles with every further attempt. */
  readonly initialBackoffMs?: number;
  /** Caps the doubling backoff before jitter is applied. */
  readonly maxBackoffMs?: number;
  /** Source of jitter in [0, 1); injectable for deterministic tests. */
  readonly random?: () => number;
  /** Aborting ends a pending sleep at once, e.g. on shutdown; the result is then a failure. */
  readonly signal?: AbortSignal;
}

export interface AttemptReport {
  readonly attempt: number;
  readonly ok: boolean;
  readonly error?: NotifyError;
  readonly durationMs: number;
}

export interface RetryResult {
  readonly ok: boolean;
  readonly attempts: number;
  readonly lastError?: NotifyError;
}

export const DEFAULT_INITIAL_BACKOFF_MS = 500;
export const DEFAULT_MAX_BACKOFF_MS = 8000;

/**
 * Calls `send` until it resolves, throws a non-retryable NotifyError, or the deadline leaves no room for
 * the next wait. Anything else thrown is treated as retryable: an unexpected bug in a send path should
 * not lose a notification, and its message is not trusted to be free of secrets.
 */
export async function sendWithRetry(
  send: (attempt: number) => Promise<void>,
  opts: RetryOptions,
  onAttempt?: (r: AttemptReport) => void,
): Promise<RetryResult> {
  const { clock, deadlineMs } = opts;
  const random = opts.random ?? Math.random;
  let lastError: NotifyError | undefined;
  let attempt = 0;
  for (;;) {
    if (clock.now() >= deadlineMs) {
      return { ok: false, attempts: attempt, lastError: lastError ?? new NotifyError(true, "flush deadline passed before the first attempt") };
    }
    attempt++;
    const started = clock.now();
    let error: NotifyError | undefined;
    try {
      await send(attempt);
    } catch (err) {
      error = asNotifyError(err);
    }
    // Reported outside the try: a throwing observer must not turn a delivered notification into a retry.
    onAttempt?.(error ? { attempt, ok: false, error, durationMs: clock.now() - started } : { attempt, ok: true, durationMs: clock.now() - started });
    if (!error) return { ok: true, attempts: attempt };
    lastError = error;
    if (!error.retryable) return { ok: false, attempts: attempt, lastError };
    const waitMs = Math.max(backoffMs(attempt, opts, random), lastError.opts.retryAfterMs ?? 0);
    // A wait that would end past the deadline cannot lead to an attempt, so stop now and report why.
    if (clock.now() + waitMs >= deadlineMs) return { ok: false, attempts: attempt, lastError };
    if (!(await sleep(clock, waitMs, opts.signal))) return { ok: false, attempts: attempt, lastError };
  }
}

/** Backoff after `attempt` failed attempts: initial × 2^(attempt−1), capped, times a jitter in [0.5, 1.5). */
export function backoffMs(attempt: number, opts: Pick<RetryOptions, "initialBackoffMs" | "maxBackoffMs">, random: () => number): number {
  const initial = opts.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
  const max = opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const base = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  return Math.round(base * (0.5 + random()));
}

function asNotifyError(err: unknown): NotifyError {
  if (err instanceof NotifyError) return err;
  return new NotifyError(true, `unexpected error in send${err instanceof Error ? ` (${err.name})` : ""}`);
}

/** Resolves true after `ms` of clock time, or false as soon as the signal aborts. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
