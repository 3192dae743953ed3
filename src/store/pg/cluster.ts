/**
 * One replica's place among the replicas sharing a PostgreSQL database (issue 16): the sender lease (who
 * sends notifications), the replica registry (who is live: /api/v2/status peers) and the change feed that
 * keeps this replica's memory in step with the others' writes. Coordination runs on a small pool of its
 * own with a query timeout, so a busy or hung main pool cannot delay a renewal past the lease.
 */
import pg from "pg";
import { ChangeFeed } from "./change-feed.ts";
import { ReplicaRegistry, type Replica } from "./replicas.ts";
import { ReplicaSync, type RemoteChanges } from "./replica-sync.ts";
import { SenderLease, type Fence } from "./sender-lease.ts";
import { safeErrorMessage } from "./safe-error.ts";

export interface ClusterOptions {
  readonly url: string;
  /** The pool the change feed re-reads rows through (the stores' pool). */
  readonly reads: pg.Pool;
  readonly replicaId: string;
  readonly address: string;
  /** ha.lease: the longest a dead or cut-off sender goes unreplaced (see grantMs). */
  readonly leaseMs: number;
  /** This replica became the sender (true) or stopped being it (false). */
  readonly senderChanged: (sending: boolean) => void;
  readonly remote: RemoteChanges;
  /** Whether the database can be reached changed (false: cut off; reads are answered from memory). */
  readonly reachableChanged?: (reachable: boolean, message: string | undefined) => void;
  /** A failed renewal, heartbeat or re-read (no password in it); the loops keep trying. */
  readonly onError: (message: string) => void;
}

/** The live replicas as /api/v2/status shows them. */
export interface ClusterPeer {
  readonly name: string;
  readonly address: string;
}

export class PgCluster {
  private peersNow: ClusterPeer[] = [];
  private peersTimer: NodeJS.Timeout | undefined;
  private reachable = true;
  private left = false;

  private constructor(
    private readonly opts: ClusterOptions,
    private readonly pool: pg.Pool,
    private readonly lease: SenderLease,
    private readonly registry: ReplicaRegistry,
    private readonly feed: ChangeFeed,
    readonly sync: ReplicaSync,
  ) {}

  /** Joins: listens to the feed first (so no change is missed), then registers and starts competing for the lease. */
  static async join(opts: ClusterOptions): Promise<PgCluster> {
    // A grant lasts 3/4 of ha.lease and every replica tries for it every third of that (a quarter of the
    // lease): a sender that dies right after renewing is replaced by the lease's end at the latest.
    const grantMs = Math.floor((opts.leaseMs * 3) / 4);
    const timeout = Math.max(100, Math.floor(grantMs / 3));
    const pool = new pg.Pool({ connectionString: opts.url, max: 2, query_timeout: timeout, connectionTimeoutMillis: timeout });
    pool.on("error", (err) => opts.onError(`coordination connection: ${safeErrorMessage(err)}`));
    // The lease reports errors before the cluster exists: they reach it once it does.
    const joined: { cluster?: PgCluster } = {};
    const sync = new ReplicaSync(opts.reads, opts.replicaId, opts.remote, opts.onError);
    const feed = new ChangeFeed({ connection: { connectionString: opts.url }, onResync: () => sync.resync(), onError: opts.onError, pingMs: Math.max(1_000, opts.leaseMs / 2) });
    const lease = new SenderLease({
      pool,
      holder: opts.replicaId,
      leaseMs: grantMs,
      onChange: (holding) => opts.senderChanged(holding),
      onError: (message) => {
        joined.cluster?.setReachable(false, message);
        opts.onError(message);
      },
    });
    const registry = new ReplicaRegistry({ pool, id: opts.replicaId, address: opts.address, leaseMs: opts.leaseMs, onError: opts.onError });
    try {
      await feed.start();
      await sync.start(feed);
      await registry.heartbeat();
    } catch (err) {
      await feed.stop();
      await pool.end().catch(() => undefined);
      throw err;
    }
    const cluster = new PgCluster(opts, pool, lease, registry, feed, sync);
    joined.cluster = cluster;
    registry.start();
    lease.start();
    cluster.watchPeers();
    return cluster;
  }

  /** Whether this replica may send now (checked right before every send). */
  isSender(): boolean {
    return this.lease.holding();
  }

  /** The fence this replica's sender writes carry; undefined when it is not the sender. */
  fence(): Fence | undefined {
    return this.lease.fence();
  }

  /** The live replicas (this one included), as last read. */
  peers(): readonly ClusterPeer[] {
    return this.peersNow;
  }

  get id(): string {
    return this.opts.replicaId;
  }

  /** Re-reads the live replicas every leaseMs / 3; a failed read marks the database unreachable. */
  private watchPeers(): void {
    const read = () => {
      this.registry.live().then(
        (live: Replica[]) => {
          this.peersNow = live.map((r) => ({ name: r.id, address: r.address }));
          this.setReachable(true, undefined);
        },
        (err: unknown) => {
          const message = `cannot reach PostgreSQL: ${safeErrorMessage(err)}`;
          this.setReachable(false, message);
          this.opts.onError(message);
        },
      ).finally(() => {
        if (this.left) return;
        this.peersTimer = setTimeout(read, Math.max(100, this.opts.leaseMs / 3));
        this.peersTimer.unref();
      });
    };
    read();
  }

  private setReachable(reachable: boolean, message: string | undefined): void {
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    this.opts.reachableChanged?.(reachable, message);
  }

  /** Stops sending at once, leaves the registry and the lease (so another replica takes over without waiting), stops listening. */
  async leave(): Promise<void> {
    this.left = true;
    clearTimeout(this.peersTimer);
    this.peersTimer = undefined;
    await this.lease.stop();
    await this.registry.stop();
    await this.feed.stop();
    await this.sync.settled();
    await this.pool.end().catch(() => undefined);
  }
}
