import type { LabelSet } from "../../types/labels.ts";
import { toExplainAck, type AckRow, type ExplainAckSqlRow, type ExplainReads, type LifecycleEvent } from "../explain-repo.ts";
import { rows, type Queryable } from "./types.ts";

/** The explain endpoint's reads on PostgreSQL: the same answers as SQLite's ExplainRepo. */
export class PgExplainRepo implements ExplainReads {
  constructor(private readonly db: Queryable) {}

  async series(fingerprint: string): Promise<{ id: number; labels: LabelSet } | undefined> {
    const [r] = await rows<{ id: number; labels: string }>(this.db, "SELECT id, labels FROM series WHERE fingerprint = $1", [fingerprint]);
    return r === undefined ? undefined : { id: r.id, labels: JSON.parse(r.labels) as LabelSet };
  }

  async lastLifecycle(seriesId: number, atMs: number): Promise<LifecycleEvent | undefined> {
    const [r] = await rows<{ kind: "new" | "resolved"; at_ms: number }>(
      this.db,
      "SELECT kind, at_ms FROM alert_events WHERE series_id = $1 AND kind IN ('new', 'resolved') AND at_ms <= $2 ORDER BY at_ms DESC, id DESC LIMIT 1",
      [seriesId, atMs],
    );
    return r === undefined ? undefined : { kind: r.kind, atMs: r.at_ms };
  }

  async acks(fingerprint: string, fromMs: number): Promise<AckRow[]> {
    const found = await rows<ExplainAckSqlRow>(
      this.db,
      "SELECT id, episode_starts_ms, actor, comment, created_ms, expires_ms, ended_ms FROM acks WHERE fingerprint = $1 AND created_ms >= $2 ORDER BY created_ms, id",
      [fingerprint, fromMs],
    );
    return found.map(toExplainAck);
  }
}
