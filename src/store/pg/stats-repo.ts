import type { LabelSet } from "../../types/labels.ts";
import { seriesFromRow, type DeliveryCountRow, type FirstAckRow, type LifecycleRow, type SeriesSqlRow } from "../stats-repo.ts";
import { rows, type Queryable } from "./types.ts";

type LifecycleSqlRow = { id: number; series_id: number; kind: "new" | "resolved"; at_ms: number };
const toLifecycle = (r: LifecycleSqlRow): LifecycleRow => ({ id: r.id, seriesId: r.series_id, kind: r.kind, atMs: r.at_ms });

/**
 * The statistics' reads (ops/stats.ts's StatsSource) on PostgreSQL: the same rows as SQLite's StatsRepo,
 * through the same indexes (migration 006's partial indexes of firing/resolved events).
 */
export class PgStatsRepo {
  private readonly labelsCache = new Map<number, LabelSet>();

  constructor(private readonly db: Queryable) {}

  async lifecycle(fromMs: number, toMs: number): Promise<LifecycleRow[]> {
    const sql = "SELECT id, series_id, kind, at_ms FROM alert_events WHERE kind IN ('new', 'resolved') AND at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, id";
    return (await rows<LifecycleSqlRow>(this.db, sql, [fromMs, toMs])).map(toLifecycle);
  }

  async previous(seriesId: number, atMs: number, id: number): Promise<LifecycleRow | undefined> {
    const [r] = await rows<LifecycleSqlRow>(
      this.db,
      `SELECT id, series_id, kind, at_ms FROM alert_events WHERE series_id = $1 AND kind IN ('new', 'resolved') AND (at_ms, id) < ($2, $3)
       ORDER BY at_ms DESC, id DESC LIMIT 1`,
      [seriesId, atMs, id],
    );
    return r === undefined ? undefined : toLifecycle(r);
  }

  async openEpisodeStart(seriesId: number, atMs: number, id = Number.MAX_SAFE_INTEGER): Promise<number | undefined> {
    const p = await this.previous(seriesId, atMs, id);
    return p?.kind === "new" ? p.atMs : undefined;
  }

  async possiblyOpenSeries(toMs: number): Promise<number[]> {
    const found = await rows<{ series_id: number }>(
      this.db,
      "SELECT series_id FROM alerts WHERE state = 'firing' UNION SELECT series_id FROM alert_events WHERE kind = 'resolved' AND at_ms >= $1",
      [toMs],
    );
    return found.map((r) => r.series_id);
  }

  async firstAcks(fromMs: number, toMs: number): Promise<FirstAckRow[]> {
    const acks = await rows<{ id: number; fingerprint: string; created_ms: number; series_id: number }>(
      this.db,
      `SELECT a.id, a.fingerprint, a.created_ms, s.id AS series_id FROM acks a JOIN series s ON s.fingerprint = a.fingerprint
       WHERE a.created_ms >= $1 AND a.created_ms < $2 ORDER BY a.created_ms, a.id`,
      [fromMs, toMs],
    );
    const out: FirstAckRow[] = [];
    for (const r of acks) {
      const start = await this.openEpisodeStart(r.series_id, r.created_ms);
      if (start === undefined) continue;
      const earlier = await rows(this.db, "SELECT 1 FROM acks WHERE fingerprint = $1 AND created_ms >= $2 AND (created_ms, id) < ($3, $4) LIMIT 1", [r.fingerprint, start, r.created_ms, r.id]);
      if (earlier.length > 0) continue;
      out.push({ seriesId: r.series_id, createdMs: r.created_ms, episodeStartMs: start });
    }
    return out;
  }

  async series(seriesId: number): Promise<{ fingerprint: string; labels: LabelSet }> {
    const [r] = await rows<SeriesSqlRow>(this.db, "SELECT fingerprint, labels FROM series WHERE id = $1", [seriesId]);
    return seriesFromRow(this.labelsCache, seriesId, r);
  }

  async deliveries(fromMs: number, toMs: number, stepMs: number): Promise<DeliveryCountRow[]> {
    // bigint division truncates toward zero, as SQLite's integer division does.
    const found = await rows<{ group_key: string; receiver: string; step: number; n: number }>(
      this.db,
      `SELECT group_key, receiver, (at_ms - $1::bigint) / $2::bigint AS step, count(*) AS n FROM deliveries
       WHERE at_ms >= $1 AND at_ms < $3 AND status = 'success' GROUP BY group_key, receiver, step`,
      [fromMs, stepMs, toMs],
    );
    return found.map((r) => ({ groupKey: r.group_key, receiver: r.receiver, step: r.step, count: r.n }));
  }
}
