import {
  toStormAlert, toTransition,
  type DecisionRecord, type NoiseStore, type StormAlertRow, type StormAlertSqlRow, type StormRow, type TransitionRow, type TransitionSqlRow,
} from "../noise-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";

type FlapState = { fingerprint: string; state: unknown; updatedMs: number };

/**
 * NoiseStore on PostgreSQL. Flap states and the storms going on are read by `open` and then follow the
 * committed writes, so noise control finds them as it left them when a reload switches a feature back on;
 * the history it replays is read when asked.
 */
export class PgNoiseRepo implements NoiseStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly db: Queryable,
    private readonly flaps: Map<string, FlapState>,
    /** Storms not ended, by id, with the alerts each covered by fingerprint. */
    private readonly storms: Map<string, { storm: StormRow; alerts: Map<string, StormAlertRow> }>,
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgNoiseRepo> {
    const flaps = (await rows<{ fingerprint: string; state: string; updated_ms: number }>(db, "SELECT fingerprint, state, updated_ms FROM flap_states"))
      .map((r): FlapState => ({ fingerprint: r.fingerprint, state: JSON.parse(r.state) as unknown, updatedMs: r.updated_ms }));
    const storms = await rows<{ id: string; receiver: string; started_ms: number }>(db, "SELECT id, receiver, started_ms FROM storms WHERE ended_ms IS NULL ORDER BY id COLLATE \"C\"");
    const covered = await rows<StormAlertSqlRow & { storm_id: string }>(
      db,
      "SELECT a.storm_id, a.fingerprint, a.labels, a.groups, a.first_ms, a.last_ms FROM storm_alerts a JOIN storms s ON s.id = a.storm_id WHERE s.ended_ms IS NULL ORDER BY a.fingerprint COLLATE \"C\"",
    );
    const active = new Map(storms.map((s) => [s.id, {
      storm: { id: s.id, receiver: s.receiver, startedMs: s.started_ms, endedMs: undefined } as StormRow,
      alerts: new Map(covered.filter((a) => a.storm_id === s.id).map((a) => [a.fingerprint, toStormAlert(s.id, a)])),
    }]));
    return new PgNoiseRepo(queue, db, new Map(flaps.map((f) => [f.fingerprint, f])), active);
  }

  loadFlapStates(): FlapState[] {
    return [...this.flaps.values()];
  }

  saveFlapState(fingerprint: string, state: unknown, updatedMs: number): void {
    this.queue.record(
      `INSERT INTO flap_states (fingerprint, state, updated_ms) VALUES ($1, $2, $3)
       ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms`,
      [fingerprint, JSON.stringify(state), updatedMs],
      () => this.flaps.set(fingerprint, { fingerprint, state, updatedMs }),
    );
  }

  deleteFlapState(fingerprint: string): void {
    this.queue.record("DELETE FROM flap_states WHERE fingerprint = $1", [fingerprint], () => this.flaps.delete(fingerprint));
  }

  async transitionsSince(afterMs: number): Promise<TransitionRow[]> {
    const found = await rows<TransitionSqlRow>(
      this.db,
      `SELECT s.fingerprint, s.labels, e.kind, e.at_ms FROM alert_events e JOIN series s ON s.id = e.series_id
       WHERE e.at_ms > $1 AND e.kind IN ('new', 'resolved') ORDER BY e.at_ms, e.id`,
      [afterMs],
    );
    return found.map(toTransition);
  }

  saveStorm(s: StormRow): void {
    this.queue.record(
      "INSERT INTO storms (id, receiver, started_ms, ended_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET ended_ms = excluded.ended_ms",
      [s.id, s.receiver, s.startedMs, s.endedMs ?? null],
      () => {
        if (s.endedMs !== undefined) this.storms.delete(s.id);
        else if (!this.storms.has(s.id)) this.storms.set(s.id, { storm: s, alerts: new Map() });
      },
    );
  }

  loadActiveStorms(): Array<{ storm: StormRow; alerts: StormAlertRow[] }> {
    return [...this.storms.values()].map(({ storm, alerts }) => ({ storm, alerts: [...alerts.values()] }));
  }

  saveStormAlert(a: StormAlertRow): void {
    this.queue.record(
      `INSERT INTO storm_alerts (storm_id, fingerprint, labels, groups, first_ms, last_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (storm_id, fingerprint) DO UPDATE SET groups = excluded.groups, first_ms = excluded.first_ms, last_ms = excluded.last_ms`,
      [a.stormId, a.fingerprint, JSON.stringify(a.labels), JSON.stringify(a.groups), a.firstMs, a.lastMs],
      () => this.storms.get(a.stormId)?.alerts.set(a.fingerprint, a),
    );
  }

  recordDecisions(decisions: readonly DecisionRecord[]): void {
    for (const d of decisions) {
      this.queue.record(
        "INSERT INTO notify_decisions (at_ms, group_key, receiver, integration, fingerprint, stage, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [d.atMs, d.groupKey, d.receiver, d.integration, d.fingerprint, d.stage, d.outcome, JSON.stringify(d.detail)],
      );
    }
  }

  prune(beforeMs: number): void {
    this.queue.record("DELETE FROM notify_decisions WHERE at_ms < $1", [beforeMs]);
    this.queue.record("DELETE FROM storms WHERE ended_ms IS NOT NULL AND ended_ms < $1", [beforeMs]);
  }
}
