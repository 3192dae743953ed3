import type { Database } from "better-sqlite3";
import pg from "pg";
import { BackupError } from "../backup-error.ts";
import { checkAlertPrismDatabase } from "../file-check.ts";
import { lockExclusively } from "../exclusive-lock.ts";
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from "../migrate.ts";
import { MIGRATION_LOCK_KEY, migrate } from "./migrate.ts";
import { safeErrorMessage } from "./safe-error.ts";
import { checkout, placeholderTuples } from "./types.ts";

export interface TableCopy {
  readonly table: string;
  readonly rows: number;
}

export interface CopyResult {
  /** The SQLite database's schema version (this build's: older files are refused). */
  readonly schemaVersion: number;
  /** Every table in the order copied (referenced tables first), with its row count on both sides. */
  readonly tables: readonly TableCopy[];
  readonly rows: number;
}

/** PostgreSQL accepts at most 65,535 parameters per statement; rows go in batches below that. */
const MAX_PARAMETERS = 60_000;
const MAX_BATCH_ROWS = 1_000;

interface Column {
  readonly name: string;
  /** PostgreSQL's data_type: SQLite's 0/1 flags become booleans, everything else passes as it is read. */
  readonly pgType: string;
}

/**
 * Copies an AlertPrism SQLite database into a PostgreSQL database, for a move to the PostgreSQL backend.
 *
 * The SQLite file is locked exclusively for the whole copy (refused while an AlertPrism has it open: what
 * it wrote after the copy would be lost), checked (integrity, an AlertPrism database, exactly this
 * build's schema version) and read in one snapshot. PostgreSQL is migrated to this build's schema, then
 * everything is copied in ONE transaction holding the migration lock: the target must be empty (refused
 * with "exists" otherwise, so a second run cannot double the history), tables go referenced-first, each
 * row with its ids as they were (acks, history and audit keep their numbers), identity sequences continue
 * after the copied ids, and every table's row count is compared before COMMIT. Any failure rolls the
 * whole copy back: PostgreSQL ends up with the copy or with nothing of it.
 */
export async function copySqliteToPostgres(sqliteFile: string, pool: pg.Pool): Promise<CopyResult> {
  const sqlite = lockExclusively(sqliteFile, "migrate", "check that it is an AlertPrism database");
  try {
    const { schemaVersion } = checkAlertPrismDatabase(sqlite, `SQLite database ${sqliteFile}`);
    if (schemaVersion < SQLITE_SCHEMA_VERSION) {
      throw new BackupError(
        `SQLite database ${sqliteFile} has schema version ${schemaVersion}, older than this AlertPrism's (${SQLITE_SCHEMA_VERSION}): start this AlertPrism on it once (it migrates at startup), stop it, and run migrate again`,
        "invalid",
      );
    }
    await migrateTarget(pool);
    const taken = await checkout(pool);
    try {
      const tables = await copyAll(sqlite, taken.client);
      taken.release();
      return { schemaVersion, tables, rows: tables.reduce((n, t) => n + t.rows, 0) };
    } catch (err) {
      // A session whose transaction failed half-way is not given back to the pool.
      taken.release(true);
      throw err;
    }
  } finally {
    sqlite.close();
  }
}

/** copySqliteToPostgres through a connection of its own to `url` (a PostgreSQL connection URL), closed after. */
export async function copySqliteFileToPostgres(sqliteFile: string, url: string): Promise<CopyResult> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // A connection the server drops while idle must not throw from the pool: the copy's next query reports it.
  pool.on("error", () => undefined);
  try {
    return await copySqliteToPostgres(sqliteFile, pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function migrateTarget(pool: pg.Pool): Promise<void> {
  try {
    await migrate(pool);
  } catch (err) {
    throw new BackupError(`cannot connect to PostgreSQL or bring its schema up to date, nothing was copied: ${safeErrorMessage(err)}`, "io");
  }
}

async function copyAll(sqlite: Database, client: pg.PoolClient): Promise<TableCopy[]> {
  const order = tablesReferencedFirst(sqlite);
  await query(client, "BEGIN");
  try {
    // The same lock migrate() takes: a replica starting meanwhile waits instead of migrating under the copy.
    await query(client, "SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    const occupied = await nonEmptyTables(client, order);
    if (occupied.length > 0) {
      throw new BackupError(`the PostgreSQL database already holds data (tables ${occupied.join(", ")} are not empty): migrate into an empty database; nothing was copied`, "exists");
    }
    const copied: TableCopy[] = [];
    for (const table of order) copied.push(await copyTable(sqlite, client, table));
    await query(client, "COMMIT");
    return copied;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** The database's tables ordered so that every table comes after the tables its foreign keys reference. */
export function tablesReferencedFirst(sqlite: Database): string[] {
  const tables = (sqlite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  const referenced = new Map(tables.map((t) => [t, (sqlite.pragma(`foreign_key_list(${quoteIdentifier(t)})`) as Array<{ table: string }>).map((f) => f.table).filter((r) => r !== t)]));
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (t: string): void => {
    if (ordered.includes(t)) return;
    if (visiting.has(t)) throw new BackupError(`the foreign keys of table ${t} form a cycle: no copy order exists`, "invalid");
    visiting.add(t);
    for (const r of referenced.get(t) ?? []) visit(r);
    visiting.delete(t);
    ordered.push(t);
  };
  for (const t of tables) visit(t);
  return ordered;
}

async function nonEmptyTables(client: pg.PoolClient, tables: readonly string[]): Promise<string[]> {
  const occupied: string[] = [];
  for (const t of tables) {
    const { rows: [row] } = await query<{ present: boolean }>(client, `SELECT EXISTS (SELECT 1 FROM ${quoteIdentifier(t)}) AS present`);
    if (row?.present) occupied.push(t);
  }
  return occupied;
}

async function copyTable(sqlite: Database, client: pg.PoolClient, table: string): Promise<TableCopy> {
  const columns = await columnsOf(sqlite, client, table);
  const names = columns.map((c) => quoteIdentifier(c.name)).join(", ");
  const select = sqlite.prepare(`SELECT ${names} FROM ${quoteIdentifier(table)}`).raw(true);
  // 64-bit ids and times beyond 2^53 must not be rounded on the way: read integers as BigInt.
  select.safeIntegers(true);
  const perBatch = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / columns.length)));
  let batch: unknown[][] = [];
  let rows = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const params = batch.flatMap((row) => row.map((v, i) => toPostgres(v, columns[i]!)));
    await query(client, `INSERT INTO ${quoteIdentifier(table)} (${names}) VALUES ${placeholderTuples(batch.length, columns.length)}`, params, table);
    rows += batch.length;
    batch = [];
  };
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    batch.push(row);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
  await continueIdentities(client, table, columns);
  const { rows: [count] } = await query<{ n: string }>(client, `SELECT count(*) AS n FROM ${quoteIdentifier(table)}`);
  if (Number(count?.n) !== rows) {
    throw new BackupError(`table ${table}: ${rows} rows were copied but PostgreSQL holds ${count?.n}; nothing was copied`, "io");
  }
  return { table, rows };
}

/** The SQLite table's columns with their PostgreSQL types; a column PostgreSQL lacks means mismatched schemas. */
async function columnsOf(sqlite: Database, client: pg.PoolClient, table: string): Promise<Column[]> {
  const { rows } = await query<{ column_name: string; data_type: string }>(
    client,
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    [table],
  );
  const pgTypes = new Map(rows.map((r) => [r.column_name, r.data_type]));
  return (sqlite.pragma(`table_info(${quoteIdentifier(table)})`) as Array<{ name: string }>).map(({ name }) => {
    const pgType = pgTypes.get(name);
    if (pgType === undefined) throw new BackupError(`PostgreSQL has no column ${table}.${name}: its schema does not match this SQLite database`, "invalid");
    return { name, pgType };
  });
}

function toPostgres(value: unknown, column: Column): unknown {
  if (column.pgType === "boolean" && (typeof value === "bigint" || typeof value === "number")) return value !== 0n && value !== 0;
  return value;
}

/** Identity columns continue after the largest copied value, so the next row PostgreSQL numbers does not collide. */
async function continueIdentities(client: pg.PoolClient, table: string, columns: readonly Column[]): Promise<void> {
  const { rows } = await query<{ column_name: string }>(
    client,
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'",
    [table],
  );
  for (const { column_name: column } of rows) {
    if (!columns.some((c) => c.name === column)) continue;
    const c = quoteIdentifier(column);
    // setval(…, max + 1, false): the next value is max + 1; an empty table starts at 1.
    await query(client, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(max(${c}), 0) + 1, false) FROM ${quoteIdentifier(table)}`, [quoteIdentifier(table), column]);
  }
}

async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(client: pg.PoolClient, text: string, params?: unknown[], table?: string): Promise<pg.QueryResult<R>> {
  try {
    return await client.query<R>(text, params);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`PostgreSQL failed${table ? ` copying table ${table}` : ""}, nothing was copied: ${safeErrorMessage(err)}`, "io");
  }
}

/** A double-quoted identifier: the table names come from the file, so they are quoted, not trusted. */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
