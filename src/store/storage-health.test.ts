import { test } from "node:test";
import assert from "node:assert/strict";
import { primaryCode } from "./storage-health.ts";

test("failure codes fold into a few stable metric labels, whatever the backend", () => {
  assert.equal(primaryCode("SQLITE_IOERR_WRITE"), "SQLITE_IOERR");
  assert.equal(primaryCode("SQLITE_FULL"), "SQLITE_FULL");
  assert.equal(primaryCode("57P01"), "PG_57"); // admin shutdown
  assert.equal(primaryCode("08006"), "PG_08"); // connection failure
  assert.equal(primaryCode("AP409"), "PG_AP"); // fenced by the sender lease
  assert.equal(primaryCode("ECONNREFUSED"), "ECONNREFUSED");
  assert.equal(primaryCode("EPIPE"), "EPIPE");
  assert.equal(primaryCode(undefined), "unknown");
  assert.equal(primaryCode("something odd"), "unknown");
});
