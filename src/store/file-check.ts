import type { Database } from "better-sqlite3";
import { SCHEMA_VERSION } from "./migrate.ts";
import { BackupError } from "./backup-error.ts";

/** Tables every AlertPrism database has (from the first migrations), so a foreign SQLite file is refused. */
const EXPECTED_TABLES = ["alerts", "alert_events", "silences", "nflog", "deliveries", "outbox"] as const;

export interface DatabaseFacts {
  /** PRAGMA user_version: the number of migrations applied. */
  readonly schemaVersion: number;
}

/**
 * Checks that an open connection holds an intact AlertPrism database this build can use: integrity_check
 * says ok, the expected tables exist, and its schema is not newer than the migrations this build knows.
 * `label` names the file in messages ("backup file x.db").
 */
export function checkAlertPrismDatabase(db: Database, label: string): DatabaseFacts {
  let problems: string[];
  try {
    problems = (db.pragma("integrity_check") as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  } catch (err) {
    throw new BackupError(`${label} is not a readable SQLite database: ${sqliteMessage(err)}`, "invalid");
  }
  if (problems.length !== 1 || problems[0] !== "ok") {
    // The report may open with a "*** in database main ***" heading; the findings follow it.
    problems = problems.flatMap((p) => p.split("\n")).filter((p) => p.trim() !== "" && !p.startsWith("*** in database"));
    const shown = problems.slice(0, 3).join("; ");
    throw new BackupError(`${label} failed the integrity check: ${shown}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`, "invalid");
  }
  const schemaVersion = db.pragma("user_version", { simple: true }) as number;
  const present = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
  const missing = EXPECTED_TABLES.filter((t) => !present.has(t));
  if (schemaVersion === 0 || missing.length > 0) {
    throw new BackupError(`${label} is not an AlertPrism database (schema version ${schemaVersion}${missing.length > 0 ? `, missing tables: ${missing.join(", ")}` : ""})`, "invalid");
  }
  if (schemaVersion > SCHEMA_VERSION) {
    throw new BackupError(
      `${label} has schema version ${schemaVersion}, newer than this AlertPrism understands (${SCHEMA_VERSION}): use the AlertPrism version that wrote it, or a newer one`,
      "newer-schema",
    );
  }
  return { schemaVersion };
}

/** SQLite's message with its code, e.g. "file is not a database (SQLITE_NOTADB)". */
export function sqliteMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
