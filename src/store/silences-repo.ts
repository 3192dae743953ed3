import type { Database, Statement } from "better-sqlite3";
import type { Silence, SilenceMatcher } from "../types/silence.ts";
import { parseApiTime, formatRfc3339Nano } from "../types/time.ts";

/**
 * Where the silence service keeps silences: writes inside a WriteQueue unit, and the whole set read once at
 * startup (SQLite: SilencesRepo; PostgreSQL: pg/silences-repo.ts).
 */
export interface SilencesStore {
  save(s: Silence): void;
  delete(id: string): void;
  loadAll(): Silence[];
}

export interface SilenceRow {
  id: string; matchers: string; starts_at: string; ends_at: string; updated_at: string; created_by: string; comment: string;
}

/** A silence as a row's named values (ends_at_ms as well: garbage collection and queries by time use it). */
export function silenceValues(s: Silence): SilenceRow & { ends_at_ms: number } {
  return {
    id: s.id,
    matchers: JSON.stringify(s.matchers),
    starts_at: formatRfc3339Nano(s.startsAt),
    ends_at: formatRfc3339Nano(s.endsAt),
    updated_at: formatRfc3339Nano(s.updatedAt),
    ends_at_ms: s.endsAt.ms,
    created_by: s.createdBy,
    comment: s.comment,
  };
}

export function toSilence(r: SilenceRow): Silence {
  return {
    id: r.id,
    matchers: JSON.parse(r.matchers) as SilenceMatcher[],
    startsAt: parseApiTime(r.starts_at),
    endsAt: parseApiTime(r.ends_at),
    updatedAt: parseApiTime(r.updated_at),
    createdBy: r.created_by,
    comment: r.comment,
  };
}

export class SilencesRepo implements SilencesStore {
  private readonly upsert: Statement;
  private readonly remove: Statement;

  constructor(private readonly db: Database) {
    this.upsert = db.prepare(`
      INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, ends_at_ms, created_by, comment)
      VALUES (@id, @matchers, @starts_at, @ends_at, @updated_at, @ends_at_ms, @created_by, @comment)
      ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at,
        ends_at = excluded.ends_at, updated_at = excluded.updated_at, ends_at_ms = excluded.ends_at_ms,
        created_by = excluded.created_by, comment = excluded.comment`);
    this.remove = db.prepare("DELETE FROM silences WHERE id = ?");
  }

  save(s: Silence): void {
    this.upsert.run(silenceValues(s));
  }

  delete(id: string): void {
    this.remove.run(id);
  }

  loadAll(): Silence[] {
    return (this.db.prepare("SELECT * FROM silences").all() as SilenceRow[]).map(toSilence);
  }
}
