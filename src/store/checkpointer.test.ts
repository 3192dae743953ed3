import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "./db.ts";
import { Checkpointer } from "./checkpointer.ts";
import { CommitQueue } from "./commit-queue.ts";
import type { TestContext } from "node:test";
import type { Database } from "better-sqlite3";

/**
 * A database with a scratch table in a temp dir, removed after the test. The worker does not keep the
 * process alive (unref), so the test does while it waits for it.
 */
function scratchDatabase(t: TestContext): { db: Database; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-ckpt-"));
  const db = openDatabase(join(dir, "alertprism.db"), { synchronous: "normal" });
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => {
    clearInterval(keepAlive);
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  db.exec("CREATE TABLE scratch (v TEXT NOT NULL)");
  return { db, dir };
}

test("the worker checkpoints the WAL once it passes the threshold; the writer's autocheckpoint becomes a safety net", async (t) => {
  const { db } = scratchDatabase(t);
  const checkpoints: Array<[number, number]> = [];
  const copied = new Promise<void>((resolve, reject) => {
    const ckpt = Checkpointer.start(db, {
      thresholdBytes: 256 * 1024,
      intervalMs: 20,
      onError: (message) => reject(new Error(message)),
      onCheckpoint: (c, w) => {
        checkpoints.push([c, w]);
        if (c > 0) resolve();
      },
    });
    t.after(() => ckpt.stop());
  });
  assert.equal(db.pragma("wal_autocheckpoint", { simple: true }), Math.ceil((4 * 256 * 1024) / (db.pragma("page_size", { simple: true }) as number)));
  const insert = db.prepare("INSERT INTO scratch (v) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 300; i++) insert.run("x".repeat(1000));
  })();
  await copied;
  const [frames, walFrames] = checkpoints.find(([c]) => c > 0)!;
  assert.ok(frames > 0 && walFrames >= frames, JSON.stringify(checkpoints));
  // Nothing of it lost: the writer still reads every row.
  assert.equal(db.prepare("SELECT count(*) FROM scratch").pluck().get(), 300);
});

test("once a checkpoint has emptied the WAL, small writes do not start a checkpoint (and a WAL restart) every tick", async (t) => {
  // Each checkpoint that copies everything lets the writer restart the WAL, and the writer fsyncs the new
  // WAL header on the event loop. The WAL file keeps its size when restarted, so the worker must not take
  // the file's size for what the WAL holds.
  const { db } = scratchDatabase(t);
  let copiedFrames = 0;
  let checkpoints = 0;
  let firstCopy: () => void = () => {};
  const first = new Promise<void>((resolve) => (firstCopy = resolve));
  const ckpt = Checkpointer.start(db, {
    thresholdBytes: 256 * 1024,
    intervalMs: 10,
    onError: (message) => assert.fail(message),
    onCheckpoint: (c) => {
      checkpoints++;
      copiedFrames += c;
      if (c > 0) firstCopy();
    },
  });
  t.after(() => ckpt.stop());
  const insert = db.prepare("INSERT INTO scratch (v) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 300; i++) insert.run("x".repeat(1000));
  })();
  await first;
  const afterFirst = checkpoints;
  // 20 small commits over ~300 ms, less than the threshold in all (a few frames of 4 KiB each).
  for (let i = 0; i < 20; i++) {
    insert.run("y");
    await new Promise((r) => setTimeout(r, 15));
  }
  assert.ok(checkpoints - afterFirst <= 1, `checkpoints after the first: ${checkpoints - afterFirst}`);
  assert.equal(db.prepare("SELECT count(*) FROM scratch").pluck().get(), 320);
  assert.ok(copiedFrames > 0);
});

test("the worker thread starts only once the WAL first reaches the threshold", async (t) => {
  const { db, dir } = scratchDatabase(t);
  // The migrations' own frames are in the WAL: a threshold above them, so only the rows below pass it.
  const walBytes = statSync(join(dir, "alertprism.db-wal")).size;
  const ckpt = Checkpointer.start(db, { thresholdBytes: walBytes + 256 * 1024, intervalMs: 10 });
  t.after(() => ckpt.stop());
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(ckpt.running, false, "a WAL below the threshold needs no worker");
  const insert = db.prepare("INSERT INTO scratch (v) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 400; i++) insert.run("x".repeat(1000));
  })();
  for (let i = 0; i < 100 && !ckpt.running; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(ckpt.running, true);
});

/** The WAL header's salts: a restart writes new ones. Read with a descriptor of the -wal file, which SQLite does not lock. */
function walSalts(dir: string): string {
  return readFileSync(join(dir, "alertprism.db-wal")).subarray(16, 24).toString("hex");
}

test("the worker restarts the WAL itself, in its thread, once everything is copied; the writer's next commit appends", async (t) => {
  const { db, dir } = scratchDatabase(t);
  let restarted: () => void = () => {};
  const restart = new Promise<void>((resolve) => (restarted = resolve));
  const ckpt = Checkpointer.start(db, {
    thresholdBytes: 256 * 1024,
    intervalMs: 10,
    onError: (message) => assert.fail(message),
    onCheckpoint: (_c, _w, didRestart) => {
      if (didRestart) restarted();
    },
  });
  t.after(() => ckpt.stop());
  const insert = db.prepare("INSERT INTO scratch (v) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 300; i++) insert.run("x".repeat(1000));
  })();
  const before = walSalts(dir);
  await restart;
  // The writer has not written since: the new header is the worker's.
  const afterRestart = walSalts(dir);
  assert.notEqual(afterRestart, before, "the worker's write restarted the WAL");
  insert.run("y");
  assert.equal(walSalts(dir), afterRestart, "the writer's commit appended to the restarted WAL");
  assert.equal(db.prepare("SELECT count(*) FROM scratch").pluck().get(), 301);
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  assert.equal(ckpt.gate.heldByWorker, false);
});

test("groups committed through the queue while the worker keeps restarting the WAL all land, in order", async (t) => {
  const { db } = scratchDatabase(t);
  let restarts = 0;
  const ckpt = Checkpointer.start(db, {
    thresholdBytes: 64 * 1024,
    intervalMs: 5,
    onError: (message) => assert.fail(message),
    onCheckpoint: (_c, _w, restarted) => {
      if (restarted) restarts++;
    },
  });
  t.after(() => ckpt.stop());
  const queue = new CommitQueue(db, undefined, undefined, ckpt.gate);
  const insert = db.prepare("INSERT INTO scratch (v) VALUES (?)");
  const written: Array<Promise<unknown>> = [];
  for (let i = 0; i < 400 && restarts < 3; i++) {
    written.push(queue.submit(() => insert.run(`${i}:${"x".repeat(2000)}`)));
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(written);
  queue.close();
  assert.ok(restarts >= 1, `restarts by the worker: ${restarts}`);
  const rows = db.prepare("SELECT v FROM scratch ORDER BY rowid").pluck().all() as string[];
  assert.deepEqual(rows.map((v) => Number(v.split(":")[0])), written.map((_, i) => i));
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
});
