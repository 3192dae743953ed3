import type { Database } from "better-sqlite3";
import { StorageError } from "../lib/errors.ts";
import { sql as m001 } from "./migrations/001-initial.ts";
import { sql as m002 } from "./migrations/002-notifications.ts";
import { sql as m003 } from "./migrations/003-alert-sources.ts";
import { sql as m004 } from "./migrations/004-noise.ts";
import { sql as m005 } from "./migrations/005-ops.ts";
import { sql as m006 } from "./migrations/006-stats.ts";
import { sql as m007 } from "./migrations/007-deliveries-by-group.ts";
import { sql as m008 } from "./migrations/008-anomaly-rules.ts";
import { sql as m009 } from "./migrations/009-heartbeats.ts";

/** Ordered, append-only; migration N sets user_version = N. */
const MIGRATIONS: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema up to date in one transaction per step; refuses a database written by newer code. */
export function migrate(db: Database): { from: number; to: number } {
  const from = checkSchemaVersion(db);
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return { from, to: SCHEMA_VERSION };
}

/** The database's schema version; throws when newer code wrote it (checked before anything is written). */
export function checkSchemaVersion(db: Database): number {
  const from = db.pragma("user_version", { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new StorageError(
      `database schema version ${from} was written by a newer AlertPrism; this build understands versions up to ${SCHEMA_VERSION} — run that newer AlertPrism, or restore a backup taken with this version`,
    );
  }
  return from;
}
