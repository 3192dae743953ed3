import { statSync } from "node:fs";

/**
 * The bytes the database takes on disk: the main file and its write-ahead log (WAL mode), read with
 * stat() so a scrape never waits for SQLite (no query, no lock). A file that does not exist counts 0.
 */
export function databaseFileBytes(file: string): { readonly database: number; readonly wal: number } {
  return { database: sizeOf(file), wal: sizeOf(`${file}-wal`) };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
