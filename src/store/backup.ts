import BetterSqlite3, { type Database } from "better-sqlite3";
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { BackupError } from "./backup-error.ts";
import { checkAlertPrismDatabase, sqliteMessage } from "./file-check.ts";

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
  readonly schemaVersion: number;
}

/** sqlite3_backup_step(n) with n this large copies every page in one step, i.e. under one read transaction. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the database at `source` to `dest` while AlertPrism may be running and writing.
 *
 * Consistency: the copy is made with SQLite's online backup API in a single step, so it reads one WAL
 * snapshot: every transaction committed before the step began is in it, none committed later, and writers
 * carry on meanwhile (WAL readers do not block them). The source is opened read-only and never changed.
 *
 * Atomicity: the copy is written to a temporary file beside `dest`, switched to a single-file (rollback
 * journal) database, integrity-checked, fsynced and only then given its final name, so a crash or a
 * failure never leaves a half-written file under `dest`. An existing `dest` is kept unless `overwrite`.
 */
export async function backupDatabase(source: string, dest: string, opts: { overwrite: boolean }): Promise<BackupResult> {
  const src = resolve(source);
  const out = resolve(dest);
  if ([src, `${src}-wal`, `${src}-shm`, `${src}-journal`].includes(out)) {
    throw new BackupError(`the backup file ${dest} would overwrite the live database`, "invalid");
  }
  if (!existsSync(src)) throw new BackupError(`no database at ${source} (check --storage.path)`, "invalid");
  if (!opts.overwrite && existsSync(out)) throw new BackupError(`${dest} exists; pass --force to replace it`, "exists");
  if (!existsSync(dirname(out))) throw new BackupError(`directory ${dirname(dest)} does not exist`, "io");

  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await copyOnline(src, tmp);
    const { schemaVersion } = finishCopy(tmp);
    fsyncFile(tmp);
    publish(tmp, out, dest, opts.overwrite);
    fsyncDirectory(dirname(out));
    return { file: out, bytes: statSync(out).size, schemaVersion };
  } finally {
    for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  }
}

async function copyOnline(src: string, tmp: string): Promise<void> {
  let db: Database;
  try {
    db = new BetterSqlite3(src, { readonly: true, fileMustExist: true });
    // A running AlertPrism may hold the write lock for a moment (checkpoint, WAL recovery after a crash).
    db.pragma("busy_timeout = 10000");
  } catch (err) {
    throw new BackupError(`cannot open the database ${src}: ${sqliteMessage(err)}`, "invalid");
  }
  try {
    await db.backup(tmp, { progress: () => ALL_PAGES });
  } catch (err) {
    throw new BackupError(`backup of ${src} failed: ${sqliteMessage(err)}`, isIoError(err) ? "io" : "invalid");
  } finally {
    db.close();
  }
}

/** Makes the copy a self-contained single file (no -wal needed beside it) and checks it. */
function finishCopy(tmp: string): { schemaVersion: number } {
  const db = new BetterSqlite3(tmp, { fileMustExist: true });
  try {
    db.pragma("journal_mode = DELETE");
    return checkAlertPrismDatabase(db, "the copy of the database");
  } finally {
    db.close();
  }
}

/** Gives `tmp` its final name; without `overwrite`, link() fails rather than replace a file that appeared meanwhile. */
function publish(tmp: string, out: string, shown: string, overwrite: boolean): void {
  if (overwrite) {
    renameSync(tmp, out);
    return;
  }
  try {
    linkSync(tmp, out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new BackupError(`${shown} exists; pass --force to replace it`, "exists");
    // Filesystems without hard links: check, then rename (a narrower guarantee, but still no partial file).
    if (existsSync(out)) throw new BackupError(`${shown} exists; pass --force to replace it`, "exists");
    renameSync(tmp, out);
  }
}

export function fsyncFile(file: string): void {
  const fd = openSync(file, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable. Some filesystems refuse fsync on a directory; then there is nothing more to do. */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on filesystems that do not support it
  } finally {
    closeSync(fd);
  }
}

function isIoError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && /^SQLITE_(IOERR|FULL|CANTOPEN|READONLY|PERM)/.test(code);
}
