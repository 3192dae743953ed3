import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, PAGE_CACHE_KIB } from "./db.ts";

test("the connection's page cache is bounded to PAGE_CACHE_KIB, not the driver's 16 MiB", () => {
  const dir = mkdtempSync(join(tmpdir(), "db-cache-"));
  const db = openDatabase(join(dir, "alertprism.db"), { synchronous: "full" });
  try {
    assert.equal(db.pragma("cache_size", { simple: true }), -PAGE_CACHE_KIB);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a savepoint's sub-journal stays in memory: no temporary file opens while a unit changes many pages", () => {
  const dir = mkdtempSync(join(tmpdir(), "db-subjournal-"));
  const db = openDatabase(join(dir, "alertprism.db"), { synchronous: "full" });
  const openFiles = (): number => readdirSync("/proc/self/fd").length;
  try {
    db.exec("CREATE TABLE pages (body BLOB)");
    const insert = db.prepare("INSERT INTO pages (body) VALUES (randomblob(3000))");
    for (let i = 0; i < 64; i++) insert.run();
    db.exec("BEGIN");
    db.exec("SAVEPOINT unit");
    const before = openFiles();
    // 64 existing pages changed inside the savepoint: a 256 KiB sub-journal, four times SQLite's spill size.
    db.exec("UPDATE pages SET body = randomblob(3000)");
    assert.equal(openFiles(), before, "the sub-journal went to a temporary file");
    db.exec("RELEASE unit");
    db.exec("COMMIT");
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
