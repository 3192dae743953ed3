import type { AlertEventKind, AlertStatus } from "../../types/alert.ts";
import { alertValues, toStoredAlerts, type AlertRow, type AlertsStore, type StoredAlert } from "../alerts-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";
import { TOPICS } from "./change-feed.ts";

/** A series' id by its fingerprint: statements name series by fingerprint, so no id is needed while recording. */
const SERIES_ID = "(SELECT id FROM series WHERE fingerprint = $1)";

const UPSERT_ALERT = `INSERT INTO alerts (series_id, annotations, starts_at, ends_at, updated_at, ends_at_ms, generator_url, timeout, state, silenced_by, inhibited_by, sources)
  VALUES (${SERIES_ID}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (series_id) DO UPDATE SET annotations = excluded.annotations, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
    updated_at = excluded.updated_at, ends_at_ms = excluded.ends_at_ms, generator_url = excluded.generator_url, timeout = excluded.timeout,
    state = excluded.state, silenced_by = excluded.silenced_by, inhibited_by = excluded.inhibited_by, sources = excluded.sources`;

/**
 * Events that alternate within a family, with the detail field that tells two of the same kind apart (an
 * episode's start, the silences or inhibiting alerts): one process never writes the same twice in a row.
 */
const FAMILIES: Readonly<Partial<Record<AlertEventKind, { readonly kinds: readonly AlertEventKind[]; readonly key: string }>>> = {
  new: { kinds: ["new", "resolved"], key: "startsAt" },
  resolved: { kinds: ["new", "resolved"], key: "" },
  silenced: { kinds: ["silenced", "unsilenced"], key: "silencedBy" },
  unsilenced: { kinds: ["silenced", "unsilenced"], key: "" },
  inhibited: { kinds: ["inhibited", "uninhibited"], key: "inhibitedBy" },
  uninhibited: { kinds: ["inhibited", "uninhibited"], key: "" },
};

/** An event of a family, unless the series' last event of that family is the same ($5: the family, $6: the key). */
const FAMILY_EVENT = `INSERT INTO alert_events (series_id, at_ms, kind, detail)
  SELECT s.id, $2::bigint, $3::text, $4::text FROM series s WHERE s.fingerprint = $1 AND NOT EXISTS (
    SELECT 1 FROM (
      SELECT e.kind, e.detail FROM alert_events e WHERE e.series_id = s.id AND e.kind = ANY($5::text[]) ORDER BY e.id DESC LIMIT 1
    ) last
    WHERE last.kind = $3 AND (last.detail::jsonb -> $6::text) IS NOT DISTINCT FROM ($4::text::jsonb -> $6::text))`;

/**
 * AlertsStore on PostgreSQL. SQLite hands out a series id while the unit runs; a recorded statement cannot
 * wait for one, so every statement names its series by fingerprint (the unique key) and the database finds
 * the id. A series (and its label rows) is inserted with ON CONFLICT DO NOTHING the first time this replica
 * writes its fingerprint — idempotent, so another replica having inserted it first changes nothing.
 * The live set is read by `open`, at startup before any write.
 */
export class PgAlertsRepo implements AlertsStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly loaded: StoredAlert[],
    /** Fingerprints whose series is known to be in the database (read at open, then as groups commit). */
    private readonly series: Set<string>,
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgAlertsRepo> {
    const alerts = toStoredAlerts(await rows<AlertRow>(db, "SELECT a.*, s.fingerprint, s.labels FROM alerts a JOIN series s ON s.id = a.series_id"));
    const series = new Set((await rows<{ fingerprint: string }>(db, "SELECT fingerprint FROM series")).map((r) => r.fingerprint));
    return new PgAlertsRepo(queue, alerts, series);
  }

  private ensureSeries(s: StoredAlert): void {
    const fp = s.alert.fingerprint;
    if (this.series.has(fp)) return;
    const labels = JSON.stringify(s.alert.labels);
    // The label rows come with the series, in the same statement: a series that existed already has them.
    this.queue.record(
      `WITH s AS (INSERT INTO series (fingerprint, labels) VALUES ($1::text, $2::text) ON CONFLICT (fingerprint) DO NOTHING RETURNING id)
       INSERT INTO series_labels (name, value, series_id) SELECT key, value, s.id FROM s, jsonb_each_text($2::text::jsonb) ON CONFLICT DO NOTHING`,
      [fp, labels],
      () => this.series.add(fp),
    );
  }

  save(s: StoredAlert): void {
    this.ensureSeries(s);
    this.queue.announce(TOPICS.alerts, s.alert.fingerprint);
    const v = alertValues(s);
    this.queue.record(UPSERT_ALERT, [
      s.alert.fingerprint, v.annotations, v.starts_at, v.ends_at, v.updated_at, v.ends_at_ms, v.generator_url, v.timeout, v.state, v.silenced_by, v.inhibited_by, v.sources,
    ]);
  }

  saveStatus(fingerprint: string, status: AlertStatus): void {
    this.queue.announce(TOPICS.alerts, fingerprint);
    this.queue.record(`UPDATE alerts SET silenced_by = $2, inhibited_by = $3 WHERE series_id = ${SERIES_ID}`, [fingerprint, JSON.stringify(status.silencedBy), JSON.stringify(status.inhibitedBy)]);
  }

  saveState(fingerprint: string, state: "firing" | "resolved"): void {
    this.queue.announce(TOPICS.alerts, fingerprint);
    this.queue.record(`UPDATE alerts SET state = $2 WHERE series_id = ${SERIES_ID}`, [fingerprint, state]);
  }

  delete(fingerprint: string): void {
    this.queue.announce(TOPICS.alerts, fingerprint);
    this.queue.record(`DELETE FROM alerts WHERE series_id = ${SERIES_ID}`, [fingerprint]);
  }

  appendEvent(fingerprint: string, atMs: number, kind: AlertEventKind, detail: Readonly<Record<string, unknown>> = {}): void {
    const values = [fingerprint, atMs, kind, JSON.stringify(detail)];
    const family = FAMILIES[kind];
    if (family === undefined) {
      this.queue.record(`INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (${SERIES_ID}, $2, $3, $4)`, values);
      return;
    }
    // Replicas that all receive the alert (Prometheus sends to every one) each see it start, resolve, get
    // silenced. Each change is recorded once: under the series' row lock (held to the commit; the next
    // statement sees what a replica that held it before committed), an event that repeats the series' last
    // of its family is left out. One process alone never writes such a repeat, so nothing else changes.
    this.queue.record("SELECT 1 FROM series WHERE fingerprint = $1 FOR UPDATE", [fingerprint]);
    this.queue.record(FAMILY_EVENT, [...values, family.kinds, family.key]);
  }

  /**
   * Fingerprints whose alert another replica deleted: their series may be pruned there too, so the next
   * write here inserts it again (idempotently) instead of assuming it.
   */
  forgetSeries(fingerprints: readonly string[]): void {
    for (const fp of fingerprints) this.series.delete(fp);
  }

  /** Nothing to forget: a series counts as known only once the group that inserted it committed. */
  forgetUncommittedSeries(): void {}

  loadAll(): StoredAlert[] {
    return this.loaded;
  }

  pruneHistory(beforeMs: number, pruned?: (events: number) => void): void {
    this.queue.record("DELETE FROM alert_events WHERE at_ms < $1", [beforeMs], (r) => pruned?.(r.rowCount ?? 0));
    this.queue.record(
      `DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.series_id = series.id)
        AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.series_id = series.id) RETURNING fingerprint`,
      [],
      (r) => {
        for (const row of r.rows as Array<{ fingerprint: string }>) this.series.delete(row.fingerprint);
      },
    );
  }
}
