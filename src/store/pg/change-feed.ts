/**
 * The change feed between replicas (issue 16): PostgreSQL's LISTEN/NOTIFY. A writer publishes a topic and a
 * small payload inside its transaction (delivered to listeners at commit, never on rollback); each replica
 * listens on one dedicated connection. Notifications sent while that connection is down are lost, not queued,
 * so after every reconnect the feed calls onResync: the caller re-reads what it caches.
 */
import pg from "pg";
import { safeErrorMessage } from "./safe-error.ts";

/** The topics replicas announce their writes on (PgCommitQueue.announce) and re-read from (ReplicaSync). */
export const TOPICS = { alerts: "alertprism_alerts", silences: "alertprism_silences", acks: "alertprism_acks" } as const;

/** NOTIFY refuses a payload of 8000 bytes or more (the server's default page size). */
export const MAX_PAYLOAD_BYTES = 7999;
/** Topics are LISTEN channel names: plain lower-case identifiers, so they never need quoting. */
const TOPIC = /^[a-z_][a-z0-9_]{0,62}$/;

function checkTopic(topic: string): void {
  if (!TOPIC.test(topic)) throw new RangeError(`change feed topic ${JSON.stringify(topic)}: use [a-z0-9_], starting with a letter or _, at most 63`);
}

/**
 * Announces a change on `topic`. Run it on the client of the transaction that makes the change: listeners
 * hear of it when that transaction commits, and never if it rolls back. The payload names what changed (ids),
 * never the rows themselves: NOTIFY carries at most MAX_PAYLOAD_BYTES.
 */
export async function publish(client: pg.ClientBase | pg.Pool, topic: string, payload: string): Promise<void> {
  checkTopic(topic);
  const bytes = Buffer.byteLength(payload, "utf8");
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`change feed payload on ${topic} is ${bytes} bytes, NOTIFY carries at most ${MAX_PAYLOAD_BYTES}: send ids, not rows`);
  }
  await client.query("SELECT pg_notify($1, $2)", [topic, payload]);
}

export interface ChangeFeedOptions {
  /** For the feed's own connection (not a pool's: LISTEN belongs to one session). */
  connection: pg.ClientConfig;
  /** After a reconnect: what was published meanwhile is lost, re-read it. */
  onResync: () => void;
  /** A lost connection or a failed reconnect (the message carries no password). */
  onError?: (message: string) => void;
  /** Reconnect delays: the first, doubled after each failure up to the most. Default 50 ms to 5 s. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * A connection that goes silent without closing (a network blackhole) delivers nothing and reports
   * nothing: every pingMs the feed asks the server a trivial query and counts the connection lost if no
   * answer comes within pingMs. Default 5 s.
   */
  pingMs?: number;
}

export type ChangeHandler = (payload: string) => void;

export class ChangeFeed {
  readonly #opts: ChangeFeedOptions;
  readonly #handlers = new Map<string, Set<ChangeHandler>>();
  #client: pg.Client | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  #ping: NodeJS.Timeout | undefined;

  constructor(opts: ChangeFeedOptions) {
    const { initialMs, maxMs } = opts.backoff ?? { initialMs: 50, maxMs: 5_000 };
    if (!(initialMs > 0 && maxMs >= initialMs)) throw new RangeError(`change feed backoff: need 0 < initialMs ≤ maxMs, got ${initialMs}, ${maxMs}`);
    const pingMs = opts.pingMs ?? 5_000;
    if (!(pingMs > 0)) throw new RangeError(`change feed pingMs must be > 0, got ${pingMs}`);
    this.#opts = { ...opts, backoff: { initialMs, maxMs }, pingMs };
  }

  /** Connects and listens; rejects, without retrying, if the first connection fails. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  /** Whether the feed's connection is up (notifications are arriving). */
  connected(): boolean {
    return this.#client !== undefined;
  }

  /** Calls `handler` with each payload published on `topic`; resolves once listening (or at the next reconnect if down). */
  async subscribe(topic: string, handler: ChangeHandler): Promise<() => Promise<void>> {
    checkTopic(topic);
    let set = this.#handlers.get(topic);
    if (!set) {
      this.#handlers.set(topic, (set = new Set()));
      await this.#onClient((c) => c.query(`LISTEN ${topic}`));
    }
    set.add(handler);
    return async () => {
      if (!set.delete(handler) || set.size > 0 || this.#handlers.get(topic) !== set) return;
      this.#handlers.delete(topic);
      await this.#onClient((c) => c.query(`UNLISTEN ${topic}`));
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#ping);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // A polite end, but not forever: on a silent network the server never answers it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.end().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1_000)))]);
    clearTimeout(timer);
  }

  /** Runs `use` on the live connection; a failure there is the connection's loss, which reconnects and re-listens. */
  async #onClient(use: (c: pg.Client) => Promise<unknown>): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      await use(client);
    } catch (err) {
      this.#lost(client, err);
    }
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionTimeoutMillis: 5_000, keepAlive: true, ...this.#opts.connection });
    client.on("error", (err) => this.#lost(client, err));
    client.on("end", () => this.#lost(client, new Error("connection ended")));
    client.on("notification", (msg) => {
      for (const handler of this.#handlers.get(msg.channel) ?? []) handler(msg.payload ?? "");
    });
    try {
      await client.connect();
      for (const topic of this.#handlers.keys()) await client.query(`LISTEN ${topic}`);
    } catch (err) {
      void client.end().catch(() => undefined); // not awaited: on a silent network it would never end
      throw new Error(`change feed: cannot listen: ${safeErrorMessage(err)}`, { cause: err });
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    clearInterval(this.#ping);
    this.#ping = setInterval(() => this.#checkAlive(), this.#opts.pingMs);
    this.#ping.unref();
  }

  #checkAlive(): void {
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to a ping within ${this.#opts.pingMs} ms`)), this.#opts.pingMs);
    });
    void this.#onClient((c) => Promise.race([c.query("SELECT 1"), silent])).finally(() => clearTimeout(timer));
  }

  #lost(client: pg.Client, err: unknown): void {
    if (client !== this.#client || this.#stopped) return;
    this.#client = undefined;
    clearInterval(this.#ping);
    client.end().catch(() => undefined);
    this.#opts.onError?.(`change feed: connection lost, reconnecting: ${safeErrorMessage(err)}`);
    this.#reconnect(this.#opts.backoff!.initialMs);
  }

  #reconnect(delayMs: number): void {
    this.#retry = setTimeout(() => {
      this.#connect().then(
        () => {
          if (!this.#stopped) this.#opts.onResync();
        },
        (err: unknown) => {
          if (this.#stopped) return;
          this.#opts.onError?.(safeErrorMessage(err));
          this.#reconnect(Math.min(this.#opts.backoff!.maxMs, delayMs * 2));
        },
      );
    }, delayMs);
  }
}
