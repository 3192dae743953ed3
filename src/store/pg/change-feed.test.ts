// The change feed against a real PostgreSQL server: a writer's pool and a listener's dedicated connection.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { ChangeFeed, MAX_PAYLOAD_BYTES, publish, type ChangeFeedOptions } from "./change-feed.ts";
import { safeErrorMessage } from "./safe-error.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `promise`, or a failure naming `what` after `ms`: a test that waits never hangs. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("PostgreSQL change feed", () => {
  let cluster: PostgresCluster;
  let url: string;
  let writer: pg.Pool;
  const feeds: ChangeFeed[] = [];
  let feedCount = 0;

  before(async () => {
    cluster = await startPostgres();
    url = cluster.url;
    writer = new pg.Pool({ connectionString: url, max: 3 });
  });
  after(async () => {
    await Promise.all(feeds.map((f) => f.stop()));
    await writer?.end();
    await cluster?.stop();
  });

  /** A started feed whose connection is named, so a test can find (and terminate) its backend. */
  async function feed(opts: Partial<ChangeFeedOptions> = {}): Promise<{ feed: ChangeFeed; name: string }> {
    const name = `feed_${++feedCount}`;
    const f = new ChangeFeed({ connection: { connectionString: url, application_name: name }, onResync: () => undefined, ...opts });
    feeds.push(f);
    await f.start();
    return { feed: f, name };
  }
  /** Collects a topic's payloads; `next(p)` resolves once payload p has arrived. */
  async function collect(f: ChangeFeed, topic: string) {
    const got: string[] = [];
    const waiters: Array<() => void> = [];
    await f.subscribe(topic, (payload) => {
      got.push(payload);
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (payload: string) => {
      const deadline = performance.now() + 5_000;
      while (!got.includes(payload)) {
        assert.ok(performance.now() < deadline, `${payload} arrived (got ${JSON.stringify(got)})`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    };
    return { got, next };
  }

  it("delivers what a transaction published when it commits, not before", async () => {
    const { feed: f } = await feed();
    const { got, next } = await collect(f, "alerts");
    const tx = await writer.connect();
    try {
      await tx.query("BEGIN");
      await publish(tx, "alerts", "id:1");
      // A change committed meanwhile by another writer arrives; the open transaction's does not.
      await publish(writer, "alerts", "marker");
      await next("marker");
      assert.deepEqual(got, ["marker"]);
      await tx.query("COMMIT");
      await next("id:1");
      assert.deepEqual(got, ["marker", "id:1"]);
    } finally {
      tx.release();
    }
  });

  it("delivers nothing of a transaction rolled back", async () => {
    const { feed: f } = await feed();
    const { got, next } = await collect(f, "silences");
    const tx = await writer.connect();
    try {
      await tx.query("BEGIN");
      await publish(tx, "silences", "rolled-back");
      await tx.query("ROLLBACK");
    } finally {
      tx.release();
    }
    // Notifications arrive in commit order: once a later one is in, the rolled-back one would have been too.
    await publish(writer, "silences", "after");
    await next("after");
    assert.deepEqual(got, ["after"]);
  });

  it("routes by topic, and unsubscribing stops delivery", async () => {
    const { feed: f } = await feed();
    const acks = await collect(f, "acks");
    const other = await collect(f, "other");
    const unsubscribe = await f.subscribe("acks", () => assert.fail("unsubscribed handler called"));
    await unsubscribe();
    await publish(writer, "acks", "a1");
    await publish(writer, "other", "o1");
    await other.next("o1");
    await acks.next("a1");
    assert.deepEqual(acks.got, ["a1"]);
    assert.deepEqual(other.got, ["o1"]);
  });

  it("carries payloads up to the NOTIFY limit and refuses larger ones before sending, saying to send ids", async () => {
    const { feed: f } = await feed();
    const { got, next } = await collect(f, "big");
    const largest = `${"é".repeat(3_999)}x`; // 7999 bytes of UTF-8
    assert.equal(Buffer.byteLength(largest), MAX_PAYLOAD_BYTES);
    await publish(writer, "big", largest);
    await next(largest);
    await assert.rejects(publish(writer, "big", `${largest}x`), /8000 bytes, NOTIFY carries at most 7999: send ids, not rows/);
    await assert.rejects(publish(writer, "Bad-Topic", "x"), /topic "Bad-Topic"/);
    await assert.rejects(f.subscribe("x; DROP TABLE y", () => undefined), RangeError);
    assert.deepEqual(got, [largest]);
  });

  it("reconnects when the server terminates its connection, calls onResync, and delivers again", async () => {
    let resyncs = 0;
    const errors: string[] = [];
    let resynced: () => void = () => undefined;
    const { feed: f, name } = await feed({
      onResync: () => {
        resyncs++;
        resynced();
      },
      onError: (m) => errors.push(m),
    });
    const { next } = await collect(f, "alerts");
    await publish(writer, "alerts", "before");
    await next("before");

    const resync = new Promise<void>((r) => (resynced = r));
    const { rows } = await writer.query<{ terminated: boolean }>(
      "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1", [name]);
    assert.deepEqual(rows, [{ terminated: true }]);
    await within(resync, 5_000, "resync after the termination");
    await publish(writer, "alerts", "after");
    await next("after");
    assert.equal(resyncs, 1);
    assert.equal(f.connected(), true);
    assert.match(errors[0] ?? "", /change feed: connection lost, reconnecting: terminating connection due to administrator command/);
  });

  it("keeps retrying with backoff while the server refuses it, then resyncs once", async () => {
    let resyncs = 0;
    const errors: string[] = [];
    const { feed: f, name } = await feed({ onResync: () => resyncs++, onError: (m) => errors.push(m), backoff: { initialMs: 20, maxMs: 80 } });
    const { next } = await collect(f, "alerts");
    // Refuse new connections to the feed's database for a while (said from another database), then cut the feed's.
    const adminUrl = new URL(url);
    adminUrl.pathname = "/postgres";
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query("ALTER DATABASE alertprism ALLOW_CONNECTIONS false");
    try {
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name]);
      for (let i = 0; i < 300 && errors.length < 4; i++) await sleep(10);
      assert.ok(errors.length >= 4, `retried: ${JSON.stringify(errors)}`);
      assert.equal(resyncs, 0);
      assert.equal(f.connected(), false);
    } finally {
      await admin.query("ALTER DATABASE alertprism ALLOW_CONNECTIONS true");
      await admin.end();
    }
    for (let i = 0; i < 300 && resyncs === 0; i++) await sleep(10);
    assert.equal(resyncs, 1);
    await publish(writer, "alerts", "back");
    await next("back");
    assert.match(errors.slice(1).join("\n"), /cannot listen: database "alertprism" is not currently accepting connections/);
  });

  it("notices a connection gone silent (a network blackhole) by its ping, reconnects and resyncs", async () => {
    // A TCP relay to the server that can silence the connections it carries: their bytes are dropped, unclosed.
    const relayed = new Set<Socket>();
    const silenced = new Set<Socket>();
    const relay = createServer((inbound) => {
      const outbound = connect(cluster.port, "127.0.0.1");
      const pair: Array<[Socket, Socket]> = [[inbound, outbound], [outbound, inbound]];
      for (const [from, to] of pair) {
        relayed.add(from);
        from.on("data", (d) => silenced.has(from) || to.write(d));
        from.on("error", () => undefined);
        from.on("close", () => to.destroy());
      }
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    try {
      const relayUrl = new URL(url);
      relayUrl.port = String((relay.address() as AddressInfo).port);
      let resynced: () => void = () => undefined;
      const errors: string[] = [];
      const f = new ChangeFeed({ connection: { connectionString: relayUrl.toString() }, pingMs: 200, onResync: () => resynced(), onError: (m) => errors.push(m) });
      feeds.push(f);
      await f.start();
      const { next } = await collect(f, "alerts");
      await publish(writer, "alerts", "before");
      await next("before");

      const resync = new Promise<void>((r) => (resynced = r));
      for (const s of relayed) silenced.add(s); // the feed's connection goes silent; a new one is carried
      await within(resync, 5_000, "resync after the blackhole");
      assert.match(errors[0] ?? "", /connection lost, reconnecting: no answer to a ping within 200 ms/);
      await publish(writer, "alerts", "after");
      await next("after");
    } finally {
      for (const s of relayed) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });

  it("stop() ends the connection and does not reconnect", async () => {
    let resyncs = 0;
    const { feed: f, name } = await feed({ onResync: () => resyncs++ });
    await f.stop();
    await sleep(200);
    const { rows } = await writer.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", [name]);
    assert.equal(rows.length, 0);
    assert.equal(resyncs, 0);
    assert.equal(f.connected(), false);
  });

  it("keeps the URL's password out of its errors", async () => {
    const password = new URL(url).password;
    const bad = new URL(url);
    bad.password = `${password}-wrong`;
    const f = new ChangeFeed({ connection: { connectionString: bad.toString() }, onResync: () => undefined });
    await assert.rejects(f.start(), (err: unknown) => {
      assert.match(String(err), /change feed: cannot listen: password authentication failed/);
      assert.ok(!String(err).includes(password));
      return true;
    });
    // A driver or caller message that quotes the URL is cut back to scheme and host.
    const quoted = safeErrorMessage(new Error(`connect to ${url} failed`));
    assert.ok(!quoted.includes(password), quoted);
    assert.match(quoted, /connect to postgres:\/\/127\.0\.0\.1:\d+\/<redacted> failed/);
  });
});
