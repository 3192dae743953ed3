import { ackOf, escOf, type AckDbRow, type AckRow, type AcksStore, type CommentRow, type EscDbRow, type EscalationRow } from "../acks-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { IdReserve } from "./id-reserve.ts";
import { rows, type Queryable } from "./types.ts";
import { TOPICS } from "./change-feed.ts";

/** Escalations older than this (by episode start) are not loaded; the escalator asks for 31 days. */
const ESCALATION_HORIZON_MS = 31 * 24 * 3600_000;

const escalationKey = (fingerprint: string, episodeStartsMs: number, rule: string) => `${fingerprint}\u0000${episodeStartsMs}\u0000${rule}`;

/**
 * AcksStore on PostgreSQL. Ids come from an IdReserve; whether an ack is still open, or an escalation still
 * pending, is known from what `open` read and the writes recorded since — updated as the statement is
 * recorded (a later unit of the same group must see it) and reverted if its unit is undone — so the
 * booleans that keep two racing actions from both acting are answered without waiting for the database.
 */
export class PgAcksRepo implements AcksStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly db: Queryable,
    private readonly ackIds: IdReserve,
    private readonly commentIds: IdReserve,
    private readonly escalationIds: IdReserve,
    private readonly open: AckRow[],
    /** Open acks: id → fingerprint. */
    private readonly openAckIds: Map<number, string>,
    private readonly escalations: EscalationRow[],
    /** Pending escalations by id. */
    private readonly pending: Set<number>,
    /** Every (fingerprint, episode, rule) with an escalation, pending or done. */
    private readonly escalationKeys: Set<string>,
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable, nowMs: number): Promise<PgAcksRepo> {
    const open = (await rows<AckDbRow>(db, "SELECT * FROM acks WHERE ended_ms IS NULL ORDER BY id")).map(ackOf);
    const escalations = await readEscalations(db, nowMs);
    return new PgAcksRepo(
      queue,
      db,
      await IdReserve.open(db, "acks"),
      await IdReserve.open(db, "comments"),
      await IdReserve.open(db, "escalations"),
      open,
      new Map(open.map((a) => [a.id, a.fingerprint])),
      escalations,
      new Set(escalations.filter((e) => e.firedMs === undefined && e.cancelledMs === undefined).map((e) => e.id)),
      new Set(escalations.map((e) => escalationKey(e.fingerprint, e.episodeStartsMs, e.rule))),
    );
  }

  saveAck(a: Omit<AckRow, "id" | "endedMs" | "endedBy">): AckRow {
    const id = this.ackIds.next();
    this.queue.record(
      "INSERT INTO acks (id, fingerprint, episode_starts_ms, actor, comment, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [id, a.fingerprint, a.episodeStartsMs, a.actor, a.comment, a.createdMs, a.expiresMs ?? null],
      undefined,
      () => this.openAckIds.delete(id),
    );
    this.queue.announce(TOPICS.acks, a.fingerprint);
    this.openAckIds.set(id, a.fingerprint);
    return { ...a, id, endedMs: undefined, endedBy: undefined };
  }

  endAck(id: number, atMs: number, by: string): boolean {
    const fingerprint = this.openAckIds.get(id);
    if (fingerprint === undefined) return false;
    this.queue.record("UPDATE acks SET ended_ms = $1, ended_by = $2 WHERE id = $3 AND ended_ms IS NULL", [atMs, by, id], undefined, () => this.openAckIds.set(id, fingerprint));
    this.queue.announce(TOPICS.acks, fingerprint);
    this.openAckIds.delete(id);
    return true;
  }

  /**
   * Re-reads the escalations (and which are pending): a replica that becomes the sender takes over the
   * ones the last sender scheduled.
   */
  async refreshEscalations(nowMs: number): Promise<void> {
    const fresh = await readEscalations(this.db, nowMs);
    this.escalations.splice(0, this.escalations.length, ...fresh);
    this.pending.clear();
    for (const e of fresh) if (e.firedMs === undefined && e.cancelledMs === undefined) this.pending.add(e.id);
    for (const e of fresh) this.escalationKeys.add(escalationKey(e.fingerprint, e.episodeStartsMs, e.rule));
  }

  /**
   * Another replica opened or ended acks: `open` are the open acks of the fingerprints in `scope` (every
   * fingerprint: "all"), so this replica can end them too (and knows not to end the others twice).
   */
  followRemote(open: readonly AckRow[], scope: readonly string[] | "all"): void {
    const inScope = scope === "all" ? undefined : new Set(scope);
    for (const [id, fp] of this.openAckIds) if (inScope === undefined || inScope.has(fp)) this.openAckIds.delete(id);
    for (const a of open) this.openAckIds.set(a.id, a.fingerprint);
  }

  openAcks(): AckRow[] {
    return this.open;
  }

  saveComment(c: Omit<CommentRow, "id">): CommentRow {
    const id = this.commentIds.next();
    this.queue.record("INSERT INTO comments (id, fingerprint, actor, text, created_ms) VALUES ($1, $2, $3, $4, $5)", [id, c.fingerprint, c.actor, c.text, c.createdMs]);
    return { ...c, id };
  }

  scheduleEscalation(e: Omit<EscalationRow, "id" | "firedMs" | "cancelledMs" | "cancelledBy">): EscalationRow | undefined {
    const key = escalationKey(e.fingerprint, e.episodeStartsMs, e.rule);
    if (this.escalationKeys.has(key)) return undefined;
    const id = this.escalationIds.next();
    this.queue.record(
      `INSERT INTO escalations (id, fingerprint, episode_starts_ms, rule, receiver, group_key, notified_ms, due_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (fingerprint, episode_starts_ms, rule) DO NOTHING`,
      [id, e.fingerprint, e.episodeStartsMs, e.rule, e.receiver, e.groupKey, e.notifiedMs, e.dueMs],
      undefined,
      () => {
        this.escalationKeys.delete(key);
        this.pending.delete(id);
      },
    );
    this.escalationKeys.add(key);
    this.pending.add(id);
    return { ...e, id, firedMs: undefined, cancelledMs: undefined, cancelledBy: undefined };
  }

  markEscalationFired(id: number, atMs: number): boolean {
    return this.finishEscalation(id, "UPDATE escalations SET fired_ms = $1 WHERE id = $2 AND fired_ms IS NULL AND cancelled_ms IS NULL", [atMs, id]);
  }

  cancelEscalation(id: number, atMs: number, by: string): boolean {
    return this.finishEscalation(id, "UPDATE escalations SET cancelled_ms = $1, cancelled_by = $2 WHERE id = $3 AND fired_ms IS NULL AND cancelled_ms IS NULL", [atMs, by, id]);
  }

  private finishEscalation(id: number, sql: string, values: unknown[]): boolean {
    if (!this.pending.has(id)) return false;
    this.queue.record(sql, values, undefined, () => this.pending.add(id));
    this.pending.delete(id);
    return true;
  }

  escalationsSince(sinceMs: number): EscalationRow[] {
    return this.escalations.filter((e) => e.episodeStartsMs >= sinceMs || (e.firedMs === undefined && e.cancelledMs === undefined));
  }

  prune(beforeMs: number): void {
    this.queue.record("DELETE FROM acks WHERE ended_ms IS NOT NULL AND ended_ms < $1", [beforeMs]);
    this.queue.record("DELETE FROM comments WHERE created_ms < $1", [beforeMs]);
    this.queue.record("DELETE FROM escalations WHERE (fired_ms IS NOT NULL OR cancelled_ms IS NOT NULL) AND due_ms < $1", [beforeMs]);
  }
}

/** Escalations of the last 31 days, and every pending one. */
async function readEscalations(db: Queryable, nowMs: number): Promise<EscalationRow[]> {
  return (await rows<EscDbRow>(
    db,
    "SELECT * FROM escalations WHERE episode_starts_ms >= $1 OR (fired_ms IS NULL AND cancelled_ms IS NULL) ORDER BY id",
    [nowMs - ESCALATION_HORIZON_MS],
  )).map(escOf);
}
