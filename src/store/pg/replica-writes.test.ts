// Replicas writing the same rows at once, against a real PostgreSQL: two processes' worth of commit queues
// and repositories on one database. Prometheus sends every alert to every replica, so each sees the same
// alert start and resolve: the history must record each episode once. And writers that lock rows in
// different orders deadlock: the loser's statements are sent again instead of failing the request.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { FakeClock } from "../../lib/clock.ts";
import { addMillis, fromMillis } from "../../types/time.ts";
import { fingerprint } from "../../types/labels.ts";
import type { Alert } from "../../types/alert.ts";
import { testProvider } from "../../provider/test-provider.ts";
import { migrate } from "./migrate.ts";
import { PgCommitQueue } from "./commit-queue.ts";
import { PgAlertsRepo } from "./alerts-repo.ts";
import { PgSilencesRepo } from "./silences-repo.ts";
import { toSilence, type SilenceRow } from "../silences-repo.ts";

const M = 60_000;

describe("replicas writing the same rows", () => {
  let cluster: PostgresCluster;
  let pool: pg.Pool;

  before(async () => {
    cluster = await startPostgres();
    pool = new pg.Pool({ connectionString: await cluster.createDatabase("replicas"), max: 6 });
    await migrate(pool);
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  async function replica(id: string, clock: FakeClock) {
    const queue = new PgCommitQueue(pool, undefined, id);
    const alerts = await PgAlertsRepo.open(queue, pool);
    return { ...testProvider({ alerts, silences: await PgSilencesRepo.open(queue, pool), queue, clock }), queue };
  }

  const lifecycle = async (fp: string) => (await pool.query<{ kind: string }>(
    "SELECT e.kind FROM alert_events e JOIN series s ON s.id = e.series_id WHERE s.fingerprint = $1 AND e.kind IN ('new', 'resolved') ORDER BY e.id", [fp],
  )).rows.map((r) => r.kind);

  it("records an episode, and its silencing, once when every replica sees them", async () => {
    const clock = new FakeClock();
    const replicas = await Promise.all(["a", "b", "c"].map((id) => replica(id, clock)));
    const labels = { alertname: "FannedOut", instance: "x" };
    const startsAt = fromMillis(clock.now());
    const firing: Alert = { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt, endsAt: addMillis(startsAt, 5 * M), updatedAt: startsAt, generatorURL: "", timeout: false };
    await Promise.all(replicas.map((r) => r.provider.put([firing])));
    assert.deepEqual(await lifecycle(firing.fingerprint), ["new"]);

    // A silence made on one replica reaches the others (as the change feed hands it over); each refreshes
    // the alert's status itself, and the history says once that it was silenced.
    const [first, ...others] = replicas;
    const id = await first!.silences.set({
      matchers: [{ name: "alertname", value: "FannedOut", isRegex: false, isEqual: true }],
      startsAt: fromMillis(clock.now()), endsAt: fromMillis(clock.now() + 60 * M), createdBy: "ops", comment: "fanned out",
    });
    const stored = (await pool.query<SilenceRow>("SELECT * FROM silences WHERE id = $1", [id])).rows.map(toSilence);
    for (const r of others) r.silences.applyRemote(stored, []);
    const silencedEvents = async () => (await pool.query("SELECT 1 FROM alert_events WHERE kind = 'silenced'")).rowCount ?? 0;
    for (let waited = 0; (await silencedEvents()) < 1 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await silencedEvents(), 1);

    clock.advance(M);
    const resolved = { ...firing, endsAt: fromMillis(clock.now()), updatedAt: fromMillis(clock.now()) };
    await Promise.all(replicas.map((r) => r.provider.put([resolved])));
    assert.deepEqual(await lifecycle(firing.fingerprint), ["new", "resolved"]);

    // Firing again later is a new episode, recorded once more.
    clock.advance(M);
    const again = { ...firing, startsAt: fromMillis(clock.now()), endsAt: fromMillis(clock.now() + 5 * M), updatedAt: fromMillis(clock.now()) };
    await Promise.all(replicas.map((r) => r.provider.put([again])));
    assert.deepEqual(await lifecycle(firing.fingerprint), ["new", "resolved", "new"]);
  });

  it("writes a batch of new alerts as a few multi-row statements, its episodes once across replicas", async () => {
    const clock = new FakeClock();
    const replicas = await Promise.all(["d", "e", "f"].map((id) => replica(id, clock)));
    const startsAt = fromMillis(clock.now());
    const fleet: Alert[] = Array.from({ length: 64 }, (_, i) => {
      const labels = { alertname: "Fleet", instance: `host-${i}`, job: "node" };
      return { fingerprint: fingerprint(labels), labels, annotations: { summary: "down" }, startsAt, endsAt: addMillis(startsAt, 5 * M), updatedAt: startsAt, generatorURL: "", timeout: false };
    });
    // Counted on one replica: statements its queue recorded for the whole batch.
    const queue = replicas[0]!.queue;
    let recorded = 0;
    const recordRows = queue.recordRows.bind(queue);
    queue.recordRows = (...args) => {
      recorded++;
      recordRows(...args);
    };
    // Every replica receives the fleet, one of them in reverse order (the series locks are taken in id order).
    await Promise.all(replicas.map((r, i) => r.provider.put(i === 1 ? [...fleet].reverse() : fleet)));
    assert.ok(recorded <= 4, `series, alerts, one lock, events: ${recorded} statements for 64 alerts (one-row statements made 256)`);
    const counts = await pool.query<{ kind: string; n: string }>(
      `SELECT e.kind, count(*) AS n FROM alert_events e JOIN series s ON s.id = e.series_id JOIN alerts a ON a.series_id = s.id
        WHERE s.fingerprint = ANY($1) GROUP BY e.kind`, [fleet.map((a) => a.fingerprint)]);
    assert.deepEqual(counts.rows.map((r) => [r.kind, Number(r.n)]), [["new", 64]], "each alert stored, its episode recorded once");
    const labelRows = await pool.query("SELECT 1 FROM series_labels l JOIN series s ON s.id = l.series_id WHERE s.fingerprint = ANY($1)", [fleet.map((a) => a.fingerprint)]);
    assert.equal(labelRows.rowCount, 64 * 3, "every label row of every new series");
  });

  it("records an episode's end and a restart in one batch: a statement never compares an event with its own rows", async () => {
    const clock = new FakeClock();
    const r = await replica("g", clock);
    const labels = { alertname: "Brief", instance: "y" };
    const t0 = fromMillis(clock.now() - 3 * M);
    const firing: Alert = { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: t0, endsAt: addMillis(t0, 8 * M), updatedAt: t0, generatorURL: "", timeout: false };
    await r.provider.put([firing]);
    // In one request: resolved two minutes in, then firing again with the same startsAt (the history's last
    // `new`). Compared with the history as it was before the statement, the second `new` would look like a repeat.
    const resolved = { ...firing, endsAt: addMillis(t0, 2 * M), updatedAt: addMillis(t0, 2 * M) };
    const again = { ...firing, updatedAt: addMillis(t0, 3 * M) };
    await r.provider.put([resolved, again]);
    assert.deepEqual(await lifecycle(firing.fingerprint), ["new", "resolved", "new"]);
  });

  it("sends again the statements of a writer that lost a deadlock: every write commits", async () => {
    await pool.query("CREATE TABLE pair (k text PRIMARY KEY, n int NOT NULL)");
    await pool.query("INSERT INTO pair VALUES ('x', 0), ('y', 0)");
    const one = new PgCommitQueue(pool);
    const two = new PgCommitQueue(pool);
    const bump = (q: PgCommitQueue, k: string) => q.record("UPDATE pair SET n = n + 1 WHERE k = $1", [k]);
    // Slow enough between the two updates that opposite orders overlap.
    const pause = (q: PgCommitQueue) => q.record("SELECT pg_sleep(0.05)", []);
    const rounds = 5;
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < rounds; i++) {
      writes.push(one.submit(() => { bump(one, "x"); pause(one); bump(one, "y"); }));
      writes.push(two.submit(() => { bump(two, "y"); pause(two); bump(two, "x"); }));
      await Promise.all(writes.splice(0));
    }
    const { rows } = await pool.query<{ k: string; n: number }>("SELECT k, n FROM pair ORDER BY k");
    assert.deepEqual(rows.map((r) => [r.k, r.n]), [["x", 2 * rounds], ["y", 2 * rounds]]);
  });
});
