import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { backupCommand, EXIT, restoreCommand } from "./backup-cli.ts";
import { openDatabase } from "./store/db.ts";

function capture(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(cmd: typeof backupCommand, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await cmd(args, env, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

describe("alertprism backup / restore command line", () => {
  test("finds the database by --storage.path or ALERTPRISM_STORAGE_PATH, and maps each outcome to its exit code", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "alertprism-backup-cli-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, "data");
    openDatabase(join(data, "alertprism.db"), { synchronous: "normal" }).close();
    const file = join(dir, "b.db");

    const ok = await run(backupCommand, [`--storage.path=${data}`, file]);
    assert.equal(ok.code, EXIT.ok, ok.err);
    assert.match(ok.out, /^backup of .*data\/alertprism\.db written to .*b\.db: \d+ bytes, schema version \d+, integrity ok\n$/);
    const exists = await run(backupCommand, [file], { ALERTPRISM_STORAGE_PATH: data });
    assert.deepEqual([exists.code, exists.err], [EXIT.refused, `alertprism backup: ${file} exists; pass --force to replace it\n`]);
    assert.equal((await run(backupCommand, ["--force", "--storage.path", data, file])).code, EXIT.ok);

    const restored = await run(restoreCommand, [`--storage.path=${join(dir, "other")}`, file]);
    assert.equal(restored.code, EXIT.ok, restored.err);
    assert.match(restored.out, /integrity ok; there was no previous database\n$/);

    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a database\n".repeat(100));
    const bad = await run(restoreCommand, [`--storage.path=${data}`, text]);
    assert.equal(bad.code, EXIT.failed);
    assert.match(bad.err, /^alertprism restore: backup file .*notes\.txt is not a readable SQLite database: file is not a database \(SQLITE_NOTADB\)\n$/);

    const noDb = await run(backupCommand, [`--storage.path=${join(dir, "empty")}`, join(dir, "c.db")]);
    assert.equal(noDb.code, EXIT.failed);
    assert.match(noDb.err, /^alertprism backup: no database at .*empty\/alertprism\.db \(check --storage\.path\)\n$/);
  });

  test("usage errors exit 2 with one line; --help exits 0", async () => {
    const cases: Array<[typeof backupCommand, string[], RegExp]> = [
      [backupCommand, [], /^alertprism backup: backup takes exactly one FILE, got 0\n$/],
      [backupCommand, ["a.db", "b.db"], /^alertprism backup: backup takes exactly one FILE, got 2\n$/],
      [backupCommand, ["--compress", "a.db"], /^alertprism backup: unknown flag --compress \(backup takes --force, /],
      [restoreCommand, ["--force", "a.db"], /^alertprism restore: unknown flag --force \(restore takes the server's flags/],
      [restoreCommand, ["a.db", "--storage.path"], /^alertprism restore: flag --storage\.path needs a value\n$/],
      [backupCommand, ["--storage.synchronous=sometimes", "a.db"], /^alertprism backup: --storage\.synchronous must be one of full, normal/],
    ];
    for (const [cmd, args, message] of cases) {
      const r = await run(cmd, args);
      assert.equal(r.code, EXIT.usage, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.out, "");
    }
    // With PostgreSQL as the store there is no SQLite file to copy: said plainly, without the URL.
    const dir = mkdtempSync(join(tmpdir(), "alertprism-backup-cli-"));
    const settings = join(dir, "alertprism.yml");
    writeFileSync(settings, "storage:\n  backend: postgres\n  postgres:\n    url: postgres://ap:hunter2@db:5432/ap\n");
    for (const cmd of [backupCommand, restoreCommand]) {
      const r = await run(cmd, [`--alertprism.config.file=${settings}`, join(dir, "b.db")]);
      assert.equal(r.code, EXIT.usage, r.err);
      assert.match(r.err, /is for the SQLite database; with storage\.backend postgres, back up and restore with PostgreSQL's own tools/);
      assert.doesNotMatch(r.err, /hunter2/);
    }
    rmSync(dir, { recursive: true, force: true });
    const help = await run(restoreCommand, ["--help"]);
    assert.equal(help.code, EXIT.ok);
    assert.match(help.out, /^usage: alertprism restore \[--storage\.path=DIR\] FILE\n/);
  });
});
