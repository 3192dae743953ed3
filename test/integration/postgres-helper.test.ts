// test/helpers/postgres.ts: a real, throwaway PostgreSQL cluster per test file.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.ts";

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("startPostgres", () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startPostgres();
  });
  after(() => cluster?.stop());

  it("serves its database to a password login on 127.0.0.1 only, fsync off", async () => {
    const url = new URL(cluster.url);
    assert.equal(url.hostname, "127.0.0.1");
    assert.equal(Number(url.port), cluster.port);
    assert.ok(url.password.length >= 16);
    const [row] = await query<{ db: string; user: string; listen: string; fsync: string }>(cluster.url,
      "SELECT current_database() AS db, current_user AS user, current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync");
    assert.deepEqual(row, { db: "alertprism", user: "alertprism", listen: "127.0.0.1", fsync: "off" });
  });

  it("refuses a wrong password", async () => {
    const wrong = new URL(cluster.url);
    wrong.password = "not-the-password";
    await assert.rejects(query(wrong.toString(), "SELECT 1"), (err: { code?: string }) => err.code === "28P01");
  });

  it("runs the server as the postgres system user when the tests run as root, else as the current user", () => {
    const owner = statSync(join(cluster.dir, "data")).uid;
    const expected = process.getuid?.() === 0 ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })) : process.getuid?.();
    assert.equal(owner, expected);
    assert.notEqual(owner, 0);
  });

  it("creates further empty databases in the same cluster", async () => {
    const url = await cluster.createDatabase("second_db");
    const [row] = await query<{ db: string; tables: string }>(url,
      "SELECT current_database() AS db, (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public') AS tables");
    assert.deepEqual(row, { db: "second_db", tables: "0" });
    await assert.rejects(cluster.createDatabase("Bad-Name; DROP"), /database name/);
  });

  it("stop() shuts the server down and removes its directory; a second stop() is a no-op", async () => {
    const other = await startPostgres();
    assert.notEqual(other.port, cluster.port);
    assert.ok(existsSync(join(other.dir, "data", "PG_VERSION")));
    await other.stop();
    assert.equal(existsSync(other.dir), false);
    await assert.rejects(query(other.url, "SELECT 1"), (err: { code?: string }) => err.code === "ECONNREFUSED");
    await other.stop();
  });
});
