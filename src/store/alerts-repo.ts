import type { Database, Statement } from "better-sqlite3";
import type { Alert, AlertStatus, AlertEventKind } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import { parseApiTime, formatRfc3339Nano } from "../types/time.ts";

export interface StoredAlert {
  readonly alert: Alert;
  readonly state: "firing" | "resolved";
  readonly status: AlertStatus;
}

export interface AlertEvent {
  readonly id: number;
  readonly fingerprint: string;
  readonly atMs: number;
  readonly kind: AlertEventKind;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly labels: LabelSet;
}

interface AlertRow {
  fingerprint: string; labels: string; annotations: string; starts_at: string; ends_at: string;
  updated_at: string; generator_url: string; timeout: number; state: "firing" | "resolved";
  silenced_by: string; inhibited_by: string;
}

/** The live alert set and its history. Callers run these inside a CommitQueue unit. */
export class AlertsRepo {
  private readonly insertSeries: Statement;
  private readonly insertSeriesLabel: Statement;
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly setStatus: Statement;
  private readonly setState: Statement;
  private readonly insertEvent: Statement;

  constructor(private readonly db: Database) {
    this.insertSeries = db.prepare("INSERT OR IGNORE INTO series (fingerprint, labels) VALUES (?, ?)");
    this.insertSeriesLabel = db.prepare("INSERT OR IGNORE INTO series_labels (name, value, fingerprint) VALUES (?, ?, ?)");
    this.upsert = db.prepare(`
      INSERT INTO alerts (fingerprint, annotations, starts_at, ends_at, updated_at, ends_at_ms, generator_url, timeout, state, silenced_by, inhibited_by)
      VALUES (@fingerprint, @annotations, @starts_at, @ends_at, @updated_at, @ends_at_ms, @generator_url, @timeout, @state, @silenced_by, @inhibited_by)
      ON CONFLICT (fingerprint) DO UPDATE SET annotations = excluded.annotations, starts_at = excluded.starts_at,
        ends_at = excluded.ends_at, updated_at = excluded.updated_at, ends_at_ms = excluded.ends_at_ms,
        generator_url = excluded.generator_url, timeout = excluded.timeout, state = excluded.state,
        silenced_by = excluded.silenced_by, inhibited_by = excluded.inhibited_by`);
    this.remove = db.prepare("DELETE FROM alerts WHERE fingerprint = ?");
    this.setStatus = db.prepare("UPDATE alerts SET silenced_by = ?, inhibited_by = ? WHERE fingerprint = ?");
    this.setState = db.prepare("UPDATE alerts SET state = ? WHERE fingerprint = ?");
    this.insertEvent = db.prepare("INSERT INTO alert_events (fingerprint, at_ms, kind, detail) VALUES (?, ?, ?, ?)");
  }

  /** Records the label set of a fingerprint once; labels never change for a fingerprint. */
  ensureSeries(alert: Alert): void {
    const r = this.insertSeries.run(alert.fingerprint, JSON.stringify(alert.labels));
    if (r.changes === 0) return;
    for (const [name, value] of Object.entries(alert.labels)) this.insertSeriesLabel.run(name, value, alert.fingerprint);
  }

  save(s: StoredAlert): void {
    const a = s.alert;
    this.upsert.run({
      fingerprint: a.fingerprint,
      annotations: JSON.stringify(a.annotations),
      starts_at: formatRfc3339Nano(a.startsAt),
      ends_at: formatRfc3339Nano(a.endsAt),
      updated_at: formatRfc3339Nano(a.updatedAt),
      ends_at_ms: a.endsAt.ms,
      generator_url: a.generatorURL,
      timeout: a.timeout ? 1 : 0,
      state: s.state,
      silenced_by: JSON.stringify(s.status.silencedBy),
      inhibited_by: JSON.stringify(s.status.inhibitedBy),
    });
  }

  saveStatus(fingerprint: string, status: AlertStatus): void {
    this.setStatus.run(JSON.stringify(status.silencedBy), JSON.stringify(status.inhibitedBy), fingerprint);
  }

  saveState(fingerprint: string, state: "firing" | "resolved"): void {
    this.setState.run(state, fingerprint);
  }

  delete(fingerprint: string): void {
    this.remove.run(fingerprint);
  }

  appendEvent(fingerprint: string, atMs: number, kind: AlertEventKind, detail: Readonly<Record<string, unknown>> = {}): void {
    this.insertEvent.run(fingerprint, atMs, kind, JSON.stringify(detail));
  }

  loadAll(): StoredAlert[] {
    const rows = this.db.prepare(`
      SELECT a.*, s.labels FROM alerts a JOIN series s ON s.fingerprint = a.fingerprint`).all() as AlertRow[];
    return rows.map((r) => ({
      alert: {
        fingerprint: r.fingerprint,
        labels: JSON.parse(r.labels) as LabelSet,
        annotations: JSON.parse(r.annotations) as LabelSet,
        startsAt: parseApiTime(r.starts_at),
        endsAt: parseApiTime(r.ends_at),
        updatedAt: parseApiTime(r.updated_at),
        generatorURL: r.generator_url,
        timeout: r.timeout === 1,
      },
      state: r.state,
      status: { silencedBy: JSON.parse(r.silenced_by) as string[], inhibitedBy: JSON.parse(r.inhibited_by) as string[] },
    }));
  }

  /** History, newest first, optionally narrowed by fingerprint, time range, kind and exact label pairs. */
  events(q: { fingerprint?: string; fromMs?: number; toMs?: number; kinds?: readonly string[]; labels?: LabelSet; limit: number }): AlertEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.fingerprint) { where.push("e.fingerprint = ?"); args.push(q.fingerprint); }
    if (q.fromMs !== undefined) { where.push("e.at_ms >= ?"); args.push(q.fromMs); }
    if (q.toMs !== undefined) { where.push("e.at_ms <= ?"); args.push(q.toMs); }
    if (q.kinds?.length) { where.push(`e.kind IN (${q.kinds.map(() => "?").join(",")})`); args.push(...q.kinds); }
    for (const [name, value] of Object.entries(q.labels ?? {})) {
      where.push("e.fingerprint IN (SELECT fingerprint FROM series_labels WHERE name = ? AND value = ?)");
      args.push(name, value);
    }
    const sql = `SELECT e.id, e.fingerprint, e.at_ms, e.kind, e.detail, s.labels FROM alert_events e
      JOIN series s ON s.fingerprint = e.fingerprint ${where.length ? "WHERE " + where.join(" AND ") : ""}
      ORDER BY e.at_ms DESC, e.id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as Array<{ id: number; fingerprint: string; at_ms: number; kind: AlertEventKind; detail: string; labels: string }>;
    return rows.map((r) => ({
      id: r.id, fingerprint: r.fingerprint, atMs: r.at_ms, kind: r.kind,
      detail: JSON.parse(r.detail) as Record<string, unknown>, labels: JSON.parse(r.labels) as LabelSet,
    }));
  }

  /** Retention: drops history older than `beforeMs` and label sets nothing refers to any more. */
  pruneHistory(beforeMs: number): number {
    const n = this.db.prepare("DELETE FROM alert_events WHERE at_ms < ?").run(beforeMs).changes;
    this.db.prepare(`DELETE FROM series WHERE fingerprint NOT IN (SELECT fingerprint FROM alerts)
      AND fingerprint NOT IN (SELECT fingerprint FROM alert_events)`).run();
    return n;
  }
}
