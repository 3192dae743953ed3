// The sender lease against a real PostgreSQL server; each "replica" is its own SenderLease on its own pool.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { migrate } from "./migrate.ts";
import { FENCED_SQLSTATE, SenderLease, fencedPredicate, isFencedError, type SenderLeaseOptions } from "./sender-lease.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("PostgreSQL sender lease", () => {
  let cluster: PostgresCluster;
  let url: string;
  const pools: pg.Pool[] = [];
  const leases: SenderLease[] = [];
  let names = 0;

  before(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase("lease");
    const p = pool();
    await migrate(p);
    await p.query("CREATE TABLE sent (id int PRIMARY KEY, token bigint NOT NULL)");
  });
  after(async () => {
    await Promise.all(leases.map((l) => l.stop()));
    await Promise.all(pools.map((p) => p.end()));
    await cluster?.stop();
  });

  function pool(connectionString = url): pg.Pool {
    const p = new pg.Pool({ connectionString, max: 2, query_timeout: 5_000 });
    p.on("error", () => undefined); // an idle client's connection closed under it: the next query reconnects
    pools.push(p);
    return p;
  }
  /** A replica: its own pool and lease on the shared lease row `name`. */
  function replica(holder: string, name: string, opts: Partial<SenderLeaseOptions> = {}): SenderLease {
    const lease = new SenderLease({ pool: pool(), holder, name, leaseMs: 600, ...opts });
    leases.push(lease);
    return lease;
  }
  const freshName = () => `lease_${++names}`;
  /** A write as a sender makes it: refused by the database unless (lease, token) holds the lease. */
  const fencedWrite = (p: pg.Pool, id: number, lease: string, token: number) =>
    p.query(`INSERT INTO sent (id, token) SELECT $3, $2 WHERE ${fencedPredicate(1, 2)}`, [lease, token, id]);

  it("a second replica is refused while the lease runs and takes it only once it lapsed by the database's clock", async () => {
    const name = freshName();
    const a = replica("a", name);
    const b = replica("b", name);
    const sentAt = performance.now();
    assert.equal(await a.acquire(), true);
    let refusals = 0;
    while (!(await b.acquire())) {
      refusals++;
      await sleep(20);
    }
    // B's grant was computed after A's expiry, which is at least leaseMs after A's request left.
    assert.ok(performance.now() - sentAt >= a.leaseMs, `taken over after ${performance.now() - sentAt} ms`);
    assert.ok(refusals > 0, "refused while A's lease ran");
    assert.equal(b.holding(), true);
  });

  it("renewal keeps the token; every new grant, to another replica or the same one, increases it", async () => {
    const name = freshName();
    const a = replica("a", name, { leaseMs: 60_000 });
    const b = replica("b", name, { leaseMs: 60_000 });
    assert.equal(await a.acquire(), true);
    const t1 = a.fence()!.token;
    assert.equal(await a.renew(), true);
    assert.equal(await a.acquire(), true, "acquire by the holder renews");
    assert.equal(a.fence()!.token, t1);
    await a.release();
    assert.equal(await b.acquire(), true);
    const t2 = b.fence()!.token;
    await b.release();
    assert.equal(await a.acquire(), true);
    const t3 = a.fence()!.token;
    assert.ok(t1 < t2 && t2 < t3, `${t1} < ${t2} < ${t3}`);
    assert.equal(typeof t3, "number");
  });

  it("judges its own lease on its monotonic clock: fenced the safety margin before the lease could lapse", async () => {
    let now = 1_000;
    const a = replica("a", freshName(), { leaseMs: 10_000, safetyMarginMs: 2_000, monotonicNow: () => now });
    assert.equal(await a.acquire(), true);
    now += 7_999;
    assert.equal(a.holding(), true);
    assert.ok(a.fence());
    now += 1;
    assert.equal(a.holding(), false);
    assert.equal(a.fence(), undefined, "no fence to write with once fenced");
    // The database still has the lease (its own clock): a renewal restores it, counted from when it was sent.
    assert.equal(await a.renew(), true);
    assert.equal(a.holding(), true);
  });

  it("a paused holder (no renewals) is fenced on its own clock before another replica can acquire", async () => {
    const name = freshName();
    const events: string[] = [];
    const a = replica("a", name, { leaseMs: 900, safetyMarginMs: 250, onChange: (holding) => events.push(`a ${holding}`) });
    assert.equal(await a.acquire(), true); // then "paused": it never renews
    let aHoldingWhenBTookOver: boolean | undefined;
    const b = replica("b", name, {
      leaseMs: 3_000,
      onChange: (holding) => {
        events.push(`b ${holding}`);
        if (holding) aHoldingWhenBTookOver = a.holding();
      },
    });
    b.start();
    for (let i = 0; i < 300 && !b.holding(); i++) await sleep(10);
    assert.equal(b.holding(), true, "B took over");
    assert.equal(aHoldingWhenBTookOver, false);
    // onChange hears of it by a timer, which a busy event loop may run late: the order is not asserted.
    for (let i = 0; i < 100 && !events.includes("a false"); i++) await sleep(10);
    assert.deepEqual(events.filter((e) => e.startsWith("a")), ["a true", "a false"]);
    assert.equal(events.find((e) => e.startsWith("b")), "b true");
  });

  it("the database refuses a write carrying a stale token; the current holder's write goes through", async () => {
    const name = freshName();
    const a = replica("a", name, { leaseMs: 300 });
    const b = replica("b", name, { leaseMs: 60_000 });
    assert.equal(await a.acquire(), true);
    const stale = a.fence()!;
    const writer = pool();
    await fencedWrite(writer, 1, stale.lease, stale.token);
    while (!(await b.acquire())) await sleep(20);
    await assert.rejects(fencedWrite(writer, 2, stale.lease, stale.token), (err: unknown) => {
      assert.ok(isFencedError(err));
      assert.equal((err as { code?: string }).code, FENCED_SQLSTATE);
      assert.match(String(err), new RegExp(`fenced: token ${stale.token} no longer holds lease ${name}`));
      return true;
    });
    const current = b.fence()!.token;
    await fencedWrite(writer, 3, name, current);
    // A token is refused once released, too.
    await b.release();
    await assert.rejects(fencedWrite(writer, 4, name, current), isFencedError);
    const { rows } = await writer.query<{ id: number }>("SELECT id FROM sent WHERE id <= 4 ORDER BY id");
    assert.deepEqual(rows.map((r) => r.id), [1, 3]);
  });

  it("a takeover waits for the old holder's write in flight, so its grant is ordered after that write", async () => {
    const name = freshName();
    const a = replica("a", name, { leaseMs: 1_000 });
    const b = replica("b", name, { leaseMs: 60_000 });
    assert.equal(await a.acquire(), true);
    const writer = await pool().connect();
    try {
      await writer.query("BEGIN");
      await writer.query(`SELECT ${fencedPredicate(1, 2)}`, [name, a.fence()!.token]);
      // A's lease lapses while its write is still open.
      const lapsed = async () => (await pools[0]!.query<{ lapsed: boolean }>(
        "SELECT expires_at <= clock_timestamp() AS lapsed FROM ha_leases WHERE name = $1", [name])).rows[0]!.lapsed;
      while (!(await lapsed())) await sleep(20);
      let settled = false;
      const takeover = b.acquire().finally(() => (settled = true));
      await sleep(200);
      assert.equal(settled, false, "B waits on the write's row lock");
      await writer.query("INSERT INTO sent (id, token) VALUES (10, 0)");
      await writer.query("COMMIT");
      assert.equal(await takeover, true);
    } finally {
      writer.release();
    }
  });

  it("release hands the lease over at once", async () => {
    const name = freshName();
    const a = replica("a", name, { leaseMs: 60_000 });
    const b = replica("b", name, { leaseMs: 60_000 });
    assert.equal(await a.acquire(), true);
    assert.equal(await b.acquire(), false);
    await a.release();
    assert.equal(a.holding(), false);
    assert.equal(await b.acquire(), true);
  });

  it("contenders racing for a free or lapsed lease: exactly one wins each time, and the token grows by one", async () => {
    const name = freshName();
    const contenders = ["r1", "r2", "r3", "r4"].map((id) => replica(id, name, { leaseMs: 60_000 }));
    let lastToken = 0;
    for (let round = 0; round < 25; round++) {
      const won = await Promise.all(contenders.map((c) => c.acquire()));
      assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
      const winner = contenders[won.indexOf(true)]!;
      const token = winner.fence()!.token;
      assert.equal(token, lastToken + 1);
      lastToken = token;
      if (round % 2 === 0) {
        await winner.release();
      } else {
        // Lapse it in the database (as if the winner paused for the whole lease), then race again.
        await pools[0]!.query("UPDATE ha_leases SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1", [name]);
        assert.equal(await winner.renew(), false, "a lapsed lease is not renewed");
      }
    }
  });

  it("with the loop running on two replicas, one holds at a time and the other takes over when the holder stops", async () => {
    const name = freshName();
    const a = replica("a", name, { leaseMs: 300 });
    const b = replica("b", name, { leaseMs: 300 });
    a.start();
    b.start();
    for (let i = 0; i < 100 && !(a.holding() || b.holding()); i++) await sleep(10);
    const samples: boolean[] = [];
    for (let i = 0; i < 60; i++) {
      samples.push(a.holding() && b.holding());
      await sleep(10);
    }
    assert.ok(!samples.includes(true), "never both");
    const [holder, other] = a.holding() ? [a, b] : [b, a];
    await holder.stop();
    for (let i = 0; i < 300 && !other.holding(); i++) await sleep(10);
    assert.equal(other.holding(), true);
  });

  it("rejects a lease or margin that would fence a renewing holder", () => {
    const p = pools[0]!;
    assert.throws(() => new SenderLease({ pool: p, holder: "a", leaseMs: 0 }), RangeError);
    assert.throws(() => new SenderLease({ pool: p, holder: "a", leaseMs: 900, safetyMarginMs: 600 }), /leave more than leaseMs \/ 3/);
    assert.throws(() => new SenderLease({ pool: p, holder: "", leaseMs: 900 }), /holder/);
  });

  it("reports a failing database without the URL's password", async () => {
    const password = new URL(url).password;
    const bad = new URL(url);
    bad.password = `${password}-wrong`;
    const errors: string[] = [];
    const lease = new SenderLease({ pool: pool(bad.toString()), holder: "a", name: freshName(), leaseMs: 300, onError: (m) => errors.push(m) });
    leases.push(lease);
    lease.start();
    for (let i = 0; i < 200 && errors.length === 0; i++) await sleep(10);
    await lease.stop();
    assert.ok(errors.length > 0);
    assert.match(errors[0]!, /sender lease .*: acquire failed: password authentication failed/);
    for (const e of errors) assert.ok(!e.includes(password), e);
  });
});
