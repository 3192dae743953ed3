// The PostgreSQL schema is SQLite's, table for table: a SQLite migration added without its PostgreSQL
// twin (or a twin that differs) fails here. Both schemas are read from the databases themselves after
// migrating: SQLite's through PRAGMAs, PostgreSQL's through information_schema and pg_catalog.
// Exempt: the PostgreSQL-only migrations (PG_ONLY_MIGRATIONS: the tables several replicas coordinate
// through, which a single SQLite process has no use for) and exactly the tables they create; every other
// PostgreSQL table must have its SQLite twin, and the reverse.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import type { Database } from "better-sqlite3";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { migrate as migrateSqlite, SCHEMA_VERSION as SQLITE_VERSION } from "../migrate.ts";
import { migrate as migratePg, PG_ONLY_MIGRATIONS, SCHEMA_VERSION as PG_VERSION } from "./migrate.ts";

/** What both schemas must agree on, per table, in PostgreSQL's vocabulary. */
interface TableShape {
  columns: Record<string, { type: string; nullable: boolean; default: string | null; identity: boolean }>;
  primaryKey: string[];
  unique: string[];
  foreignKeys: string[];
  indexes: Record<string, { columns: string[]; unique: boolean; partial: boolean }>;
  checks: number;
}
type Schema = Record<string, TableShape>;

/** SQLite's declared types and their PostgreSQL translation (see migrations/001-initial.ts). */
const TYPES: Record<string, string> = { INTEGER: "bigint", TEXT: "text", REAL: "double precision", BLOB: "bytea" };
/** SQLite's 0/1 flags, boolean in PostgreSQL. */
const FLAGS = new Set(["alerts.timeout", "deliveries.retryable"]);
/** migrate()'s own bookkeeping on PostgreSQL (SQLite keeps it in PRAGMA user_version). */
const VERSION_TABLE = "schema_version";
/** The tables PG_ONLY_MIGRATIONS create (checked against the migrations' text below): the HA coordination. */
const PG_ONLY_TABLES = ["ha_leases", "ha_replicas"];
/** The PostgreSQL tables that must have a SQLite twin: all but the bookkeeping and the exempt ones. */
const twinned = (schema: Schema) => Object.keys(schema).filter((t) => t !== VERSION_TABLE && !PG_ONLY_TABLES.includes(t)).sort();

function sqliteSchema(db: Database): Schema {
  const schema: Schema = {};
  const tables = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string; sql: string }>;
  for (const { name: table, sql } of tables) {
    const info = db.pragma(`table_info(${table})`) as Array<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>;
    const fks = db.pragma(`foreign_key_list(${table})`) as Array<{ id: number; table: string; from: string; to: string; on_update: string; on_delete: string }>;
    const indexList = db.pragma(`index_list(${table})`) as Array<{ name: string; unique: number; origin: string; partial: number }>;
    const indexColumns = (index: string) => (db.pragma(`index_info(${index})`) as Array<{ seqno: number; name: string }>).sort((a, b) => a.seqno - b.seqno).map((c) => c.name);
    const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(sql);
    const pkColumns = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const fkColumns = new Set(fks.map((f) => f.from));
    const columns: TableShape["columns"] = {};
    for (const c of info) {
      const type = c.type.toUpperCase();
      assert.ok(TYPES[type], `${table}.${c.name}: SQLite type ${c.type} has no PostgreSQL translation in this test`);
      // INTEGER PRIMARY KEY aliases the rowid, which SQLite assigns: an identity, unless the value is
      // another table's id (a foreign key).
      const rowidAlias = !withoutRowid && type === "INTEGER" && pkColumns.length === 1 && pkColumns[0] === c.name;
      columns[c.name] = {
        type: type === "INTEGER" && FLAGS.has(`${table}.${c.name}`) ? "boolean" : TYPES[type]!,
        nullable: c.notnull === 0 && c.pk === 0,
        default: c.dflt_value,
        identity: rowidAlias && !fkColumns.has(c.name),
      };
    }
    const byId = new Map<number, typeof fks>();
    for (const f of fks) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
    schema[table] = {
      columns,
      primaryKey: pkColumns,
      unique: indexList.filter((i) => i.origin === "u").map((i) => indexColumns(i.name).join(",")).sort(),
      foreignKeys: [...byId.values()].map((parts) =>
        `(${parts.map((p) => p.from).join(",")}) -> ${parts[0]!.table}(${parts.map((p) => p.to).join(",")}) on update ${parts[0]!.on_update} on delete ${parts[0]!.on_delete}`).sort(),
      indexes: Object.fromEntries(indexList.filter((i) => i.origin === "c").map((i) => [i.name, { columns: indexColumns(i.name), unique: i.unique === 1, partial: i.partial === 1 }])),
      checks: (sql.match(/\bCHECK\s*\(/gi) ?? []).length,
    };
  }
  return schema;
}

const FK_ACTIONS: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };
/** Column names of a constraint's or index's attribute numbers, in key order. */
const attnames = (rel: string, keys: string) =>
  `ARRAY(SELECT a.attname FROM unnest(${keys}) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.n ORDER BY k.i)::text[]`;

async function pgSchema(client: pg.ClientBase): Promise<Schema> {
  const schema: Schema = {};
  const table = (name: string) => (schema[name] ??= { columns: {}, primaryKey: [], unique: [], foreignKeys: [], indexes: {}, checks: 0 });
  const columns = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null; is_identity: string }>(
    "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position");
  for (const c of columns.rows) {
    table(c.table_name).columns[c.column_name] = {
      type: c.data_type,
      nullable: c.is_nullable === "YES",
      default: c.column_default?.replace(/::[a-z ]+$/, "") ?? null, // '[]'::text → '[]', as SQLite reports it
      identity: c.is_identity === "YES",
    };
  }
  const constraints = await client.query<{ table: string; contype: string; columns: string[]; ref_table: string; ref_columns: string[]; upd: string; del: string }>(`
    SELECT c.conrelid::regclass::text AS table, c.contype, ${attnames("c.conrelid", "c.conkey")} AS columns,
           c.confrelid::regclass::text AS ref_table, ${attnames("c.confrelid", "c.confkey")} AS ref_columns,
           c.confupdtype AS upd, c.confdeltype AS del
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'`);
  for (const c of constraints.rows) {
    const t = table(c.table);
    if (c.contype === "p") t.primaryKey = c.columns;
    else if (c.contype === "u") t.unique.push(c.columns.join(","));
    else if (c.contype === "c") t.checks++;
    else if (c.contype === "f") t.foreignKeys.push(`(${c.columns.join(",")}) -> ${c.ref_table}(${c.ref_columns.join(",")}) on update ${FK_ACTIONS[c.upd]} on delete ${FK_ACTIONS[c.del]}`);
  }
  const indexes = await client.query<{ table: string; name: string; columns: string[]; unique: boolean; partial: boolean }>(`
    SELECT t.relname AS table, i.relname AS name, ${attnames("x.indrelid", "x.indkey::int2[]")} AS columns,
           x.indisunique AS unique, x.indpred IS NOT NULL AS partial
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid AND c.contype IN ('p', 'u'))`);
  for (const i of indexes.rows) table(i.table).indexes[i.name] = { columns: i.columns, unique: i.unique, partial: i.partial };
  for (const t of Object.values(schema)) {
    t.unique.sort();
    t.foreignKeys.sort();
  }
  return schema;
}

describe("PostgreSQL schema parity with SQLite", () => {
  let cluster: PostgresCluster;
  let client: pg.Client;
  let sqlite: Schema;
  let postgres: Schema;

  before(async () => {
    cluster = await startPostgres();
    const pool = new pg.Pool({ connectionString: cluster.url, max: 1 });
    try {
      await migratePg(pool);
    } finally {
      await pool.end();
    }
    client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    postgres = await pgSchema(client);
    const db = new BetterSqlite3(":memory:");
    migrateSqlite(db);
    sqlite = sqliteSchema(db);
    db.close();
  });
  after(async () => {
    await client?.end();
    await cluster?.stop();
  });

  const names = (dir: string) => readdirSync(fileURLToPath(new URL(dir, import.meta.url))).filter((f) => /^\d{3}-.*\.ts$/.test(f)).sort();

  it("has a PostgreSQL twin, same number and name, for every SQLite migration; the others are the listed PostgreSQL-only ones", () => {
    const pgNames = names("./migrations/");
    const sqliteNames = names("../migrations/");
    assert.deepEqual(pgNames, [...new Set([...sqliteNames, ...PG_ONLY_MIGRATIONS])].sort());
    // Numbered 001…N without gaps or doubles: version N is the same N migrations on every replica.
    assert.deepEqual(pgNames.map((n) => Number(n.slice(0, 3))), pgNames.map((_n, i) => i + 1));
    assert.equal(PG_VERSION, pgNames.length);
    assert.equal(SQLITE_VERSION, sqliteNames.length);
  });

  it("the PostgreSQL-only migrations create exactly the exempt tables", async () => {
    const created = await Promise.all(PG_ONLY_MIGRATIONS.map(async (file) =>
      [...((await import(`./migrations/${file}`)) as { sql: string }).sql.matchAll(/CREATE TABLE (\w+)/gi)].map((m) => m[1]!)));
    assert.deepEqual(created.flat().sort(), [...PG_ONLY_TABLES].sort());
    for (const table of PG_ONLY_TABLES) assert.ok(postgres[table], `${table} exists on PostgreSQL`);
  });

  it("has the same tables, but for the exempt ones", () => {
    assert.ok(postgres[VERSION_TABLE], `${VERSION_TABLE} exists`);
    for (const table of PG_ONLY_TABLES) assert.ok(!sqlite[table], `${table} is PostgreSQL-only, not in SQLite`);
    assert.deepEqual(twinned(postgres), Object.keys(sqlite).sort());
    assert.ok(Object.keys(sqlite).length >= 19, "the SQLite schema was read");
  });

  it("has, table by table, the same columns (translated types, nullability, defaults, identities), keys, foreign keys, indexes and CHECKs", () => {
    for (const [name, expected] of Object.entries(sqlite)) {
      assert.deepEqual(postgres[name], expected, `table ${name}`);
    }
  });

  it("detects a PostgreSQL table without a SQLite twin unless it is exempt", () => {
    const withStray = { ...postgres, ha_stray: postgres["heartbeats"]! };
    assert.throws(() => assert.deepEqual(twinned(withStray), Object.keys(sqlite).sort()));
  });

  it("detects a difference: the comparison can fail", () => {
    const changed = structuredClone(postgres);
    delete changed["deliveries"]!.indexes["deliveries_by_group_time"];
    assert.throws(() => assert.deepEqual(changed["deliveries"], sqlite["deliveries"]));
  });
});
