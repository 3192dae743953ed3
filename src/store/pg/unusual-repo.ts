import type { EpisodeDay } from "../../anomaly/unusual.ts";
import { rows, type Queryable } from "./types.ts";

const DAYS_OF_PAIR = (service: string) => `SELECT e.at_ms / 86400000 AS day, min(e.at_ms) AS "firstMs", max(e.at_ms) AS "lastMs"
  FROM alert_events e
  WHERE e.kind IN ('new', 'resolved') AND e.kind = 'new' AND e.at_ms >= $1 AND e.at_ms < $2
    AND e.series_id IN (SELECT n.series_id FROM series_labels n WHERE n.name = 'alertname' AND n.value = $3 AND ${service})
  GROUP BY 1 ORDER BY 1`;
const WITH_SERVICE = DAYS_OF_PAIR("EXISTS (SELECT 1 FROM series_labels s WHERE s.series_id = n.series_id AND s.name = 'service' AND s.value = $4)");
const WITHOUT_SERVICE = DAYS_OF_PAIR("NOT EXISTS (SELECT 1 FROM series_labels s WHERE s.series_id = n.series_id AND s.name = 'service')");

/** The history reads behind "unusual alerts" on PostgreSQL: the same answers as SQLite's UnusualRepo. */
export class PgUnusualRepo {
  constructor(private readonly db: Queryable) {}

  async episodeStarts(fingerprints: readonly string[], atMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (fingerprints.length === 0) return out;
    const found = await rows<{ fingerprint: string; startMs: number | null }>(
      this.db,
      `SELECT s.fingerprint, (SELECT e.at_ms FROM alert_events e WHERE e.series_id = s.id AND e.kind IN ('new', 'resolved') AND e.kind = 'new'
         AND e.at_ms <= $2 ORDER BY e.at_ms DESC LIMIT 1) AS "startMs"
       FROM series s WHERE s.fingerprint = ANY($1::text[])`,
      [fingerprints, atMs],
    );
    for (const r of found) if (r.startMs !== null) out.set(r.fingerprint, r.startMs);
    return out;
  }

  async episodeDayBounds(alertname: string, service: string, fromMs: number, toMs: number): Promise<EpisodeDay[]> {
    return service === ""
      ? rows<EpisodeDay>(this.db, WITHOUT_SERVICE, [fromMs, toMs, alertname])
      : rows<EpisodeDay>(this.db, WITH_SERVICE, [fromMs, toMs, alertname, service]);
  }
}
