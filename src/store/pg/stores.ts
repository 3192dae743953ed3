import pg from "pg";
import { StorageError } from "../../lib/errors.ts";
import { redactUrls } from "../../lib/redact.ts";
import { ObserverRelay, type StoreObserver, type Stores } from "../stores.ts";
import { PgCommitQueue } from "./commit-queue.ts";
import { migrate } from "./migrate.ts";
import { safeErrorMessage } from "./safe-error.ts";
import { rows } from "./types.ts";
import { PgAlertsRepo } from "./alerts-repo.ts";
import { PgSilencesRepo } from "./silences-repo.ts";
import { PgNotifyRepo } from "./notify-repo.ts";
import { PgNoiseRepo } from "./noise-repo.ts";
import { PgHeartbeatsRepo } from "./heartbeats-repo.ts";
import { PgAcksRepo } from "./acks-repo.ts";
import { PgAnomalyRepo } from "./anomaly-repo.ts";
import { PgAuditRepo } from "./audit-repo.ts";
import { PgExplainRepo } from "./explain-repo.ts";
import { PgStatsRepo } from "./stats-repo.ts";
import { PgHistoryRepo } from "./history-repo.ts";
import { PgUnusualRepo } from "./unusual-repo.ts";

export interface PgStoreOptions {
  /** This replica's id: the keys its writes change are announced under it on the change feed. */
  readonly replicaId: string;
  /** Connection URL (may carry the password: never put in a message as it is). */
  readonly url: string;
  readonly poolSize: number;
  /** Now, for what is loaded relative to it (escalations of the last 31 days). */
  readonly nowMs: number;
  /** An idle connection the server dropped (the pool replaces it); the message carries no password. */
  readonly connectionError?: (message: string) => void;
}

/** The PostgreSQL backend also hands out its pool, for the replicas' coordination (lease, registry). */
export interface PgStores extends Stores {
  readonly pool: pg.Pool;
  /** With what a replica needs on becoming the sender: re-reading the log and outbox, fencing log writes. */
  readonly notify: PgNotifyRepo;
  /** With what a replica needs when another deletes alerts (their series may go with them). */
  readonly alerts: PgAlertsRepo;
  /** With what a replica needs to follow the acks the others open and end. */
  readonly acks: PgAcksRepo;
}

/** How long taking a connection may wait: past it the write fails (503) instead of hanging the request. */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * How long a query may go unanswered: a database cut off by the network never answers, and a group commit
 * waiting for it would hold every later write. Past it the writes fail (503) and the connection is closed.
 */
const QUERY_TIMEOUT_MS = 15_000;

/**
 * Connects, brings the schema up to date (under the migration lock, so replicas starting together migrate
 * once) and builds every repository, each loading what it keeps in memory. Throws a StorageError without
 * the password when the server cannot be reached or the schema is newer than this build.
 */
export async function openPgStores(opts: PgStoreOptions): Promise<PgStores> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true });
  // Without a listener, a connection dropped while idle in the pool would throw from the pool and end the process.
  pool.on("error", (err) => opts.connectionError?.(safeErrorMessage(err)));
  try {
    await migrateWithoutTimeout(opts.url);
    const relay = new ObserverRelay();
    const queue = new PgCommitQueue(pool, { committed: (units) => relay.committed(units, true), failed: (error, units) => relay.failed(error, units) }, opts.replicaId);
    const [alerts, silences, notify, noise, heartbeats, acks, anomaly] = await Promise.all([
      PgAlertsRepo.open(queue, pool),
      PgSilencesRepo.open(queue, pool),
      PgNotifyRepo.open(queue, pool),
      PgNoiseRepo.open(queue, pool),
      PgHeartbeatsRepo.open(queue, pool),
      PgAcksRepo.open(queue, pool, opts.nowMs),
      PgAnomalyRepo.open(queue, pool),
    ]);
    return {
      backend: "postgres",
      location: redactUrls(opts.url),
      pool,
      queue,
      alerts,
      silences,
      notify,
      noise,
      heartbeats,
      acks,
      anomaly,
      audit: new PgAuditRepo(pool, queue),
      explain: new PgExplainRepo(pool),
      stats: new PgStatsRepo(pool),
      history: new PgHistoryRepo(pool),
      unusual: new PgUnusualRepo(pool),
      sizeBytes: async () => {
        const [row] = await rows<{ bytes: number }>(pool, "SELECT pg_database_size(current_database()) AS bytes");
        return { database: row?.bytes ?? 0 };
      },
      observe: (observer: StoreObserver) => relay.set(observer),
      close: async () => {
        await queue.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof StorageError) throw new StorageError(safeErrorMessage(err), err.code);
    throw new StorageError(`cannot open the PostgreSQL database at ${redactUrls(opts.url)}: ${safeErrorMessage(err)}`, (err as { code?: string }).code);
  }
}


/**
 * Migrations on a connection of their own without the query timeout: waiting for another replica's
 * migration (the advisory lock), or building an index on a large table, may rightly take longer.
 */
async function migrateWithoutTimeout(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  pool.on("error", () => undefined); // the migration's own query reports a lost connection
  try {
    await migrate(pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
