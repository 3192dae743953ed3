import type { Database } from "better-sqlite3";
import { StorageError, errorMessage } from "../lib/errors.ts";

interface Pending {
  work: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onRollback: (() => void) | undefined;
}

/**
 * Group commit: writes submitted in the same event-loop turn run in one transaction, each in its own
 * savepoint, and every promise settles only after COMMIT returned. Concurrent requests thus share one
 * fsync, and a failing unit rolls back alone. Work must be synchronous and must not await.
 */
export class CommitQueue {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly db: Database) {}

  /**
   * Runs `work` inside the next group transaction. `onRollback` undoes in-memory effects if the group's
   * COMMIT fails after `work` succeeded.
   */
  submit<T>(work: () => T, onRollback?: () => void): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError("storage is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject, onRollback });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs what is queued now; used at shutdown so nothing accepted is lost. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      for (const p of batch) p.reject(new StorageError(`cannot begin transaction: ${errorMessage(err)}`));
      return;
    }
    const single = batch.length === 1;
    for (const p of batch) {
      if (!single) this.db.exec("SAVEPOINT unit");
      try {
        results.push({ ok: true, value: p.work() });
        if (!single) this.db.exec("RELEASE unit");
      } catch (error) {
        if (!single) this.db.exec("ROLLBACK TO unit; RELEASE unit");
        results.push({ ok: false, error });
      }
    }
    try {
      if (single && !results[0]!.ok) this.db.exec("ROLLBACK");
      else this.db.exec("COMMIT");
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      const failure = new StorageError(`commit failed: ${errorMessage(err)}`);
      batch.forEach((p, i) => {
        if (results[i]!.ok) p.onRollback?.();
        p.reject(failure);
      });
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) p.resolve(r.value);
      else p.reject(r.error);
    });
  }

  /** Commits what is queued and refuses new work. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
