import type { Database, Statement } from "better-sqlite3";
import type { LabelSet } from "../types/labels.ts";
import type { AckRow as AcksRepoRow } from "./acks-repo.ts";

/** An acknowledgement row (migration 005), as explain shows it. */
export type AckRow = Omit<AcksRepoRow, "fingerprint" | "endedBy">;

/** A firing/resolved change from history. */
export interface LifecycleEvent {
  readonly kind: "new" | "resolved";
  readonly atMs: number;
}

/** Reads behind `GET /alerts/{fingerprint}/explain` that the in-memory state cannot answer (SQLite: ExplainRepo; PostgreSQL: pg/explain-repo.ts). */
export interface ExplainReads {
  series(fingerprint: string): Promise<{ id: number; labels: LabelSet } | undefined>;
  lastLifecycle(seriesId: number, atMs: number): Promise<LifecycleEvent | undefined>;
  acks(fingerprint: string, fromMs: number): Promise<AckRow[]>;
}

export type ExplainAckSqlRow = { id: number; episode_starts_ms: number; actor: string; comment: string; created_ms: number; expires_ms: number | null; ended_ms: number | null };

export function toExplainAck(r: ExplainAckSqlRow): AckRow {
  return {
    id: r.id, episodeStartsMs: r.episode_starts_ms, actor: r.actor, comment: r.comment, createdMs: r.created_ms,
    expiresMs: r.expires_ms ?? undefined, endedMs: r.ended_ms ?? undefined,
  };
}

export class ExplainRepo implements ExplainReads {
  private readonly seriesStmt: Statement;
  private readonly lastLifecycleStmt: Statement;
  private readonly acksStmt: Statement;

  constructor(db: Database) {
    this.seriesStmt = db.prepare("SELECT id, labels FROM series WHERE fingerprint = ?");
    // The partial index of migration 006 (new/resolved events by series and time) answers this with one seek.
    this.lastLifecycleStmt = db.prepare(`SELECT kind, at_ms FROM alert_events
      WHERE series_id = ? AND kind IN ('new', 'resolved') AND at_ms <= ? ORDER BY at_ms DESC, id DESC LIMIT 1`);
    this.acksStmt = db.prepare(`SELECT id, episode_starts_ms, actor, comment, created_ms, expires_ms, ended_ms FROM acks
      WHERE fingerprint = ? AND created_ms >= ? ORDER BY created_ms, id`);
  }

  /** The label set of a fingerprint ever seen (live or in history), or undefined. */
  async series(fingerprint: string): Promise<{ id: number; labels: LabelSet } | undefined> {
    const r = this.seriesStmt.get(fingerprint) as { id: number; labels: string } | undefined;
    return r === undefined ? undefined : { id: r.id, labels: JSON.parse(r.labels) as LabelSet };
  }

  /** The latest firing/resolved change of a series at or before `atMs`. */
  async lastLifecycle(seriesId: number, atMs: number): Promise<LifecycleEvent | undefined> {
    const r = this.lastLifecycleStmt.get(seriesId, atMs) as { kind: "new" | "resolved"; at_ms: number } | undefined;
    return r === undefined ? undefined : { kind: r.kind, atMs: r.at_ms };
  }

  /** Acknowledgements of a fingerprint created at or after `fromMs`, oldest first. */
  async acks(fingerprint: string, fromMs: number): Promise<AckRow[]> {
    return (this.acksStmt.all(fingerprint, fromMs) as ExplainAckSqlRow[]).map(toExplainAck);
  }
}
