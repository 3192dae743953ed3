import type { Database, Statement } from "better-sqlite3";
import type { LabelSet } from "../types/labels.ts";

/** A storm as stored. */
export interface StormRow {
  readonly id: string;
  readonly receiver: string;
  readonly startedMs: number;
  readonly endedMs: number | undefined;
}

/** One alert a storm covered. */
export interface StormAlertRow {
  readonly stormId: string;
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly groups: readonly string[];
  readonly firstMs: number;
  readonly lastMs: number;
}

/** A firing/resolved change of an alert, read back from history. */
export interface TransitionRow {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly to: "firing" | "resolved";
  readonly atMs: number;
}

/** A notification decision as stored (see migration 004). */
export interface DecisionRecord {
  readonly atMs: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly integration: string;
  readonly fingerprint: string;
  readonly stage: string;
  readonly outcome: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Where flap and storm state and notification decisions are kept: writes inside a WriteQueue unit; the
 * state read when noise control is configured (SQLite: NoiseRepo; PostgreSQL: pg/noise-repo.ts). The
 * history replayed then is read asynchronously: a reload may ask for it long after startup.
 */
export interface NoiseStore {
  loadFlapStates(): Array<{ fingerprint: string; state: unknown; updatedMs: number }>;
  saveFlapState(fingerprint: string, state: unknown, updatedMs: number): void;
  deleteFlapState(fingerprint: string): void;
  /** Firing/resolved changes recorded in history after `afterMs`, oldest first. */
  transitionsSince(afterMs: number): Promise<TransitionRow[]>;
  saveStorm(s: StormRow): void;
  loadActiveStorms(): Array<{ storm: StormRow; alerts: StormAlertRow[] }>;
  saveStormAlert(a: StormAlertRow): void;
  recordDecisions(rows: readonly DecisionRecord[]): void;
  /** Retention, with the alert history: decisions and ended storms older than `beforeMs`. */
  prune(beforeMs: number): void;
}

export type TransitionSqlRow = { fingerprint: string; labels: string; kind: string; at_ms: number };

export function toTransition(r: TransitionSqlRow): TransitionRow {
  return { fingerprint: r.fingerprint, labels: JSON.parse(r.labels) as LabelSet, to: r.kind === "new" ? "firing" : "resolved", atMs: r.at_ms };
}

export type StormAlertSqlRow = { fingerprint: string; labels: string; groups: string; first_ms: number; last_ms: number };

export function toStormAlert(stormId: string, a: StormAlertSqlRow): StormAlertRow {
  return { stormId, fingerprint: a.fingerprint, labels: JSON.parse(a.labels) as LabelSet, groups: JSON.parse(a.groups) as string[], firstMs: a.first_ms, lastMs: a.last_ms };
}

/** Flap and storm state, and notification decisions, on SQLite. */
export class NoiseRepo implements NoiseStore {
  private readonly upsertFlap: Statement;
  private readonly deleteFlap: Statement;
  private readonly upsertStorm: Statement;
  private readonly upsertStormAlert: Statement;
  private readonly insertDecision: Statement;

  constructor(private readonly db: Database) {
    this.upsertFlap = db.prepare(`INSERT INTO flap_states (fingerprint, state, updated_ms) VALUES (?, ?, ?)
      ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms`);
    this.deleteFlap = db.prepare("DELETE FROM flap_states WHERE fingerprint = ?");
    this.upsertStorm = db.prepare(`INSERT INTO storms (id, receiver, started_ms, ended_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET ended_ms = excluded.ended_ms`);
    this.upsertStormAlert = db.prepare(`INSERT INTO storm_alerts (storm_id, fingerprint, labels, groups, first_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (storm_id, fingerprint) DO UPDATE SET groups = excluded.groups, first_ms = excluded.first_ms, last_ms = excluded.last_ms`);
    this.insertDecision = db.prepare(`INSERT INTO notify_decisions (at_ms, group_key, receiver, integration, fingerprint, stage, outcome, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  loadFlapStates(): Array<{ fingerprint: string; state: unknown; updatedMs: number }> {
    const rows = this.db.prepare("SELECT fingerprint, state, updated_ms FROM flap_states").all() as Array<{ fingerprint: string; state: string; updated_ms: number }>;
    return rows.map((r) => ({ fingerprint: r.fingerprint, state: JSON.parse(r.state) as unknown, updatedMs: r.updated_ms }));
  }

  saveFlapState(fingerprint: string, state: unknown, updatedMs: number): void {
    this.upsertFlap.run(fingerprint, JSON.stringify(state), updatedMs);
  }

  deleteFlapState(fingerprint: string): void {
    this.deleteFlap.run(fingerprint);
  }

  async transitionsSince(afterMs: number): Promise<TransitionRow[]> {
    const rows = this.db.prepare(`SELECT s.fingerprint, s.labels, e.kind, e.at_ms FROM alert_events e JOIN series s ON s.id = e.series_id
      WHERE e.at_ms > ? AND e.kind IN ('new', 'resolved') ORDER BY e.at_ms, e.id`).all(afterMs) as TransitionSqlRow[];
    return rows.map(toTransition);
  }

  saveStorm(s: StormRow): void {
    this.upsertStorm.run(s.id, s.receiver, s.startedMs, s.endedMs ?? null);
  }

  loadActiveStorms(): Array<{ storm: StormRow; alerts: StormAlertRow[] }> {
    const storms = this.db.prepare("SELECT id, receiver, started_ms FROM storms WHERE ended_ms IS NULL").all() as Array<{ id: string; receiver: string; started_ms: number }>;
    const alertsOf = this.db.prepare("SELECT fingerprint, labels, groups, first_ms, last_ms FROM storm_alerts WHERE storm_id = ?");
    return storms.map((s) => ({
      storm: { id: s.id, receiver: s.receiver, startedMs: s.started_ms, endedMs: undefined },
      alerts: (alertsOf.all(s.id) as StormAlertSqlRow[]).map((a) => toStormAlert(s.id, a)),
    }));
  }

  saveStormAlert(a: StormAlertRow): void {
    this.upsertStormAlert.run(a.stormId, a.fingerprint, JSON.stringify(a.labels), JSON.stringify(a.groups), a.firstMs, a.lastMs);
  }

  recordDecisions(rows: readonly DecisionRecord[]): void {
    for (const d of rows) this.insertDecision.run(d.atMs, d.groupKey, d.receiver, d.integration, d.fingerprint, d.stage, d.outcome, JSON.stringify(d.detail));
  }

  prune(beforeMs: number): number {
    const n = this.db.prepare("DELETE FROM notify_decisions WHERE at_ms < ?").run(beforeMs).changes;
    this.db.prepare("DELETE FROM storms WHERE ended_ms IS NOT NULL AND ended_ms < ?").run(beforeMs);
    return n;
  }
}
