import type { HeartbeatState } from "../../heartbeat/index.ts";
import { toHeartbeatState, type HeartbeatSqlRow, type HeartbeatsStore } from "../heartbeats-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";

/**
 * HeartbeatsStore on PostgreSQL: every heartbeat's state is read by `open` and kept in a map that follows
 * the committed writes, so `load` (synchronous, when the heartbeats are configured) answers from it.
 */
export class PgHeartbeatsRepo implements HeartbeatsStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly states: Map<string, HeartbeatState>,
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgHeartbeatsRepo> {
    const found = await rows<HeartbeatSqlRow & { id: string }>(db, "SELECT id, first_seen_ms, last_arrival_ms FROM heartbeats");
    return new PgHeartbeatsRepo(queue, new Map(found.map((r) => [r.id, toHeartbeatState(r)])));
  }

  load(id: string): HeartbeatState | undefined {
    return this.states.get(id);
  }

  save(id: string, state: HeartbeatState): void {
    this.queue.record(
      `INSERT INTO heartbeats (id, first_seen_ms, last_arrival_ms) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET first_seen_ms = excluded.first_seen_ms, last_arrival_ms = excluded.last_arrival_ms`,
      [id, state.firstSeenMs, state.lastArrivalMs ?? null],
      () => this.states.set(id, state),
    );
  }

  delete(id: string): void {
    this.queue.record("DELETE FROM heartbeats WHERE id = $1", [id], () => this.states.delete(id));
  }
}
