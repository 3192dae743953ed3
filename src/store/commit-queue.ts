import type { Database, Statement } from "better-sqlite3";
import { StorageError, errorMessage } from "../lib/errors.ts";
import { dirname, resolve } from "node:path";
import { asStorageError } from "./storage-fault.ts";
import type { WriteGate } from "./write-gate.ts";
import type { WriteQueue } from "./write-queue.ts";

/** At shutdown the last group waits this long for the worker (whose hold lasts milliseconds) before giving up. */
const SHUTDOWN_GATE_WAIT_MS = 5_000;
/** The longest a deferred-flush group waits on its own for a flush to disk (the window a power cut could lose). */
export const DEFERRED_FLUSH_MS = 50;

interface Pending {
  work: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onRollback: (() => void) | undefined;
  deferFlush: boolean;
}

export interface SubmitOptions {
  /**
   * Settle after COMMIT (the write survives a crash of the process) and leave the flush to disk to the next
   * group that needs one, or to a flush at most DEFERRED_FLUSH_MS later: for records nothing is acknowledged
   * on, whose loss in a power cut costs at most a repeated notification (the outbox, delivery records).
   */
  readonly deferFlush?: boolean;
}

interface TransactionStatements {
  readonly begin: Statement;
  readonly savepoint: Statement;
  readonly release: Statement;
  readonly rollbackTo: Statement;
  readonly commit: Statement;
  readonly rollback: Statement;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Told about every group: so the app can count failures, log them and notice recovery. */
export interface CommitObserver {
  /** A group committed `units` units; `wrote`: it changed rows (an empty commit proves nothing about space). */
  committed(units: number, wrote: boolean): void;
  /** `units` units were not stored because of `error` (disk full, read-only, I/O error, …). */
  failed(error: StorageError, units: number): void;
  /** Told of every submission, in the submitter's context (tracing and log correlation). */
  submitted?(): void;
  /** Runs each group's transaction (`units` submissions), so the observer can wrap it (a span). */
  group?(units: number, run: () => void): void;
}

/** Makes committed groups durable before they are acknowledged (see wal-sync.ts); absent: COMMIT itself is. */
export interface Durability {
  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void>;
  /** Resolves once every sync requested before the call has completed (rejects if one of them failed). */
  settled(): Promise<void>;
}

/**
 * Group commit: writes submitted in the same event-loop turn run in one transaction, each in its own
 * savepoint, and every promise settles only after COMMIT returned and, with a Durability, after the group
 * is on disk. Concurrent requests thus share one fsync, and a failing unit rolls back alone. Work must be
 * synchronous and must not await.
 *
 * SQLite errors become StorageErrors that say what happened (see storage-fault.ts). On SQLITE_FULL and
 * SQLITE_IOERR SQLite may roll back the whole transaction by itself: then every unit of the group is
 * undone (its onRollback runs) and rejected, so memory never holds what the database does not.
 */
export class CommitQueue implements WriteQueue {
  private queue: Pending[] = [];
  private scheduled = false;
  /** The flush a deferred-flush group asked for, pending (see SubmitOptions). */
  private deferredFlush: NodeJS.Timeout | undefined;
  private closed = false;
  private totalChanges: Statement | undefined;
  private statements: TransactionStatements | undefined;
  /** The durability flush of the last committed group while it runs (settles, never rejects). */
  private flushing: Promise<void> | undefined;
  /**
   * The connection's total_changes() when the last flush was requested: a group that finds the same count
   * wrote nothing since, and only waits for the flushes already under way. -1: unknown, flush.
   */
  private changesCovered = -1;
  /** The database's directory, checked when a write fails at the file-system level (read-only volume). */
  private readonly dir: string | undefined;

  constructor(
    private readonly db: Database,
    private readonly observer?: CommitObserver,
    private readonly durability?: Durability,
    /** Shared with the checkpoint worker: while it holds the gate, groups wait (see write-gate.ts). */
    private readonly gate?: WriteGate,
  ) {
    this.dir = db.memory ? undefined : dirname(resolve(db.name));
  }

  /**
   * Runs `work` inside the next group transaction. `onRollback` undoes in-memory effects if the group's
   * COMMIT fails after `work` succeeded.
   */
  submit<T>(work: () => T, onRollback?: () => void, opts?: SubmitOptions): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError("storage is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject, onRollback, deferFlush: opts?.deferFlush === true });
      this.observer?.submitted?.();
      if (!this.scheduled) {
        this.scheduled = true;
        // While the previous group is being flushed to disk, what arrives waits and commits together after it:
        // one COMMIT and one flush per cycle, however many requests arrive meanwhile.
        if (this.flushing) void this.flushing.then(() => setImmediate(this.flushScheduled));
        else setImmediate(this.flushScheduled);
      }
    });
  }

  /** Runs what is queued now; used at shutdown so nothing accepted is lost. Never throws. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    // Here the group must not be left behind: wait for the checkpoint worker (milliseconds) if it holds the gate.
    if (this.gate && !this.gate.enterWaiting(SHUTDOWN_GATE_WAIT_MS)) {
      this.abort(this.takeQueue(), [], new StorageError("the checkpoint worker kept the database busy"));
      return;
    }
    this.commitQueued();
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    if (this.gate && !this.gate.tryEnter()) {
      // The worker is restarting the WAL: the event loop goes on, and the group (with whatever joins it)
      // tries again once the worker lets go.
      this.scheduled = true;
      void this.gate.whenWorkerDone().then(() => setImmediate(this.flushScheduled));
      return;
    }
    this.commitQueued();
  };

  /** Commits the queued units as one group; the caller holds the gate (if there is one), released here. */
  private commitQueued(): void {
    const batch = this.takeQueue();
    try {
      if (this.observer?.group) this.observer.group(batch.length, () => this.commit(batch));
      else this.commit(batch);
    } finally {
      this.gate?.leave();
    }
  }

  private takeQueue(): Pending[] {
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  private commit(batch: Pending[]): void {
    const changesBefore = this.safeChanges();
    try {
      this.sql().begin.run();
    } catch (err) {
      this.abort(batch, [], err);
      return;
    }
    const single = batch.length === 1;
    const results: Outcome[] = [];
    for (const p of batch) {
      let outcome: Outcome;
      try {
        if (!single) this.sql().savepoint.run();
        outcome = { ok: true, value: p.work() };
      } catch (error) {
        outcome = { ok: false, error: asStorageError(error, this.dir) };
      }
      if (!this.db.inTransaction) {
        // SQLite rolled back the whole group: the units before this one are gone as well.
        results.push(outcome);
        this.abort(batch, results, outcome.ok ? new StorageError("the transaction was rolled back") : outcome.error);
        return;
      }
      if (!single) {
        try {
          if (!outcome.ok) this.sql().rollbackTo.run();
          this.sql().release.run();
        } catch (err) {
          results.push(outcome);
          this.abort(batch, results, err);
          return;
        }
      }
      results.push(outcome);
    }
    try {
      if (single && !results[0]!.ok) this.sql().rollback.run();
      else this.sql().commit.run();
    } catch (err) {
      this.abort(batch, results, err);
      return;
    }
    const stored: Array<{ p: Pending; value: unknown }> = [];
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) {
        stored.push({ p, value: r.value });
      } else {
        // A statement SQLite undid alone (the transaction went on): still a write that storage refused.
        if (r.error instanceof StorageError) this.observer?.failed(r.error, 1);
        p.reject(r.error);
      }
    });
    if (stored.length === 0) return;
    const changesNow = this.safeChanges();
    const wrote = changesNow !== changesBefore;
    const acknowledge = () => {
      for (const s of stored) s.p.resolve(s.value);
      this.observer?.committed(stored.length, wrote);
    };
    if (!this.durability) {
      acknowledge();
      return;
    }
    if (stored.every((s) => s.p.deferFlush)) {
      acknowledge();
      if (wrote) this.flushSoon();
      return;
    }
    // Committed and visible, but acknowledged only once on disk. A failed flush cannot be rolled back (later
    // groups may build on this one): the writers learn that durability is unknown, and storage reports failing.
    // A group that changed nothing since the last requested flush (a Prometheus re-send only moving endsAt)
    // still waits for that flush — what it answered may rest on it — but needs no flush of its own.
    const dirty = changesNow < 0 || changesNow !== this.changesCovered;
    if (dirty) this.changesCovered = changesNow;
    const flushed = (dirty ? this.durability.sync() : this.durability.settled()).then(acknowledge, (err: unknown) => {
      // Whatever the next group holds, it flushes again: after a failure nothing is known to be on disk.
      this.changesCovered = -1;
      const failure = asStorageError(err, this.dir);
      const error = failure instanceof StorageError ? failure : new StorageError(`the write may not be on disk: ${errorMessage(err)}`);
      for (const s of stored) s.p.reject(error);
      this.observer?.failed(error, stored.length);
    });
    this.flushing = flushed;
    void flushed.then(() => {
      if (this.flushing === flushed) this.flushing = undefined;
    });
  }

  /** Nothing of the group is stored: roll back, undo the memory of the units that ran, reject them all. */
  private abort(batch: readonly Pending[], ran: readonly Outcome[], cause: unknown): void {
    if (this.db.inTransaction) {
      try {
        this.db.exec("ROLLBACK");
      } catch {
        // The connection already dropped the transaction; nothing more to undo in the database.
      }
    }
    const error = asStorageError(cause, this.dir);
    const failure = error instanceof StorageError ? error : new StorageError(`the write was not stored: ${errorMessage(cause)}`);
    // Undo newest first: a later unit's memory effects may rest on an earlier one's (two writes of one silence).
    for (let i = batch.length - 1; i >= 0; i--) {
      if (!ran[i]?.ok) continue;
      try {
        batch[i]!.onRollback?.();
      } catch {
        // An undo that throws must not keep the other units from being settled.
      }
    }
    batch.forEach((p, i) => {
      const own = ran[i];
      // A unit that failed on its own (a ValidationError) keeps its error; the rest learn why nothing was stored.
      p.reject(own && !own.ok && !(own.error instanceof StorageError) ? own.error : failure);
    });
    this.observer?.failed(failure, batch.length);
  }

  /** The transaction statements, prepared once: db.exec would compile each again, several times per group. */
  private sql(): TransactionStatements {
    return (this.statements ??= {
      begin: this.db.prepare("BEGIN IMMEDIATE"),
      savepoint: this.db.prepare("SAVEPOINT unit"),
      release: this.db.prepare("RELEASE unit"),
      rollbackTo: this.db.prepare("ROLLBACK TO unit"),
      commit: this.db.prepare("COMMIT"),
      rollback: this.db.prepare("ROLLBACK"),
    });
  }

  private changes(): number {
    this.totalChanges ??= this.db.prepare("SELECT total_changes()").pluck();
    return this.totalChanges.get() as number;
  }

  private safeChanges(): number {
    try {
      return this.changes();
    } catch {
      return -1;
    }
  }

  /**
   * A flush to disk DEFERRED_FLUSH_MS from now, unless a group's own flush has covered every change by then.
   * A failure is left to the next group that needs a flush (it flushes again and reports what it finds).
   */
  private flushSoon(): void {
    if (this.deferredFlush || !this.durability) return;
    const durability = this.durability;
    this.deferredFlush = setTimeout(() => {
      this.deferredFlush = undefined;
      if (this.closed) return; // closing flushes everything synchronously
      const changesNow = this.safeChanges();
      if (changesNow >= 0 && changesNow === this.changesCovered) return;
      this.changesCovered = changesNow;
      durability.sync().catch(() => (this.changesCovered = -1));
    }, DEFERRED_FLUSH_MS);
    this.deferredFlush.unref();
  }

  /** Commits what is queued and refuses new work. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearTimeout(this.deferredFlush);
    this.deferredFlush = undefined;
  }
}
