// The real process started on a database it must not use: not SQLite, damaged, from a newer version,
// read-only. Each must stop the start (exit 1) with a message naming the file, what is wrong and what
// to do — never start empty and never touch the file.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, makeTempDir, freePort } from "./harness.ts";
import { openDatabase } from "../../src/store/db.ts";
import { SCHEMA_VERSION } from "../../src/store/migrate.ts";

const MAIN = join(REPO_ROOT, "src/main.ts");
const CONFIG = "route:\n  receiver: default\nreceivers:\n  - name: default\n";

/** Starts AlertPrism on `dir` and waits for it to exit (it must not get as far as listening). */
async function start(dir: string) {
  const config = join(makeTempDir("storage-config"), "alertmanager.yml");
  writeFileSync(config, CONFIG);
  const port = await freePort();
  return spawnSync(process.execPath, ["--import", "tsx", MAIN, `--config.file=${config}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`], {
    cwd: REPO_ROOT, encoding: "utf8", timeout: 30_000,
  });
}

/** A real AlertPrism database with enough rows to span many pages. */
function realDatabase(dir: string): string {
  const file = join(dir, "alertprism.db");
  const db = openDatabase(file, { synchronous: "normal" });
  const insert = db.prepare("INSERT INTO audit (at_ms, actor, action, target, detail) VALUES (?, 'e2e', 'test', ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(i, `t${i}`, JSON.stringify({ pad: "p".repeat(200), i }));
  })();
  db.close();
  return file;
}

const digest = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Exit 1, one line that explains (no stack trace), and the file exactly as it was. */
function assertRefused(r: ReturnType<typeof spawnSync>, file: string, before: string, message: RegExp): void {
  const stderr = String(r.stderr);
  assert.equal(r.status, 1, `exit status; stderr: ${stderr}`);
  assert.match(stderr, message);
  assert.ok(stderr.includes(file), "the message names the file");
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  assert.equal(digest(file), before, "the file is left untouched");
}

const MOVE_ASIDE = /restore a backup, or move the file aside to start with an empty database/;

describe("start-up on a database that cannot be used", () => {
  test("a file that is not SQLite", async () => {
    const dir = makeTempDir("notadb");
    const file = join(dir, "alertprism.db");
    writeFileSync(file, "this is a text file, not a database\n".repeat(200));
    const before = digest(file);
    const r = await start(dir);
    assertRefused(r, file, before, /is not a valid SQLite database \(file is not a database, SQLITE_NOTADB\)/);
    assert.match(String(r.stderr), MOVE_ASIDE);
  });

  test("garbage written into the middle of the file", async () => {
    const dir = makeTempDir("garbage");
    const file = realDatabase(dir);
    const size = statSync(file).size;
    const fd = openSync(file, "r+");
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    const before = digest(file);
    const r = await start(dir);
    assertRefused(r, file, before, /is (damaged|not a valid SQLite database) \(/);
    assert.match(String(r.stderr), MOVE_ASIDE);
  });

  test("a file truncated to half", async () => {
    const dir = makeTempDir("truncated");
    const file = realDatabase(dir);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const before = digest(file);
    const r = await start(dir);
    assertRefused(r, file, before, /is damaged \(/);
    assert.match(String(r.stderr), MOVE_ASIDE);
  });

  test("a database from a newer AlertPrism names both schema versions", async () => {
    const dir = makeTempDir("newer");
    const file = realDatabase(dir);
    // Written the way a newer build would leave it: a higher user_version.
    const raw = readFileSync(file);
    raw.writeUInt32BE(SCHEMA_VERSION + 1, 60); // the header's user_version field
    writeFileSync(file, raw);
    const before = digest(file);
    const r = await start(dir);
    assertRefused(r, file, before, new RegExp(`schema version ${SCHEMA_VERSION + 1} was written by a newer AlertPrism; this build understands versions up to ${SCHEMA_VERSION} — run that newer AlertPrism, or restore a backup`));
  });

  describe("a read-only database", () => {
    const mounts: string[] = [];
    after(() => {
      for (const m of mounts) spawnSync("umount", [m]);
    });

    test("start-up fails fast and says to make it writable", async () => {
      let dir = makeTempDir("readonly");
      let file: string;
      if (process.getuid?.() === 0) {
        // root writes through file modes: a read-only mount is what stops it.
        const mnt = join(dir, "mnt");
        mkdirSync(mnt);
        const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], { encoding: "utf8" });
        assert.equal(m.status, 0, `root must be able to mount a tmpfs for this test: ${m.stderr}`);
        mounts.push(mnt);
        file = realDatabase(mnt);
        const ro = spawnSync("mount", ["-o", "remount,ro", mnt], { encoding: "utf8" });
        assert.equal(ro.status, 0, ro.stderr);
        dir = mnt;
      } else {
        file = realDatabase(dir);
        chmodSync(file, 0o444);
        chmodSync(dir, 0o555);
      }
      const before = digest(file);
      const r = await start(dir);
      assertRefused(r, file, before, /cannot be written \(.*(SQLITE_READONLY|SQLITE_CANTOPEN|EROFS|EACCES).*\); AlertPrism must write to its database — make the file and its directory writable/);
      if (process.getuid?.() !== 0) chmodSync(dir, 0o755);
    });
  });
});
