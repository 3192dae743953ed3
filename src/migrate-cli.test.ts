import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { captureStream as capture } from "../test/e2e/harness.ts";
import { migrateCommand, parseMigrateArgs } from "./migrate-cli.ts";
import { EXIT } from "./backup-cli.ts";

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await migrateCommand(args, env, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

describe("alertprism migrate command line", () => {
  test("takes --from sqlite, one FILE, and the URL from --to or ALERTPRISM_POSTGRES_URL", () => {
    const url = "postgres://u:pw@127.0.0.1:5432/ap";
    assert.deepEqual(parseMigrateArgs(["--from", "sqlite", "a.db"], { ALERTPRISM_POSTGRES_URL: url }), { file: "a.db", url });
    assert.deepEqual(parseMigrateArgs(["a.db", "--from=sqlite", "--to", "postgresql://h/db"], { ALERTPRISM_POSTGRES_URL: url }), { file: "a.db", url: "postgresql://h/db" });
  });

  test("usage errors exit 2 with one line, and never echo the URL", async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [["a.db"], { ALERTPRISM_POSTGRES_URL: "postgres://h/db" }, /--from is required/],
      [["--from", "mysql", "a.db"], {}, /only sqlite can be migrated from/],
      [["--from", "sqlite"], {}, /exactly one FILE .*got 0/],
      [["--from", "sqlite", "a.db", "b.db"], {}, /exactly one FILE .*got 2/],
      [["--from", "sqlite", "a.db"], {}, /pass --to URL or set ALERTPRISM_POSTGRES_URL/],
      [["--from", "sqlite", "a.db", "--to"], {}, /--to needs a value/],
      [["--from", "sqlite", "a.db", "--force"], {}, /unknown flag --force/],
      [["--from", "sqlite", "a.db", "--to", "u:hunter2@h/db"], {}, /must start with postgres:\/\/ or postgresql:\/\/ \(the value is not shown/],
    ];
    for (const [args, env, message] of cases) {
      const r = await run(args, env);
      assert.equal(r.code, EXIT.usage, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, message);
      assert.match(r.err, /^alertprism migrate: [^\n]+\n$/);
      assert.doesNotMatch(r.err, /hunter2/);
      assert.equal(r.out, "");
    }
  });

  test("--help prints the synopsis and exits 0", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, EXIT.ok);
    assert.match(r.out, /^usage: alertprism migrate --from sqlite FILE/);
  });

  test("a missing file exits 1 without touching PostgreSQL", async () => {
    const r = await run(["--from", "sqlite", "/nonexistent/alertprism.db"], { ALERTPRISM_POSTGRES_URL: "postgres://u:hunter2@127.0.0.1:1/db" });
    assert.equal(r.code, EXIT.failed);
    assert.match(r.err, /cannot lock the database \/nonexistent\/alertprism\.db/);
    assert.doesNotMatch(r.err, /hunter2/);
  });
});
