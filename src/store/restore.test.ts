import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase, type Database } from "./db.ts";
import { SCHEMA_VERSION } from "./migrate.ts";
import { backupDatabase } from "./backup.ts";
import { restoreDatabase } from "./restore.ts";
import { BackupError } from "./backup-error.ts";

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-restore-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const insertSilence = (db: Database, id: string): void => {
  db.prepare("INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, ends_at_ms, created_by, comment) VALUES (?, '[]', 's', 'e', 'u', 0, 'test', 'c')").run(id);
};

function silenceIds(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT id FROM silences ORDER BY id").all() as Array<{ id: string }>).map((r) => r.id);
  } finally {
    db.close();
  }
}

/** A backup file holding the given silences. */
async function makeBackup(dir: string, ids: string[]): Promise<string> {
  const src = join(dir, "source", "alertprism.db");
  const db = openDatabase(src, { synchronous: "normal" });
  for (const id of ids) insertSilence(db, id);
  const out = join(dir, `backup-${ids[0]}-${ids.length}.db`);
  await backupDatabase(src, out, { overwrite: false });
  db.close();
  return out;
}

function throwsWith(fn: () => unknown, reason: BackupError["reason"], message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BackupError, `expected a BackupError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, message);
    return true;
  });
}

/** Names and contents of the files in `dir`, to show a refused restore changed nothing. */
function dirState(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n)).toString("base64")]));
}

/**
 * A database left as kill -9 leaves it: committed rows only in the -wal, -shm beside it. Another
 * process, so its file locks die with it as a crashed AlertPrism's do.
 */
async function crashWithWal(file: string, ids: string[]): Promise<void> {
  const script = `
    import Database from "better-sqlite3";
    const db = new Database(${JSON.stringify(file)});
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    const ins = db.prepare("INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, ends_at_ms, created_by, comment) VALUES (?, '[]', 's', 'e', 'u', 0, 'test', 'c')");
    for (const id of ${JSON.stringify(ids)}) ins.run(id);
    process.stdout.write("written\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => (c.toString().includes("written") ? resolve() : undefined));
    child.once("exit", (code) => reject(new Error(`writer exited early with ${code}`)));
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("restoreDatabase", () => {
  test("refuses while a connection has the database open, changing nothing", async (t) => {
    const dir = tempDir(t);
    const backup = await makeBackup(dir, ["from-backup"]);
    const dataDir = join(dir, "data");
    const target = join(dataDir, "alertprism.db");
    const live = openDatabase(target, { synchronous: "normal" });
    insertSilence(live, "live");
    const before = dirState(dataDir);
    throwsWith(() => restoreDatabase(backup, target), "in-use", /is in use \(is AlertPrism running\?\): stop it and run restore again; nothing was changed/);
    assert.deepEqual(dirState(dataDir), before);
    insertSilence(live, "still-writable"); // the refused attempt left no lock behind
    live.close();
    assert.deepEqual(silenceIds(target), ["live", "still-writable"]);
  });

  test("after kill -9: the old WAL goes into the file kept aside and is never applied to the restored one", async (t) => {
    const dir = tempDir(t);
    const backup = await makeBackup(dir, ["from-backup"]);
    const dataDir = join(dir, "data");
    const target = join(dataDir, "alertprism.db");
    openDatabase(target, { synchronous: "normal" }).close();
    await crashWithWal(target, ["crashed-1", "crashed-2"]);
    assert.ok(statSync(`${target}-wal`).size > 0, "the crash left its commits in the WAL");

    const r = restoreDatabase(backup, target, { now: new Date("2026-12-03T02:35:07.123Z") });
    assert.equal(r.replaced, `${target}.replaced-20261203T023507Z`);
    assert.equal(r.schemaVersion, SCHEMA_VERSION);
    assert.equal(r.bytes, statSync(target).size);
    assert.deepEqual(readdirSync(dataDir).sort(), ["alertprism.db", "alertprism.db.replaced-20261203T023507Z"]);
    assert.deepEqual(silenceIds(r.replaced!), ["crashed-1", "crashed-2"]);

    const reopened = openDatabase(target, { synchronous: "normal" }); // as the next start does
    assert.deepEqual((reopened.prepare("SELECT id FROM silences").all() as Array<{ id: string }>).map((x) => x.id), ["from-backup"]);
    assert.equal(reopened.pragma("integrity_check", { simple: true }), "ok");
    reopened.close();
  });

  test("restores into a directory with no database yet; a second restore in the same second gets its own name", async (t) => {
    const dir = tempDir(t);
    const backup = await makeBackup(dir, ["a"]);
    const target = join(dir, "fresh", "data", "alertprism.db");
    const now = new Date("2026-12-03T02:35:07Z");
    const first = restoreDatabase(backup, target, { now });
    assert.equal(first.replaced, undefined);
    assert.deepEqual(first.strays, []);
    assert.deepEqual(silenceIds(target), ["a"]);
    // An orphan -wal with no database beside it would be replayed into the restored file: it is moved aside.
    const orphanDir = join(dir, "orphan");
    const orphanTarget = join(orphanDir, "alertprism.db");
    openDatabase(orphanTarget, { synchronous: "normal" }).close();
    await crashWithWal(orphanTarget, ["orphaned"]);
    rmSync(orphanTarget);
    const orphan = restoreDatabase(backup, orphanTarget, { now });
    assert.equal(orphan.replaced, undefined);
    assert.deepEqual(orphan.strays, [`${orphanTarget}.replaced-20261203T023507Z-wal`, `${orphanTarget}.replaced-20261203T023507Z-shm`]);
    assert.deepEqual(readdirSync(orphanDir).sort(), ["alertprism.db", "alertprism.db.replaced-20261203T023507Z-shm", "alertprism.db.replaced-20261203T023507Z-wal"]);
    const opened = openDatabase(orphanTarget, { synchronous: "normal" });
    assert.deepEqual((opened.prepare("SELECT id FROM silences").all() as Array<{ id: string }>).map((x) => x.id), ["a"]);
    opened.close();
    const second = restoreDatabase(backup, target, { now });
    const third = restoreDatabase(backup, target, { now });
    assert.equal(second.replaced, `${target}.replaced-20261203T023507Z`);
    assert.equal(third.replaced, `${target}.replaced-20261203T023507Z-2`);
  });

  test("refuses corrupt, truncated, foreign and newer-schema files, leaving the database as it was", async (t) => {
    const dir = tempDir(t);
    const good = await makeBackup(dir, Array.from({ length: 400 }, (_, i) => `silence-${i}`));
    const dataDir = join(dir, "data");
    const target = join(dataDir, "alertprism.db");
    const live = openDatabase(target, { synchronous: "normal" });
    insertSilence(live, "current");
    live.close();
    const before = dirState(dataDir);

    const variant = (name: string, make: (file: string) => void): string => {
      const f = join(dir, name);
      copyFileSync(good, f);
      make(f);
      return f;
    };
    const size = statSync(good).size;
    const truncated = variant("truncated.db", (f) => truncateSync(f, Math.floor(size / 2)));
    const corrupt = variant("corrupt.db", (f) => {
      // Garbage over the silences table's root page (not the file header): integrity_check cannot miss it.
      const db = new BetterSqlite3(f, { readonly: true });
      const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'silences'").get() as { rootpage: number };
      const pageSize = db.pragma("page_size", { simple: true }) as number;
      db.close();
      const bytes = readFileSync(f);
      bytes.fill(0x5a, (rootpage - 1) * pageSize, rootpage * pageSize);
      writeFileSync(f, bytes);
    });
    const newer = variant("newer.db", (f) => {
      const db = new BetterSqlite3(f);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
    });
    const foreign = join(dir, "foreign.db");
    const fdb = new BetterSqlite3(foreign);
    fdb.exec("CREATE TABLE alerts (x)");
    fdb.close();
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a database\n".repeat(500));
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");

    throwsWith(() => restoreDatabase(truncated, target), "invalid", /truncated\.db (failed the integrity check|is not a readable SQLite database)/);
    throwsWith(() => restoreDatabase(corrupt, target), "invalid", /corrupt\.db (failed the integrity check: [^*]|is not a readable SQLite database)/);
    throwsWith(() => restoreDatabase(newer, target), "newer-schema", new RegExp(`newer\\.db has schema version ${SCHEMA_VERSION + 1}, newer than this AlertPrism understands \\(${SCHEMA_VERSION}\\)`));
    throwsWith(() => restoreDatabase(foreign, target), "invalid", /foreign\.db is not an AlertPrism database \(schema version 0, missing tables: alert_events, silences/);
    throwsWith(() => restoreDatabase(text, target), "invalid", /notes\.txt is not a readable SQLite database: file is not a database/);
    throwsWith(() => restoreDatabase(empty, target), "invalid", /empty\.db is not an AlertPrism database \(schema version 0/);
    throwsWith(() => restoreDatabase(join(dir, "missing.db"), target), "invalid", /missing\.db does not exist/);
    throwsWith(() => restoreDatabase(target, target), "invalid", /is the database to be replaced/);
    assert.deepEqual(dirState(dataDir), before);
    assert.deepEqual(silenceIds(target), ["current"]);
  });
});

describe("backupDatabase after a crash", () => {
  test("reads the commits that only the crashed process's WAL holds, without changing the live files", async (t) => {
    const dir = tempDir(t);
    const target = join(dir, "alertprism.db");
    openDatabase(target, { synchronous: "normal" }).close();
    await crashWithWal(target, ["only-in-wal"]);
    const walBefore = readFileSync(`${target}-wal`);
    const mainBefore = readFileSync(target);
    const out = join(dir, "after-crash.db");
    await backupDatabase(target, out, { overwrite: false });
    assert.deepEqual(silenceIds(out), ["only-in-wal"]);
    assert.deepEqual(readFileSync(`${target}-wal`), walBefore);
    assert.deepEqual(readFileSync(target), mainBefore);
  });
});
