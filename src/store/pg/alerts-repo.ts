import type { AlertEventKind, AlertStatus } from "../../types/alert.ts";
import { alertValues, toStoredAlerts, type AlertRow, type AlertsStore, type StoredAlert } from "../alerts-repo.ts";
import type { HeldRows, PgCommitQueue } from "./commit-queue.ts";
import { placeholderTuples, rows, type Queryable } from "./types.ts";
import { TOPICS } from "./change-feed.ts";

/** A series' id by its fingerprint: statements name series by fingerprint, so no id is needed while recording. */
const SERIES_ID = "(SELECT id FROM series WHERE fingerprint = $1)";

/** Rows per multi-row statement at most (its values stay far below the protocol's 65,535 parameters). */
const ROWS_PER_STATEMENT = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** New series and their label rows, one row per series (fingerprint, labels JSON); idempotent. */
const insertSeries = (count: number) => `WITH v (fingerprint, labels) AS (VALUES ${placeholderTuples(count, 2)}),
  s AS (INSERT INTO series (fingerprint, labels) SELECT v.fingerprint::text, v.labels::text FROM v ON CONFLICT (fingerprint) DO NOTHING RETURNING id, labels)
  INSERT INTO series_labels (name, value, series_id) SELECT key, value, s.id FROM s, jsonb_each_text(s.labels::jsonb) ON CONFLICT DO NOTHING`;

const ALERT_COLUMNS = "annotations, starts_at, ends_at, updated_at, ends_at_ms, generator_url, timeout, state, silenced_by, inhibited_by, sources";

/**
 * Alerts by fingerprint, one row each (fingerprint and the 11 columns). A series that is missing fails the
 * statement (its id is NULL), as it must: an alert is never dropped silently.
 */
const upsertAlerts = (count: number) => `INSERT INTO alerts (series_id, ${ALERT_COLUMNS})
  SELECT s.id, v.annotations::text, v.starts_at::text, v.ends_at::text, v.updated_at::text, v.ends_at_ms::bigint, v.generator_url::text,
    v.timeout::boolean, v.state::text, v.silenced_by::text, v.inhibited_by::text, v.sources::text
  FROM (VALUES ${placeholderTuples(count, 12)}) AS v (fingerprint, ${ALERT_COLUMNS}) LEFT JOIN series s ON s.fingerprint = v.fingerprint::text
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

/**
 * Events of families, one row each (position, fingerprint, at, kind, detail, the family's kinds, the key),
 * each unless its series' last event of that family is the same; ids follow the rows' order. A statement
 * does not see its own rows: no series may have two events of one family in it.
 */
const familyEvents = (count: number) => `INSERT INTO alert_events (series_id, at_ms, kind, detail)
  SELECT s.id, v.at_ms::bigint, v.kind::text, v.detail::text
  FROM (VALUES ${placeholderTuples(count, 7)}) AS v (pos, fingerprint, at_ms, kind, detail, kinds, key) JOIN series s ON s.fingerprint = v.fingerprint::text
  WHERE NOT EXISTS (
    SELECT 1 FROM (
      SELECT e.kind, e.detail FROM alert_events e WHERE e.series_id = s.id AND e.kind = ANY(v.kinds::text[]) ORDER BY e.id DESC LIMIT 1
    ) last
    WHERE last.kind = v.kind::text AND (last.detail::jsonb -> v.key::text) IS NOT DISTINCT FROM (v.detail::text::jsonb -> v.key::text))
  ORDER BY v.pos`;

/** An event of a family as held back: `family` names its kinds (new/resolved, …). */
interface HeldEvent {
  readonly fingerprint: string;
  readonly atMs: number;
  readonly kind: AlertEventKind;
  readonly detail: string;
  readonly family: { readonly kinds: readonly AlertEventKind[]; readonly key: string };
}

/**
 * AlertsStore on PostgreSQL. SQLite hands out a series id while the unit runs; a recorded statement cannot
 * wait for one, so every statement names its series by fingerprint (the unique key) and the database finds
 * the id. A series (and its label rows) is inserted with ON CONFLICT DO NOTHING the first time this replica
 * writes its fingerprint — idempotent, so another replica having inserted it first changes nothing.
 * The live set is read by `open`, at startup before any write.
 */
export class PgAlertsRepo implements AlertsStore {
  /** New series of the running unit, held back (fingerprint → labels JSON). */
  private readonly heldSeries = new Map<string, string>();
  /** Alert rows of the running unit, held back (fingerprint → the upsert's values); a later save of one replaces it. */
  private readonly heldAlerts = new Map<string, unknown[]>();
  /** Events of families of the running unit, held back, in order. */
  private heldEvents: HeldEvent[] = [];
  private readonly held: HeldRows = { flush: () => this.recordHeld(), discard: () => this.dropHeld() };

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

  /**
   * Saves and lifecycle events are held back while the unit runs (HeldRows) and written as a few multi-row
   * statements: new series with their label rows, the alerts, one lock of the events' series, the events.
   * Any other statement of the unit first writes what is held, so the unit's order is kept.
   */
  save(s: StoredAlert): void {
    const fp = s.alert.fingerprint;
    this.queue.hold(this.held);
    // The label rows come with the series, in the same statement: a series that existed already has them.
    if (!this.series.has(fp) && !this.heldSeries.has(fp)) this.heldSeries.set(fp, JSON.stringify(s.alert.labels));
    this.queue.announce(TOPICS.alerts, fp);
    const v = alertValues(s);
    // Replaced in place: one statement cannot upsert a row twice, and nothing read the first in between.
    this.heldAlerts.set(fp, [fp, v.annotations, v.starts_at, v.ends_at, v.updated_at, v.ends_at_ms, v.generator_url, v.timeout, v.state, v.silenced_by, v.inhibited_by, v.sources]);
  }

  private recordHeld(): void {
    const series = [...this.heldSeries];
    const alerts = [...this.heldAlerts.values()];
    const events = this.heldEvents;
    this.dropHeld();
    for (const chunk of chunks(series, ROWS_PER_STATEMENT)) {
      this.queue.recordRows(chunk.length, insertSeries(chunk.length), chunk.flat(), () => {
        for (const [fp] of chunk) this.series.add(fp);
      });
    }
    for (const chunk of chunks(alerts, ROWS_PER_STATEMENT)) this.queue.recordRows(chunk.length, upsertAlerts(chunk.length), chunk.flat());
    if (events.length === 0) return;
    // Replicas that all receive the alert (Prometheus sends to every one) each see it start, resolve, get
    // silenced. Each change is recorded once: under the series' row locks (held to the commit; the next
    // statement sees what a replica that held them before committed), an event that repeats the series' last
    // of its family is left out. One process alone never writes such a repeat, so nothing else changes. The
    // locks are taken in id order, which makes deadlocks between replicas rarer; one that happens is retried.
    this.queue.record("SELECT 1 FROM series WHERE fingerprint = ANY($1::text[]) ORDER BY id FOR UPDATE", [[...new Set(events.map((e) => e.fingerprint))]]);
    for (const run of familyRuns(events)) {
      for (const chunk of chunks(run, ROWS_PER_STATEMENT)) {
        this.queue.recordRows(chunk.length, familyEvents(chunk.length), chunk.flatMap((e, i) => [i, e.fingerprint, e.atMs, e.kind, e.detail, e.family.kinds, e.family.key]));
      }
    }
  }

  private dropHeld(): void {
    this.heldSeries.clear();
    this.heldAlerts.clear();
    this.heldEvents = [];
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
    const text = JSON.stringify(detail);
    const family = FAMILIES[kind];
    if (family === undefined) {
      this.queue.record(`INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (${SERIES_ID}, $2, $3, $4)`, [fingerprint, atMs, kind, text]);
      return;
    }
    this.queue.hold(this.held);
    this.heldEvents.push({ fingerprint, atMs, kind, detail: text, family });
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

/**
 * `events` cut into runs in which no series has two events of one family (a statement does not see its own
 * rows, so the second could not be compared with the first), in order.
 */
function familyRuns(events: readonly HeldEvent[]): HeldEvent[][] {
  const runs: HeldEvent[][] = [];
  let run: HeldEvent[] = [];
  let seen = new Set<string>();
  for (const e of events) {
    const key = `${e.fingerprint}\u0000${e.family.kinds.join(",")}`;
    if (seen.has(key)) {
      runs.push(run);
      run = [];
      seen = new Set();
    }
    seen.add(key);
    run.push(e);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
