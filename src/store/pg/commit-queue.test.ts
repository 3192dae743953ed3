// PgCommitQueue against a real PostgreSQL: the SQLite CommitQueue's contract (group commit, a failing unit
// undone alone, a failed group undone whole and newest first, order kept across groups), with statements
// recorded by the units and sent after them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { StorageError } from "../../lib/errors.ts";
import { PgCommitQueue, noticePayloads, type ChangeNotice, type PgCommitObserver } from "./commit-queue.ts";
import { MAX_PAYLOAD_BYTES } from "./change-feed.ts";

describe("PgCommitQueue", () => {
  let cluster: PostgresCluster;
  let url: string;
  let pool: pg.Pool;

  before(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase("queue");
    pool = new pg.Pool({ connectionString: url, max: 2 });
    await pool.query("CREATE TABLE scratch (k text PRIMARY KEY, v text NOT NULL CHECK (v <> 'bad'))");
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  function setup() {
    const seen: string[] = [];
    const observer: PgCommitObserver = {
      committed: (units) => seen.push(`committed ${units}`),
      failed: (err, units) => seen.push(`failed ${units}`),
    };
    return { queue: new PgCommitQueue(pool, observer), seen };
  }
  const value = async (k: string) => (await pool.query<{ v: string }>("SELECT v FROM scratch WHERE k = $1", [k])).rows[0]?.v;
  const put = (queue: PgCommitQueue, k: string, v: string) => queue.record("INSERT INTO scratch (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", [k, v]);

  it("commits the units of one event-loop turn as one group, each settling after COMMIT with its own result", async () => {
    const { queue, seen } = setup();
    const memory: string[] = [];
    const results = await Promise.all(["a", "b", "c"].map((k) => queue.submit(() => {
      put(queue, `group-${k}`, k);
      memory.push(k);
      return k.toUpperCase();
    })));
    assert.deepEqual(results, ["A", "B", "C"]);
    assert.deepEqual(memory, ["a", "b", "c"]);
    assert.deepEqual(seen, ["committed 3"]);
    for (const k of ["a", "b", "c"]) assert.equal(await value(`group-${k}`), k);
  });

  it("held rows go before the unit's next statement and at the end of its work; a unit that throws forgets them", async () => {
    const { queue } = setup();
    // A repository that holds its writes back and records them as one statement (as PgAlertsRepo does).
    let held: string[] = [];
    const rows = {
      flush: () => {
        const keys = held;
        held = [];
        queue.record(`INSERT INTO scratch (k, v) SELECT k, 'held' FROM unnest($1::text[]) AS k`, [keys]);
      },
      discard: () => (held = []),
    };
    const hold = (k: string) => {
      queue.hold(rows);
      held.push(k);
    };
    await queue.submit(() => {
      hold("held-1");
      hold("held-2");
      // Reads what the held rows wrote: they must already be in the transaction.
      queue.record("INSERT INTO scratch (k, v) SELECT 'held-count', count(*)::text FROM scratch WHERE k LIKE 'held-_'", []);
      hold("held-3");
    });
    assert.equal(await value("held-count"), "2");
    assert.equal(await value("held-3"), "held", "recorded when the work returned");
    await assert.rejects(queue.submit(() => {
      hold("held-4");
      throw new Error("the unit's own failure");
    }), /own failure/);
    await queue.submit(() => put(queue, "held-after", "ok"));
    assert.equal(await value("held-4"), undefined, "a failed unit's held rows are not written by the next unit");
    assert.deepEqual(held, []);
  });

  it("a unit whose statement fails is undone alone; the others of the group commit", async () => {
    const { queue, seen } = setup();
    const memory = new Set<string>();
    const write = (k: string, v: string) => queue.submit(() => {
      put(queue, k, v);
      memory.add(k);
    }, () => memory.delete(k));
    const results = await Promise.allSettled([write("alone-1", "ok"), write("alone-2", "bad"), write("alone-3", "ok")]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    const err = (results[1] as PromiseRejectedResult).reason as StorageError;
    assert.ok(err instanceof StorageError);
    assert.match(err.message, /^the write was not stored: .*check constraint/);
    assert.equal(err.code, "23514");
    assert.deepEqual([...memory].sort(), ["alone-1", "alone-3"]);
    assert.deepEqual([await value("alone-1"), await value("alone-2"), await value("alone-3")], ["ok", undefined, "ok"]);
    assert.deepEqual(seen, ["failed 1", "committed 2"]);
  });

  it("a unit whose work throws records nothing and keeps its own error", async () => {
    const { queue } = setup();
    const thrown = new Error("refused by the service");
    const results = await Promise.allSettled([
      queue.submit(() => {
        put(queue, "thrown", "x");
        throw thrown;
      }),
      queue.submit(() => put(queue, "beside-thrown", "y")),
    ]);
    assert.equal((results[0] as PromiseRejectedResult).reason, thrown);
    assert.equal(results[1].status, "fulfilled");
    assert.equal(await value("thrown"), undefined);
    assert.equal(await value("beside-thrown"), "y");
  });

  it("a group that cannot reach the database is undone whole, newest first, and says why without the password", async () => {
    const dead = new pg.Pool({ connectionString: "postgres://alertprism:hunter2@127.0.0.1:1/alertprism", max: 1, connectionTimeoutMillis: 2_000 });
    dead.on("error", () => undefined);
    try {
      const queue = new PgCommitQueue(dead);
      const memory = new Map<string, string>();
      const write = (v: string) => {
        let previous: string | undefined;
        return queue.submit(() => {
          previous = memory.get("k");
          memory.set("k", v);
        }, () => (previous === undefined ? memory.delete("k") : memory.set("k", previous)));
      };
      const results = await Promise.allSettled([write("v1"), write("v2")]);
      for (const r of results) {
        assert.equal(r.status, "rejected");
        const err = (r as PromiseRejectedResult).reason as Error;
        assert.ok(err instanceof StorageError);
        assert.match(err.message, /ECONNREFUSED/);
        assert.doesNotMatch(err.message, /hunter2/);
      }
      assert.equal(memory.has("k"), false);
    } finally {
      await dead.end();
    }
  });

  it("keeps order across groups: a group waits for the one in flight, and the last write wins", async () => {
    const { queue } = setup();
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      pending.push(queue.submit(() => put(queue, "ordered", `v${i}`)));
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(pending);
    assert.equal(await value("ordered"), "v19");
    await queue.close();
    await assert.rejects(queue.submit(() => undefined), /storage is closed/);
  });

  it("refuses a write recorded outside a unit", () => {
    const { queue } = setup();
    assert.throws(() => put(queue, "outside", "x"), /outside a unit of work/);
  });
  it("announces the keys of the stored units on the change feed at COMMIT, split to fit NOTIFY, never those undone", async () => {
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: ChangeNotice[] = [];
    listener.on("notification", (m) => heard.push(JSON.parse(m.payload ?? "") as ChangeNotice));
    await listener.query("LISTEN test_topic");
    try {
      const queue = new PgCommitQueue(pool, undefined, "replica-a");
      const many = Array.from({ length: 1_000 }, (_, i) => `key-${String(i).padStart(20, "0")}`);
      const stored = queue.submit(() => {
        put(queue, "announced", "ok");
        for (const k of many) queue.announce("test_topic", k);
      });
      const undone = assert.rejects(queue.submit(() => {
        put(queue, "refused", "bad"); // the CHECK fails: this unit is rolled back alone
        queue.announce("test_topic", "never-heard");
      }), /check constraint/);
      await stored;
      await undone;
      const deadline = Date.now() + 5_000;
      while (heard.flatMap((n) => n.keys).length < many.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(heard.length > 1, "1,000 keys do not fit one NOTIFY: several notices");
      assert.ok(heard.every((n) => n.from === "replica-a"));
      assert.deepEqual(heard.flatMap((n) => n.keys), many);
      for (const payload of noticePayloads("replica-a", many)) assert.ok(Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES);
    } finally {
      await listener.end();
    }
  });
  it("splits a backlog into groups of bounded size, committed in order", async () => {
    const { queue, seen } = setup();
    const order: number[] = [];
    const big = (n: number) => queue.submit(() => {
      for (let i = 0; i < 3_000; i++) queue.record("SELECT 1", []);
      put(queue, "backlog", `v${n}`);
      order.push(n);
    });
    await Promise.all([big(1), big(2), big(3)]);
    // 3,001 statements each: the first group stops taking units past 5,000, the third waits for the next.
    assert.deepEqual(seen, ["committed 2", "committed 1"]);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(await value("backlog"), "v3");
  });

  it("counts a multi-row statement as its rows towards that limit", async () => {
    const { queue, seen } = setup();
    // One statement of 3,000 rows each: the same work as 3,000 one-row statements, the same groups.
    const big = (n: number) => queue.submit(() => queue.recordRows(3_000, "INSERT INTO scratch (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", ["rows", `v${n}`]));
    await Promise.all([big(1), big(2), big(3)]);
    assert.deepEqual(seen, ["committed 2", "committed 1"]);
    assert.equal(await value("rows"), "v3");
  });

});
