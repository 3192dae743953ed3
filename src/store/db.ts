import BetterSqlite3, { type Database } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrate } from "./migrate.ts";

export type { Database };

/**
 * FULL fsyncs the WAL on every commit, so an acknowledged write survives power loss; NORMAL survives a
 * process crash (kill -9) but may lose the last commits on power loss, for more throughput.
 */
export type SyncMode = "full" | "normal";

export interface OpenOptions {
  readonly synchronous: SyncMode;
}

export function openDatabase(file: string, opts: OpenOptions): Database {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${opts.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // Checkpoint in bigger steps than the default 1000 pages: fewer stalls under sustained ingest.
  db.pragma("wal_autocheckpoint = 4000");
  migrate(db);
  return db;
}
