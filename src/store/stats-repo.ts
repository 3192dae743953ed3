import type { Database, Statement } from "better-sqlite3";
import type { LabelSet } from "../types/labels.ts";

/** A firing/resolved change of an alert ("new" starts an episode, "resolved" ends it). */
export interface LifecycleRow {
  readonly id: number;
  readonly seriesId: number;
  readonly kind: "new" | "resolved";
  readonly atMs: number;
}

/** The first acknowledgement of an episode. */
export interface FirstAckRow {
  readonly seriesId: number;
  readonly createdMs: number;
  /** When the episode the ack belongs to started (its `new` event). */
  readonly episodeStartMs: number;
}

/** Successful deliveries of one group to one receiver, per step (step 0 when not stepped). */
export interface DeliveryCountRow {
  readonly groupKey: string;
  readonly receiver: string;
  readonly step: number;
  readonly count: number;
}

export type SeriesSqlRow = { fingerprint: string; labels: string };

/** A series row as the statistics use it, its parsed labels kept in `cache` (bounded; labels never change). */
export function seriesFromRow(cache: Map<number, LabelSet>, seriesId: number, r: SeriesSqlRow | undefined): { fingerprint: string; labels: LabelSet } {
  if (r === undefined) return { fingerprint: "", labels: {} };
  let labels = cache.get(seriesId);
  if (labels === undefined) {
    if (cache.size > 100_000) cache.clear();
    labels = JSON.parse(r.labels) as LabelSet;
    cache.set(seriesId, labels);
  }
  return { fingerprint: r.fingerprint, labels };
}

/**
 * The SQL behind `GET /stats` and `/stats/timeseries`. Reads only; every range scan goes through an index
 * (migration 006's partial indexes of firing/resolved events, deliveries by time, acks by time).
 */
export class StatsRepo {
  private readonly lifecycleStmt: Statement;
  private readonly previousStmt: Statement;
  private readonly resolvedAfterStmt: Statement;
  private readonly firingSeriesStmt: Statement;
  private readonly acksStmt: Statement;
  private readonly earlierAckStmt: Statement;
  private readonly seriesStmt: Statement;
  private readonly deliveriesStmt: Statement;
  private readonly labelsCache = new Map<number, LabelSet>();

  constructor(db: Database) {
    this.lifecycleStmt = db.prepare(`SELECT id, series_id, kind, at_ms FROM alert_events
      WHERE kind IN ('new', 'resolved') AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, id`);
    this.previousStmt = db.prepare(`SELECT id, series_id, kind, at_ms FROM alert_events
      WHERE series_id = ? AND kind IN ('new', 'resolved') AND (at_ms < ? OR (at_ms = ? AND id < ?)) ORDER BY at_ms DESC, id DESC LIMIT 1`);
    this.resolvedAfterStmt = db.prepare(`SELECT DISTINCT series_id FROM alert_events
      WHERE kind IN ('new', 'resolved') AND at_ms >= ? AND kind = 'resolved'`);
    this.firingSeriesStmt = db.prepare("SELECT series_id FROM alerts WHERE state = 'firing'");
    this.acksStmt = db.prepare(`SELECT a.id, a.fingerprint, a.created_ms, s.id AS series_id FROM acks a JOIN series s ON s.fingerprint = a.fingerprint
      WHERE a.created_ms >= ? AND a.created_ms < ? ORDER BY a.created_ms, a.id`);
    this.earlierAckStmt = db.prepare(`SELECT 1 FROM acks WHERE fingerprint = ? AND created_ms >= ?
      AND (created_ms < ? OR (created_ms = ? AND id < ?)) LIMIT 1`);
    this.seriesStmt = db.prepare("SELECT fingerprint, labels FROM series WHERE id = ?");
    this.deliveriesStmt = db.prepare(`SELECT group_key, receiver, CAST((at_ms - ?) / ? AS INTEGER) AS step, COUNT(*) AS n FROM deliveries
      WHERE at_ms >= ? AND at_ms < ? AND status = 'success' GROUP BY group_key, receiver, step`);
  }

  /** Firing/resolved changes in [fromMs, toMs), oldest first. */
  async lifecycle(fromMs: number, toMs: number): Promise<LifecycleRow[]> {
    const rows = this.lifecycleStmt.all(fromMs, toMs) as Array<{ id: number; series_id: number; kind: "new" | "resolved"; at_ms: number }>;
    return rows.map((r) => ({ id: r.id, seriesId: r.series_id, kind: r.kind, atMs: r.at_ms }));
  }

  /** The firing/resolved change of a series just before (at_ms, id), or undefined. */
  async previous(seriesId: number, atMs: number, id: number): Promise<LifecycleRow | undefined> {
    const r = this.previousStmt.get(seriesId, atMs, atMs, id) as { id: number; series_id: number; kind: "new" | "resolved"; at_ms: number } | undefined;
    return r === undefined ? undefined : { id: r.id, seriesId: r.series_id, kind: r.kind, atMs: r.at_ms };
  }

  /** When the episode open at `atMs` (just before event `id`) started, or undefined when none was open. */
  async openEpisodeStart(seriesId: number, atMs: number, id = Number.MAX_SAFE_INTEGER): Promise<number | undefined> {
    const p = await this.previous(seriesId, atMs, id);
    return p?.kind === "new" ? p.atMs : undefined;
  }

  /**
   * Series that may have an episode open through [fromMs, toMs) without a change inside it: those firing
   * now, and those resolved at or after `toMs`.
   */
  async possiblyOpenSeries(toMs: number): Promise<number[]> {
    const ids = new Set<number>();
    for (const r of this.firingSeriesStmt.all() as Array<{ series_id: number }>) ids.add(r.series_id);
    for (const r of this.resolvedAfterStmt.all(toMs) as Array<{ series_id: number }>) ids.add(r.series_id);
    return [...ids];
  }

  /**
   * The first acknowledgement of each episode, for acks made in [fromMs, toMs): an ack belongs to the
   * episode open when it was made; acks of an episode after its first one are skipped.
   */
  async firstAcks(fromMs: number, toMs: number): Promise<FirstAckRow[]> {
    const out: FirstAckRow[] = [];
    const rows = this.acksStmt.all(fromMs, toMs) as Array<{ id: number; fingerprint: string; created_ms: number; series_id: number }>;
    for (const r of rows) {
      const start = await this.openEpisodeStart(r.series_id, r.created_ms);
      if (start === undefined) continue;
      if (this.earlierAckStmt.get(r.fingerprint, start, r.created_ms, r.created_ms, r.id) !== undefined) continue;
      out.push({ seriesId: r.series_id, createdMs: r.created_ms, episodeStartMs: start });
    }
    return out;
  }

  /** A series' fingerprint and labels (cached: they never change). */
  async series(seriesId: number): Promise<{ fingerprint: string; labels: LabelSet }> {
    return seriesFromRow(this.labelsCache, seriesId, this.seriesStmt.get(seriesId) as SeriesSqlRow | undefined);
  }

  /** Successful deliveries in [fromMs, toMs) per group, receiver and step of `stepMs`. */
  async deliveries(fromMs: number, toMs: number, stepMs: number): Promise<DeliveryCountRow[]> {
    const rows = this.deliveriesStmt.all(fromMs, stepMs, fromMs, toMs) as Array<{ group_key: string; receiver: string; step: number; n: number }>;
    return rows.map((r) => ({ groupKey: r.group_key, receiver: r.receiver, step: r.step, count: r.n }));
  }
}
