import { StorageError, errorMessage } from "../lib/errors.ts";

/** What the operator should read for each family of SQLite result codes. */
const FAMILIES: ReadonlyArray<{ readonly prefix: string; readonly kind: string; readonly advice: string }> = [
  { prefix: "SQLITE_FULL", kind: "storage full", advice: "the write was not stored, retry later (free disk space)" },
  { prefix: "SQLITE_READONLY", kind: "storage read-only", advice: "the write was not stored; make the database file and its directory writable" },
  { prefix: "SQLITE_IOERR", kind: "storage I/O error", advice: "the write was not stored, retry later (check the disk and the kernel log)" },
  { prefix: "SQLITE_CORRUPT", kind: "storage corrupt", advice: "the write was not stored; stop AlertPrism and restore a backup" },
  { prefix: "SQLITE_NOTADB", kind: "storage corrupt", advice: "the write was not stored; stop AlertPrism and restore a backup" },
  { prefix: "SQLITE_BUSY", kind: "storage busy", advice: "the write was not stored, retry later" },
  { prefix: "SQLITE_LOCKED", kind: "storage busy", advice: "the write was not stored, retry later" },
  { prefix: "SQLITE_CANTOPEN", kind: "storage unavailable", advice: "the write was not stored; check that the database directory exists and is writable" },
];

/** The SQLite result code of an error thrown by better-sqlite3 (e.g. "SQLITE_FULL"), if it is one. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/**
 * A SQLite failure as a StorageError whose message says what happened and what to do, e.g.
 * "storage full: database or disk is full (SQLITE_FULL); the write was not stored, retry later (…)".
 * Errors that are not SQLite's come back unchanged (a unit's own ValidationError stays one).
 */
export function asStorageError(err: unknown): unknown {
  if (err instanceof StorageError) return err;
  const code = sqliteCode(err);
  if (code === undefined) return err;
  const family = FAMILIES.find((f) => code.startsWith(f.prefix));
  const kind = family?.kind ?? "storage error";
  const advice = family?.advice ?? "the write was not stored, retry later";
  return new StorageError(`${kind}: ${errorMessage(err)} (${code}); ${advice}`, code);
}
