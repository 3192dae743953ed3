import BetterSqlite3, { type Database } from "better-sqlite3";
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { BackupError } from "./backup-error.ts";
import { checkAlertPrismDatabase, sqliteMessage } from "./file-check.ts";
import { fsyncDirectory, fsyncFile } from "./backup.ts";
import { lockExclusively } from "./exclusive-lock.ts";

export interface RestoreResult {
  readonly file: string;
  readonly bytes: number;
  readonly schemaVersion: number;
  /** Where the database that was replaced now is (undefined when there was none). */
  readonly replaced: string | undefined;
  /** -wal/-shm/-journal files found without a database, moved aside so none is applied to the restored one. */
  readonly strays: readonly string[];
}

const SIDECARS = ["-wal", "-shm", "-journal"] as const;

/**
 * Replaces the database at `target` with the backup `backupFile`, refusing while anything has it open.
 *
 * 1. The backup is copied beside `target` and checked there (integrity, AlertPrism tables, a schema no newer
 *    than this build's), so a bad backup is refused before anything is touched.
 * 2. "Running" is detected by SQLite's own file lock, not by a pid file: every open connection of a running
 *    AlertPrism holds a shared lock on the database file (WAL mode keeps it for the connection's life), so
 *    an exclusive lock taken here with no wait fails while one runs. The kernel drops such locks when the
 *    process dies, so kill -9 leaves nothing stale, and pids never enter into it, so it works across
 *    containers sharing the volume. It does not work across hosts on a network filesystem (nor does SQLite).
 * 3. Holding that lock, the old database's WAL is checkpointed into it and removed, so the copy kept aside
 *    (`<target>.replaced-<UTC time>`) is complete on its own and no old WAL can be applied to the restored
 *    file. Then the files are renamed; an AlertPrism started meanwhile fails on the lock instead of opening
 *    the old file.
 */
export function restoreDatabase(backupFile: string, target: string, opts: { now?: Date } = {}): RestoreResult {
  const from = resolve(backupFile);
  const to = resolve(target);
  if ([to, ...SIDECARS.map((s) => `${to}${s}`)].includes(from)) {
    throw new BackupError(`${backupFile} is the database to be replaced; copy the backup elsewhere first`, "invalid");
  }
  if (!existsSync(from)) throw new BackupError(`backup file ${backupFile} does not exist`, "invalid");
  mkdirSync(dirname(to), { recursive: true });

  const tmp = join(dirname(to), `.${basename(to)}.restore-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    copyFileSync(from, tmp);
    const { schemaVersion } = prepareCopy(tmp, `backup file ${backupFile}`);
    fsyncFile(tmp);
    const { replaced, strays } = swapIn(tmp, to, replacedName(to, opts.now ?? new Date()));
    fsyncDirectory(dirname(to));
    return { file: to, bytes: statSync(to).size, schemaVersion, replaced, strays };
  } finally {
    for (const f of [tmp, ...SIDECARS.map((s) => `${tmp}${s}`)]) rmSync(f, { force: true });
  }
}

/** Checks the copied backup and leaves it a single-file database with no WAL of its own. */
function prepareCopy(tmp: string, label: string): { schemaVersion: number } {
  let db: Database;
  try {
    db = new BetterSqlite3(tmp, { fileMustExist: true });
  } catch (err) {
    throw new BackupError(`cannot open ${label}: ${sqliteMessage(err)}`, "invalid");
  }
  try {
    const facts = checkAlertPrismDatabase(db, label);
    db.pragma("journal_mode = DELETE");
    return facts;
  } finally {
    db.close();
  }
}

/** Puts `tmp` in place of `to` under the exclusive lock of the old database; returns where the old files went. */
function swapIn(tmp: string, to: string, replaced: string): { replaced: string | undefined; strays: string[] } {
  if (!existsSync(to)) {
    // No database, but an orphan -wal would be replayed into the restored file: move any sidecar aside.
    const strays = moveSidecars(to, replaced);
    renameSync(tmp, to);
    return { replaced: undefined, strays };
  }
  const lock = lockExclusively(to, "restore", "if AlertPrism is stopped, move it and its -wal/-shm files away and run restore again");
  try {
    // Fold the WAL into the file and drop it, then keep the journal in memory: closing this connection
    // must not delete a journal by path once the names point at the restored file.
    lock.pragma("wal_checkpoint(TRUNCATE)");
    lock.pragma("journal_mode = DELETE");
    lock.pragma("journal_mode = MEMORY");
    renameSync(to, replaced);
    // With the WAL folded in, -shm and this connection's own zeroed -journal carry nothing; a -wal cannot
    // be left, but if one were it goes with the file it belongs to.
    rmSync(`${to}-shm`, { force: true });
    rmSync(`${to}-journal`, { force: true });
    if (existsSync(`${to}-wal`)) renameSync(`${to}-wal`, `${replaced}-wal`);
    try {
      renameSync(tmp, to);
    } catch (err) {
      renameSync(replaced, to); // put the old database back rather than leave none
      throw err;
    }
    return { replaced, strays: [] };
  } finally {
    lock.close();
  }
}

/** Renames `<from><sidecar>` to `<to><sidecar>` for each sidecar present; returns the new names. */
function moveSidecars(from: string, to: string): string[] {
  const moved: string[] = [];
  for (const s of SIDECARS) {
    if (existsSync(`${from}${s}`)) {
      renameSync(`${from}${s}`, `${to}${s}`);
      moved.push(`${to}${s}`);
    }
  }
  return moved;
}

/** `<file>.replaced-20261203T023500Z`, with a counter if a restore in the same second already used it. */
function replacedName(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let name = `${file}.replaced-${stamp}`;
  for (let n = 2; existsSync(name); n++) name = `${file}.replaced-${stamp}-${n}`;
  return name;
}
