import type { Database, Statement } from "better-sqlite3";
import type { AlertEventKind } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { DeliveryRow } from "./notify-repo.ts";
import type { DecisionRecord } from "./noise-repo.ts";

/** A position in a newest-first or oldest-first listing: the (at_ms, id) of the last row returned. */
export interface Keyset {
  readonly atMs: number;
  readonly id: number;
}

/** One history event with its alert's labels. */
export interface HistoryEventRow {
  readonly id: number;
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly atMs: number;
  readonly kind: AlertEventKind;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Which index walks the events: `time` descends alert_events_by_time and filters by series (cheap when the
 * series are many or the page fills quickly); `series` descends alert_events_by_series_time once per series
 * and sorts what it read (cheap when the series are few).
 */
export type HistoryPlan = "time" | "series";

export interface HistoryQuery {
  /** Only these series (absent: any). */
  readonly seriesIn?: readonly number[];
  /** Not these series. */
  readonly seriesNotIn?: readonly number[];
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly kinds?: readonly string[];
  /** Rows strictly older than this position (the previous page's last row). */
  readonly before?: Keyset;
  readonly limit: number;
  readonly plan: HistoryPlan;
}

/** A delivery attempt as read back, with its row id (for cursors). */
export interface DeliveryRecord extends Omit<DeliveryRow, "error"> {
  readonly id: number;
  readonly error: string | null;
}

/** A notification decision as read back, with its row id. */
export interface DecisionEntry extends DecisionRecord {
  readonly id: number;
}

export interface StormSummary {
  readonly id: string;
  readonly receiver: string;
  readonly startedMs: number;
  readonly endedMs: number | null;
  readonly alerts: number;
  readonly groups: number;
}

export interface AckRecord {
  readonly id: number; readonly episodeStartsMs: number; readonly actor: string; readonly comment: string;
  readonly createdMs: number; readonly expiresMs: number | null; readonly endedMs: number | null; readonly endedBy: string | null;
}
export interface CommentRecord { readonly id: number; readonly actor: string; readonly text: string; readonly createdMs: number }
export interface EscalationRecord {
  readonly id: number; readonly episodeStartsMs: number; readonly rule: string; readonly receiver: string; readonly dueMs: number;
  readonly firedMs: number | null; readonly cancelledMs: number | null; readonly cancelledBy: string | null;
}

/** A time window [fromMs, toMs] (both inclusive). */
export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * The read side of history, deliveries, notification decisions, storms and ack records, as the ops API uses
 * it: asynchronous, so the PostgreSQL backend (pg/history-repo.ts) implements it as SQLite's HistoryRepo
 * does; both pass the same contract tests (pg/history-repo.test.ts).
 */
export interface HistoryReads {
  seriesWithLabel(name: string, value: string): Promise<number[]>;
  labelValues(name: string): Promise<string[]>;
  labelPairs(name: string): Promise<Array<{ value: string; seriesId: number }>>;
  timeSpan(): Promise<{ fromMs: number; toMs: number }>;
  series(fingerprint: string): Promise<{ id: number; labels: LabelSet } | undefined>;
  sizes(): Promise<{ series: number; events: number }>;
  events(q: HistoryQuery): Promise<HistoryEventRow[]>;
  seriesEvents(seriesId: number, window: Window, after: Keyset | undefined, limit: number): Promise<HistoryEventRow[]>;
  lastEventMs(seriesId: number): Promise<number | undefined>;
  seriesTransitions(seriesId: number): Promise<Array<{ atMs: number; kind: "new" | "resolved" }>>;
  decisionGroupsOf(fingerprint: string): Promise<string[]>;
  stormGroupsOf(fingerprint: string): Promise<string[]>;
  alertDecisions(fingerprint: string, window: Window, after: Keyset | undefined, limit: number): Promise<DecisionEntry[]>;
  groupDecisions(groupKey: string, window: Window, after: Keyset | undefined, limit: number): Promise<DecisionEntry[]>;
  groupDeliveries(groupKey: string, window: Window, after: Keyset | undefined, limit: number): Promise<DeliveryRecord[]>;
  deliveries(q: DeliveryQuery): Promise<DeliveryRecord[]>;
  storms(q: { sinceMs?: number; untilMs?: number; limit: number }): Promise<StormSummary[]>;
  acksOf(fingerprint: string, limit: number): Promise<AckRecord[]>;
  commentsOf(fingerprint: string, limit: number): Promise<CommentRecord[]>;
  escalationsOf(fingerprint: string, limit: number): Promise<EscalationRecord[]>;
}

export interface DeliveryQuery {
  readonly receiver?: string;
  readonly integration?: string;
  readonly status?: string;
  readonly groupKey?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
  /** Rows strictly older than this position. */
  readonly before?: Keyset;
  readonly limit: number;
}

export type EventSqlRow = { id: number; fingerprint: string; labels: string; at_ms: number; kind: AlertEventKind; detail: string };

/** Rows strictly after (ascending) a position, for timeline pages: "at_ms > ? OR (at_ms = ? AND id > ?)". */
function afterClause(after: Keyset | undefined, args: unknown[], col = "at_ms", idCol = "id"): string {
  if (!after) return "";
  args.push(after.atMs, after.atMs, after.id);
  return ` AND (${col} > ? OR (${col} = ? AND ${idCol} > ?))`;
}

/**
 * HistoryReads on SQLite. Only reads; every query is an index range scan bounded by LIMIT. The methods
 * answer synchronously inside their promise (better-sqlite3 blocks for the few milliseconds a page takes).
 */
export class HistoryRepo implements HistoryReads {
  private readonly bySeriesLabel: Statement;
  private readonly labelValuesOf: Statement;
  private readonly seriesOf: Statement;
  private readonly seriesCount: Statement;
  private readonly eventIdRange: Statement;
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Database) {
    this.bySeriesLabel = db.prepare("SELECT series_id FROM series_labels WHERE name = ? AND value = ?").pluck();
    this.labelValuesOf = db.prepare("SELECT DISTINCT value FROM series_labels WHERE name = ?").pluck();
    this.seriesOf = db.prepare("SELECT id, labels FROM series WHERE fingerprint = ?");
    this.seriesCount = db.prepare("SELECT count(*) FROM series").pluck();
    this.eventIdRange = db.prepare("SELECT coalesce((SELECT max(id) FROM alert_events) - (SELECT min(id) FROM alert_events) + 1, 0)").pluck();
  }

  /** Series ids having the label pair (an index lookup in series_labels). */
  async seriesWithLabel(name: string, value: string): Promise<number[]> {
    return this.bySeriesLabel.all(name, value) as number[];
  }

  /** The distinct values a label name has across all series. */
  async labelValues(name: string): Promise<string[]> {
    return this.labelValuesOf.all(name) as string[];
  }

  /** Every (value, series id) of a label name: one range scan of series_labels' primary key. */
  async labelPairs(name: string): Promise<Array<{ value: string; seriesId: number }>> {
    return (this.stmt("SELECT value, series_id FROM series_labels WHERE name = ?").raw().all(name) as Array<[string, number]>).map(([value, seriesId]) => ({ value, seriesId }));
  }

  /** The time span history covers (0, 0 when empty): two index lookups. */
  async timeSpan(): Promise<{ fromMs: number; toMs: number }> {
    const r = this.stmt("SELECT (SELECT min(at_ms) FROM alert_events) AS a, (SELECT max(at_ms) FROM alert_events) AS b").get() as { a: number | null; b: number | null };
    return { fromMs: r.a ?? 0, toMs: r.b ?? 0 };
  }

  /** A series by fingerprint: its id and labels; undefined if never seen (or pruned). */
  async series(fingerprint: string): Promise<{ id: number; labels: LabelSet } | undefined> {
    const r = this.seriesOf.get(fingerprint) as { id: number; labels: string } | undefined;
    return r && { id: r.id, labels: JSON.parse(r.labels) as LabelSet };
  }

  /** Sizes the planner weighs: series and (about, from the id range) events. */
  async sizes(): Promise<{ series: number; events: number }> {
    return { series: this.seriesCount.get() as number, events: this.eventIdRange.get() as number };
  }

  /** History, newest first: (at_ms, id) descending, strictly before `before`. */
  async events(q: HistoryQuery): Promise<HistoryEventRow[]> {
    const { sql, args } = eventsSql(q);
    return (this.stmt(sql).all(...args) as EventSqlRow[]).map(toEvent);
  }

  /** EXPLAIN QUERY PLAN of `events` (for tests and the bench). */
  explainEvents(q: HistoryQuery): string[] {
    const { sql, args } = eventsSql(q);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail);
  }

  /** Prepared statements by SQL text (the variants are few: one per combination of filters). */
  private stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      if (this.cache.size > 500) this.cache.clear();
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** One series' events, oldest first, strictly after `after`, within `window`. */
  async seriesEvents(seriesId: number, window: Window, after: Keyset | undefined, limit: number): Promise<HistoryEventRow[]> {
    const args: unknown[] = [seriesId, window.fromMs, window.toMs];
    const sql = `SELECT e.id, s.fingerprint, s.labels, e.at_ms, e.kind, e.detail FROM alert_events e JOIN series s ON s.id = e.series_id
      WHERE e.series_id = ? AND e.at_ms >= ? AND e.at_ms <= ?${afterClause(after, args, "e.at_ms", "e.id")} ORDER BY e.at_ms, e.id LIMIT ?`;
    return (this.stmt(sql).all(...args, limit) as EventSqlRow[]).map(toEvent);
  }

  /** The time of a series' newest event (one index lookup). */
  async lastEventMs(seriesId: number): Promise<number | undefined> {
    return (this.stmt("SELECT max(at_ms) FROM alert_events WHERE series_id = ?").pluck().get(seriesId) as number | null) ?? undefined;
  }

  /** A series' firing/resolved changes, oldest first: what its episodes are made of. */
  async seriesTransitions(seriesId: number): Promise<Array<{ atMs: number; kind: "new" | "resolved" }>> {
    return (this.stmt(`SELECT at_ms, kind FROM alert_events WHERE series_id = ? AND kind IN ('new', 'resolved') ORDER BY at_ms, id`)
      .all(seriesId) as Array<{ at_ms: number; kind: "new" | "resolved" }>).map((r) => ({ atMs: r.at_ms, kind: r.kind }));
  }

  /** Every group key with a decision about this alert. */
  async decisionGroupsOf(fingerprint: string): Promise<string[]> {
    return this.stmt("SELECT DISTINCT group_key FROM notify_decisions WHERE fingerprint = ?").pluck().all(fingerprint) as string[];
  }

  /** Groups a storm covered this alert in. */
  async stormGroupsOf(fingerprint: string): Promise<string[]> {
    const rows = this.stmt("SELECT groups FROM storm_alerts WHERE fingerprint = ?").pluck().all(fingerprint) as string[];
    return rows.flatMap((g) => JSON.parse(g) as string[]);
  }

  /** An alert's own decisions, oldest first. */
  async alertDecisions(fingerprint: string, window: Window, after: Keyset | undefined, limit: number): Promise<DecisionEntry[]> {
    const args: unknown[] = [fingerprint, window.fromMs, window.toMs];
    const sql = `SELECT * FROM notify_decisions WHERE fingerprint = ? AND at_ms >= ? AND at_ms <= ?${afterClause(after, args)} ORDER BY at_ms, id LIMIT ?`;
    return (this.stmt(sql).all(...args, limit) as DecisionSqlRow[]).map(toDecision);
  }

  /** A group's group-level decisions (fingerprint ''), oldest first. */
  async groupDecisions(groupKey: string, window: Window, after: Keyset | undefined, limit: number): Promise<DecisionEntry[]> {
    const args: unknown[] = [groupKey, window.fromMs, window.toMs];
    const sql = `SELECT * FROM notify_decisions WHERE group_key = ? AND at_ms >= ? AND at_ms <= ?${afterClause(after, args)} AND fingerprint = '' ORDER BY at_ms, id LIMIT ?`;
    return (this.stmt(sql).all(...args, limit) as DecisionSqlRow[]).map(toDecision);
  }

  /** A group's delivery attempts, oldest first. */
  async groupDeliveries(groupKey: string, window: Window, after: Keyset | undefined, limit: number): Promise<DeliveryRecord[]> {
    const args: unknown[] = [groupKey, window.fromMs, window.toMs];
    const sql = `SELECT * FROM deliveries WHERE group_key = ? AND at_ms >= ? AND at_ms <= ?${afterClause(after, args)} ORDER BY at_ms, id LIMIT ?`;
    return (this.stmt(sql).all(...args, limit) as DeliverySqlRow[]).map(toDelivery);
  }

  /** The delivery log, newest first. */
  async deliveries(q: DeliveryQuery): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.receiver !== undefined) { where.push("receiver = ?"); args.push(q.receiver); }
    if (q.groupKey !== undefined) { where.push("group_key = ?"); args.push(q.groupKey); }
    if (q.integration !== undefined) { where.push("integration = ?"); args.push(q.integration); }
    if (q.status !== undefined) { where.push("status = ?"); args.push(q.status); }
    if (q.sinceMs !== undefined) { where.push("at_ms >= ?"); args.push(q.sinceMs); }
    if (q.untilMs !== undefined) { where.push("at_ms <= ?"); args.push(q.untilMs); }
    if (q.before) { where.push("(at_ms < ? OR (at_ms = ? AND id < ?))"); args.push(q.before.atMs, q.before.atMs, q.before.id); }
    const sql = `SELECT * FROM deliveries ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY at_ms DESC, id DESC LIMIT ?`;
    return (this.stmt(sql).all(...args, q.limit) as DeliverySqlRow[]).map(toDelivery);
  }

  /** Storms overlapping [sinceMs, untilMs], newest first, with how many alerts and groups each covered. */
  async storms(q: { sinceMs?: number; untilMs?: number; limit: number }): Promise<StormSummary[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.untilMs !== undefined) { where.push("s.started_ms <= ?"); args.push(q.untilMs); }
    if (q.sinceMs !== undefined) { where.push("(s.ended_ms IS NULL OR s.ended_ms >= ?)"); args.push(q.sinceMs); }
    const sql = `SELECT s.id, s.receiver, s.started_ms, s.ended_ms,
        (SELECT count(*) FROM storm_alerts a WHERE a.storm_id = s.id) AS alerts,
        (SELECT count(DISTINCT g.value) FROM storm_alerts a, json_each(a.groups) g WHERE a.storm_id = s.id) AS groups
      FROM storms s ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY s.started_ms DESC, s.id DESC LIMIT ?`;
    const rows = this.stmt(sql).all(...args, q.limit) as Array<{ id: string; receiver: string; started_ms: number; ended_ms: number | null; alerts: number; groups: number }>;
    return rows.map((r) => ({ id: r.id, receiver: r.receiver, startedMs: r.started_ms, endedMs: r.ended_ms, alerts: r.alerts, groups: r.groups }));
  }

  /** Acks, comments and escalations of an alert (bounded: the newest `limit` of each). */
  async acksOf(fingerprint: string, limit: number): Promise<AckRecord[]> {
    const rows = this.stmt("SELECT * FROM acks WHERE fingerprint = ? ORDER BY created_ms DESC, id DESC LIMIT ?").all(fingerprint, limit) as Array<{
      id: number; episode_starts_ms: number; actor: string; comment: string; created_ms: number; expires_ms: number | null; ended_ms: number | null; ended_by: string | null;
    }>;
    return rows.map((r) => ({ id: r.id, episodeStartsMs: r.episode_starts_ms, actor: r.actor, comment: r.comment, createdMs: r.created_ms, expiresMs: r.expires_ms, endedMs: r.ended_ms, endedBy: r.ended_by }));
  }

  async commentsOf(fingerprint: string, limit: number): Promise<CommentRecord[]> {
    const rows = this.stmt("SELECT id, actor, text, created_ms FROM comments WHERE fingerprint = ? ORDER BY created_ms DESC, id DESC LIMIT ?").all(fingerprint, limit) as Array<{ id: number; actor: string; text: string; created_ms: number }>;
    return rows.map((r) => ({ id: r.id, actor: r.actor, text: r.text, createdMs: r.created_ms }));
  }

  async escalationsOf(fingerprint: string, limit: number): Promise<EscalationRecord[]> {
    const rows = this.stmt("SELECT * FROM escalations WHERE fingerprint = ? ORDER BY episode_starts_ms DESC, id DESC LIMIT ?").all(fingerprint, limit) as Array<{
      id: number; episode_starts_ms: number; rule: string; receiver: string; due_ms: number; fired_ms: number | null; cancelled_ms: number | null; cancelled_by: string | null;
    }>;
    return rows.map((r) => ({ id: r.id, episodeStartsMs: r.episode_starts_ms, rule: r.rule, receiver: r.receiver, dueMs: r.due_ms, firedMs: r.fired_ms, cancelledMs: r.cancelled_ms, cancelledBy: r.cancelled_by }));
  }
}

export type DecisionSqlRow = { id: number; at_ms: number; group_key: string; receiver: string; integration: string; fingerprint: string; stage: string; outcome: string; detail: string };
export type DeliverySqlRow = {
  id: number; at_ms: number; group_key: string; receiver: string; integration: string; attempt: number; status: "success" | "failed";
  /** 0/1 in SQLite, boolean in PostgreSQL. */
  retryable: number | boolean; error: string | null; duration_ms: number; firing: number; resolved: number;
};

function eventsSql(q: HistoryQuery): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  // A unary + keeps a term from choosing the index, so the plan is the one asked for.
  const seriesCol = q.plan === "time" ? "+e.series_id" : "e.series_id";
  if (q.seriesIn) { where.push(`${seriesCol} IN (SELECT value FROM json_each(?))`); args.push(JSON.stringify(q.seriesIn)); }
  if (q.seriesNotIn && q.seriesNotIn.length > 0) { where.push("+e.series_id NOT IN (SELECT value FROM json_each(?))"); args.push(JSON.stringify(q.seriesNotIn)); }
  if (q.sinceMs !== undefined) { where.push("e.at_ms >= ?"); args.push(q.sinceMs); }
  if (q.untilMs !== undefined) { where.push("e.at_ms <= ?"); args.push(q.untilMs); }
  if (q.before) { where.push("(e.at_ms < ? OR (e.at_ms = ? AND e.id < ?))"); args.push(q.before.atMs, q.before.atMs, q.before.id); }
  if (q.kinds && q.kinds.length > 0) { where.push("e.kind IN (SELECT value FROM json_each(?))"); args.push(JSON.stringify(q.kinds)); }
  const index = q.plan === "time" ? "alert_events_by_time" : "alert_events_by_series_time";
  const sql = `SELECT e.id, s.fingerprint, s.labels, e.at_ms, e.kind, e.detail FROM alert_events e INDEXED BY ${index}
    JOIN series s ON s.id = e.series_id ${where.length ? "WHERE " + where.join(" AND ") : ""}
    ORDER BY e.at_ms DESC, e.id DESC LIMIT ?`;
  args.push(q.limit);
  return { sql, args };
}

export function toEvent(r: EventSqlRow): HistoryEventRow {
  return { id: r.id, fingerprint: r.fingerprint, labels: JSON.parse(r.labels) as LabelSet, atMs: r.at_ms, kind: r.kind, detail: JSON.parse(r.detail) as Record<string, unknown> };
}

export function toDecision(r: DecisionSqlRow): DecisionEntry {
  return { id: r.id, atMs: r.at_ms, groupKey: r.group_key, receiver: r.receiver, integration: r.integration, fingerprint: r.fingerprint, stage: r.stage, outcome: r.outcome, detail: JSON.parse(r.detail) as Record<string, unknown> };
}

export function toDelivery(r: DeliverySqlRow): DeliveryRecord {
  return {
    id: r.id, atMs: r.at_ms, groupKey: r.group_key, receiver: r.receiver, integration: r.integration, attempt: r.attempt, status: r.status,
    retryable: r.retryable === 1 || r.retryable === true, error: r.error, durationMs: r.duration_ms, firing: r.firing, resolved: r.resolved,
  };
}
