import type { Database, Statement } from "better-sqlite3";
import type { EpisodeDay } from "../anomaly/unusual.ts";

/**
 * What "unusual alerts" read from the history: when a series' episode started, and on which UTC days the
 * series of an (alertname, service) pair started episodes (`new` events) in a time range.
 *
 * Plans (EXPLAIN QUERY PLAN): the pair's series through the series_labels primary key (name, value) and,
 * for the service, series_labels_by_series (series_id, name, value); their `new` events through migration
 * 006's partial index alert_events_lifecycle_by_series (series_id, at_ms) — which SQLite uses only when the
 * query repeats its `kind IN ('new', 'resolved')` term, hence the redundant-looking condition.
 */
export class UnusualRepo {
  private readonly startOf: Statement;
  private readonly daysWithService: Statement;
  private readonly daysWithoutService: Statement;

  constructor(db: Database) {
    // Per fingerprint, its last `new` event at or before @at: a seek on the partial index, not a scan of
    // the series' events (a flapping alert has thousands).
    this.startOf = db.prepare(`SELECT s.fingerprint AS fingerprint,
        (SELECT e.at_ms FROM alert_events e WHERE e.series_id = s.id AND e.kind IN ('new', 'resolved') AND e.kind = 'new'
          AND e.at_ms <= @at ORDER BY e.at_ms DESC LIMIT 1) AS startMs
      FROM series s WHERE s.fingerprint IN (SELECT value FROM json_each(@fingerprints))`);
    const days = (service: string) => db.prepare(`SELECT e.at_ms / 86400000 AS day, min(e.at_ms) AS firstMs, max(e.at_ms) AS lastMs
      FROM alert_events e
      WHERE e.kind IN ('new', 'resolved') AND e.kind = 'new' AND e.at_ms >= @from AND e.at_ms < @to
        AND e.series_id IN (SELECT n.series_id FROM series_labels n WHERE n.name = 'alertname' AND n.value = @alertname AND ${service})
      GROUP BY 1 ORDER BY 1`);
    this.daysWithService = days("EXISTS (SELECT 1 FROM series_labels s WHERE s.series_id = n.series_id AND s.name = 'service' AND s.value = @service)");
    this.daysWithoutService = days("NOT EXISTS (SELECT 1 FROM series_labels s WHERE s.series_id = n.series_id AND s.name = 'service')");
  }

  /** When each alert's episode at `atMs` started: its last `new` event at or before then (absent: none recorded). */
  async episodeStarts(fingerprints: readonly string[], atMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (fingerprints.length === 0) return out;
    const rows = this.startOf.all({ fingerprints: JSON.stringify(fingerprints), at: atMs }) as Array<{ fingerprint: string; startMs: number | null }>;
    for (const r of rows) if (r.startMs !== null) out.set(r.fingerprint, r.startMs);
    return out;
  }

  /**
   * The epoch days (UTC, ms ÷ 86,400,000) with at least one `new` event in [fromMs, toMs) of a series with this
   * alertname and service ("" for the series without a service label), ascending, each with the first and
   * last such event of the day in that range: enough to answer any narrower window (`daysInWindow`).
   */
  async episodeDayBounds(alertname: string, service: string, fromMs: number, toMs: number): Promise<EpisodeDay[]> {
    const stmt = service === "" ? this.daysWithoutService : this.daysWithService;
    return stmt.all({ alertname, from: fromMs, to: toMs, ...(service === "" ? {} : { service }) }) as EpisodeDay[];
  }
}
