/**
 * Adds what the app stored for operators to see — delivery records, history, decisions, audit — to a
 * LeakScanner: these rows are served by the ops API, so a secret in them is a leak.
 */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import type { LeakScanner } from "./secret-leaks.ts";

const OPERATOR_TABLES = ["deliveries", "alert_events", "notify_decisions", "audit", "comments", "acks"];

export function scanDatabase(file: string, scanner: LeakScanner): void {
  if (!existsSync(file)) return;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    for (const table of OPERATOR_TABLES.filter((t) => present.has(t))) {
      const rows = db.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
      rows.forEach((row, i) => scanner.add(`${table} row ${i + 1}`, JSON.stringify(row)));
    }
  } finally {
    db.close();
  }
}
