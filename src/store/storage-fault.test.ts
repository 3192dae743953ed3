import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { StorageError, ValidationError } from "../lib/errors.ts";
import { asStorageError, readOnlyFileSystem } from "./storage-fault.ts";

// The read-only case itself needs a volume the kernel made read-only: test/e2e/storage-readonly.test.ts.

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-fault-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a writable directory is not read-only, and the probe leaves nothing behind", (t) => {
  const dir = tempDir(t);
  assert.equal(readOnlyFileSystem(dir), undefined);
  assert.deepEqual(readdirSync(dir), []);
});

test("a directory that does not exist is not called read-only", (t) => {
  assert.equal(readOnlyFileSystem(join(tempDir(t), "gone")), undefined);
});

test("SQLite codes map to what happened and what to do; an I/O error on a writable volume stays an I/O error", (t) => {
  const dir = tempDir(t);
  const io = asStorageError(new BetterSqlite3.SqliteError("disk I/O error", "SQLITE_IOERR_WRITE"), dir);
  assert.ok(io instanceof StorageError);
  assert.equal(io.code, "SQLITE_IOERR_WRITE");
  assert.match(io.message, /^storage I\/O error: disk I\/O error \(SQLITE_IOERR_WRITE\); the write was not stored, retry later/);
  const full = asStorageError(new BetterSqlite3.SqliteError("database or disk is full", "SQLITE_FULL"), dir);
  assert.match((full as StorageError).message, /^storage full: /);
  const readonly = asStorageError(new BetterSqlite3.SqliteError("attempt to write a readonly database", "SQLITE_READONLY_DBMOVED"));
  assert.match((readonly as StorageError).message, /^storage read-only: attempt to write a readonly database \(SQLITE_READONLY_DBMOVED\); the write was not stored; the database file was moved or deleted/);
  const cantInit = asStorageError(new BetterSqlite3.SqliteError("attempt to write a readonly database", "SQLITE_READONLY_CANTINIT"), dir);
  assert.match((cantInit as StorageError).message, /\(SQLITE_READONLY_CANTINIT\); the write was not stored; make the database file and its directory writable/);
  const own = new ValidationError("bad input");
  assert.equal(asStorageError(own, dir), own, "not SQLite's: unchanged");
});
