import type pg from "pg";
import { StorageError, errorMessage } from "../../lib/errors.ts";
import { sql as m001 } from "./migrations/001-initial.ts";
import { sql as m002 } from "./migrations/002-notifications.ts";
import { sql as m003 } from "./migrations/003-alert-sources.ts";
import { sql as m004 } from "./migrations/004-noise.ts";
import { sql as m005 } from "./migrations/005-ops.ts";
import { sql as m006 } from "./migrations/006-stats.ts";
import { sql as m007 } from "./migrations/007-deliveries-by-group.ts";
import { sql as m008 } from "./migrations/008-anomaly-rules.ts";
import { sql as m009 } from "./migrations/009-heartbeats.ts";
import { sql as m010 } from "./migrations/010-ha-coordination.ts";
import { checkout } from "./types.ts";

/**
 * Ordered, append-only, numbered as the SQLite migrations: version N means the same schema on both, but
 * for PG_ONLY_MIGRATIONS (the replicas' coordination tables, which one SQLite process never needs; SQLite
 * takes an empty migration of the same name before its next real one).
 */
const MIGRATIONS: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010];

/** File names of the migrations without a SQLite twin (schema-parity.test.ts exempts their tables). */
export const PG_ONLY_MIGRATIONS: readonly string[] = ["010-ha-coordination.ts"];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The session advisory lock held while migrating, so replicas starting together migrate one at a time
 * (the others wait, then find nothing to do). Advisory locks are per database; the key, a bigint passed
 * as text, is the ASCII bytes of "AlrtPrsm".
 */
export const MIGRATION_LOCK_KEY = BigInt(`0x${Buffer.from("AlrtPrsm").toString("hex")}`).toString();

/** PostgreSQL has no user_version: the schema version lives in this one-row table, outside the migrations. */
const VERSION_TABLE = `
CREATE TABLE IF NOT EXISTS schema_version (
  one     boolean PRIMARY KEY DEFAULT true CHECK (one),
  version integer NOT NULL
);
INSERT INTO schema_version (version) VALUES (0) ON CONFLICT DO NOTHING;
`;

/**
 * Brings the schema up to date, one transaction per migration, under the migration lock; refuses a
 * database written by newer code before writing anything.
 */
export async function migrate(pool: pg.Pool): Promise<{ from: number; to: number }> {
  const taken = await checkout(pool);
  const client = taken.client;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const from = await checkSchemaVersion(client);
    if (from < SCHEMA_VERSION) await client.query(VERSION_TABLE);
    for (let v = from; v < SCHEMA_VERSION; v++) await applyMigration(client, v);
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    taken.release();
    return { from, to: SCHEMA_VERSION };
  } catch (err) {
    // Closing the session frees the lock and any transaction left open, whatever state it failed in.
    taken.release(true);
    throw err;
  }
}

async function applyMigration(client: pg.PoolClient, v: number): Promise<void> {
  try {
    await client.query("BEGIN");
    await client.query(MIGRATIONS[v]!);
    await client.query("UPDATE schema_version SET version = $1", [v + 1]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new StorageError(`PostgreSQL schema migration ${v + 1} failed, nothing of it was applied: ${errorMessage(err)}`, (err as { code?: string }).code);
  }
}

/** The database's schema version (0 when empty); throws when newer code wrote it. */
export async function checkSchemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows: [table] } = await client.query<{ present: boolean }>("SELECT to_regclass('schema_version') IS NOT NULL AS present");
  if (!table?.present) return 0;
  const { rows: [row] } = await client.query<{ version: number }>("SELECT version FROM schema_version");
  const from = row?.version ?? 0;
  if (from > SCHEMA_VERSION) {
    throw new StorageError(
      `database schema version ${from} was written by a newer AlertPrism; this build understands versions up to ${SCHEMA_VERSION} — run that newer AlertPrism, or restore a PostgreSQL backup (pg_dump) taken with this version`,
    );
  }
  return from;
}
