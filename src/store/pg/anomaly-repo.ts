import type { StoredRule } from "../../anomaly/rules/store.ts";
import { toStoredRule, type AnomalyRuleRow, type AnomalySeriesRow, type AnomalyStore } from "../anomaly-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";

/**
 * AnomalyStore on PostgreSQL: the saved rules are read by `open` and kept in a map that follows the
 * committed writes, so `load` (synchronous, when a rule starts) answers from it. A save replaces the
 * rule's rows whole, as on SQLite.
 */
export class PgAnomalyRepo implements AnomalyStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly rules: Map<string, StoredRule>,
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgAnomalyRepo> {
    const ruleRows = await rows<AnomalyRuleRow>(db, "SELECT name, state_key, last_eval_ms, saved_ms FROM anomaly_rules");
    const seriesRows = await rows<AnomalySeriesRow & { rule: string }>(db, "SELECT rule, fingerprint, labels, state, model FROM anomaly_series");
    const rules = new Map(ruleRows.map((r) => [r.name, toStoredRule(r, seriesRows.filter((s) => s.rule === r.name))]));
    return new PgAnomalyRepo(queue, rules);
  }

  load(name: string): StoredRule | undefined {
    return this.rules.get(name);
  }

  save(rule: StoredRule): void {
    this.queue.record(
      `INSERT INTO anomaly_rules (name, state_key, last_eval_ms, saved_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET state_key = excluded.state_key, last_eval_ms = excluded.last_eval_ms, saved_ms = excluded.saved_ms`,
      [rule.name, rule.stateKey, rule.lastEvalMs, rule.savedAtMs],
      () => this.rules.set(rule.name, rule),
    );
    this.queue.record("DELETE FROM anomaly_series WHERE rule = $1", [rule.name]);
    for (const s of rule.series) {
      this.queue.record("INSERT INTO anomaly_series (rule, fingerprint, labels, state, model) VALUES ($1, $2, $3, $4, $5)", [
        rule.name, s.fp, JSON.stringify(s.labels), JSON.stringify(s.state), s.model ?? null,
      ]);
    }
  }

  retain(keep: readonly string[]): void {
    // The series go with their rule (ON DELETE CASCADE).
    this.queue.record("DELETE FROM anomaly_rules WHERE NOT (name = ANY($1::text[]))", [keep], () => {
      const wanted = new Set(keep);
      for (const name of [...this.rules.keys()]) if (!wanted.has(name)) this.rules.delete(name);
    });
  }
}
