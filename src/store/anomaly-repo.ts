import type { Database, Statement } from "better-sqlite3";
import type { StoredRule, StoredSeries } from "../anomaly/rules/store.ts";
import type { LabelSet } from "../types/labels.ts";

export interface AnomalySeriesRow {
  fingerprint: string;
  labels: string;
  state: string;
  model: Buffer | null;
}

export type AnomalyRuleRow = { name: string; state_key: string; last_eval_ms: number; saved_ms: number };

export function toStoredRule(r: AnomalyRuleRow, series: readonly AnomalySeriesRow[]): StoredRule {
  return {
    name: r.name, stateKey: r.state_key, lastEvalMs: r.last_eval_ms, savedAtMs: r.saved_ms,
    series: series.map((s): StoredSeries => ({
      fp: s.fingerprint,
      labels: JSON.parse(s.labels) as LabelSet,
      state: JSON.parse(s.state) as unknown,
      ...(s.model ? { model: s.model } : {}),
    })),
  };
}

/** Where anomaly rule state is saved: writes inside a WriteQueue unit (SQLite: AnomalyRepo; PostgreSQL: pg/anomaly-repo.ts). */
export interface AnomalyStore {
  load(name: string): StoredRule | undefined;
  save(rule: StoredRule): void;
  /** Deletes the state of rules not named in `keep`. */
  retain(keep: readonly string[]): void;
}

/**
 * The saved state of anomaly rules and predictions. A save replaces the rule's rows whole (the state of
 * all its series is one consistent point in time); runs inside the caller's transaction.
 */
export class AnomalyRepo implements AnomalyStore {
  private readonly getRule: Statement;
  private readonly getSeries: Statement;
  private readonly upsertRule: Statement;
  private readonly clearSeries: Statement;
  private readonly insertSeries: Statement;
  private readonly names: Statement;
  private readonly deleteRule: Statement;

  constructor(db: Database) {
    this.getRule = db.prepare("SELECT name, state_key, last_eval_ms, saved_ms FROM anomaly_rules WHERE name = ?");
    this.getSeries = db.prepare("SELECT fingerprint, labels, state, model FROM anomaly_series WHERE rule = ?");
    this.upsertRule = db.prepare(`INSERT INTO anomaly_rules (name, state_key, last_eval_ms, saved_ms) VALUES (@name, @stateKey, @lastEvalMs, @savedAtMs)
      ON CONFLICT (name) DO UPDATE SET state_key = excluded.state_key, last_eval_ms = excluded.last_eval_ms, saved_ms = excluded.saved_ms`);
    this.clearSeries = db.prepare("DELETE FROM anomaly_series WHERE rule = ?");
    this.insertSeries = db.prepare("INSERT INTO anomaly_series (rule, fingerprint, labels, state, model) VALUES (?, ?, ?, ?, ?)");
    this.names = db.prepare("SELECT name FROM anomaly_rules").pluck();
    this.deleteRule = db.prepare("DELETE FROM anomaly_rules WHERE name = ?");
  }

  load(name: string): StoredRule | undefined {
    const r = this.getRule.get(name) as AnomalyRuleRow | undefined;
    return r && toStoredRule(r, this.getSeries.all(name) as AnomalySeriesRow[]);
  }

  save(rule: StoredRule): void {
    this.upsertRule.run({ name: rule.name, stateKey: rule.stateKey, lastEvalMs: rule.lastEvalMs, savedAtMs: rule.savedAtMs });
    this.clearSeries.run(rule.name);
    for (const s of rule.series) this.insertSeries.run(rule.name, s.fp, JSON.stringify(s.labels), JSON.stringify(s.state), s.model ?? null);
  }

  /** Deletes the state of rules not named in `keep`. */
  retain(keep: readonly string[]): number {
    const wanted = new Set(keep);
    let n = 0;
    for (const name of this.names.all() as string[]) if (!wanted.has(name)) n += this.deleteRule.run(name).changes;
    return n;
  }
}
