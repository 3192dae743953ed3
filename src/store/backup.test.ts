import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase, type Database } from "./db.ts";
import { SCHEMA_VERSION } from "./migrate.ts";
import { backupDatabase } from "./backup.ts";
import { rejectsWithBackupError } from "../../test/helpers/backup-errors.ts";

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-backup-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const insertSilence = (db: Database, i: number): void => {
  db.prepare("INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, ends_at_ms, created_by, comment) VALUES (?, '[]', 's', 'e', 'u', ?, 'test', ?)")
    .run(`s${String(i).padStart(6, "0")}`, i, `comment ${i}`);
};

function silenceIds(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT id FROM silences ORDER BY id").all() as Array<{ id: string }>).map((r) => r.id);
  } finally {
    db.close();
  }
}

describe("backupDatabase", () => {
  test("copies a live WAL database while it is being written: a snapshot with every earlier commit, single-file, checked", async (t) => {
    const dir = tempDir(t);
    const live = openDatabase(join(dir, "alertprism.db"), { synchronous: "normal" });
    t.after(() => live.close());
    live.pragma("wal_autocheckpoint = 0"); // keep the commits in the WAL: the copy must read them from there
    for (let i = 0; i < 300; i++) insertSilence(live, i);
    assert.ok(statSync(join(dir, "alertprism.db-wal")).size > 0);

    // Keep committing while the backup runs (in-process, so between its steps; the e2e test writes from another process).
    let next = 300;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        insertSilence(live, next++);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const dest = join(dir, "backup.db");
    const result = await backupDatabase(join(dir, "alertprism.db"), dest, { overwrite: false });
    writing = false;
    await writer;

    assert.equal(result.file, dest);
    assert.equal(result.schemaVersion, SCHEMA_VERSION);
    assert.equal(result.bytes, statSync(dest).size);
    const ids = silenceIds(dest);
    // A prefix of the commit sequence: all 300 earlier ones, and no gap (one snapshot, not a mix).
    assert.ok(ids.length >= 300, `${ids.length} rows in the backup`);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => `s${String(i).padStart(6, "0")}`));
    assert.ok(ids.length <= next);
    // Rollback-journal mode (header bytes 18/19 = 1), nothing else beside it, no temp file left.
    const header = readFileSync(dest).subarray(18, 20);
    assert.deepEqual([...header], [1, 1]);
    assert.deepEqual(readdirSync(dir).sort(), ["alertprism.db", "alertprism.db-shm", "alertprism.db-wal", "backup.db"]);
    const check = new BetterSqlite3(dest, { readonly: true });
    assert.equal(check.pragma("integrity_check", { simple: true }), "ok");
    check.close();
  });

  test("refuses an existing destination unless overwrite, and then replaces it", async (t) => {
    const dir = tempDir(t);
    const live = openDatabase(join(dir, "alertprism.db"), { synchronous: "normal" });
    t.after(() => live.close());
    insertSilence(live, 1);
    const dest = join(dir, "backup.db");
    writeFileSync(dest, "precious");
    await rejectsWithBackupError(backupDatabase(join(dir, "alertprism.db"), dest, { overwrite: false }), "exists", /backup\.db exists; pass --force/);
    assert.equal(readFileSync(dest, "utf8"), "precious");
    await backupDatabase(join(dir, "alertprism.db"), dest, { overwrite: true });
    assert.deepEqual(silenceIds(dest), ["s000001"]);
  });

  test("bad sources and destinations are refused with a reason, leaving no file behind", async (t) => {
    const dir = tempDir(t);
    const live = openDatabase(join(dir, "alertprism.db"), { synchronous: "normal" });
    t.after(() => live.close());
    const src = join(dir, "alertprism.db");
    await rejectsWithBackupError(backupDatabase(join(dir, "missing.db"), join(dir, "b.db"), { overwrite: false }), "invalid", /no database at .*missing\.db/);
    await rejectsWithBackupError(backupDatabase(src, join(dir, "no-such-dir", "b.db"), { overwrite: false }), "io", /directory .*no-such-dir does not exist/);
    await rejectsWithBackupError(backupDatabase(src, src, { overwrite: true }), "invalid", /would overwrite the live database/);
    await rejectsWithBackupError(backupDatabase(src, `${src}-wal`, { overwrite: true }), "invalid", /would overwrite the live database/);

    const foreign = join(dir, "foreign.db");
    const f = new BetterSqlite3(foreign);
    f.exec("CREATE TABLE t (x)");
    f.close();
    await rejectsWithBackupError(backupDatabase(foreign, join(dir, "b.db"), { overwrite: false }), "invalid", /not an AlertPrism database \(schema version 0, missing tables: alerts/);
    const text = join(dir, "text.db");
    writeFileSync(text, "this is not a database, it is a text file of some length ".repeat(100));
    await rejectsWithBackupError(backupDatabase(text, join(dir, "b.db"), { overwrite: false }), "invalid", /file is not a database/);
    assert.equal(existsSync(join(dir, "b.db")), false);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp-")), []);
  });
});
