// The replica registry against a real PostgreSQL server; each replica is its own registry on its own pool.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { migrate } from "./migrate.ts";
import { ReplicaRegistry, type ReplicaRegistryOptions } from "./replicas.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("PostgreSQL replica registry", () => {
  let cluster: PostgresCluster;
  const pools: pg.Pool[] = [];
  const registries: ReplicaRegistry[] = [];
  let databases = 0;

  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    await Promise.all(pools.map((p) => p.end()));
    await cluster?.stop();
  });

  function pool(connectionString: string): pg.Pool {
    const p = new pg.Pool({ connectionString, max: 2, query_timeout: 5_000 });
    p.on("error", () => undefined);
    pools.push(p);
    return p;
  }
  /** A fresh migrated database; returns a factory of replicas on it. */
  async function database(): Promise<{ url: string; replica: (id: string, opts?: Partial<ReplicaRegistryOptions>) => ReplicaRegistry }> {
    const url = await cluster.createDatabase(`replicas_${++databases}`);
    await migrate(pool(url));
    return {
      url,
      replica: (id, opts = {}) => {
        const r = new ReplicaRegistry({ pool: pool(url), id, address: `${id}.example:9093`, leaseMs: 60_000, ...opts });
        registries.push(r);
        return r;
      },
    };
  }

  it("lists the replicas that joined, with their addresses, ordered by id", async () => {
    const { replica } = await database();
    const b = replica("b");
    const a = replica("a");
    assert.deepEqual(await a.live(), []);
    await b.heartbeat();
    await a.heartbeat();
    const live = await b.live();
    assert.deepEqual(live.map((r) => [r.id, r.address]), [["a", "a.example:9093"], ["b", "b.example:9093"]]);
    for (const r of live) {
      assert.ok(r.startedAt instanceof Date && r.seenAt instanceof Date);
      assert.ok(r.startedAt <= r.seenAt);
    }
  });

  it("a later heartbeat moves seen_at and keeps started_at", async () => {
    const { replica } = await database();
    const a = replica("a");
    await a.heartbeat();
    const [first] = await a.live();
    await sleep(20);
    await a.heartbeat();
    const [second] = await a.live();
    assert.equal(second!.startedAt.getTime(), first!.startedAt.getTime());
    assert.ok(second!.seenAt > first!.seenAt);
  });

  it("a replica that stops heartbeating leaves the live list once the lease passed, by the database's clock", async () => {
    const { replica } = await database();
    const a = replica("a", { leaseMs: 300 });
    const b = replica("b", { leaseMs: 300 });
    a.start(); // keeps heartbeating
    const sentAt = performance.now(); // b's seen_at is no earlier than this
    await b.heartbeat(); // then falls silent (crashed, paused, cut off)
    assert.deepEqual((await a.live()).map((r) => r.id), ["a", "b"]);
    let ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      ids = (await a.live()).map((r) => r.id);
      if (!ids.includes("b")) break;
      await sleep(10);
    }
    assert.deepEqual(ids, ["a"], "b expired, a stays live while heartbeating");
    assert.ok(performance.now() - sentAt >= 300, "not before the lease passed");
  });

  it("a restart under the same id is one row, with a new started_at and the new address", async () => {
    const { replica } = await database();
    const before = replica("a");
    await before.heartbeat();
    const [first] = await before.live();
    await sleep(20);
    const restarted = replica("a", { address: "10.0.0.7:9093" });
    await restarted.heartbeat();
    const live = await restarted.live();
    assert.equal(live.length, 1);
    assert.equal(live[0]!.address, "10.0.0.7:9093");
    assert.ok(live[0]!.startedAt > first!.startedAt, "started again");
  });

  it("stop() leaves the live list at once", async () => {
    const { replica } = await database();
    const a = replica("a");
    const b = replica("b");
    a.start();
    b.start();
    for (let i = 0; i < 100 && (await a.live()).length < 2; i++) await sleep(10);
    await b.stop();
    assert.deepEqual((await a.live()).map((r) => r.id), ["a"]);
  });

  it("reports a failing heartbeat without the URL's password", async () => {
    const { url } = await database();
    const password = new URL(url).password;
    const bad = new URL(url);
    bad.password = `${password}-wrong`;
    const errors: string[] = [];
    const r = new ReplicaRegistry({ pool: pool(bad.toString()), id: "a", address: "a:9093", leaseMs: 300, onError: (m) => errors.push(m) });
    registries.push(r);
    r.start();
    for (let i = 0; i < 200 && errors.length === 0; i++) await sleep(10);
    await r.stop();
    assert.match(errors[0] ?? "", /replica registry: heartbeat of a failed: password authentication failed/);
    for (const e of errors) assert.ok(!e.includes(password), e);
  });
});
