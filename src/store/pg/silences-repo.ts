import type { Silence } from "../../types/silence.ts";
import { silenceValues, toSilence, type SilenceRow, type SilencesStore } from "../silences-repo.ts";
import type { PgCommitQueue } from "./commit-queue.ts";
import { rows, type Queryable } from "./types.ts";
import { TOPICS } from "./change-feed.ts";

const UPSERT = `INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, ends_at_ms, created_by, comment)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
    updated_at = excluded.updated_at, ends_at_ms = excluded.ends_at_ms, created_by = excluded.created_by, comment = excluded.comment`;

/**
 * SilencesStore on PostgreSQL: writes are recorded into the current unit of the PgCommitQueue (sent when the
 * group commits); `loadAll` answers with the silences read by `open`, at startup before any write.
 */
export class PgSilencesRepo implements SilencesStore {
  private constructor(
    private readonly queue: PgCommitQueue,
    private readonly loaded: Silence[],
  ) {}

  static async open(queue: PgCommitQueue, db: Queryable): Promise<PgSilencesRepo> {
    return new PgSilencesRepo(queue, (await rows<SilenceRow>(db, "SELECT * FROM silences")).map(toSilence));
  }

  save(s: Silence): void {
    const v = silenceValues(s);
    this.queue.announce(TOPICS.silences, s.id);
    this.queue.record(UPSERT, [v.id, v.matchers, v.starts_at, v.ends_at, v.updated_at, v.ends_at_ms, v.created_by, v.comment]);
  }

  delete(id: string): void {
    this.queue.announce(TOPICS.silences, id);
    this.queue.record("DELETE FROM silences WHERE id = $1", [id]);
  }

  loadAll(): Silence[] {
    return this.loaded;
  }
}
