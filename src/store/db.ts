import BetterSqlite3, { type Database } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrate, checkSchemaVersion } from "./migrate.ts";
import { checkIntegrity, checkWritable, describeOpenFailure } from "./open-checks.ts";

export type { Database };

/**
 * FULL fsyncs the WAL on every commit, so an acknowledged write survives power loss; NORMAL survives a
 * process crash (kill -9) but may lose the last commits on power loss, for more throughput.
 */
export type SyncMode = "full" | "normal";

export interface OpenOptions {
  readonly synchronous: SyncMode;
}

/**
 * Opens, checks and migrates the database. Any problem (not SQLite, damaged, read-only, newer schema)
 * throws a StorageError that names the file, says what is wrong and what to do; nothing is written first.
 */
export function openDatabase(file: string, opts: OpenOptions): Database {
  let db: Database | undefined;
  try {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    db = new BetterSqlite3(file);
    checkIntegrity(db, file);
    checkSchemaVersion(db);
    configure(db, opts);
    checkWritable(db);
    migrate(db);
    return db;
  } catch (err) {
    db?.close();
    throw describeOpenFailure(file, err);
  }
}

function configure(db: Database, opts: OpenOptions): void {
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${opts.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  // A group commit runs each unit in a savepoint, and SQLite copies every page a unit changes into a
  // sub-journal, spilled to a temporary file past 64 KiB: with files, a one-alert unit (~16 pages) cost two
  // pwrite calls per page, more syscalls than the WAL itself. In memory it is a copy, discarded at RELEASE.
  db.pragma("temp_store = MEMORY");
  db.pragma("busy_timeout = 5000");
  // Checkpoint in bigger steps than the default 1000 pages: fewer stalls under sustained ingest.
  db.pragma("wal_autocheckpoint = 4000");
  // better-sqlite3 builds SQLite with a 16 MiB page cache, which a database of 100,000 alerts fills
  // and keeps resident; the OS page cache holds the file as well, so a smaller one costs little.
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
}

/** The page cache of the connection, in KiB (SQLite reads a negative cache_size as KiB). */
export const PAGE_CACHE_KIB = 4096;

/**
 * Caps the database at `pages` pages (SQLite's max_page_count; never below its current size) and returns
 * the cap now in force. Tests use it to make the disk "full" on a live connection, then lift it again.
 */
export function capDatabasePages(db: Database, pages: number): number {
  // SQLite ignores 0 and raises anything below the current size to it: 1 means "full now".
  return db.pragma(`max_page_count = ${Math.max(1, Math.floor(pages))}`, { simple: true }) as number;
}
