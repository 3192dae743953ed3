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

/** A connection taken from a pool; give it back with `release` (true: it failed, close it). */
export interface Checkout {
  readonly client: pg.PoolClient;
  release(broken?: boolean): void;
}

/**
 * Takes a connection from the pool for several queries. While taken, the pool does not listen for its
 * errors, and a connection that dies (a server restart, a dropped route) emits one: without a listener
 * that would end the process. The failure reaches the caller through the query under way (or the next).
 */
export async function checkout(pool: pg.Pool): Promise<Checkout> {
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on("error", ignore);
  return {
    client,
    release: (broken = false) => {
      client.off("error", ignore);
      client.release(broken);
    },
  };
}

/** `($1, …, $w), ($w+1, …)`: `rows` tuples of `width` placeholders, for a multi-row VALUES list. */
export function placeholderTuples(rows: number, width: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(`(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(", ")})`);
  return out.join(", ");
}
