// The PostgreSQL migrations against a real cluster: from empty, again, two replicas at once, a failure
// midway, and a database written by newer code.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { StorageError } from "../../lib/errors.ts";
import { MIGRATION_LOCK_KEY, SCHEMA_VERSION, migrate } from "./migrate.ts";

describe("PostgreSQL migrate", () => {
  let cluster: PostgresCluster;
  const pools: pg.Pool[] = [];
  let databases = 0;

  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await cluster?.stop();
  });

  /** A pool on a fresh, empty database (or on `url`'s database). */
  async function pool(url?: string): Promise<pg.Pool> {
    const p = new pg.Pool({ connectionString: url ?? (await cluster.createDatabase(`migrate_${++databases}`)), max: 2 });
    pools.push(p);
    return p;
  }

  const one = async <T extends pg.QueryResultRow>(p: pg.Pool, text: string) => (await p.query<T>(text)).rows[0]!;
  const version = async (p: pg.Pool) => (await one<{ version: number }>(p, "SELECT version FROM schema_version")).version;
  const tableCount = async (p: pg.Pool) =>
    Number((await one<{ n: string }>(p, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'")).n);
  const options = (p: pg.Pool) => (p as unknown as { options: { connectionString: string } }).options;

  it("migrates an empty database to the latest version, keeping the version in a one-row table", async () => {
    const p = await pool();
    assert.deepEqual(await migrate(p), { from: 0, to: SCHEMA_VERSION });
    assert.equal(await version(p), SCHEMA_VERSION);
    assert.equal(Number((await one<{ n: string }>(p, "SELECT count(*) AS n FROM schema_version")).n), 1);
    await assert.rejects(p.query("INSERT INTO schema_version (one, version) VALUES (false, 1)"), (e: { code?: string }) => e.code === "23514");
    // The tables work: an alert's series gets an id the database assigns, its events reference it.
    const { id } = await one<{ id: string }>(p, "INSERT INTO series (fingerprint, labels) VALUES ('f1', '{}') RETURNING id");
    await p.query("INSERT INTO alert_events (series_id, at_ms, kind) VALUES ($1, 1, 'new')", [id]);
    await assert.rejects(p.query("INSERT INTO alert_events (series_id, at_ms, kind) VALUES (999, 1, 'new')"), (e: { code?: string }) => e.code === "23503");
  });

  it("migrating again is a no-op that keeps the data", async () => {
    const p = await pool();
    await migrate(p);
    await p.query("INSERT INTO silences VALUES ('s1', '[]', 'a', 'b', 'c', 1, 'me', 'kept')");
    const tables = await tableCount(p);
    assert.deepEqual(await migrate(p), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    assert.equal(await tableCount(p), tables);
    assert.equal((await one<{ comment: string }>(p, "SELECT comment FROM silences")).comment, "kept");
  });

  it("two replicas migrating at once, each with its own pool: one waits for the other's lock, both succeed, each migration runs once", async () => {
    const a = await pool();
    const url = options(a).connectionString;
    const b = await pool(url);
    const observer = await pool(url);
    // Hold the lock first, so that both migrators are provably queued on it before either starts.
    const holder = await observer.connect();
    await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const both = Promise.allSettled([migrate(a), migrate(b)]);
    try {
      const waiting = async () => Number((await one<{ n: string }>(observer,
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).n);
      for (let i = 0; i < 200 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(await waiting(), 2, "both migrators wait for the migration lock");
      assert.equal(await tableCount(observer), 0, "nothing migrated while the lock is held");
    } finally {
      await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
      holder.release();
    }

    const results = (await both).map((r) => {
      assert.equal(r.status, "fulfilled", String((r as PromiseRejectedResult).reason));
      return (r as PromiseFulfilledResult<{ from: number; to: number }>).value;
    });
    assert.deepEqual(results.map((r) => r.from).sort((x, y) => x - y), [0, SCHEMA_VERSION], "one migrated from empty, the other found it done");
    assert.equal(await version(observer), SCHEMA_VERSION);
  });

  it("a migration that fails is rolled back whole and frees the lock; the next run resumes from the last good version", async () => {
    const p = await pool();
    // A table in the way of the last migration's CREATE TABLE.
    await p.query("CREATE TABLE ha_leases (squatter int)");
    await assert.rejects(migrate(p), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.match(err.message, new RegExp(`migration ${SCHEMA_VERSION} failed, nothing of it was applied: relation "ha_leases" already exists`));
      assert.equal(err.code, "42P07");
      return true;
    });
    assert.equal(await version(p), SCHEMA_VERSION - 1);
    await p.query("DROP TABLE ha_leases");
    assert.deepEqual(await migrate(p), { from: SCHEMA_VERSION - 1, to: SCHEMA_VERSION });
  });

  it("refuses a database written by newer code, naming both versions and what to do, and writes nothing", async () => {
    const p = await pool();
    await migrate(p);
    await p.query("UPDATE schema_version SET version = $1", [SCHEMA_VERSION + 3]);
    const tables = await tableCount(p);
    await assert.rejects(migrate(p), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.match(err.message, new RegExp(`schema version ${SCHEMA_VERSION + 3} was written by a newer AlertPrism; this build understands versions up to ${SCHEMA_VERSION}`));
      assert.match(err.message, /run that newer AlertPrism, or restore a PostgreSQL backup/);
      return true;
    });
    assert.equal(await version(p), SCHEMA_VERSION + 3);
    assert.equal(await tableCount(p), tables);
    // The lock went with the refused session: another migrator is refused too rather than left waiting.
    await assert.rejects(migrate(p), StorageError);
  });
});
