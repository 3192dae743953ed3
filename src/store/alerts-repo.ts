import type { Database, Statement } from "better-sqlite3";
import { alertStatus, type Alert, type AlertStatus, type AlertEventKind } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import { parseApiTime, formatRfc3339Nano, type Timestamp } from "../types/time.ts";

export interface StoredAlert {
  readonly alert: Alert;
  readonly state: "firing" | "resolved";
  readonly status: AlertStatus;
  /** The replicas that sent the current firing episode (replica dedup); absent when none. */
  readonly sources?: readonly LabelSet[];
}

export interface AlertEvent {
  readonly id: number;
  readonly fingerprint: string;
  readonly atMs: number;
  readonly kind: AlertEventKind;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly labels: LabelSet;
}

export interface AlertRow {
  series_id: number; fingerprint: string; labels: string; annotations: string; starts_at: string; ends_at: string;
  updated_at: string; generator_url: string;
  /** 0/1 in SQLite, boolean in PostgreSQL. */
  timeout: number | boolean;
  state: "firing" | "resolved";
  silenced_by: string; inhibited_by: string; sources: string;
}

/**
 * Where the live alert set and its history are kept: writes inside a WriteQueue unit, the live set read
 * once at startup (SQLite: AlertsRepo; PostgreSQL: pg/alerts-repo.ts).
 */
export interface AlertsStore {
  save(s: StoredAlert): void;
  saveStatus(fingerprint: string, status: AlertStatus): void;
  saveState(fingerprint: string, state: "firing" | "resolved"): void;
  delete(fingerprint: string): void;
  appendEvent(fingerprint: string, atMs: number, kind: AlertEventKind, detail?: Readonly<Record<string, unknown>>): void;
  /** A unit that wrote series is being rolled back (see AlertsRepo). */
  forgetUncommittedSeries(): void;
  loadAll(): StoredAlert[];
  /** Retention: history older than `beforeMs` and unreferenced label sets; `pruned` learns how many events went, once known. */
  pruneHistory(beforeMs: number, pruned?: (events: number) => void): void;
}

/** A stored alert's column values (its series is referenced apart: by id on SQLite, by fingerprint on PostgreSQL). */
export function alertValues(s: StoredAlert): {
  annotations: string; starts_at: string; ends_at: string; updated_at: string; ends_at_ms: number; generator_url: string;
  timeout: boolean; state: "firing" | "resolved"; silenced_by: string; inhibited_by: string; sources: string;
} {
  const a = s.alert;
  return {
    annotations: JSON.stringify(a.annotations),
    starts_at: formatRfc3339Nano(a.startsAt),
    ends_at: formatRfc3339Nano(a.endsAt),
    updated_at: formatRfc3339Nano(a.updatedAt),
    ends_at_ms: a.endsAt.ms,
    generator_url: a.generatorURL,
    timeout: a.timeout,
    state: s.state,
    silenced_by: JSON.stringify(s.status.silencedBy),
    inhibited_by: JSON.stringify(s.status.inhibitedBy),
    sources: s.sources && s.sources.length > 0 ? JSON.stringify(s.sources) : "[]",
  };
}

/**
 * Stored rows → alerts. Alerts of one batch share their times and a rule's alerts their annotations: one
 * (immutable) object for each distinct stored text, as ingest shares them, rather than one per alert.
 */
export function toStoredAlerts(rows: readonly AlertRow[]): StoredAlert[] {
  const annotationSets = new Map<string, LabelSet>();
  const annotations = (json: string): LabelSet => {
    let set = annotationSets.get(json);
    if (set === undefined) annotationSets.set(json, (set = Object.freeze(JSON.parse(json) as LabelSet)));
    return set;
  };
  const times = new Map<string, Timestamp>();
  const time = (text: string): Timestamp => {
    let t = times.get(text);
    if (t === undefined) times.set(text, (t = parseApiTime(text)));
    return t;
  };
  return rows.map((r) => {
    const sources = r.sources === "[]" ? undefined : (JSON.parse(r.sources) as LabelSet[]);
    return {
      alert: {
        fingerprint: r.fingerprint,
        labels: JSON.parse(r.labels) as LabelSet,
        annotations: annotations(r.annotations),
        startsAt: time(r.starts_at),
        endsAt: time(r.ends_at),
        updatedAt: time(r.updated_at),
        generatorURL: r.generator_url,
        timeout: r.timeout === 1 || r.timeout === true,
      },
      state: r.state,
      status: alertStatus(JSON.parse(r.silenced_by) as string[], JSON.parse(r.inhibited_by) as string[]),
      ...(sources ? { sources } : {}),
    };
  });
}

/** The live alert set and its history on SQLite. */
export class AlertsRepo implements AlertsStore {
  /** fingerprint → series id, for every series in the database; labels never change for a fingerprint. */
  private readonly seriesIds = new Map<string, number>();
  private seriesIdsStale = false;
  private readonly insertSeries: Statement;
  private readonly insertSeriesLabels: Statement;
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly setStatus: Statement;
  private readonly setState: Statement;
  private readonly insertEvent: Statement;

  constructor(private readonly db: Database) {
    this.insertSeries = db.prepare("INSERT INTO series (fingerprint, labels) VALUES (?, ?)");
    // All of a label set's rows in one statement, from the JSON the series row stores.
    this.insertSeriesLabels = db.prepare("INSERT INTO series_labels (name, value, series_id) SELECT key, value, ? FROM json_each(?)");
    this.upsert = db.prepare(`
      INSERT INTO alerts (series_id, annotations, starts_at, ends_at, updated_at, ends_at_ms, generator_url, timeout, state, silenced_by, inhibited_by, sources)
      VALUES (@series_id, @annotations, @starts_at, @ends_at, @updated_at, @ends_at_ms, @generator_url, @timeout, @state, @silenced_by, @inhibited_by, @sources)
      ON CONFLICT (series_id) DO UPDATE SET annotations = excluded.annotations, starts_at = excluded.starts_at,
        ends_at = excluded.ends_at, updated_at = excluded.updated_at, ends_at_ms = excluded.ends_at_ms,
        generator_url = excluded.generator_url, timeout = excluded.timeout, state = excluded.state,
        silenced_by = excluded.silenced_by, inhibited_by = excluded.inhibited_by, sources = excluded.sources`);
    this.remove = db.prepare("DELETE FROM alerts WHERE series_id = ?");
    this.setStatus = db.prepare("UPDATE alerts SET silenced_by = ?, inhibited_by = ? WHERE series_id = ?");
    this.setState = db.prepare("UPDATE alerts SET state = ? WHERE series_id = ?");
    this.insertEvent = db.prepare("INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (?, ?, ?, ?)");
    this.loadSeriesIds();
  }

  private loadSeriesIds(): void {
    this.seriesIdsStale = false;
    this.seriesIds.clear();
    for (const r of this.db.prepare("SELECT id, fingerprint FROM series").iterate() as IterableIterator<{ id: number; fingerprint: string }>) {
      this.seriesIds.set(r.fingerprint, r.id);
    }
  }

  /** Records the label set of an alert once and returns its series id. */
  ensureSeries(alert: Alert): number {
    if (this.seriesIdsStale) this.loadSeriesIds();
    const known = this.seriesIds.get(alert.fingerprint);
    if (known !== undefined) return known;
    const labels = JSON.stringify(alert.labels);
    const id = Number(this.insertSeries.run(alert.fingerprint, labels).lastInsertRowid);
    this.insertSeriesLabels.run(id, labels);
    this.seriesIds.set(alert.fingerprint, id);
    return id;
  }

  /**
   * A unit that wrote series is being rolled back: the id map is re-read on next use, by which time
   * the rollback has happened.
   */
  forgetUncommittedSeries(): void {
    this.seriesIdsStale = true;
  }

  private idOf(fingerprint: string): number {
    if (this.seriesIdsStale) this.loadSeriesIds();
    const id = this.seriesIds.get(fingerprint);
    if (id === undefined) throw new Error(`no series for fingerprint ${fingerprint}`);
    return id;
  }

  save(s: StoredAlert): void {
    const v = alertValues(s);
    this.upsert.run({ ...v, series_id: this.ensureSeries(s.alert), timeout: v.timeout ? 1 : 0 });
  }

  saveStatus(fingerprint: string, status: AlertStatus): void {
    this.setStatus.run(JSON.stringify(status.silencedBy), JSON.stringify(status.inhibitedBy), this.idOf(fingerprint));
  }

  saveState(fingerprint: string, state: "firing" | "resolved"): void {
    this.setState.run(state, this.idOf(fingerprint));
  }

  delete(fingerprint: string): void {
    this.remove.run(this.idOf(fingerprint));
  }

  appendEvent(fingerprint: string, atMs: number, kind: AlertEventKind, detail: Readonly<Record<string, unknown>> = {}): void {
    this.insertEvent.run(this.idOf(fingerprint), atMs, kind, JSON.stringify(detail));
  }

  loadAll(): StoredAlert[] {
    return toStoredAlerts(this.db.prepare("SELECT a.*, s.fingerprint, s.labels FROM alerts a JOIN series s ON s.id = a.series_id").all() as AlertRow[]);
  }

  /** History, newest first, optionally narrowed by fingerprint, time range, kind and exact label pairs. */
  events(q: { fingerprint?: string; fromMs?: number; toMs?: number; kinds?: readonly string[]; labels?: LabelSet; limit: number }): AlertEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.fingerprint) { where.push("s.fingerprint = ?"); args.push(q.fingerprint); }
    if (q.fromMs !== undefined) { where.push("e.at_ms >= ?"); args.push(q.fromMs); }
    if (q.toMs !== undefined) { where.push("e.at_ms <= ?"); args.push(q.toMs); }
    if (q.kinds?.length) { where.push(`e.kind IN (${q.kinds.map(() => "?").join(",")})`); args.push(...q.kinds); }
    for (const [name, value] of Object.entries(q.labels ?? {})) {
      where.push("e.series_id IN (SELECT series_id FROM series_labels WHERE name = ? AND value = ?)");
      args.push(name, value);
    }
    const sql = `SELECT e.id, s.fingerprint, e.at_ms, e.kind, e.detail, s.labels FROM alert_events e
      JOIN series s ON s.id = e.series_id ${where.length ? "WHERE " + where.join(" AND ") : ""}
      ORDER BY e.at_ms DESC, e.id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as Array<{ id: number; fingerprint: string; at_ms: number; kind: AlertEventKind; detail: string; labels: string }>;
    return rows.map((r) => ({
      id: r.id, fingerprint: r.fingerprint, atMs: r.at_ms, kind: r.kind,
      detail: JSON.parse(r.detail) as Record<string, unknown>, labels: JSON.parse(r.labels) as LabelSet,
    }));
  }

  /** Retention: drops history older than `beforeMs` and label sets nothing refers to any more. */
  pruneHistory(beforeMs: number, pruned?: (events: number) => void): number {
    const n = this.db.prepare("DELETE FROM alert_events WHERE at_ms < ?").run(beforeMs).changes;
    pruned?.(n);
    this.db.prepare(`DELETE FROM series WHERE id NOT IN (SELECT series_id FROM alerts)
      AND id NOT IN (SELECT series_id FROM alert_events)`).run();
    this.loadSeriesIds();
    return n;
  }
}
