import type { Database } from "better-sqlite3";
import { StorageError, errorMessage } from "../lib/errors.ts";
import { sqliteCode } from "./storage-fault.ts";

const MOVE_ASIDE = "restore a backup, or move the file aside to start with an empty database (AlertPrism neither repairs nor overwrites it)";

/**
 * Reads the whole file before anything is written: a file that is not SQLite, or whose pages are
 * damaged (garbage written into it, truncated), stops the start instead of being used or overwritten.
 * quick_check reads every page once: about as long as copying the file (see README, Operations).
 */
export function checkIntegrity(db: Database, file: string): void {
  const rows = db.pragma("quick_check(5)") as Array<{ quick_check: string }>;
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
  if (problems.length > 0) {
    throw new StorageError(`${file} is damaged (PRAGMA quick_check: ${problems.join("; ").slice(0, 500)}) — ${MOVE_ASIDE}`, "SQLITE_CORRUPT");
  }
}

/**
 * Proves the database can be written (file mode, directory, read-only mount) by rewriting its
 * schema-version header in a transaction: a read-only database must stop the start, not every write later.
 */
export function checkWritable(db: Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  db.transaction(() => db.pragma(`user_version = ${version}`)).immediate();
}

/** A start-up failure as a message that says what is wrong with the database and what to do. */
export function describeOpenFailure(file: string, err: unknown): StorageError {
  if (err instanceof StorageError && err.message.startsWith(file)) return err;
  const code = sqliteCode(err) ?? (err as { code?: unknown } | null)?.code;
  const reason = `${errorMessage(err)}${typeof code === "string" ? `, ${code}` : ""}`;
  const c = typeof code === "string" ? code : "";
  if (c === "SQLITE_NOTADB") return new StorageError(`${file} is not a valid SQLite database (${reason}) — ${MOVE_ASIDE}`, c);
  if (c.startsWith("SQLITE_CORRUPT")) return new StorageError(`${file} is damaged (${reason}) — ${MOVE_ASIDE}`, c);
  if (c.startsWith("SQLITE_READONLY") || c.startsWith("SQLITE_CANTOPEN") || c === "EACCES" || c === "EROFS" || c === "EPERM") {
    return new StorageError(
      `${file} cannot be written (${reason}); AlertPrism must write to its database — make the file and its directory writable by the user running AlertPrism, or mount the volume read-write`,
      c,
    );
  }
  if (c.startsWith("SQLITE_FULL") || c === "ENOSPC") return new StorageError(`${file}: the disk is full (${reason}) — free space on its volume and start again`, c);
  if (err instanceof StorageError) return new StorageError(`${file}: ${err.message}`, err.code);
  return new StorageError(`${file} cannot be opened (${reason})`, c || undefined);
}
