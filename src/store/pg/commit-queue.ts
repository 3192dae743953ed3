import type pg from "pg";
import { StorageError } from "../../lib/errors.ts";
import type { WriteOptions, WriteQueue } from "../write-queue.ts";
import { safeErrorMessage } from "./safe-error.ts";
import { PG_TYPES, checkout, type Checkout } from "./types.ts";
import { inlineStatement } from "./inline-sql.ts";
import { MAX_PAYLOAD_BYTES } from "./change-feed.ts";

/** One SQL statement a unit recorded, sent after the unit returned. */
export interface RecordedStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Runs once the group holding the statement committed, with its result (a repository's cache follows the database). */
  readonly committed?: ((result: pg.QueryResult) => void) | undefined;
  /** Runs if the statement's unit is undone: reverts what the repository assumed when recording it. */
  readonly undone?: (() => void) | undefined;
  /** Rows it writes, for a multi-row statement (what bounds a group is the work, not the statement count). */
  readonly rows?: number;
}

/**
 * Rows a repository holds back while a unit runs, to write them as one multi-row statement: PostgreSQL
 * plans and runs each statement apart, and one-row statements made a 64-alert request ~250 of them.
 */
export interface HeldRows {
  /** Records the held rows now (called before any other statement of the unit, and when the unit's work returns). */
  flush(): void;
  /** The unit's work failed: forget the held rows. */
  discard(): void;
}

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly onRollback: (() => void) | undefined;
}

/** A unit ready to send: its statements with their values written in. */
type Unit = Extract<Ran, { ok: true }> & { readonly sql: readonly string[] };

/** What a unit changed, by change-feed topic: the keys (fingerprints, ids) other replicas re-read. */
type Announced = Map<string, Set<string>>;

/** A unit after its work ran: its result and its statements, or why the work itself failed. */
type Ran =
  | { readonly p: Pending; readonly ok: true; readonly value: unknown; readonly statements: readonly RecordedStatement[]; readonly announced: Announced }
  | { readonly p: Pending; readonly ok: false; readonly error: unknown };

/** The change feed's payload: who wrote (so a replica skips its own writes) and what changed. */
export interface ChangeNotice {
  readonly from: string;
  readonly keys: readonly string[];
}

/** Told about every group, like the SQLite queue's observer. */
export interface PgCommitObserver {
  committed(units: number): void;
  failed(error: StorageError, units: number): void;
}

/**
 * Group commit on PostgreSQL, with the SQLite CommitQueue's contract (WriteQueue): units submitted in the
 * same event-loop turn form one group; each unit's `work` runs synchronously, in submission order, and the
 * repositories' write methods RECORD their statements (`record`) instead of running them — a unit cannot
 * wait for the network. Then the group goes to PostgreSQL in one transaction on one connection, each unit
 * in its own savepoint: a unit whose statements fail is rolled back alone (its onRollback undoes its memory
 * effects, its promise rejects), the others commit. If BEGIN or COMMIT fails (connection lost, server
 * gone), every unit is undone and rejected. Groups run one after another, so memory and the database
 * change in the same order.
 */
export class PgCommitQueue implements WriteQueue {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  /** The statements of the unit whose work is running (undefined between units: recording then is a bug). */
  private recording: RecordedStatement[] | undefined;
  private announcing: Announced | undefined;
  /** Repositories holding rows back in the running unit, in the order they started to. */
  private held: HeldRows[] = [];
  /** The group being sent, while it is. */
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly observer?: PgCommitObserver,
    /** This replica's id: set, the keys units announce are published on the change feed with each commit. */
    private readonly origin?: string,
  ) {}

  submit<T>(work: () => T, onRollback?: () => void, _opts?: WriteOptions): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError("storage is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject, onRollback });
      this.schedule();
    });
  }

  /**
   * Called by the PostgreSQL repositories' write methods, inside a unit's work. `committed` runs after the
   * statement's group committed, never if its unit was undone; `undone` runs if it was (before the unit's
   * own onRollback), newest statement first.
   */
  record(text: string, values: readonly unknown[], committed?: (result: pg.QueryResult) => void, undone?: () => void): void {
    this.recordRows(1, text, values, committed, undone);
  }

  /** `record` for a statement that writes `rows` rows (a multi-row INSERT): counted as that many towards the group's size. */
  recordRows(rows: number, text: string, values: readonly unknown[], committed?: (result: pg.QueryResult) => void, undone?: () => void): void {
    if (!this.recording) throw new Error("a PostgreSQL write outside a unit of work: submit it through the commit queue");
    // Rows held back were written before this statement: they go first, so the unit's order is kept.
    this.flushHeld();
    this.recording.push({ text, values, committed, undone, rows });
  }

  /**
   * Called by a repository's write method inside a unit's work when it holds rows back instead of recording
   * them (see HeldRows): they are recorded before the unit's next statement, or when its work returns.
   */
  hold(rows: HeldRows): void {
    if (!this.recording) throw new Error("a PostgreSQL write outside a unit of work: submit it through the commit queue");
    if (!this.held.includes(rows)) this.held.push(rows);
  }

  private flushHeld(): void {
    while (this.held.length > 0) this.held.shift()!.flush();
  }

  /**
   * Called by the repositories' write methods, inside a unit's work: `key` on `topic` changed. The other
   * replicas hear of it when the group commits (NOTIFY is transactional), never if the unit is undone.
   */
  announce(topic: string, key: string): void {
    if (this.origin === undefined) return;
    if (!this.announcing) throw new Error("a PostgreSQL write outside a unit of work: submit it through the commit queue");
    let keys = this.announcing.get(topic);
    if (!keys) this.announcing.set(topic, (keys = new Set()));
    keys.add(key);
  }

  /** Resolves once everything submitted so far is committed or rejected. */
  async drain(): Promise<void> {
    while (this.inFlight || this.queue.length > 0 || this.scheduled) {
      if (this.inFlight) await this.inFlight;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Sends what is queued and refuses new work. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // While a group is in flight the next one waits and takes everything that arrived meanwhile.
    const start = () => setImmediate(() => {
      this.scheduled = false;
      this.startGroup();
    });
    if (this.inFlight) void this.inFlight.then(start);
    else start();
  }

  private startGroup(): void {
    if (this.queue.length === 0) return;
    // Units run (and record) in submission order until the group is big enough; the rest wait for the
    // next group, so that a backlog never becomes one transaction the query timeout would fail whole.
    const ran: Ran[] = [];
    let statements = 0;
    while (this.queue.length > 0 && statements < MAX_GROUP_STATEMENTS) {
      const r = this.runWork(this.queue.shift()!);
      if (r.ok) for (const st of r.statements) statements += st.rows ?? 1;
      ran.push(r);
    }
    const group = this.send(ran).finally(() => {
      if (this.inFlight === group) this.inFlight = undefined;
    });
    this.inFlight = group;
    if (this.queue.length > 0) this.schedule();
  }

  private runWork(p: Pending): Ran {
    this.recording = [];
    this.announcing = new Map();
    try {
      const value = p.work();
      this.flushHeld();
      return { p, ok: true, value, statements: this.recording, announced: this.announcing };
    } catch (error) {
      for (const rows of this.held.splice(0)) rows.discard();
      return { p, ok: false, error };
    } finally {
      this.recording = undefined;
      this.announcing = undefined;
    }
  }

  private async send(ran: readonly Ran[]): Promise<void> {
    for (const r of ran) if (!r.ok) r.p.reject(r.error);
    const units: Unit[] = [];
    for (const r of ran) {
      if (!r.ok) continue;
      // A value that cannot be written refuses its unit alone, before anything is sent.
      try {
        units.push({ ...r, sql: r.statements.map((st) => inlineStatement(st.text, st.values)) });
      } catch (err) {
        this.undo([r], err);
      }
    }
    if (units.length === 0) return;
    let taken: Checkout;
    try {
      taken = await checkout(this.pool);
    } catch (err) {
      this.undo(units, err);
      return;
    }
    let broken = false;
    let outcome: { stored: Unit[]; results: Map<RecordedStatement, pg.QueryResult> };
    const failedAlone = new Set<Unit>();
    try {
      outcome = await this.commitGroup(taken.client, units, failedAlone);
    } catch (err) {
      broken = true;
      this.undo(units.filter((u) => !failedAlone.has(u)), err);
      return;
    } finally {
      // A connection whose transaction failed is closed rather than given to the next group.
      taken.release(broken);
    }
    const { stored, results } = outcome;
    for (const u of stored) for (const st of u.statements) if (st.committed) st.committed(results.get(st)!);
    for (const u of stored) u.p.resolve(u.value);
    if (stored.length > 0) this.observer?.committed(stored.length);
  }

  /**
   * The group in one round trip (BEGIN, each unit in its savepoint, the announcements, COMMIT); if the
   * database refuses something, again unit by unit, so that only the refused unit is undone. A group or unit
   * that lost a deadlock is sent again as it was.
   */
  private async commitGroup(client: pg.PoolClient, units: readonly Unit[], failedAlone: Set<Unit>): Promise<{ stored: Unit[]; results: Map<RecordedStatement, pg.QueryResult> }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.allAtOnce(client, units);
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        if (attempt < CONFLICT_ATTEMPTS && isConflict(err)) continue;
        if (units.length === 1 || !isRefusal(err)) throw err;
        break;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const stored: Unit[] = [];
      const results = new Map<RecordedStatement, pg.QueryResult>();
      try {
        await client.query("BEGIN");
        await this.unitByUnit(client, units, stored, results, failedAlone);
        await client.query(this.publishSql(stored).concat("COMMIT").join(";\n"));
        return { stored, results };
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        // Replicas writing the same rows in different orders deadlock: PostgreSQL aborts one of them,
        // and the same statements succeed when sent again (the units' work is not run again).
        if (attempt < CONFLICT_ATTEMPTS && isConflict(err)) continue;
        throw err;
      }
    }
  }

  /** Every unit and the announcements in one simple-protocol query, from BEGIN to COMMIT. */
  private async allAtOnce(client: pg.PoolClient, units: readonly Unit[]): Promise<{ stored: Unit[]; results: Map<RecordedStatement, pg.QueryResult> }> {
    const single = units.length === 1;
    const parts: string[] = ["BEGIN"];
    const slots: Array<RecordedStatement | undefined> = [undefined];
    for (const u of units) {
      if (!single) {
        parts.push("SAVEPOINT unit");
        slots.push(undefined);
      }
      u.statements.forEach((st, i) => {
        parts.push(u.sql[i]!);
        slots.push(st);
      });
      if (!single) {
        parts.push("RELEASE SAVEPOINT unit");
        slots.push(undefined);
      }
    }
    for (const sql of [...this.publishSql(units), "COMMIT"]) {
      parts.push(sql);
      slots.push(undefined);
    }
    const answer = await client.query({ text: parts.join(";\n"), types: PG_TYPES });
    const all = (Array.isArray(answer) ? answer : [answer]) as pg.QueryResult[];
    const results = new Map<RecordedStatement, pg.QueryResult>();
    slots.forEach((st, i) => {
      if (st?.committed) results.set(st, all[i]!);
    });
    return { stored: [...units], results };
  }

  /** Each unit in one round trip of its own, in its savepoint: a unit the database refuses is undone alone. */
  private async unitByUnit(
    client: pg.PoolClient,
    units: readonly Unit[],
    stored: Unit[],
    results: Map<RecordedStatement, pg.QueryResult>,
    failedAlone: Set<Unit>,
  ): Promise<void> {
    for (const u of units) {
      if (failedAlone.has(u)) continue;
      for (let attempt = 1; ; attempt++) {
        try {
          const answer = await client.query({ text: ["SAVEPOINT unit", ...u.sql, "RELEASE SAVEPOINT unit"].join(";\n"), types: PG_TYPES });
          const all = (Array.isArray(answer) ? answer : [answer]) as pg.QueryResult[];
          u.statements.forEach((st, i) => {
            if (st.committed) results.set(st, all[i + 1]!);
          });
          stored.push(u);
          break;
        } catch (err) {
          // The unit alone is undone (its locks released); the transaction goes on with the next.
          await client.query("ROLLBACK TO SAVEPOINT unit");
          if (attempt < CONFLICT_ATTEMPTS && isConflict(err)) continue;
          failedAlone.add(u);
          this.undo([u], err);
          break;
        }
      }
    }
  }

  /** The stored units' announcements, for their transaction: one NOTIFY per topic and payload-sized chunk. */
  private publishSql(stored: readonly Unit[]): string[] {
    if (this.origin === undefined) return [];
    const byTopic: Announced = new Map();
    for (const u of stored) {
      for (const [topic, keys] of u.announced) {
        let all = byTopic.get(topic);
        if (!all) byTopic.set(topic, (all = new Set()));
        for (const k of keys) all.add(k);
      }
    }
    const out: string[] = [];
    for (const [topic, keys] of byTopic) {
      for (const payload of noticePayloads(this.origin, [...keys])) out.push(inlineStatement("SELECT pg_notify($1, $2)", [topic, payload]));
    }
    return out;
  }

  /** Nothing of these units is stored: undo their memory effects (newest first) and reject them. */
  private undo(units: ReadonlyArray<Extract<Ran, { ok: true }>>, cause: unknown): void {
    const error = cause instanceof StorageError ? cause : new StorageError(`the write was not stored: ${safeErrorMessage(cause)}`, (cause as { code?: string }).code);
    for (const u of [...units].reverse()) {
      try {
        for (const st of [...u.statements].reverse()) st.undone?.();
        u.p.onRollback?.();
      } catch {
        // An undo that throws must not keep the others from being undone and settled.
      }
    }
    for (const u of units) u.p.reject(error);
    this.observer?.failed(error, units.length);
  }
}

/**
 * Statements after which a group takes no more units, a multi-row statement counting as its rows (a few
 * thousand one-row statements run in well under a second).
 */
const MAX_GROUP_STATEMENTS = 5_000;

/** How often a unit or group that lost a deadlock or serialization conflict is sent. */
const CONFLICT_ATTEMPTS = 3;

/**
 * The database refused a statement (a constraint, a bad value, a fence): worth sending the units one by one
 * to find which. Anything else (a lost connection, a server shutting down) fails every unit alike.
 */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23|42|P0|AP|40)/.test(code);
}

/** deadlock_detected and serialization_failure: another transaction won; trying again is the remedy. */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}

/** Splits `keys` into JSON notices that each fit one NOTIFY payload. */
export function noticePayloads(from: string, keys: readonly string[]): string[] {
  const out: string[] = [];
  const overhead = Buffer.byteLength(JSON.stringify({ from, keys: [] }), "utf8");
  let chunk: string[] = [];
  let bytes = overhead;
  for (const k of keys) {
    const size = Buffer.byteLength(JSON.stringify(k), "utf8") + 1;
    if (overhead + size > MAX_PAYLOAD_BYTES) throw new RangeError(`change feed key of ${size} bytes does not fit a notice`);
    if (bytes + size > MAX_PAYLOAD_BYTES && chunk.length > 0) {
      out.push(JSON.stringify({ from, keys: chunk }));
      chunk = [];
      bytes = overhead;
    }
    chunk.push(k);
    bytes += size;
  }
  if (chunk.length > 0) out.push(JSON.stringify({ from, keys: chunk }));
  return out;
}
