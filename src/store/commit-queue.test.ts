import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, capDatabasePages, type Database } from "./db.ts";
import { CommitQueue, type CommitObserver } from "./commit-queue.ts";
import { StorageError, ValidationError } from "../lib/errors.ts";
import { GATE_FREE, GATE_WORKER, WriteGate } from "./write-gate.ts";
import { Worker } from "node:worker_threads";

/** A real database file with a scratch table, and a queue whose observer records what it is told. */
function setup(t: { after(fn: () => void): void }, gate?: WriteGate) {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-cq-"));
  const db: Database = openDatabase(join(dir, "alertprism.db"), { synchronous: "normal" });
  db.exec("CREATE TABLE scratch (v TEXT NOT NULL)");
  const seen: string[] = [];
  const observer: CommitObserver = {
    committed: (units, wrote) => seen.push(`committed ${units} ${wrote ? "wrote" : "empty"}`),
    failed: (err, units) => seen.push(`failed ${units} ${err.code}`),
  };
  const queue = new CommitQueue(db, observer, undefined, gate);
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const insert = (v: string) => db.prepare("INSERT INTO scratch (v) VALUES (?)").run(v);
  const rows = () => db.prepare("SELECT count(*) FROM scratch").pluck().get() as number;
  // Full: no page may be added, and what is free in the last pages is filled first.
  const fill = () => {
    capDatabasePages(db, 0);
    for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          insert("f".repeat(size));
        } catch {
          break;
        }
      }
    }
  };
  return { db, queue, seen, insert, rows, fill };
}

test("disk full in the second unit of a group: SQLite drops the whole transaction, both units fail and undo their memory", async (t) => {
  const { queue, seen, insert, rows, fill } = setup(t);
  fill();
  const before = rows();
  const memory = new Set<string>();
  const small = queue.submit(() => {
    memory.add("small");
    return "small";
  }, () => memory.delete("small"));
  const big = queue.submit(() => {
    insert("x".repeat(64 * 1024));
    memory.add("big");
  }, () => memory.delete("big"));
  const results = await Promise.allSettled([small, big]);
  for (const r of results) {
    assert.equal(r.status, "rejected");
    const err = (r as PromiseRejectedResult).reason as StorageError;
    assert.ok(err instanceof StorageError, String(err));
    assert.equal(err.code, "SQLITE_FULL");
    assert.match(err.message, /^storage full: database or disk is full \(SQLITE_FULL\); the write was not stored, retry later/);
  }
  assert.deepEqual([...memory], []);
  assert.equal(rows(), before);
  assert.deepEqual(seen, ["failed 2 SQLITE_FULL"]);
});

test("a group rolled back whole undoes its units newest first, so a later write of the same key restores the earlier state", async (t) => {
  const { queue, insert, fill } = setup(t);
  fill();
  const memory = new Map<string, string>();
  const write = (value: string) => {
    let previous: string | undefined;
    return queue.submit(() => {
      previous = memory.get("k");
      memory.set("k", value);
    }, () => (previous === undefined ? memory.delete("k") : memory.set("k", previous)));
  };
  // The third unit fills the disk: SQLite drops the whole transaction, and the two writes before it are undone.
  const results = await Promise.allSettled([write("v1"), write("v2"), queue.submit(() => insert("x".repeat(64 * 1024)))]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected", "rejected"]);
  // Oldest first would delete k, then put back v1: a value the database never held.
  assert.equal(memory.has("k"), false);
});

test("disk full in a unit alone: rejected with SQLITE_FULL, nothing stored, and the next write succeeds once space returns", async (t) => {
  const { db, queue, seen, insert, rows, fill } = setup(t);
  fill();
  const before = rows();
  await assert.rejects(queue.submit(() => insert("y".repeat(64 * 1024))), (err: unknown) => err instanceof StorageError && err.code === "SQLITE_FULL");
  assert.equal(rows(), before);
  capDatabasePages(db, 1_000_000);
  await queue.submit(() => insert("y".repeat(64 * 1024)));
  assert.equal(rows(), before + 1);
  assert.deepEqual(seen, ["failed 1 SQLITE_FULL", "committed 1 wrote"]);
});

test("a unit's own error stays its own and the other units of the group commit", async (t) => {
  const { queue, seen, insert, rows } = setup(t);
  const bad = queue.submit(() => {
    insert("partial");
    throw new ValidationError("nope");
  });
  const good = queue.submit(() => insert("kept"));
  await assert.rejects(bad, ValidationError);
  await good;
  assert.equal(rows(), 1);
  assert.deepEqual(seen, ["committed 1 wrote"]);
});

test("a commit that changes nothing is reported as such (it proves nothing about free space)", async (t) => {
  const { queue, seen } = setup(t);
  await queue.submit(() => 1);
  assert.deepEqual(seen, ["committed 1 empty"]);
});

test("while the checkpoint worker holds the write gate, a group waits without blocking the event loop, then commits", async (t) => {
  const gate = new WriteGate();
  const { queue, rows } = setup(t, gate);
  const word = new Int32Array(gate.buffer);
  Atomics.store(word, 0, GATE_WORKER);
  let stored = false;
  const done = queue.submit(() => rows()).then(() => (stored = true));
  // The event loop keeps turning (timers fire) and the group stays queued.
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stored, false);
  // The worker lets go as it does: store, then notify.
  Atomics.store(word, 0, GATE_FREE);
  Atomics.notify(word, 0);
  await done;
  assert.equal(stored, true);
  assert.equal(gate.tryEnter(), true, "the queue released the gate after its group");
  gate.leave();
});

test("at shutdown the last group waits for the worker to let go of the gate, and is committed", async (t) => {
  const gate = new WriteGate();
  const { queue, insert, rows } = setup(t, gate);
  // Another thread holds the gate for 50 ms, as the worker does while it restarts the WAL.
  const holder = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     const w = new Int32Array(workerData.gate);
     Atomics.store(w, 0, workerData.held);
     parentPort.postMessage("held");
     setTimeout(() => { Atomics.store(w, 0, workerData.free); Atomics.notify(w, 0); }, 50);`,
    { eval: true, workerData: { gate: gate.buffer, held: GATE_WORKER, free: GATE_FREE } },
  );
  t.after(() => holder.terminate());
  await new Promise((r) => holder.once("message", r));
  const done = queue.submit(() => insert("last"));
  queue.close();
  await done;
  assert.equal(rows(), 1);
});
