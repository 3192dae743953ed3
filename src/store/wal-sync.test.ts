import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase, type Database } from "./db.ts";
import { CommitQueue, DEFERRED_FLUSH_MS, type CommitObserver, type Durability } from "./commit-queue.ts";
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

/** A Durability whose flushes the test finishes (or fails) by hand; `syncs` counts the flushes requested. */
function manualDurability(): Durability & { finish(err?: Error): void; pending(): number; syncs: number } {
  const waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  return {
    syncs: 0,
    sync() {
      this.syncs++;
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    settled: () => waiting.length === 0 ? Promise.resolve() : new Promise<void>((resolve, reject) => waiting.push({ resolve, reject })),
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

test("settled starts no flush: at once when none is requested, else with the queued or the running one", async (t) => {
  const { db } = fileDb(t);
  const sync = WalSync.enable(db);
  await sync.settled();
  assert.equal(sync.count, 0, "idle: nothing to wait for");
  db.prepare("INSERT INTO scratch (v) VALUES ('a')").run();
  const order: string[] = [];
  const running = sync.sync().then(() => order.push("first flush"));
  const joinsRunning = sync.settled().then(() => order.push("joined the running flush"));
  const queued = sync.sync().then(() => order.push("second flush"));
  const joinsQueued = sync.settled().then(() => order.push("joined the queued flush"));
  await Promise.all([running, joinsRunning, queued, joinsQueued]);
  assert.equal(sync.count, 2, "settled() added no flush");
  assert.deepEqual(order, ["first flush", "joined the running flush", "second flush", "joined the queued flush"]);
  sync.close();
  await assert.rejects(sync.settled(), StorageError);
});

/** A commit queue over a hand-finished Durability, with one write committed and its flush requested. */
async function queueWithOneWrite(t: { after(fn: () => void): void }) {
  const { db } = fileDb(t);
  const durability = manualDurability();
  const queue = new CommitQueue(db, undefined, durability);
  const write = queue.submit(() => db.prepare("INSERT INTO scratch (v) VALUES ('a')").run());
  queue.flush();
  await new Promise((r) => setImmediate(r));
  return { db, durability, queue, write };
}

test("a group that changed nothing since the last requested flush waits for it but requests none", async (t) => {
  const { db, durability, queue, write } = await queueWithOneWrite(t);
  assert.equal(durability.syncs, 1);
  // A re-send that changes no row, committed while the write's flush is still under way.
  let readAcknowledged = false;
  const read = queue.submit(() => db.prepare("SELECT count(*) FROM scratch").pluck().get()).then((n) => {
    readAcknowledged = true;
    return n;
  });
  await new Promise((r) => setTimeout(r, 5));
  queue.flush();
  await new Promise((r) => setImmediate(r));
  assert.equal(readAcknowledged, false, "not before the flush it rests on");
  assert.equal(durability.syncs, 1, "no flush of its own");
  durability.finish();
  await write;
  assert.equal(await read, 1);
  // Nothing pending: acknowledged without a flush. A write afterwards flushes again.
  assert.equal(await queue.submit(() => db.prepare("SELECT count(*) FROM scratch").pluck().get()), 1);
  assert.equal(durability.syncs, 1);
  const second = queue.submit(() => db.prepare("INSERT INTO scratch (v) VALUES ('b')").run());
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(durability.syncs, 2);
  durability.finish();
  await second;
});

test("after a failed flush the next group flushes even if it changed nothing", async (t) => {
  const { db, durability, queue, write } = await queueWithOneWrite(t);
  durability.finish(new Error("EIO: i/o error, fdatasync"));
  await assert.rejects(write, StorageError);
  const read = queue.submit(() => db.prepare("SELECT count(*) FROM scratch").pluck().get());
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(durability.syncs, 2, "nothing is known to be on disk: flush again");
  durability.finish();
  assert.equal(await read, 1);
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

test("a deferred-flush group is settled at COMMIT; its flush comes with the next group that needs one, or on its own soon after", async (t) => {
  const { db } = fileDb(t);
  const durability = manualDurability();
  const queue = new CommitQueue(db, undefined, durability);
  t.after(() => queue.close());
  const insert = (v: string) => () => db.prepare("INSERT INTO scratch (v) VALUES (?)").run(v);
  await queue.submit(insert("outbox row"), undefined, { deferFlush: true });
  assert.equal(durability.syncs, 0, "settled without waiting for a flush");
  // A write that needs its flush comes along: one flush covers both, and the deferred one asks for none later.
  const write = queue.submit(insert("alert"));
  await new Promise((r) => setImmediate(r));
  assert.equal(durability.syncs, 1);
  durability.finish();
  await write;
  await new Promise((r) => setTimeout(r, DEFERRED_FLUSH_MS * 2));
  assert.equal(durability.syncs, 1, "already covered");
  // Alone, a deferred write is flushed on its own soon after.
  await queue.submit(insert("delivery record"), undefined, { deferFlush: true });
  assert.equal(durability.syncs, 1);
  await new Promise((r) => setTimeout(r, DEFERRED_FLUSH_MS * 2));
  assert.equal(durability.syncs, 2);
  durability.finish();
  // A group mixing both kinds waits for its flush.
  let settled = false;
  const mixed = Promise.all([
    queue.submit(insert("x"), undefined, { deferFlush: true }),
    queue.submit(insert("y")),
  ]).then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(settled, false);
  durability.finish();
  await mixed;
});
