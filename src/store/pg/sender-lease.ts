/**
 * The sender lease (issue 16): of the replicas sharing one PostgreSQL database, exactly one may send
 * notifications at a time. An advisory lock is not enough — a holder that is paused (SIGSTOP, a frozen VM)
 * keeps its session and so its lock forever — so the right is a row of ha_leases (migration 010) that expires
 * unless renewed, with a fencing token that grows on every new grant.
 *
 * Clocks: the expiry is computed by the database's clock alone. The holder judges its own lease by its
 * monotonic clock, counting from the moment it *sent* its last successful renewal (never later than the
 * moment the database computed the expiry), and considers itself fenced a safety margin before the lease
 * could lapse, so it stops sending before another replica can take over. Writes the sender makes can also
 * carry the token (fencedPredicate), so the database refuses a paused old sender's late writes.
 */
import { performance } from "node:perf_hooks";
import type pg from "pg";
import { safeErrorMessage } from "./safe-error.ts";

/** SQLSTATE raised by ha_fence() when a write carries a token that no longer holds the lease. */
export const FENCED_SQLSTATE = "AP409";

export interface SenderLeaseOptions {
  /** Give it a query_timeout below leaseMs / 3, so that a hung renewal does not stall the loop. */
  pool: pg.Pool;
  /** This replica's id, unique among the replicas. */
  holder: string;
  leaseMs: number;
  /** How long before the lease could lapse the holder stops considering itself the sender. Default leaseMs / 5. */
  safetyMarginMs?: number;
  /** The lease's row in ha_leases. */
  name?: string;
  /** Monotonic milliseconds (tests may step it); never the wall clock. */
  monotonicNow?: () => number;
  /**
   * Called when this replica starts or stops being the holder (lost, fenced locally, or released). Local
   * fencing reaches it by a timer, which a busy event loop may run late: check holding() (or take fence())
   * right before each send, not this.
   */
  onChange?: (holding: boolean, token: number | undefined) => void;
  /** A failed acquire or renewal (the message carries no password); the loop keeps trying. */
  onError?: (message: string) => void;
}

/** The lease as a write must carry it: see fencedPredicate. */
export interface Fence {
  lease: string;
  token: number;
}

interface Grant {
  token: number;
  /** Monotonic time the last successful acquire or renewal was sent. */
  sentAt: number;
}

const ACQUIRE = `
INSERT INTO ha_leases AS l (name, holder, token, expires_at)
VALUES ($1, $2, 1, clock_timestamp() + $3::int * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE
  SET holder = EXCLUDED.holder, token = l.token + 1, expires_at = EXCLUDED.expires_at
  WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp()
RETURNING l.token::text AS token`;

const RENEW = `
UPDATE ha_leases SET expires_at = clock_timestamp() + $4::int * interval '1 millisecond'
WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()
RETURNING token::text AS token`;

/** Makes the lease free at once (the token stays: the next grant increments it). */
const RELEASE = `
UPDATE ha_leases SET holder = NULL, expires_at = clock_timestamp()
WHERE name = $1 AND holder = $2 AND token = $3`;

export class SenderLease {
  readonly name: string;
  readonly leaseMs: number;
  readonly safetyMarginMs: number;
  readonly #opts: SenderLeaseOptions;
  readonly #now: () => number;
  #grant: Grant | undefined;
  /** What onChange last said. */
  #reported = false;
  #loop: NodeJS.Timeout | undefined;
  #fenceTimer: NodeJS.Timeout | undefined;
  #running = false;
  #tick: Promise<void> | undefined;

  constructor(opts: SenderLeaseOptions) {
    if (!Number.isInteger(opts.leaseMs) || opts.leaseMs < 30) throw new RangeError(`leaseMs must be an integer ≥ 30, got ${opts.leaseMs}`);
    const margin = opts.safetyMarginMs ?? Math.floor(opts.leaseMs / 5);
    // Fenced no sooner than one renewal period after a renewal, else the holder fences itself in normal operation.
    if (!(margin >= 0 && opts.leaseMs - margin > opts.leaseMs / 3)) {
      throw new RangeError(`safetyMarginMs must be ≥ 0 and leave more than leaseMs / 3 (${opts.leaseMs / 3} ms), got ${margin}`);
    }
    if (!opts.holder) throw new RangeError("holder must be a non-empty replica id");
    this.#opts = opts;
    this.name = opts.name ?? "sender";
    this.leaseMs = opts.leaseMs;
    this.safetyMarginMs = margin;
    this.#now = opts.monotonicNow ?? (() => performance.now());
  }

  /** True while this replica may send: it holds a grant whose last renewal is recent enough on its own clock. */
  holding(): boolean {
    return this.#grant !== undefined && this.#now() - this.#grant.sentAt < this.leaseMs - this.safetyMarginMs;
  }

  /** The fence a write must carry while holding(); undefined when not the holder. */
  fence(): Fence | undefined {
    return this.holding() ? { lease: this.name, token: this.#grant!.token } : undefined;
  }

  /**
   * Tries once to take the lease (free, or lapsed by the database's clock); renews it if this instance holds
   * it. A restarted replica under the same id waits, like any other, for its former grant to lapse.
   */
  async acquire(): Promise<boolean> {
    if (this.#grant) return this.renew();
    const sentAt = this.#now();
    const { rows } = await this.#opts.pool.query<{ token: string }>(ACQUIRE, [this.name, this.#opts.holder, this.leaseMs]);
    if (rows[0]) this.#granted(Number(rows[0].token), sentAt);
    return this.#report();
  }

  /**
   * Extends the lease if it is still this replica's and has not lapsed in the database; false (and no longer
   * the holder) otherwise. A failed query throws and leaves the grant to lapse on the local clock.
   */
  async renew(): Promise<boolean> {
    const grant = this.#grant;
    if (!grant) return false;
    const sentAt = this.#now();
    const { rows } = await this.#opts.pool.query<{ token: string }>(RENEW, [this.name, this.#opts.holder, grant.token, this.leaseMs]);
    if (this.#grant === grant) {
      if (rows[0]) this.#granted(grant.token, sentAt);
      else this.#grant = undefined;
    }
    return this.#report();
  }

  /** Gives the lease up at once, so another replica can take it without waiting for the expiry. */
  async release(): Promise<void> {
    const grant = this.#grant;
    if (!grant) return;
    this.#grant = undefined; // stop sending before the row says so
    this.#report();
    await this.#opts.pool.query(RELEASE, [this.name, this.#opts.holder, grant.token]);
  }

  /** Acquires or renews every leaseMs / 3 until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const run = () => {
      const started = this.#now();
      this.#tick = this.#attempt().finally(() => {
        if (!this.#running) return;
        this.#loop = setTimeout(run, Math.max(0, this.leaseMs / 3 - (this.#now() - started)));
      });
    };
    run();
  }

  /** Stops the loop and releases the lease if held. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#loop);
    await this.#tick;
    clearTimeout(this.#fenceTimer);
    try {
      await this.release();
    } catch (err) {
      this.#opts.onError?.(`sender lease ${this.name}: release failed (the lease lapses by itself): ${safeErrorMessage(err)}`);
    }
  }

  async #attempt(): Promise<void> {
    try {
      await this.acquire();
    } catch (err) {
      this.#report();
      this.#opts.onError?.(`sender lease ${this.name}: ${this.#grant ? "renewal" : "acquire"} failed: ${safeErrorMessage(err)}`);
    }
  }

  #granted(token: number, sentAt: number): void {
    if (!Number.isSafeInteger(token)) throw new RangeError(`fencing token ${token} out of range`);
    this.#grant = { token, sentAt };
    this.#armFenceTimer();
  }

  /** Tells onChange when the local clock fences the grant, should no renewal come in time. */
  #armFenceTimer(): void {
    clearTimeout(this.#fenceTimer);
    const grant = this.#grant;
    if (!grant) return;
    const left = grant.sentAt + this.leaseMs - this.safetyMarginMs - this.#now();
    this.#fenceTimer = setTimeout(() => {
      // Timers count from the event loop's cached time, so this may fire a little early: then wait again.
      if (this.#report()) this.#armFenceTimer();
    }, Math.max(0, left) + 1);
    this.#fenceTimer.unref();
  }

  #report(): boolean {
    const holding = this.holding();
    if (holding !== this.#reported) {
      this.#reported = holding;
      this.#opts.onChange?.(holding, holding ? this.#grant!.token : undefined);
    }
    return holding;
  }
}

/**
 * A SQL predicate that is true when `fence` still holds its lease and otherwise fails the statement (and its
 * transaction) with SQLSTATE AP409: put it in a write's WHERE, or `SELECT <it>` first in the write's
 * transaction. It row-locks the lease until the transaction ends, so a takeover waits for the write.
 * `leaseParam` and `tokenParam` are the positions of fence.lease and fence.token among the query's values.
 */
export function fencedPredicate(leaseParam: number, tokenParam: number): string {
  return `ha_fence($${leaseParam}::text, $${tokenParam}::bigint)`;
}

/** Whether a query failed because its fence no longer held the lease. */
export function isFencedError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === FENCED_SQLSTATE;
}
