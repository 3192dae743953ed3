import { closeSync, openSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { StorageError, errorMessage } from "../lib/errors.ts";

/** What the operator should read for each family of SQLite result codes. */
const FAMILIES: ReadonlyArray<{ readonly prefix: string; readonly kind: string; readonly advice: string }> = [
  { prefix: "SQLITE_FULL", kind: "storage full", advice: "the write was not stored, retry later (free disk space)" },
  // Before SQLITE_READONLY: the file under the open connection was renamed or deleted, not made read-only.
  { prefix: "SQLITE_READONLY_DBMOVED", kind: "storage read-only", advice: "the write was not stored; the database file was moved or deleted while AlertPrism runs: put it back where it was (a restart would open whatever is there then)" },
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

/** Codes SQLite gives when the file system refused an operation: the file system may say better why. */
const FILE_SYSTEM_LEVEL = /^SQLITE_(IOERR|READONLY|CANTOPEN)/;

const READ_ONLY_ADVICE =
  "the write was not stored; if the kernel remounted the volume read-only after an I/O error (see its log), stop AlertPrism, " +
  "check the volume and mount it read-write, then start AlertPrism — what was acknowledged before is in the database";

/**
 * "the file system holding <dir> is read-only (EROFS)" when it is, else undefined. SQLite cannot tell: a
 * volume the kernel made read-only under open files (ext4 errors=remount-ro) fails their writes with EIO
 * (SQLITE_IOERR_WRITE). Nor can access(2) or statfs(2): recent ext4 keeps the mount flagged rw in that
 * state. Creating a file answers EROFS, so the probe creates (and removes) one.
 */
export function readOnlyFileSystem(dir: string): string | undefined {
  const probe = join(dir, `.alertprism-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, "w"));
  } catch (err) {
    return (err as { code?: unknown }).code === "EROFS" ? `the file system holding ${dir} is read-only (EROFS)` : undefined;
  }
  try {
    unlinkSync(probe);
  } catch {
    // Written, so not read-only; a probe left behind is empty and harmless.
  }
  return undefined;
}

/** A failure of the file system under `dir`, said as read-only when it is (see readOnlyFileSystem); else undefined. */
export function readOnlyFailure(dir: string, detail: string, code?: string): StorageError | undefined {
  const why = readOnlyFileSystem(dir);
  return why === undefined ? undefined : new StorageError(`storage read-only: ${why}; ${detail}; ${READ_ONLY_ADVICE}`, code);
}

/**
 * A SQLite failure as a StorageError whose message says what happened and what to do, e.g.
 * "storage full: database or disk is full (SQLITE_FULL); the write was not stored, retry later (…)".
 * With `dir` (the database's directory), a failure at the file-system level is checked against it, so a
 * read-only volume is named as such rather than as an I/O error.
 * Errors that are not SQLite's come back unchanged (a unit's own ValidationError stays one).
 */
export function asStorageError(err: unknown, dir?: string): unknown {
  if (err instanceof StorageError) return err;
  const code = sqliteCode(err);
  if (code === undefined) return err;
  if (dir !== undefined && FILE_SYSTEM_LEVEL.test(code)) {
    const readOnly = readOnlyFailure(dir, `SQLite reported: ${errorMessage(err)} (${code})`, code);
    if (readOnly) return readOnly;
  }
  const family = FAMILIES.find((f) => code.startsWith(f.prefix));
  const kind = family?.kind ?? "storage error";
  const advice = family?.advice ?? "the write was not stored, retry later";
  return new StorageError(`${kind}: ${errorMessage(err)} (${code}); ${advice}`, code);
}
