import type { Database } from "better-sqlite3";
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { StorageError, errorMessage } from "../lib/errors.ts";
import { readOnlyFailure } from "./storage-fault.ts";

/**
 * Power-loss durability without blocking the event loop. With `synchronous = FULL` SQLite fsyncs the
 * write-ahead log inside COMMIT, on the main thread: every request waits while the disk flushes. Here the
 * connection runs with NORMAL (COMMIT only writes the WAL into the page cache, which already survives a
 * process crash) and the WAL file is fdatasync'ed on libuv's thread pool before any write of the committed
 * group is acknowledged. fsync acts on the file, not the descriptor, so flushing our own descriptor of the
 * WAL flushes SQLite's frames too.
 *
 * Syncs coalesce: a commit that lands while a sync is running waits for the next one, which covers every
 * commit made before it started. So at most one sync runs at a time and a burst shares it.
 * SQLite itself still syncs the WAL before each checkpoint and the database file after it (NORMAL does).
 */
export class WalSync {
  private fd: number | undefined;
  private ino = -1;
  private running = false;
  /** Waiters of the sync running now (joined by settled()), and of the next one. */
  private current: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private closed = false;
  private syncs = 0;

  private constructor(private readonly walPath: string) {}

  /** Switches `db` (a file database in WAL mode) to NORMAL and returns the syncer that makes its commits durable. */
  static enable(db: Database): WalSync {
    if (db.memory) throw new Error("an in-memory database has no write-ahead log to sync");
    const mode = db.pragma("journal_mode", { simple: true }) as string;
    if (mode !== "wal") throw new Error(`journal_mode is ${mode}, not wal`);
    db.pragma("synchronous = NORMAL");
    return new WalSync(`${resolve(db.name)}-wal`);
  }

  /** How many fdatasync calls ran (benchmarks compare it with the number of commits). */
  get count(): number {
    return this.syncs;
  }

  /** Resolves once everything committed before this call is on disk; rejects with a StorageError if the flush failed. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError("storage is closed"));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.runNext();
    });
  }

  /**
   * Resolves once every sync requested so far has completed, without starting one: joins the queued sync
   * if there is one, else the running one; resolves at once when neither exists.
   */
  settled(): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError("storage is closed"));
    if (this.waiting.length === 0 && !this.running) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      (this.waiting.length > 0 ? this.waiting : this.current).push({ resolve, reject });
    });
  }

  private runNext(): void {
    const group = this.waiting;
    this.waiting = [];
    if (group.length === 0 || this.closed) {
      this.running = false;
      if (this.closed) this.release();
      for (const w of group) w.resolve(); // close() flushed everything synchronously before it set closed
      return;
    }
    this.running = true;
    this.current = group;
    let fd: number;
    try {
      fd = this.descriptor();
    } catch (err) {
      this.settle(group, err);
      return;
    }
    this.syncs++;
    fdatasync(fd, (err) => this.settle(group, err));
  }

  private settle(group: ReadonlyArray<{ resolve: () => void; reject: (e: unknown) => void }>, err: unknown): void {
    if (err) {
      const failure = this.failure(err);
      for (const w of group) w.reject(failure);
    } else {
      for (const w of group) w.resolve();
    }
    this.runNext();
  }

  /**
   * Our descriptor of the current WAL file. SQLite keeps the file (same inode) while a connection is open,
   * truncating or rewriting it in place; the inode check covers it being deleted and created again.
   */
  private descriptor(): number {
    const ino = statSync(this.walPath).ino;
    if (this.fd !== undefined && ino === this.ino) return this.fd;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = openSync(this.walPath, "r");
    this.ino = fstatSync(this.fd).ino;
    return this.fd;
  }

  /**
   * Flushes synchronously (at shutdown, before the connection closes) and settles every waiter. The
   * descriptor is released now, or when a sync still running on the thread pool returns. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    let failure: unknown;
    try {
      fdatasyncSync(this.descriptor());
    } catch (err) {
      failure = err;
    }
    this.closed = true;
    const group = this.waiting;
    this.waiting = [];
    if (failure === undefined) for (const w of group) w.resolve();
    else for (const w of group) w.reject(this.failure(failure));
    if (!this.running) this.release();
  }

  /** The flush failed: said as read-only when the volume is (the kernel remounted it after an I/O error). */
  private failure(err: unknown): StorageError {
    const detail = `flushing the write-ahead log to disk failed: ${errorMessage(err)}`;
    return readOnlyFailure(dirname(this.walPath), detail) ?? new StorageError(detail);
  }

  private release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
