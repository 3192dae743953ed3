// `alertprism migrate --from sqlite`'s copy, against a real PostgreSQL (a throwaway cluster, see
// test/helpers/postgres.ts) and a real SQLite file migrated by this build. The fixture puts rows into EVERY
// table, with the values a naive copy gets wrong: 64-bit integers past 2^53, 0/1 flags, REAL, BLOB bytes,
// NULLs, quotes and non-ASCII text, ids with gaps. A table added by a later migration without a fixture row
// fails the first test, so the copy stays tested table for table.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { openDatabase, type Database } from "../db.ts";
import { BackupError } from "../backup-error.ts";
import { copySqliteFileToPostgres, copySqliteToPostgres, tablesReferencedFirst } from "./copy-from-sqlite.ts";
import { SCHEMA_VERSION as PG_VERSION } from "./migrate.ts";
import { rejectsWithBackupError } from "../../../test/helpers/backup-errors.ts";

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: a Number would round it to 2^53
const TEXT = `it's "quoted" \\ back-slashed, Ω → 🚨`;

/** One or more rows in every table of schema version 9, ids with gaps. */
function fill(db: Database): void {
  const run = (sql: string, ...params: unknown[]) => db.prepare(sql).run(...params);
  run("INSERT INTO series (id, fingerprint, labels) VALUES (3, 'f3', ?), (17, 'f17', '{\"alertname\":\"B\"}')", `{"alertname":${JSON.stringify(TEXT)}}`);
  run("INSERT INTO series_labels (name, value, series_id) VALUES ('alertname', ?, 3), ('alertname', 'B', 17)", TEXT);
  run(
    `INSERT INTO alerts (series_id, annotations, starts_at, ends_at, updated_at, ends_at_ms, generator_url, timeout, state, silenced_by, inhibited_by, sources)
     VALUES (3, '{}', '2026-01-01T00:00:00+02:00', '2026-01-01T01:00:00.123456789Z', 'u', ?, 'http://x/graph', 1, 'firing', '["s1"]', '[]', '["p1"]'),
            (17, '{"a":"b"}', 's', 'e', 'u', 0, '', 0, 'resolved', '[]', '[]', '[]')`,
    BIG,
  );
  run("INSERT INTO alert_events (id, series_id, at_ms, kind, detail) VALUES (5, 3, ?, 'firing', '{}'), (1000, 17, 1, 'resolved', ?)", BIG, JSON.stringify({ note: TEXT }));
  run("INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, ends_at_ms, created_by, comment) VALUES ('s1', '[]', 's', 'e', 'u', 7, 'me', ?)", TEXT);
  run("INSERT INTO nflog (group_key, receiver, integration, firing, resolved, sent_at_ms) VALUES ('{}:{}', 'r', 'webhook/0', '[\"f3\"]', '[]', 9)");
  run("INSERT INTO outbox (group_key, receiver, integration, payload, created_ms) VALUES ('{}:{}', 'r', 'webhook/0', '{\"x\":1}', 9)");
  run(
    `INSERT INTO deliveries (id, at_ms, group_key, receiver, integration, attempt, status, retryable, error, duration_ms, firing, resolved)
     VALUES (2, 9, 'g', 'r', 'webhook/0', 1, 'failed', 1, 'HTTP 503', 0.125, 1, 0), (9, 10, 'g', 'r', 'webhook/0', 2, 'success', 0, NULL, 12.5, 1, 0)`,
  );
  run("INSERT INTO flap_states (fingerprint, state, updated_ms) VALUES ('f3', '{\"changes\":[1,2]}', 4)");
  run("INSERT INTO storms (id, receiver, started_ms, ended_ms) VALUES ('st1', 'r', 1, NULL), ('st2', 'r', 2, 3)");
  run("INSERT INTO storm_alerts (storm_id, fingerprint, labels, groups, first_ms, last_ms) VALUES ('st1', 'f3', '{}', '[]', 1, 2)");
  run("INSERT INTO notify_decisions (id, at_ms, group_key, receiver, integration, fingerprint, stage, outcome, detail) VALUES (40, 1, 'g', 'r', 'webhook/0', 'f3', 'storm', 'held', '{}')");
  run("INSERT INTO acks (id, fingerprint, episode_starts_ms, actor, comment, created_ms, expires_ms, ended_ms, ended_by) VALUES (7, 'f3', 1, 'alice', ?, 2, NULL, 3, 'bob'), (8, 'f17', 1, 'a', '', 2, 99, NULL, NULL)", TEXT);
  run("INSERT INTO comments (id, fingerprint, actor, text, created_ms) VALUES (1, 'f3', 'alice', ?, 5)", TEXT);
  run(
    `INSERT INTO escalations (id, fingerprint, episode_starts_ms, rule, receiver, group_key, notified_ms, due_ms, fired_ms, cancelled_ms, cancelled_by)
     VALUES (3, 'f3', 1, 'rule', 'r', 'g', 2, 3, NULL, 4, 'ack')`,
  );
  run("INSERT INTO audit (id, at_ms, actor, action, target, detail) VALUES (11, 1, 'alice', 'ack.create', 'f3', '{}')");
  run("INSERT INTO anomaly_rules (name, state_key, last_eval_ms, saved_ms) VALUES ('cpu', 'k', 1, 2)");
  run("INSERT INTO anomaly_series (rule, fingerprint, labels, state, model) VALUES ('cpu', 'f3', '{}', '{}', ?), ('cpu', 'f17', '{}', '{}', NULL)", Buffer.from([0, 1, 0xfe, 0xff]));
  run("INSERT INTO heartbeats (id, first_seen_ms, last_arrival_ms) VALUES ('hb', 1, NULL)");
}

/** A table's rows as comparable text: integers as decimal strings (both sides), flags as booleans, bytes as hex. */
function canonical(rows: ReadonlyArray<Record<string, unknown>>, flags: ReadonlySet<string>): string[] {
  return rows
    .map((row) =>
      JSON.stringify(
        Object.keys(row)
          .sort()
          .map((k) => {
            const v = row[k];
            if (v === null) return [k, null];
            if (flags.has(k)) return [k, v === true || v === 1n];
            if (typeof v === "bigint") return [k, v.toString()];
            if (Buffer.isBuffer(v)) return [k, `hex:${v.toString("hex")}`];
            return [k, v];
          }),
      ),
    )
    .sort();
}

async function pgRows(client: pg.ClientBase, table: string): Promise<Array<Record<string, unknown>>> {
  // int8 arrives as a decimal string from pg; make it a BigInt so both sides print the same.
  const { rows, fields } = await client.query({ text: `SELECT * FROM "${table}"` });
  const int8 = new Set(fields.filter((f) => f.dataTypeID === 20).map((f) => f.name));
  return rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, int8.has(k) && typeof v === "string" ? BigInt(v) : v])));
}

async function booleanColumns(client: pg.ClientBase, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND data_type = 'boolean'", [table]);
  return new Set(rows.map((r) => r.column_name));
}

describe("copySqliteToPostgres", () => {
  let cluster: PostgresCluster;
  let dir: string;
  let databases = 0;

  before(async () => {
    cluster = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), "alertprism-pg-copy-"));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh SQLite file (filled unless told not to) and a fresh, empty PostgreSQL database. */
  async function fresh(opts: { fill?: boolean } = {}): Promise<{ file: string; url: string; client: pg.Client }> {
    const n = ++databases;
    const file = join(dir, `source-${n}.db`);
    const db = openDatabase(file, { synchronous: "normal" });
    if (opts.fill !== false) fill(db);
    db.close();
    const url = await cluster.createDatabase(`copy_${n}`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return { file, url, client };
  }

  it("copies every table row for row, keeps ids, and PostgreSQL numbers new rows after the copied ones", async () => {
    const { file, url, client } = await fresh();
    try {
      const result = await copySqliteFileToPostgres(file, url);
      const source = openDatabase(file, { synchronous: "normal" });
      try {
        const tables = tablesReferencedFirst(source);
        assert.deepEqual(result.tables.map((t) => t.table), tables);
        for (const table of tables) {
          const rows = source.prepare(`SELECT * FROM "${table}"`).safeIntegers(true).all() as Array<Record<string, unknown>>;
          assert.ok(rows.length > 0, `the fixture has no row in ${table}: add one to fill()`);
          const flags = await booleanColumns(client, table);
          assert.deepEqual(canonical(await pgRows(client, table), flags), canonical(rows, flags), table);
          assert.equal(result.tables.find((t) => t.table === table)?.rows, rows.length);
        }
        assert.equal(result.rows, result.tables.reduce((n, t) => n + t.rows, 0));
        assert.equal(result.schemaVersion, source.pragma("user_version", { simple: true }));
      } finally {
        source.close();
      }
      // Referenced tables come first: series before everything keyed by series_id.
      const order = result.tables.map((t) => t.table);
      for (const [child, parent] of [["series_labels", "series"], ["alerts", "series"], ["alert_events", "series"], ["storm_alerts", "storms"], ["anomaly_series", "anomaly_rules"]]) {
        assert.ok(order.indexOf(parent!) < order.indexOf(child!), `${parent} before ${child}`);
      }
      const { rows: [version] } = await client.query<{ version: number }>("SELECT version FROM schema_version");
      assert.equal(version?.version, PG_VERSION);
      // The identities continue after the largest copied id, gaps or not.
      const next = async (sql: string) => (await client.query<{ id: string }>(sql)).rows[0]!.id;
      assert.equal(await next("INSERT INTO alert_events (series_id, at_ms, kind) VALUES (3, 1, 'x') RETURNING id"), "1001");
      assert.equal(await next("INSERT INTO acks (fingerprint, episode_starts_ms, actor, comment, created_ms) VALUES ('f', 1, 'a', '', 1) RETURNING id"), "9");
      assert.equal(await next("INSERT INTO series (fingerprint, labels) VALUES ('new', '{}') RETURNING id"), "18");
    } finally {
      await client.end();
    }
  });

  it("copies an empty database: the schema, and identities starting at 1", async () => {
    const { file, url, client } = await fresh({ fill: false });
    try {
      const result = await copySqliteFileToPostgres(file, url);
      assert.equal(result.rows, 0);
      assert.ok(result.tables.length >= 18);
      const { rows } = await client.query<{ id: string }>("INSERT INTO audit (at_ms, actor, action, target) VALUES (1, 'a', 'b', 'c') RETURNING id");
      assert.equal(rows[0]?.id, "1");
    } finally {
      await client.end();
    }
  });

  it("refuses a PostgreSQL database that already holds data, and changes nothing in it", async () => {
    const { file, url, client } = await fresh();
    try {
      await copySqliteFileToPostgres(file, url);
      const before = (await client.query<{ n: string }>("SELECT count(*) AS n FROM alert_events")).rows[0]?.n;
      await rejectsWithBackupError(copySqliteFileToPostgres(file, url), "exists", /already holds data \(tables .*series.*\): migrate into an empty database; nothing was copied/);
      assert.equal((await client.query<{ n: string }>("SELECT count(*) AS n FROM alert_events")).rows[0]?.n, before);
    } finally {
      await client.end();
    }
  });

  it("rolls the whole copy back when a row fails half-way, and says which table", async () => {
    const { file, url, client } = await fresh();
    try {
      // PostgreSQL's text cannot hold U+0000, SQLite's can; heartbeats is copied after most other tables.
      const db = openDatabase(file, { synchronous: "normal" });
      db.prepare("INSERT INTO heartbeats (id, first_seen_ms) VALUES (?, 1)").run("nul\u0000byte");
      db.close();
      await rejectsWithBackupError(copySqliteFileToPostgres(file, url), "io", /PostgreSQL failed copying table heartbeats, nothing was copied: .*0x00/);
      for (const table of ["series", "alerts", "alert_events", "silences", "deliveries", "acks", "audit"]) {
        assert.equal((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]?.n, "0", table);
      }
    } finally {
      await client.end();
    }
  });

  it("refuses a SQLite database that is open elsewhere (a running AlertPrism), or older than this build's schema", async () => {
    const { file, url, client } = await fresh();
    await client.end();
    const running = openDatabase(file, { synchronous: "normal" });
    try {
      await rejectsWithBackupError(copySqliteFileToPostgres(file, url), "in-use", /is in use \(is AlertPrism running\?\): stop it and run migrate again; nothing was changed/);
      running.pragma("user_version = 8");
    } finally {
      running.close();
    }
    await rejectsWithBackupError(copySqliteFileToPostgres(file, url), "invalid", /schema version 8, older than this AlertPrism's \(9\): start this AlertPrism on it once/);
    await rejectsWithBackupError(copySqliteFileToPostgres(join(dir, "missing.db"), url), "invalid", /cannot lock the database .*missing\.db/);
  });

  it("reports an unreachable PostgreSQL without the password of its URL", async () => {
    const { file, client } = await fresh({ fill: false });
    await client.end();
    const pool = new pg.Pool({ connectionString: "postgres://alertprism:s3cret-pw@127.0.0.1:1/alertprism", max: 1, connectionTimeoutMillis: 5_000 });
    pool.on("error", () => undefined);
    try {
      await assert.rejects(copySqliteToPostgres(file, pool), (err: unknown) => {
        assert.ok(err instanceof BackupError);
        assert.equal(err.reason, "io");
        assert.match(err.message, /^cannot connect to PostgreSQL or bring its schema up to date, nothing was copied: .*ECONNREFUSED/);
        assert.doesNotMatch(err.message, /s3cret-pw/);
        return true;
      });
    } finally {
      await pool.end();
    }
  });
});
