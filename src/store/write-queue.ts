/** Options of a write (see CommitQueue's SubmitOptions for what each backend does with them). */
export interface WriteOptions {
  /**
   * The write may be acknowledged before it is flushed to disk (SQLite: by the next group's flush or within
   * DEFERRED_FLUSH_MS); for records nothing is acknowledged on. PostgreSQL commits every group durably.
   */
  readonly deferFlush?: boolean;
}

/**
 * Where services submit their writes, whatever the backend: `work` runs synchronously, with others that
 * arrived in the same event-loop turn, as one unit of a group transaction; it calls the repositories'
 * write methods and updates memory. The promise settles once the group is committed (and durable), or
 * rejects if this unit's writes were not stored — then `onRollback` has undone what `work` did to memory.
 * Work must not await: it runs between the group's statements (SQLite) or while they are recorded
 * (PostgreSQL, which sends them after `work` returned).
 */
export interface WriteQueue {
  submit<T>(work: () => T, onRollback?: () => void, opts?: WriteOptions): Promise<T>;
}
