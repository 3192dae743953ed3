import {
  toNflogRow, toOutboxRow, type DeliveryRow, type NflogRow, type NflogSqlRow, type NotifyStore, type OutboxRow, type OutboxSqlRow,
} from "../notify-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";

/**
 * NotifyStore on PostgreSQL: writes recorded into the current unit of the PgCommitQueue; the notification
 * log and the outbox as `open` read them, at startup before any write.
 */
export class PgNotifyRepo implements NotifyStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly log: NflogRow[],
    private readonly outbox: OutboxRow[],
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgNotifyRepo> {
    const log = (await rows<NflogSqlRow>(db, "SELECT * FROM nflog")).map(toNflogRow);
    const outbox = (await rows<OutboxSqlRow>(db, "SELECT * FROM outbox ORDER BY created_ms")).map(toOutboxRow);
    return new PgNotifyRepo(queue, log, outbox);
  }

  loadLog(): NflogRow[] {
    return this.log;
  }

  saveLog(e: NflogRow): void {
    this.queue.record(
      `INSERT INTO nflog (group_key, receiver, integration, firing, resolved, sent_at_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (group_key, receiver, integration) DO UPDATE SET firing = excluded.firing, resolved = excluded.resolved, sent_at_ms = excluded.sent_at_ms`,
      [e.groupKey, e.receiver, e.integration, JSON.stringify(e.firing), JSON.stringify(e.resolved), e.sentAtMs],
    );
  }

  pruneLog(beforeMs: number): void {
    this.queue.record("DELETE FROM nflog WHERE sent_at_ms < $1", [beforeMs]);
  }

  saveOutbox(o: OutboxRow): void {
    this.queue.record(
      `INSERT INTO outbox (group_key, receiver, integration, payload, created_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (group_key, receiver, integration) DO UPDATE SET payload = excluded.payload, created_ms = excluded.created_ms`,
      [o.groupKey, o.receiver, o.integration, o.payload, o.createdMs],
    );
  }

  removeOutbox(o: Pick<OutboxRow, "groupKey" | "receiver" | "integration" | "createdMs">): void {
    this.queue.record("DELETE FROM outbox WHERE group_key = $1 AND receiver = $2 AND integration = $3 AND created_ms = $4", [o.groupKey, o.receiver, o.integration, o.createdMs]);
  }

  loadOutbox(): OutboxRow[] {
    return this.outbox;
  }

  recordDelivery(d: DeliveryRow): void {
    this.queue.record(
      `INSERT INTO deliveries (at_ms, group_key, receiver, integration, attempt, status, retryable, error, duration_ms, firing, resolved)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [d.atMs, d.groupKey, d.receiver, d.integration, d.attempt, d.status, d.retryable, d.error ?? null, d.durationMs, d.firing, d.resolved],
    );
  }

  pruneDeliveries(beforeMs: number): void {
    this.queue.record("DELETE FROM deliveries WHERE at_ms < $1", [beforeMs]);
  }
}
