import { toAuditEntry, type AuditEntry, type AuditQuery, type AuditSqlRow, type AuditStore } from "../audit-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";

/** The audit log on PostgreSQL: records written in the current unit, the same pages as SQLite's AuditRepo. */
export class PgAuditRepo implements AuditStore {
  constructor(
    private readonly db: Queryable,
    private readonly queue: PgCommitQueue,
  ) {}

  record(e: Omit<AuditEntry, "id">): void {
    this.queue.record("INSERT INTO audit (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)", [e.atMs, e.actor, e.action, e.target, JSON.stringify(e.detail)]);
  }

  prune(beforeMs: number): void {
    this.queue.record("DELETE FROM audit WHERE at_ms < $1", [beforeMs]);
  }

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
