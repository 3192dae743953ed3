import { openDatabase, capDatabasePages, type SyncMode } from "./db.ts";
import { CommitQueue } from "./commit-queue.ts";
import { WalSync } from "./wal-sync.ts";
import { Checkpointer } from "./checkpointer.ts";
import { databaseFileBytes } from "./file-size.ts";
import { AlertsRepo } from "./alerts-repo.ts";
import { SilencesRepo } from "./silences-repo.ts";
import { NotifyRepo } from "./notify-repo.ts";
import { NoiseRepo } from "./noise-repo.ts";
import { HeartbeatsRepo } from "./heartbeats-repo.ts";
import { AcksRepo } from "./acks-repo.ts";
import { AnomalyRepo } from "./anomaly-repo.ts";
import { AuditRepo } from "./audit-repo.ts";
import { ExplainRepo } from "./explain-repo.ts";
import { StatsRepo } from "./stats-repo.ts";
import { HistoryRepo } from "./history-repo.ts";
import { UnusualRepo } from "./unusual-repo.ts";
import { ObserverRelay, type StoreObserver, type Stores } from "./stores.ts";

export interface SqliteStoreOptions {
  readonly file: string;
  readonly synchronous: SyncMode;
  /** A background checkpoint failed (it is retried); for a debug log line. */
  readonly checkpointFailed?: (message: string) => void;
}

/** The SQLite backend also lets tests fill the disk: SQLite's max_page_count. */
export interface SqliteStores extends Stores {
  /** Caps the database at `pages` pages; returns the cap in force. */
  capPages(pages: number): number;
}

/** Opens (and migrates) the SQLite database and builds every repository on it. */
export function openSqliteStores(opts: SqliteStoreOptions): SqliteStores {
  const db = openDatabase(opts.file, { synchronous: opts.synchronous });
  // FULL durability with the WAL flush on the thread pool instead of inside COMMIT on the event loop.
  const walSync = opts.synchronous === "full" && !db.memory ? WalSync.enable(db) : undefined;
  const checkpointer = db.memory ? undefined : Checkpointer.start(db, { onError: (message) => opts.checkpointFailed?.(message) });
  const relay = new ObserverRelay();
  const queue = new CommitQueue(db, relay, walSync, checkpointer?.gate);
  return {
    backend: "sqlite",
    location: opts.file,
    queue,
    alerts: new AlertsRepo(db),
    silences: new SilencesRepo(db),
    notify: new NotifyRepo(db),
    noise: new NoiseRepo(db),
    heartbeats: new HeartbeatsRepo(db),
    acks: new AcksRepo(db),
    anomaly: new AnomalyRepo(db),
    audit: new AuditRepo(db),
    explain: new ExplainRepo(db),
    stats: new StatsRepo(db),
    history: new HistoryRepo(db),
    unusual: new UnusualRepo(db),
    // stat() only: a scrape never waits for SQLite.
    sizeBytes: () => Promise.resolve(databaseFileBytes(opts.file)),
    observe: (observer: StoreObserver) => relay.set(observer),
    capPages: (pages) => capDatabasePages(db, pages),
    close: async () => {
      queue.close();
      walSync?.close();
      await checkpointer?.stop();
      db.close();
    },
  };
}
