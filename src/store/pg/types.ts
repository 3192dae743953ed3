import pg from "pg";
import { StorageError } from "../../lib/errors.ts";

const INT8_OID = 20;

function safeInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new StorageError(`a bigint read from PostgreSQL (${text}) is beyond what a JavaScript number holds exactly`);
  return n;
}

/**
 * How query results are decoded: int8 (bigint ids and millisecond times, count(*)) as numbers, as SQLite
 * gives them — every such value AlertPrism stores fits in 2^53, and one that does not is an error, never
 * a silently rounded id. Everything else as pg decodes it.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === INT8_OID && format !== "binary" ? safeInt8 : pg.types.getTypeParser(oid, format))) as pg.CustomTypesConfig["getTypeParser"],
};

/** What the repositories query through: a pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** Runs `text` with `values`, decoding with PG_TYPES; returns the rows. */
export async function rows<R extends pg.QueryResultRow>(db: Queryable, text: string, values: readonly unknown[] = []): Promise<R[]> {
  return (await db.query<R>({ text, values: values as unknown[], types: PG_TYPES })).rows;
}
