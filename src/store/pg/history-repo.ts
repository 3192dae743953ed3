import type { LabelSet } from "../../types/labels.ts";
import {
  toDecision, toDelivery, toEvent,
  type AckRecord, type CommentRecord, type DecisionEntry, type DecisionSqlRow, type DeliveryQuery, type DeliveryRecord, type DeliverySqlRow,
  type EscalationRecord, type EventSqlRow, type HistoryEventRow, type HistoryQuery, type HistoryReads, type Keyset, type StormSummary, type Window,
} from "../history-repo.ts";
import { rows, type Queryable } from "./types.ts";

/** Parameters as PostgreSQL numbers them: each call to `add` returns the next `$n`. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** Rows strictly after (ascending) a position: "(at_ms, id) > (…, …)", a row comparison PostgreSQL reads off the index. */
function afterClause(after: Keyset | undefined, p: Params, col = "at_ms", idCol = "id"): string {
  return after ? ` AND (${col}, ${idCol}) > (${p.add(after.atMs)}, ${p.add(after.id)})` : "";
}

/**
 * HistoryReads on PostgreSQL: the same rows in the same order as SQLite's HistoryRepo (the contract tests
 * run both on the same data). The query plan is PostgreSQL's to choose: `plan` (which index SQLite is
 * told to walk) does not apply, as PostgreSQL has no INDEXED BY and plans from its own statistics.
 */
export class PgHistoryRepo implements HistoryReads {
  constructor(private readonly db: Queryable) {}

  async seriesWithLabel(name: string, value: string): Promise<number[]> {
    return (await rows<{ series_id: number }>(this.db, "SELECT series_id FROM series_labels WHERE name = $1 AND value = $2 ORDER BY series_id", [name, value])).map((r) => r.series_id);
  }

  async labelValues(name: string): Promise<string[]> {
    return (await rows<{ value: string }>(this.db, "SELECT DISTINCT value FROM series_labels WHERE name = $1", [name])).map((r) => r.value);
  }

  async labelPairs(name: string): Promise<Array<{ value: string; seriesId: number }>> {
    return (await rows<{ value: string; series_id: number }>(this.db, "SELECT value, series_id FROM series_labels WHERE name = $1", [name])).map((r) => ({ value: r.value, seriesId: r.series_id }));
  }

  async timeSpan(): Promise<{ fromMs: number; toMs: number }> {
    const [r] = await rows<{ a: number | null; b: number | null }>(this.db, "SELECT min(at_ms) AS a, max(at_ms) AS b FROM alert_events");
    return { fromMs: r?.a ?? 0, toMs: r?.b ?? 0 };
  }

  async series(fingerprint: string): Promise<{ id: number; labels: LabelSet } | undefined> {
    const [r] = await rows<{ id: number; labels: string }>(this.db, "SELECT id, labels FROM series WHERE fingerprint = $1", [fingerprint]);
    return r && { id: r.id, labels: JSON.parse(r.labels) as LabelSet };
  }

  async sizes(): Promise<{ series: number; events: number }> {
    const [r] = await rows<{ series: number; events: number }>(
      this.db,
      "SELECT (SELECT count(*) FROM series) AS series, coalesce((SELECT max(id) - min(id) + 1 FROM alert_events), 0) AS events",
    );
    return { series: r?.series ?? 0, events: r?.events ?? 0 };
  }

  async events(q: HistoryQuery): Promise<HistoryEventRow[]> {
    const p = new Params();
    const where: string[] = [];
    if (q.seriesIn) where.push(`e.series_id = ANY(${p.add(q.seriesIn)}::bigint[])`);
    if (q.seriesNotIn && q.seriesNotIn.length > 0) where.push(`NOT (e.series_id = ANY(${p.add(q.seriesNotIn)}::bigint[]))`);
    if (q.sinceMs !== undefined) where.push(`e.at_ms >= ${p.add(q.sinceMs)}`);
    if (q.untilMs !== undefined) where.push(`e.at_ms <= ${p.add(q.untilMs)}`);
    if (q.before) where.push(`(e.at_ms, e.id) < (${p.add(q.before.atMs)}, ${p.add(q.before.id)})`);
    if (q.kinds && q.kinds.length > 0) where.push(`e.kind = ANY(${p.add(q.kinds)}::text[])`);
    const sql = `SELECT e.id, s.fingerprint, s.labels, e.at_ms, e.kind, e.detail FROM alert_events e JOIN series s ON s.id = e.series_id
      ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY e.at_ms DESC, e.id DESC LIMIT ${p.add(q.limit)}`;
    return (await rows<EventSqlRow>(this.db, sql, p.values)).map(toEvent);
  }

  async seriesEvents(seriesId: number, window: Window, after: Keyset | undefined, limit: number): Promise<HistoryEventRow[]> {
    const p = new Params();
    const sql = `SELECT e.id, s.fingerprint, s.labels, e.at_ms, e.kind, e.detail FROM alert_events e JOIN series s ON s.id = e.series_id
      WHERE e.series_id = ${p.add(seriesId)} AND e.at_ms >= ${p.add(window.fromMs)} AND e.at_ms <= ${p.add(window.toMs)}${afterClause(after, p, "e.at_ms", "e.id")}
      ORDER BY e.at_ms, e.id LIMIT ${p.add(limit)}`;
    return (await rows<EventSqlRow>(this.db, sql, p.values)).map(toEvent);
  }

  async lastEventMs(seriesId: number): Promise<number | undefined> {
    const [r] = await rows<{ m: number | null }>(this.db, "SELECT max(at_ms) AS m FROM alert_events WHERE series_id = $1", [seriesId]);
    return r?.m ?? undefined;
  }

  async seriesTransitions(seriesId: number): Promise<Array<{ atMs: number; kind: "new" | "resolved" }>> {
    const sql = "SELECT at_ms, kind FROM alert_events WHERE series_id = $1 AND kind IN ('new', 'resolved') ORDER BY at_ms, id";
    return (await rows<{ at_ms: number; kind: "new" | "resolved" }>(this.db, sql, [seriesId])).map((r) => ({ atMs: r.at_ms, kind: r.kind }));
  }

  async decisionGroupsOf(fingerprint: string): Promise<string[]> {
    return (await rows<{ group_key: string }>(this.db, "SELECT DISTINCT group_key FROM notify_decisions WHERE fingerprint = $1", [fingerprint])).map((r) => r.group_key);
  }

  async stormGroupsOf(fingerprint: string): Promise<string[]> {
    return (await rows<{ groups: string }>(this.db, "SELECT groups FROM storm_alerts WHERE fingerprint = $1", [fingerprint])).flatMap((r) => JSON.parse(r.groups) as string[]);
  }

  async alertDecisions(fingerprint: string, window: Window, after: Keyset | undefined, limit: number): Promise<DecisionEntry[]> {
    return this.windowed<DecisionSqlRow>("notify_decisions", "fingerprint", fingerprint, "", window, after, limit).then((r) => r.map(toDecision));
  }

  async groupDecisions(groupKey: string, window: Window, after: Keyset | undefined, limit: number): Promise<DecisionEntry[]> {
    return this.windowed<DecisionSqlRow>("notify_decisions", "group_key", groupKey, " AND fingerprint = ''", window, after, limit).then((r) => r.map(toDecision));
  }

  async groupDeliveries(groupKey: string, window: Window, after: Keyset | undefined, limit: number): Promise<DeliveryRecord[]> {
    return this.windowed<DeliverySqlRow>("deliveries", "group_key", groupKey, "", window, after, limit).then((r) => r.map(toDelivery));
  }

  /** Rows of `table` with `column` = `value` in `window`, oldest first, strictly after `after`. */
  private async windowed<R extends DecisionSqlRow | DeliverySqlRow>(
    table: "notify_decisions" | "deliveries", column: "fingerprint" | "group_key", value: string, extra: string, window: Window, after: Keyset | undefined, limit: number,
  ): Promise<R[]> {
    const p = new Params();
    const sql = `SELECT * FROM ${table} WHERE ${column} = ${p.add(value)} AND at_ms >= ${p.add(window.fromMs)} AND at_ms <= ${p.add(window.toMs)}${afterClause(after, p)}${extra}
      ORDER BY at_ms, id LIMIT ${p.add(limit)}`;
    return rows<R>(this.db, sql, p.values);
  }

  async deliveries(q: DeliveryQuery): Promise<DeliveryRecord[]> {
    const p = new Params();
    const where: string[] = [];
    if (q.receiver !== undefined) where.push(`receiver = ${p.add(q.receiver)}`);
    if (q.groupKey !== undefined) where.push(`group_key = ${p.add(q.groupKey)}`);
    if (q.integration !== undefined) where.push(`integration = ${p.add(q.integration)}`);
    if (q.status !== undefined) where.push(`status = ${p.add(q.status)}`);
    if (q.sinceMs !== undefined) where.push(`at_ms >= ${p.add(q.sinceMs)}`);
    if (q.untilMs !== undefined) where.push(`at_ms <= ${p.add(q.untilMs)}`);
    if (q.before) where.push(`(at_ms, id) < (${p.add(q.before.atMs)}, ${p.add(q.before.id)})`);
    const sql = `SELECT * FROM deliveries ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY at_ms DESC, id DESC LIMIT ${p.add(q.limit)}`;
    return (await rows<DeliverySqlRow>(this.db, sql, p.values)).map(toDelivery);
  }

  async storms(q: { sinceMs?: number; untilMs?: number; limit: number }): Promise<StormSummary[]> {
    const p = new Params();
    const where: string[] = [];
    if (q.untilMs !== undefined) where.push(`s.started_ms <= ${p.add(q.untilMs)}`);
    if (q.sinceMs !== undefined) where.push(`(s.ended_ms IS NULL OR s.ended_ms >= ${p.add(q.sinceMs)})`);
    const sql = `SELECT s.id, s.receiver, s.started_ms, s.ended_ms,
        (SELECT count(*) FROM storm_alerts a WHERE a.storm_id = s.id) AS alerts,
        (SELECT count(DISTINCT g.value) FROM storm_alerts a, jsonb_array_elements_text(a.groups::jsonb) AS g(value) WHERE a.storm_id = s.id) AS groups
      FROM storms s ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY s.started_ms DESC, s.id COLLATE "C" DESC LIMIT ${p.add(q.limit)}`;
    const found = await rows<{ id: string; receiver: string; started_ms: number; ended_ms: number | null; alerts: number; groups: number }>(this.db, sql, p.values);
    return found.map((r) => ({ id: r.id, receiver: r.receiver, startedMs: r.started_ms, endedMs: r.ended_ms, alerts: r.alerts, groups: r.groups }));
  }

  async acksOf(fingerprint: string, limit: number): Promise<AckRecord[]> {
    const found = await rows<{
      id: number; episode_starts_ms: number; actor: string; comment: string; created_ms: number; expires_ms: number | null; ended_ms: number | null; ended_by: string | null;
    }>(this.db, "SELECT * FROM acks WHERE fingerprint = $1 ORDER BY created_ms DESC, id DESC LIMIT $2", [fingerprint, limit]);
    return found.map((r) => ({ id: r.id, episodeStartsMs: r.episode_starts_ms, actor: r.actor, comment: r.comment, createdMs: r.created_ms, expiresMs: r.expires_ms, endedMs: r.ended_ms, endedBy: r.ended_by }));
  }

  async commentsOf(fingerprint: string, limit: number): Promise<CommentRecord[]> {
    const found = await rows<{ id: number; actor: string; text: string; created_ms: number }>(
      this.db, "SELECT id, actor, text, created_ms FROM comments WHERE fingerprint = $1 ORDER BY created_ms DESC, id DESC LIMIT $2", [fingerprint, limit],
    );
    return found.map((r) => ({ id: r.id, actor: r.actor, text: r.text, createdMs: r.created_ms }));
  }

  async escalationsOf(fingerprint: string, limit: number): Promise<EscalationRecord[]> {
    const found = await rows<{
      id: number; episode_starts_ms: number; rule: string; receiver: string; due_ms: number; fired_ms: number | null; cancelled_ms: number | null; cancelled_by: string | null;
    }>(this.db, "SELECT * FROM escalations WHERE fingerprint = $1 ORDER BY episode_starts_ms DESC, id DESC LIMIT $2", [fingerprint, limit]);
    return found.map((r) => ({ id: r.id, episodeStartsMs: r.episode_starts_ms, rule: r.rule, receiver: r.receiver, dueMs: r.due_ms, firedMs: r.fired_ms, cancelledMs: r.cancelled_ms, cancelledBy: r.cancelled_by }));
  }
}
