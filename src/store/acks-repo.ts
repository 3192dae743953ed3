import type { Database, Statement } from "better-sqlite3";

/** One acknowledgement of one alert's firing episode (episodeStartsMs is the alert's startsAt). */
export interface AckRow {
  readonly id: number;
  readonly fingerprint: string;
  readonly episodeStartsMs: number;
  readonly actor: string;
  readonly comment: string;
  readonly createdMs: number;
  readonly expiresMs: number | undefined;
  readonly endedMs: number | undefined;
  /** Who or what ended it: an actor (unack), "resolved", "expired", "replaced". */
  readonly endedBy: string | undefined;
}

export interface CommentRow {
  readonly id: number;
  readonly fingerprint: string;
  readonly actor: string;
  readonly text: string;
  readonly createdMs: number;
}

/** One escalation of one alert episode by one rule: pending, fired or cancelled. */
export interface EscalationRow {
  readonly id: number;
  readonly fingerprint: string;
  readonly episodeStartsMs: number;
  readonly rule: string;
  readonly receiver: string;
  readonly groupKey: string;
  readonly notifiedMs: number;
  readonly dueMs: number;
  readonly firedMs: number | undefined;
  readonly cancelledMs: number | undefined;
  readonly cancelledBy: string | undefined;
}

/**
 * Where acknowledgements, comments and escalations are kept: writes inside a WriteQueue unit, with the audit
 * row of the same action; what the services load at startup read once (SQLite: AcksRepo; PostgreSQL:
 * pg/acks-repo.ts). The booleans say whether the row was still open (an ack not ended, an escalation neither
 * fired nor cancelled), so two racing actions cannot both act.
 */
export interface AcksStore {
  saveAck(a: Omit<AckRow, "id" | "endedMs" | "endedBy">): AckRow;
  endAck(id: number, atMs: number, by: string): boolean;
  openAcks(): AckRow[];
  saveComment(c: Omit<CommentRow, "id">): CommentRow;
  scheduleEscalation(e: Omit<EscalationRow, "id" | "firedMs" | "cancelledMs" | "cancelledBy">): EscalationRow | undefined;
  markEscalationFired(id: number, atMs: number): boolean;
  cancelEscalation(id: number, atMs: number, by: string): boolean;
  escalationsSince(sinceMs: number): EscalationRow[];
  prune(beforeMs: number): void;
}

export interface AckDbRow { id: number; fingerprint: string; episode_starts_ms: number; actor: string; comment: string; created_ms: number; expires_ms: number | null; ended_ms: number | null; ended_by: string | null }
export interface EscDbRow { id: number; fingerprint: string; episode_starts_ms: number; rule: string; receiver: string; group_key: string; notified_ms: number; due_ms: number; fired_ms: number | null; cancelled_ms: number | null; cancelled_by: string | null }

export const ackOf = (r: AckDbRow): AckRow => ({
  id: r.id, fingerprint: r.fingerprint, episodeStartsMs: r.episode_starts_ms, actor: r.actor, comment: r.comment,
  createdMs: r.created_ms, expiresMs: r.expires_ms ?? undefined, endedMs: r.ended_ms ?? undefined, endedBy: r.ended_by ?? undefined,
});

export const escOf = (r: EscDbRow): EscalationRow => ({
  id: r.id, fingerprint: r.fingerprint, episodeStartsMs: r.episode_starts_ms, rule: r.rule, receiver: r.receiver, groupKey: r.group_key,
  notifiedMs: r.notified_ms, dueMs: r.due_ms, firedMs: r.fired_ms ?? undefined, cancelledMs: r.cancelled_ms ?? undefined, cancelledBy: r.cancelled_by ?? undefined,
});

/** Acknowledgements, comments and escalations (migration 005) on SQLite. */
export class AcksRepo implements AcksStore {
  private readonly insertAck: Statement;
  private readonly endAckStmt: Statement;
  private readonly insertComment: Statement;
  private readonly insertEscalation: Statement;
  private readonly fireStmt: Statement;
  private readonly cancelStmt: Statement;

  constructor(private readonly db: Database) {
    this.insertAck = db.prepare("INSERT INTO acks (fingerprint, episode_starts_ms, actor, comment, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)");
    this.endAckStmt = db.prepare("UPDATE acks SET ended_ms = ?, ended_by = ? WHERE id = ? AND ended_ms IS NULL");
    this.insertComment = db.prepare("INSERT INTO comments (fingerprint, actor, text, created_ms) VALUES (?, ?, ?, ?)");
    this.insertEscalation = db.prepare(`INSERT OR IGNORE INTO escalations (fingerprint, episode_starts_ms, rule, receiver, group_key, notified_ms, due_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.fireStmt = db.prepare("UPDATE escalations SET fired_ms = ? WHERE id = ? AND fired_ms IS NULL AND cancelled_ms IS NULL");
    this.cancelStmt = db.prepare("UPDATE escalations SET cancelled_ms = ?, cancelled_by = ? WHERE id = ? AND fired_ms IS NULL AND cancelled_ms IS NULL");
  }

  saveAck(a: Omit<AckRow, "id" | "endedMs" | "endedBy">): AckRow {
    const id = Number(this.insertAck.run(a.fingerprint, a.episodeStartsMs, a.actor, a.comment, a.createdMs, a.expiresMs ?? null).lastInsertRowid);
    return { ...a, id, endedMs: undefined, endedBy: undefined };
  }

  endAck(id: number, atMs: number, by: string): boolean {
    return this.endAckStmt.run(atMs, by, id).changes > 0;
  }

  /** Acks not ended, oldest first (at most one per fingerprint is kept open). */
  openAcks(): AckRow[] {
    return (this.db.prepare("SELECT * FROM acks WHERE ended_ms IS NULL ORDER BY id").all() as AckDbRow[]).map(ackOf);
  }

  /** The last ack of each fingerprint given, ended or not (the resolve notification shows who acked). */
  lastAcks(fingerprints: readonly string[]): AckRow[] {
    if (fingerprints.length === 0) return [];
    const rows = this.db.prepare(`SELECT * FROM acks WHERE id IN (SELECT MAX(id) FROM acks WHERE fingerprint IN (${fingerprints.map(() => "?").join(",")}) GROUP BY fingerprint)`)
      .all(...fingerprints) as AckDbRow[];
    return rows.map(ackOf);
  }

  /** An alert's acks, oldest first. */
  acksOf(fingerprint: string): AckRow[] {
    return (this.db.prepare("SELECT * FROM acks WHERE fingerprint = ? ORDER BY created_ms, id").all(fingerprint) as AckDbRow[]).map(ackOf);
  }

  saveComment(c: Omit<CommentRow, "id">): CommentRow {
    const id = Number(this.insertComment.run(c.fingerprint, c.actor, c.text, c.createdMs).lastInsertRowid);
    return { ...c, id };
  }

  /** An alert's comments, oldest first. */
  commentsOf(fingerprint: string): CommentRow[] {
    return (this.db.prepare("SELECT * FROM comments WHERE fingerprint = ? ORDER BY created_ms, id").all(fingerprint) as Array<{ id: number; fingerprint: string; actor: string; text: string; created_ms: number }>)
      .map((r) => ({ id: r.id, fingerprint: r.fingerprint, actor: r.actor, text: r.text, createdMs: r.created_ms }));
  }

  /** Schedules an escalation; undefined when this episode and rule already have one (pending or done). */
  scheduleEscalation(e: Omit<EscalationRow, "id" | "firedMs" | "cancelledMs" | "cancelledBy">): EscalationRow | undefined {
    const r = this.insertEscalation.run(e.fingerprint, e.episodeStartsMs, e.rule, e.receiver, e.groupKey, e.notifiedMs, e.dueMs);
    if (r.changes === 0) return undefined;
    return { ...e, id: Number(r.lastInsertRowid), firedMs: undefined, cancelledMs: undefined, cancelledBy: undefined };
  }

  markEscalationFired(id: number, atMs: number): boolean {
    return this.fireStmt.run(atMs, id).changes > 0;
  }

  cancelEscalation(id: number, atMs: number, by: string): boolean {
    return this.cancelStmt.run(atMs, by, id).changes > 0;
  }

  /** Escalations of the given episodes' fingerprints started at or after `sinceMs` (to rebuild the timers). */
  escalationsSince(sinceMs: number): EscalationRow[] {
    return (this.db.prepare("SELECT * FROM escalations WHERE episode_starts_ms >= ? OR (fired_ms IS NULL AND cancelled_ms IS NULL) ORDER BY id").all(sinceMs) as EscDbRow[]).map(escOf);
  }

  /** An alert's escalations, oldest first. */
  escalationsOf(fingerprint: string): EscalationRow[] {
    return (this.db.prepare("SELECT * FROM escalations WHERE fingerprint = ? ORDER BY id").all(fingerprint) as EscDbRow[]).map(escOf);
  }

  /** Retention: ended acks, comments and finished escalations older than `beforeMs`. */
  prune(beforeMs: number): number {
    return this.db.prepare("DELETE FROM acks WHERE ended_ms IS NOT NULL AND ended_ms < ?").run(beforeMs).changes
      + this.db.prepare("DELETE FROM comments WHERE created_ms < ?").run(beforeMs).changes
      + this.db.prepare("DELETE FROM escalations WHERE (fired_ms IS NOT NULL OR cancelled_ms IS NOT NULL) AND due_ms < ?").run(beforeMs).changes;
  }
}
