import { StorageError } from "../../lib/errors.ts";
import { safeErrorMessage } from "./safe-error.ts";
import { rows, type Queryable } from "./types.ts";

/** Ids reserved per table at a time; a refill starts once fewer than half are left. */
const BLOCK = 64;

/**
 * Ids for rows whose id a unit must know while it runs (an ack's id is in the API's answer), reserved ahead
 * from the table's identity sequence: a recorded statement cannot wait for `RETURNING id`. Ids are unique
 * across replicas (the sequence hands each value out once) but not in commit order, and a reservation not
 * used before a restart leaves a gap — the ids order nothing, times do.
 */
export class IdReserve {
  private readonly free: number[] = [];
  private refilling: Promise<void> | undefined;

  private constructor(
    private readonly db: Queryable,
    private readonly table: string,
  ) {}

  static async open(db: Queryable, table: string): Promise<IdReserve> {
    const reserve = new IdReserve(db, table);
    await reserve.refill();
    return reserve;
  }

  /** The next reserved id; throws a StorageError (the unit fails, nothing written) when none is left. */
  next(): number {
    const id = this.free.shift();
    if (this.free.length < BLOCK / 2) void this.refill().catch(() => undefined);
    if (id === undefined) throw new StorageError(`no ${this.table} id is reserved right now (PostgreSQL is slow or unreachable); retry`);
    return id;
  }

  private refill(): Promise<void> {
    this.refilling ??= (async () => {
      try {
        const got = await rows<{ id: number }>(this.db, "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)", [this.table, BLOCK]);
        this.free.push(...got.map((r) => r.id).sort((a, b) => a - b));
      } catch (err) {
        throw new StorageError(`reserving ${this.table} ids failed: ${safeErrorMessage(err)}`);
      } finally {
        this.refilling = undefined;
      }
    })();
    return this.refilling;
  }
}
