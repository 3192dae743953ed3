import type { Database, Statement } from "better-sqlite3";

export type AuditSqlRow = { id: number; at_ms: number; actor: string; action: string; target: string; detail: string };

export function toAuditEntry(r: AuditSqlRow): AuditEntry {
  return { id: r.id, atMs: r.at_ms, actor: r.actor, action: r.action, target: r.target, detail: JSON.parse(r.detail) as Record<string, unknown> };
}

export interface AuditEntry {
  readonly id: number;
  readonly atMs: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  /** Entries with a smaller id (the previous page's last). */
  readonly beforeId?: number | undefined;
  readonly limit: number;
}

/** The audit log's read side, as the ops API pages it (SQLite: AuditRepo; PostgreSQL: pg/audit-repo.ts). */
export interface AuditReads {
  /** Newest first; `beforeId` pages back. */
  list(q: AuditQuery): Promise<AuditEntry[]>;
}

/** The audit log, read and written: records inside a WriteQueue unit. */
export interface AuditStore extends AuditReads {
  record(e: Omit<AuditEntry, "id">): void;
  prune(beforeMs: number): void;
}

/** The audit log on SQLite: who changed what. */
export class AuditRepo implements AuditStore {
  private readonly insert: Statement;

  constructor(private readonly db: Database) {
    this.insert = db.prepare("INSERT INTO audit (at_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)");
  }

  record(e: Omit<AuditEntry, "id">): void {
    this.insert.run(e.atMs, e.actor, e.action, e.target, JSON.stringify(e.detail));
  }

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.sinceMs !== undefined) { where.push("at_ms >= ?"); args.push(q.sinceMs); }
    if (q.untilMs !== undefined) { where.push("at_ms <= ?"); args.push(q.untilMs); }
    if (q.actor !== undefined) { where.push("actor = ?"); args.push(q.actor); }
    if (q.action !== undefined) { where.push("action = ?"); args.push(q.action); }
    if (q.beforeId !== undefined) { where.push("id < ?"); args.push(q.beforeId); }
    const rows = this.db.prepare(`SELECT * FROM audit ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit) as AuditSqlRow[];
    return rows.map(toAuditEntry);
  }

  prune(beforeMs: number): number {
    return this.db.prepare("DELETE FROM audit WHERE at_ms < ?").run(beforeMs).changes;
  }
}
