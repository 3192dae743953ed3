import type { Database, Statement } from "better-sqlite3";

export interface NflogRow {
  readonly groupKey: string;
  readonly receiver: string;
  readonly integration: string;
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  readonly sentAtMs: number;
}

export interface OutboxRow {
  readonly groupKey: string;
  readonly receiver: string;
  readonly integration: string;
  /** JSON of the decided notification (data, sets), opaque to the store. */
  readonly payload: string;
  readonly createdMs: number;
}

export interface DeliveryRow {
  readonly atMs: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly integration: string;
  readonly attempt: number;
  readonly status: "success" | "failed";
  readonly retryable: boolean;
  readonly error: string | undefined;
  readonly durationMs: number;
  readonly firing: number;
  readonly resolved: number;
}

/**
 * Where the notification log, the outbox and the delivery records are kept: writes inside a WriteQueue unit,
 * the log and the outbox read once at startup (SQLite: NotifyRepo; PostgreSQL: pg/notify-repo.ts).
 */
export interface NotifyStore {
  loadLog(): NflogRow[];
  saveLog(e: NflogRow): void;
  pruneLog(beforeMs: number): void;
  saveOutbox(o: OutboxRow): void;
  /** Removes the row only if it is still the same decision (a newer one may have replaced it). */
  removeOutbox(o: Pick<OutboxRow, "groupKey" | "receiver" | "integration" | "createdMs">): void;
  loadOutbox(): OutboxRow[];
  recordDelivery(d: DeliveryRow): void;
  pruneDeliveries(beforeMs: number): void;
}

export type NflogSqlRow = { group_key: string; receiver: string; integration: string; firing: string; resolved: string; sent_at_ms: number };
export type OutboxSqlRow = { group_key: string; receiver: string; integration: string; payload: string; created_ms: number };

export function toNflogRow(r: NflogSqlRow): NflogRow {
  return { groupKey: r.group_key, receiver: r.receiver, integration: r.integration, firing: JSON.parse(r.firing) as string[], resolved: JSON.parse(r.resolved) as string[], sentAtMs: r.sent_at_ms };
}

export function toOutboxRow(r: OutboxSqlRow): OutboxRow {
  return { groupKey: r.group_key, receiver: r.receiver, integration: r.integration, payload: r.payload, createdMs: r.created_ms };
}

/** Notification log, outbox and delivery records on SQLite. */
export class NotifyRepo implements NotifyStore {
  private readonly upsertLog: Statement;
  private readonly upsertOutbox: Statement;
  private readonly deleteOutbox: Statement;
  private readonly insertDelivery: Statement;

  constructor(private readonly db: Database) {
    this.upsertLog = db.prepare(`INSERT INTO nflog (group_key, receiver, integration, firing, resolved, sent_at_ms) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (group_key, receiver, integration) DO UPDATE SET firing = excluded.firing, resolved = excluded.resolved, sent_at_ms = excluded.sent_at_ms`);
    this.upsertOutbox = db.prepare(`INSERT INTO outbox (group_key, receiver, integration, payload, created_ms) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (group_key, receiver, integration) DO UPDATE SET payload = excluded.payload, created_ms = excluded.created_ms`);
    this.deleteOutbox = db.prepare("DELETE FROM outbox WHERE group_key = ? AND receiver = ? AND integration = ? AND created_ms = ?");
    this.insertDelivery = db.prepare(`INSERT INTO deliveries (at_ms, group_key, receiver, integration, attempt, status, retryable, error, duration_ms, firing, resolved)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  loadLog(): NflogRow[] {
    return (this.db.prepare("SELECT * FROM nflog").all() as NflogSqlRow[]).map(toNflogRow);
  }

  saveLog(e: NflogRow): void {
    this.upsertLog.run(e.groupKey, e.receiver, e.integration, JSON.stringify(e.firing), JSON.stringify(e.resolved), e.sentAtMs);
  }

  pruneLog(beforeMs: number): number {
    return this.db.prepare("DELETE FROM nflog WHERE sent_at_ms < ?").run(beforeMs).changes;
  }

  saveOutbox(o: OutboxRow): void {
    this.upsertOutbox.run(o.groupKey, o.receiver, o.integration, o.payload, o.createdMs);
  }

  /** Removes the row only if it is still the same decision (a newer one may have replaced it). */
  removeOutbox(o: Pick<OutboxRow, "groupKey" | "receiver" | "integration" | "createdMs">): void {
    this.deleteOutbox.run(o.groupKey, o.receiver, o.integration, o.createdMs);
  }

  loadOutbox(): OutboxRow[] {
    return (this.db.prepare("SELECT * FROM outbox ORDER BY created_ms").all() as OutboxSqlRow[]).map(toOutboxRow);
  }

  recordDelivery(d: DeliveryRow): void {
    this.insertDelivery.run(d.atMs, d.groupKey, d.receiver, d.integration, d.attempt, d.status, d.retryable ? 1 : 0, d.error ?? null, d.durationMs, d.firing, d.resolved);
  }

  pruneDeliveries(beforeMs: number): number {
    return this.db.prepare("DELETE FROM deliveries WHERE at_ms < ?").run(beforeMs).changes;
  }
}
