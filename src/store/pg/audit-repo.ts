import { toAuditEntry, type AuditEntry, type AuditQuery, type AuditReads, type AuditSqlRow } from "../audit-repo.ts";
import { rows, type Queryable } from "./types.ts";

/** The audit log's read side on PostgreSQL: the same pages as SQLite's AuditRepo. */
export class PgAuditRepo implements AuditReads {
  constructor(private readonly db: Queryable) {}

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => where.push(sql.replace("?", `$${args.push(v)}`));
    if (q.sinceMs !== undefined) add("at_ms >= ?", q.sinceMs);
    if (q.untilMs !== undefined) add("at_ms <= ?", q.untilMs);
    if (q.actor !== undefined) add("actor = ?", q.actor);
    if (q.action !== undefined) add("action = ?", q.action);
    if (q.beforeId !== undefined) add("id < ?", q.beforeId);
    const sql = `SELECT * FROM audit ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT $${args.push(q.limit)}`;
    return (await rows<AuditSqlRow>(this.db, sql, args)).map(toAuditEntry);
  }
}
