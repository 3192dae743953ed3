import BetterSqlite3, { type Database } from "better-sqlite3";
import { BackupError } from "./backup-error.ts";
import { sqliteMessage } from "./file-check.ts";

/**
 * Opens `file` holding SQLite's exclusive file lock until the connection closes, or fails at once with
 * BackupError("in-use") if any other connection (a running AlertPrism) has it open: every connection of a
 * running AlertPrism holds a shared lock for its whole life in WAL mode, and the kernel drops it when the
 * process dies, so kill -9 leaves nothing stale. `command` names what to run again in the message;
 * `otherwise` is the advice when the lock fails for another reason (unreadable, not a database).
 */
export function lockExclusively(file: string, command: string, otherwise: string): Database {
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true });
    db.pragma("busy_timeout = 0");
    // In exclusive locking mode the first access takes an EXCLUSIVE file lock and keeps it until close;
    // for a WAL database it also means no shared-memory file is used.
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE; COMMIT");
    return db;
  } catch (err) {
    db?.close();
    const code = (err as { code?: unknown }).code;
    if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
      throw new BackupError(`the database ${file} is in use (is AlertPrism running?): stop it and run ${command} again; nothing was changed`, "in-use");
    }
    throw new BackupError(`cannot lock the database ${file} (${sqliteMessage(err)})${otherwise ? `; ${otherwise}` : ""}`, "invalid");
  }
}
