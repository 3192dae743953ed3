import {
  toNflogRow, toOutboxRow, type DeliveryRow, type NflogRow, type NflogSqlRow, type NotifyStore, type OutboxRow, type OutboxSqlRow,
} from "../notify-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";
import { fencedPredicate, type Fence } from "./sender-lease.ts";

/**
 * NotifyStore on PostgreSQL: writes recorded into the current unit of the PgCommitQueue; the notification
 * log and the outbox as `open` read them, at startup before any write.
 */
export class PgNotifyRepo implements NotifyStore {
  /** Set on replicas sharing the database: the sender lease the notification log's writes must hold. */
  private fence: (() => Fence | undefined) | undefined;

  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly db: Queryable,
    private log: NflogRow[],
    private outbox: OutboxRow[],
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgNotifyRepo> {
    const repo = new PgNotifyRepo(queue, db, [], []);
    await repo.refresh();
    return repo;
  }

  /** Re-reads the notification log and the outbox: a replica that becomes the sender continues the last one's. */
  async refresh(): Promise<void> {
    this.log = (await rows<NflogSqlRow>(this.db, "SELECT * FROM nflog")).map(toNflogRow);
    this.outbox = (await rows<OutboxSqlRow>(this.db, "SELECT * FROM outbox ORDER BY created_ms")).map(toOutboxRow);
  }

  /**
   * From now on every notification-log write carries the sender lease's fence: the database refuses it
   * (and its unit) unless this replica still holds the lease, so a paused former sender cannot overwrite
   * what its successor recorded.
   */
  fenceLogWrites(fence: () => Fence | undefined): void {
    this.fence = fence;
  }

  loadLog(): NflogRow[] {
    return this.log;
  }

  saveLog(e: NflogRow): void {
    const values: unknown[] = [e.groupKey, e.receiver, e.integration, JSON.stringify(e.firing), JSON.stringify(e.resolved), e.sentAtMs];
    let source = "VALUES ($1, $2, $3, $4, $5, $6)";
    if (this.fence) {
      const f = this.fence();
      // Not the holder: token 0 is never granted, so ha_fence refuses the write.
      values.push(f?.lease ?? "sender", f?.token ?? 0);
      source = `SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint WHERE ${fencedPredicate(7, 8)}`;
    }
    this.queue.record(
      `INSERT INTO nflog (group_key, receiver, integration, firing, resolved, sent_at_ms) ${source}
       ON CONFLICT (group_key, receiver, integration) DO UPDATE SET firing = excluded.firing, resolved = excluded.resolved, sent_at_ms = excluded.sent_at_ms`,
      values,
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
