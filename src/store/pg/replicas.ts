/**
 * The replica registry (issue 16): each replica on the shared database upserts its row (ha_replicas,
 * migration 010) periodically; the live ones, those seen within the lease by the database's clock, are what
 * /api/v2/status will report as cluster.peers.
 */
import type pg from "pg";
import { safeErrorMessage } from "./safe-error.ts";

export interface ReplicaRegistryOptions {
  pool: pg.Pool;
  /** This replica's id, stable across restarts (e.g. the pod name). */
  id: string;
  /** host:port the other replicas and clients reach it at. */
  address: string;
  /** A replica not seen for this long is no longer live; it heartbeats every leaseMs / 3. */
  leaseMs: number;
  /** A failed heartbeat (the message carries no password); the loop keeps trying. */
  onError?: (message: string) => void;
}

export interface Replica {
  id: string;
  address: string;
  startedAt: Date;
  seenAt: Date;
}

/** The first heartbeat of a process (re)sets started_at, so a restart under the same id shows as one. */
const JOIN = `
INSERT INTO ha_replicas (id, address, started_at, seen_at) VALUES ($1, $2, clock_timestamp(), clock_timestamp())
ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, started_at = EXCLUDED.started_at, seen_at = EXCLUDED.seen_at`;

/** Later heartbeats keep started_at (and recreate the row, should someone have deleted it). */
const HEARTBEAT = `
INSERT INTO ha_replicas (id, address, started_at, seen_at) VALUES ($1, $2, clock_timestamp(), clock_timestamp())
ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, seen_at = EXCLUDED.seen_at`;

const LIVE = `
SELECT id, address, started_at, seen_at FROM ha_replicas
WHERE seen_at > clock_timestamp() - $1::int * interval '1 millisecond'
ORDER BY id`;

export class ReplicaRegistry {
  readonly #opts: ReplicaRegistryOptions;
  #joined = false;
  #running = false;
  #loop: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;

  constructor(opts: ReplicaRegistryOptions) {
    if (!opts.id) throw new RangeError("id must be a non-empty replica id");
    if (!Number.isInteger(opts.leaseMs) || opts.leaseMs < 30) throw new RangeError(`leaseMs must be an integer ≥ 30, got ${opts.leaseMs}`);
    this.#opts = opts;
  }

  /** Records this replica as seen now (the first call as started now). */
  async heartbeat(): Promise<void> {
    const { pool, id, address } = this.#opts;
    await pool.query(this.#joined ? HEARTBEAT : JOIN, [id, address]);
    this.#joined = true;
  }

  /** The replicas seen within the lease, this one included once it has heartbeaten; ordered by id. */
  async live(): Promise<Replica[]> {
    const { rows } = await this.#opts.pool.query<{ id: string; address: string; started_at: Date; seen_at: Date }>(LIVE, [this.#opts.leaseMs]);
    return rows.map((r) => ({ id: r.id, address: r.address, startedAt: r.started_at, seenAt: r.seen_at }));
  }

  /** Heartbeats every leaseMs / 3 until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const run = () => {
      this.#tick = this.heartbeat()
        .catch((err: unknown) => this.#opts.onError?.(`replica registry: heartbeat of ${this.#opts.id} failed: ${safeErrorMessage(err)}`))
        .finally(() => {
          if (this.#running) this.#loop = setTimeout(run, this.#opts.leaseMs / 3);
        });
    };
    run();
  }

  /** Stops heartbeating and removes this replica's row, so it leaves the live list at once. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#loop);
    await this.#tick;
    try {
      await this.#opts.pool.query("DELETE FROM ha_replicas WHERE id = $1", [this.#opts.id]);
    } catch (err) {
      this.#opts.onError?.(`replica registry: leaving failed (${this.#opts.id} lapses by itself): ${safeErrorMessage(err)}`);
    }
  }
}
