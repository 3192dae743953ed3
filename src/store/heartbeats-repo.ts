import type { Database, Statement } from "better-sqlite3";
import type { HeartbeatState } from "../heartbeat/index.ts";

/** The remembered state of each heartbeat: writes inside a WriteQueue unit (SQLite: HeartbeatsRepo; PostgreSQL: pg/heartbeats-repo.ts). */
export interface HeartbeatsStore {
  load(id: string): HeartbeatState | undefined;
  save(id: string, state: HeartbeatState): void;
  delete(id: string): void;
}

export type HeartbeatSqlRow = { first_seen_ms: number; last_arrival_ms: number | null };

export function toHeartbeatState(r: HeartbeatSqlRow): HeartbeatState {
  return { firstSeenMs: r.first_seen_ms, lastArrivalMs: r.last_arrival_ms ?? undefined };
}

export class HeartbeatsRepo implements HeartbeatsStore {
  private readonly getOne: Statement;
  private readonly upsert: Statement;
  private readonly deleteOne: Statement;

  constructor(db: Database) {
    this.getOne = db.prepare("SELECT first_seen_ms, last_arrival_ms FROM heartbeats WHERE id = ?");
    this.upsert = db.prepare(`INSERT INTO heartbeats (id, first_seen_ms, last_arrival_ms) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET first_seen_ms = excluded.first_seen_ms, last_arrival_ms = excluded.last_arrival_ms`);
    this.deleteOne = db.prepare("DELETE FROM heartbeats WHERE id = ?");
  }

  load(id: string): HeartbeatState | undefined {
    const r = this.getOne.get(id) as HeartbeatSqlRow | undefined;
    return r === undefined ? undefined : toHeartbeatState(r);
  }

  save(id: string, state: HeartbeatState): void {
    this.upsert.run(id, state.firstSeenMs, state.lastArrivalMs ?? null);
  }

  delete(id: string): void {
    this.deleteOne.run(id);
  }
}
