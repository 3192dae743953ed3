import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
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
