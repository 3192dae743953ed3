import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase, type Database } from "./db.ts";
import { CommitQueue, type CommitObserver, type Durability } from "./commit-queue.ts";
import { WalSync } from "./wal-sync.ts";
import { StorageError } from "../lib/errors.ts";

function fileDb(t: { after(fn: () => void): void }): { db: Database; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-walsync-"));
  const file = join(dir, "alertprism.db");
  const db = openDatabase(file, { synchronous: "full" });
  db.exec("CREATE TABLE scratch (v TEXT NOT NULL)");
  t.after(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, file };
}

/** A Durability whose flushes the test finishes (or fails) by hand. */
function manualDurability(): Durability & { finish(err?: Error): void; pending(): number } {
  const waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  return {
    sync: () => new Promise<void>((resolve, reject) => waiting.push({ resolve, reject })),
    finish: (err) => {
      for (const w of waiting.splice(0)) {
        if (err) w.reject(err);
        else w.resolve();
      }
    },
    pending: () => waiting.length,
  };
}

test("enable switches the connection from FULL to NORMAL; an in-memory database is refused", (t) => {
  const { db } = fileDb(t);
  assert.equal(db.pragma("synchronous", { simple: true }), 2);
  const sync = WalSync.enable(db);
  assert.equal(db.pragma("synchronous", { simple: true }), 1);
  sync.close();
  const memory = new BetterSqlite3(":memory:");
  assert.throws(() => WalSync.enable(memory), /in-memory/);
  memory.close();
});

test("concurrent syncs coalesce: a burst shares one flush, a later one gets its own", async (t) => {
  const { db } = fileDb(t);
  const sync = WalSync.enable(db);
  db.prepare("INSERT INTO scratch (v) VALUES ('a')").run();
  await Promise.all(Array.from({ length: 20 }, () => sync.sync()));
  // The first call starts a flush at once; the 19 that land while it runs share the next one.
  assert.equal(sync.count, 2);
  await sync.sync();
  assert.equal(sync.count, 3);
  sync.close();
  await assert.rejects(sync.sync(), StorageError);
});

test("close flushes synchronously and settles a waiter whose flush had not started", async (t) => {
  const { db } = fileDb(t);
  const sync = WalSync.enable(db);
  db.prepare("INSERT INTO scratch (v) VALUES ('a')").run();
  const first = sync.sync();
  const second = sync.sync(); // waits behind the first flush
  sync.close();
  await Promise.all([first, second]);
});

test("a committed group is acknowledged only after its flush; the memory of it is visible before", async (t) => {
  const { db } = fileDb(t);
  const durability = manualDurability();
  const seen: string[] = [];
  const observer: CommitObserver = { committed: (n) => seen.push(`committed ${n}`), failed: (e, n) => seen.push(`failed ${n} ${e.message}`) };
  const queue = new CommitQueue(db, observer, durability);
  let settled = false;
  const write = queue.submit(() => db.prepare("INSERT INTO scratch (v) VALUES ('x')").run().changes).then((v) => {
    settled = true;
    return v;
  });
  queue.flush();
  await new Promise((r) => setImmediate(r));
  assert.equal(db.prepare("SELECT count(*) FROM scratch").pluck().get(), 1, "committed");
  assert.equal(settled, false, "not acknowledged before the flush");
  assert.equal(durability.pending(), 1);
  durability.finish();
  assert.equal(await write, 1);
  assert.deepEqual(seen, ["committed 1"]);
});

test("a failed flush rejects the group's writers with a StorageError and reports the failure", async (t) => {
  const { db } = fileDb(t);
  const durability = manualDurability();
  const seen: string[] = [];
  const observer: CommitObserver = { committed: (n) => seen.push(`committed ${n}`), failed: (_e, n) => seen.push(`failed ${n}`) };
  const queue = new CommitQueue(db, observer, durability);
  const a = queue.submit(() => db.prepare("INSERT INTO scratch (v) VALUES ('a')").run());
  const b = queue.submit(() => db.prepare("INSERT INTO scratch (v) VALUES ('b')").run());
  queue.flush();
  durability.finish(new Error("EIO: i/o error, fdatasync"));
  await assert.rejects(a, (err: unknown) => err instanceof StorageError && /may not be on disk|EIO/.test(err.message));
  await assert.rejects(b, StorageError);
  assert.deepEqual(seen, ["failed 2"]);
});
