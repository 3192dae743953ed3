// The contract of the read side (HistoryReads, StatsSource), run against both backends on the same data: a SQLite file is filled with a
// seeded, tie-rich history (events sharing milliseconds, storms sharing start times with ids that sort
// differently by byte and by locale, NULLs, flags), copied into a throwaway PostgreSQL cluster by
// `alertprism migrate`'s copy, and then every method, and the ops API's history pages and timelines built on
// them (history pages, timelines, statistics), must answer the same on both: same rows, same order, same
// cursors.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { openDatabase, type Database } from "../db.ts";
import { HistoryRepo, type HistoryReads, type Keyset } from "../history-repo.ts";
import { copySqliteToPostgres } from "./copy-from-sqlite.ts";
import { PgHistoryRepo } from "./history-repo.ts";
import { StatsRepo } from "../stats-repo.ts";
import { PgStatsRepo } from "./stats-repo.ts";
import { computeStats, type StatsSource } from "../../ops/stats.ts";
import { AuditRepo, type AuditReads } from "../audit-repo.ts";
import { PgAuditRepo } from "./audit-repo.ts";
import { PgCommitQueue } from "./commit-queue.ts";
import { ExplainRepo, type ExplainReads } from "../explain-repo.ts";
import { PgExplainRepo } from "./explain-repo.ts";
import { UnusualRepo } from "../unusual-repo.ts";
import { PgUnusualRepo } from "./unusual-repo.ts";
import { UnusualAlerts, type UnusualSource } from "../../ops/unusual-service.ts";
import { fingerprint, type LabelSet } from "../../types/labels.ts";
import { parseMatcher } from "../../matchers/index.ts";
import { queryHistory } from "../../ops/history.ts";
import { alertTimeline, type TimelineCursor } from "../../ops/timeline.ts";
import { parseAlertmanagerConfig } from "../../config/alertmanager.ts";
import { RoutingTable } from "../../dispatch/routing-table.ts";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERIES = 40;
const EVENTS = 700;
const FINGERPRINTS: string[] = [];
const LABELS: LabelSet[] = [];

function fill(db: Database): void {
  const rnd = prng(16);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const series = db.prepare("INSERT INTO series (id, fingerprint, labels) VALUES (?, ?, ?)");
  const label = db.prepare("INSERT INTO series_labels (name, value, series_id) VALUES (?, ?, ?)");
  for (let i = 1; i <= SERIES; i++) {
    const labels: Record<string, string> = { alertname: pick(["Disk", "CPU", "Mem", "Net", "Ωmega"]), instance: `host-${i}` };
    const team = pick(["db", "web", "", "Ops"]);
    if (team) labels.team = team;
    if (i % 4 === 0) labels.service = i % 8 === 0 ? "api" : "db";
    const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    const fp = fingerprint(sorted);
    FINGERPRINTS.push(fp);
    LABELS.push(sorted);
    series.run(i, fp, JSON.stringify(sorted));
    for (const [n, v] of Object.entries(sorted)) label.run(n, v, i);
  }
  const alert = db.prepare(
    "INSERT INTO alerts (series_id, annotations, starts_at, ends_at, updated_at, ends_at_ms, generator_url, timeout, state) VALUES (?, '{}', 's', 'e', 'u', 0, '', 0, ?)",
  );
  for (let i = 1; i <= SERIES; i += 3) alert.run(i, i % 2 ? "firing" : "resolved");
  const event = db.prepare("INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (?, ?, ?, ?)");
  for (let i = 0; i < EVENTS; i++) {
    // Coarse times: many events share a millisecond, so ordering and cursors lean on the id.
    event.run(1 + Math.floor(rnd() * SERIES), 1_000 * Math.floor(rnd() * 200), pick(["new", "resolved", "silenced", "acked", "new"]), JSON.stringify({ n: i }));
  }
  const decision = db.prepare("INSERT INTO notify_decisions (at_ms, group_key, receiver, integration, fingerprint, stage, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const delivery = db.prepare(
    "INSERT INTO deliveries (at_ms, group_key, receiver, integration, attempt, status, retryable, error, duration_ms, firing, resolved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const groups = ["{}:{alertname=\"Disk\"}", "{}:{alertname=\"CPU\"}", "{}/0:{team=\"db\"}"];
  for (let i = 0; i < 300; i++) {
    const at = 1_000 * Math.floor(rnd() * 200);
    decision.run(at, pick(groups), pick(["team", "ops"]), "webhook/0", rnd() < 0.3 ? "" : pick(FINGERPRINTS), pick(["storm", "flap", "dedup"]), pick(["held", "sent"]), "{}");
    const ok = rnd() < 0.7;
    delivery.run(at, pick(groups), pick(["team", "ops"]), pick(["webhook/0", "slack/0"]), 1 + Math.floor(rnd() * 3), ok ? "success" : "failed", ok ? 0 : 1, ok ? null : "HTTP 503", rnd() * 100, 3, 1);
  }
  const audit = db.prepare("INSERT INTO audit (at_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)");
  for (let i = 0; i < 120; i++) audit.run(1_000 * Math.floor(rnd() * 100), pick(["alice", "bob", "Ωps"]), pick(["silence.create", "ack.create", "ack.delete"]), pick(FINGERPRINTS), JSON.stringify({ i }));
  // Same start times, ids whose byte order ("B" < "a") differs from a linguistic collation's.
  db.prepare("INSERT INTO storms (id, receiver, started_ms, ended_ms) VALUES ('a-storm', 'team', 50000, NULL), ('B-storm', 'team', 50000, 90000), ('c', 'ops', 10000, 20000)").run();
  const stormAlert = db.prepare("INSERT INTO storm_alerts (storm_id, fingerprint, labels, groups, first_ms, last_ms) VALUES (?, ?, '{}', ?, 1, 2)");
  FINGERPRINTS.slice(0, 12).forEach((fp, i) => stormAlert.run(pick(["a-storm", "B-storm", "c"]), fp, JSON.stringify(i % 2 ? [groups[0], groups[1]] : [groups[0]])));
  for (let i = 0; i < 30; i++) {
    const fp = FINGERPRINTS[i % 5]!;
    db.prepare("INSERT INTO acks (fingerprint, episode_starts_ms, actor, comment, created_ms, expires_ms, ended_ms, ended_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(fp, 1000 * (i % 3), "alice", `ack ${i}`, 100_000 + 7_000 * (i % 7), i % 2 ? null : 199_000, i % 3 ? null : 150_000, i % 3 ? null : "bob");
    db.prepare("INSERT INTO comments (fingerprint, actor, text, created_ms) VALUES (?, 'bob', ?, ?)").run(fp, `comment ${i}`, 1000 * (i % 4));
    db.prepare("INSERT INTO escalations (fingerprint, episode_starts_ms, rule, receiver, group_key, notified_ms, due_ms, fired_ms, cancelled_ms, cancelled_by) VALUES (?, ?, ?, 'ops', 'g', 1, ?, ?, ?, ?)")
      .run(fp, i, `rule-${i % 2}`, 2000 + i, i % 3 === 0 ? 3000 : null, i % 3 === 1 ? 4000 : null, i % 3 === 1 ? "ack" : null);
  }
}

const ROUTING = new RoutingTable(parseAlertmanagerConfig(`
route:
  receiver: team
  group_by: [alertname]
  group_interval: 1m
  routes:
    - matchers: ['team="db"']
      receiver: ops
      group_by: [team]
receivers:
  - name: team
  - name: ops
`));

describe("the read side: SQLite and PostgreSQL answer the same", () => {
  let cluster: PostgresCluster;
  let dir: string;
  let sqlite: Database;
  let pool: pg.Pool;
  let lite: HistoryReads;
  let pgRepo: HistoryReads;
  let liteStats: StatsSource;
  let pgStats: StatsSource;

  before(async () => {
    cluster = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), "alertprism-pg-history-"));
    const file = join(dir, "alertprism.db");
    const db = openDatabase(file, { synchronous: "normal" });
    fill(db);
    db.close();
    // A linguistic default collation (ICU's en-US: "a-storm" before "B-storm"), as many production
    // databases have: text ordering must still be SQLite's byte order.
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query("CREATE DATABASE history TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
    } finally {
      await admin.end();
    }
    const url = new URL(cluster.url);
    url.pathname = "/history";
    pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
    await copySqliteToPostgres(file, pool);
    sqlite = openDatabase(file, { synchronous: "normal" });
    lite = new HistoryRepo(sqlite);
    pgRepo = new PgHistoryRepo(pool);
    liteStats = new StatsRepo(sqlite);
    pgStats = new PgStatsRepo(pool);
  });
  after(async () => {
    sqlite?.close();
    await pool?.end();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Both backends' answers to the same call; deepEqual with the call named on failure. */
  async function same<T>(what: string, call: (r: HistoryReads) => Promise<T>, normalise: (v: T) => unknown = (v) => v): Promise<T> {
    const a = await call(lite);
    const b = await call(pgRepo);
    assert.deepEqual(normalise(b), normalise(a), what);
    return a;
  }
  const sorted = <T>(xs: T[]): T[] => [...xs].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

  it("label and series lookups, time span and sizes", async () => {
    for (const [name, value] of [["team", "db"], ["alertname", "Ωmega"], ["instance", "host-3"], ["team", "nobody"]] as const) {
      await same(`seriesWithLabel ${name}=${value}`, (r) => r.seriesWithLabel(name, value));
    }
    for (const name of ["team", "alertname", "instance", "absent"]) {
      await same(`labelValues ${name}`, (r) => r.labelValues(name), sorted);
      await same(`labelPairs ${name}`, (r) => r.labelPairs(name), sorted);
    }
    const span = await same("timeSpan", (r) => r.timeSpan());
    assert.ok(span.toMs > span.fromMs);
    const sizes = await same("sizes", (r) => r.sizes());
    assert.deepEqual(sizes, { series: SERIES, events: EVENTS });
    for (const fp of [...FINGERPRINTS.slice(0, 3), "0000000000000000"]) await same(`series ${fp}`, (r) => r.series(fp));
  });

  it("history events under every filter, paged to the end by keyset: same rows, same order", async () => {
    const filters = [
      {},
      { seriesIn: [1, 2, 3, 17] },
      { seriesIn: [] },
      { seriesNotIn: [1, 5, 9] },
      { sinceMs: 40_000, untilMs: 120_000 },
      { kinds: ["resolved", "acked"] },
      { seriesIn: [4, 8, 15, 16, 23, 42], kinds: ["new"], sinceMs: 10_000 },
    ];
    for (const f of filters) {
      for (const plan of ["time", "series"] as const) {
        let before: Keyset | undefined;
        let pages = 0;
        do {
          const q = { ...f, ...(before ? { before } : {}), limit: 37, plan };
          const rows = await same(`events ${JSON.stringify(q)}`, (r) => r.events(q));
          const last = rows[rows.length - 1];
          before = rows.length === 37 && last ? { atMs: last.atMs, id: last.id } : undefined;
          pages++;
        } while (before && pages < 100);
      }
    }
  });

  it("per-series and per-group windows, deliveries, storms and ack records", async () => {
    const windows = [{ fromMs: -8.64e15, toMs: 8.64e15 }, { fromMs: 30_000, toMs: 60_000 }];
    const cursors: Array<Keyset | undefined> = [undefined, { atMs: 40_000, id: 100 }, { atMs: 40_000, id: Number.MAX_SAFE_INTEGER }];
    for (const id of [1, 7, 40]) {
      await same(`lastEventMs ${id}`, (r) => r.lastEventMs(id));
      await same(`seriesTransitions ${id}`, (r) => r.seriesTransitions(id));
      for (const w of windows) for (const c of cursors) await same(`seriesEvents ${id}`, (r) => r.seriesEvents(id, w, c, 25));
    }
    await same("lastEventMs of a series without events", (r) => r.lastEventMs(999));
    for (const fp of FINGERPRINTS.slice(0, 6)) {
      await same(`decisionGroupsOf ${fp}`, (r) => r.decisionGroupsOf(fp), sorted);
      await same(`stormGroupsOf ${fp}`, (r) => r.stormGroupsOf(fp), sorted);
      for (const w of windows) for (const c of cursors) await same(`alertDecisions ${fp}`, (r) => r.alertDecisions(fp, w, c, 20));
      await same(`acksOf ${fp}`, (r) => r.acksOf(fp, 100));
      await same(`commentsOf ${fp}`, (r) => r.commentsOf(fp, 4));
      await same(`escalationsOf ${fp}`, (r) => r.escalationsOf(fp, 100));
    }
    for (const g of ["{}:{alertname=\"Disk\"}", "{}/0:{team=\"db\"}", "none"]) {
      for (const w of windows) {
        for (const c of cursors) {
          await same(`groupDecisions ${g}`, (r) => r.groupDecisions(g, w, c, 15));
          await same(`groupDeliveries ${g}`, (r) => r.groupDeliveries(g, w, c, 15));
        }
      }
    }
    const deliveryQueries = [
      { limit: 50 },
      { receiver: "ops", status: "failed", limit: 20 },
      { integration: "slack/0", sinceMs: 20_000, untilMs: 150_000, limit: 30 },
      { groupKey: "{}:{alertname=\"CPU\"}", before: { atMs: 100_000, id: 150 }, limit: 10 },
    ];
    for (const q of deliveryQueries) {
      const rows = await same(`deliveries ${JSON.stringify(q)}`, (r) => r.deliveries(q));
      assert.ok(rows.length > 0, JSON.stringify(q));
    }
    const storms = await same("storms", (r) => r.storms({ limit: 10 }));
    assert.deepEqual(storms.map((s) => s.id), ["a-storm", "B-storm", "c"], "newest first, ties in byte order (descending) as SQLite, whatever the database's collation");
    const { rows: [linguistic] } = await pool.query<{ first: string }>("SELECT max(id) AS first FROM storms WHERE started_ms = 50000");
    assert.equal(linguistic?.first, "B-storm", "the database's own collation differs from byte order (or this test proves nothing)");
    await same("storms in a range", (r) => r.storms({ sinceMs: 25_000, untilMs: 60_000, limit: 10 }));
  });

  it("the ops API's history pages and timelines are the same on both", async () => {
    const filters = [[], ['team="db"'], ['team!="db"', 'alertname=~"C.*|Disk"'], ['instance=~"host-1.*"'], ['team=""']];
    for (const f of filters) {
      const matchers = f.map(parseMatcher);
      let before: Keyset | undefined;
      let pages = 0;
      do {
        const q = { matchers, limit: 50, ...(before ? { before } : {}) };
        const page = await same(`queryHistory ${f.join(",")}`, (r) => queryHistory(r, q), (p) => ({ events: p.events, next: p.next }));
        before = page.next;
        pages++;
      } while (before && pages < 50);
    }
    for (const fp of FINGERPRINTS.slice(0, 8)) {
      let after: TimelineCursor | undefined;
      let pages = 0;
      do {
        const q = { limit: 20, ...(after ? { after } : {}) };
        const page = await same(`timeline ${fp}`, (r) => alertTimeline({ repo: r, live: () => undefined, routing: () => ROUTING }, fp, q));
        assert.ok(page, fp);
        after = page.next;
        pages++;
      } while (after && pages < 50);
    }
  });

  /** The statistics' reads and what computeStats makes of them, on both backends. */
  async function sameStats<T>(what: string, call: (r: StatsSource) => Promise<T>, normalise: (v: T) => unknown = (v) => v): Promise<T> {
    const a = await call(liteStats);
    const b = await call(pgStats);
    assert.deepEqual(normalise(b), normalise(a), what);
    return a;
  }

  it("statistics: lifecycle, open episodes, first acks, delivery counts and the figures built on them", async () => {
    const lifecycle = await sameStats("lifecycle", (r) => r.lifecycle(0, 200_000));
    assert.ok(lifecycle.length > 100);
    await sameStats("lifecycle of a range", (r) => r.lifecycle(30_000, 90_000));
    for (const id of [1, 4, 7, 40]) {
      for (const at of [0, 50_000, 120_000, 1e12]) await sameStats(`openEpisodeStart ${id} ${at}`, (r) => r.openEpisodeStart(id, at));
      await sameStats(`openEpisodeStart ${id} before an id`, (r) => r.openEpisodeStart(id, 100_000, 350));
      await sameStats(`series ${id}`, (r) => r.series(id));
    }
    await sameStats("series of an unknown id", (r) => r.series(9_999));
    for (const to of [0, 100_000, 250_000]) await sameStats(`possiblyOpenSeries ${to}`, (r) => r.possiblyOpenSeries(to), (ids) => [...ids].sort((x, y) => x - y));
    const acks = await sameStats("firstAcks", (r) => r.firstAcks(0, 200_000));
    assert.ok(acks.length > 0, "the fixture's acks fall in episodes");
    for (const step of [200_000, 7_000, 60_000]) {
      await sameStats(`deliveries step ${step}`, (r) => r.deliveries(10_000, 190_000, step), (rows) => sorted(rows));
    }
    const receiversOf = (labels: LabelSet) => ROUTING.root.match(labels).map((route) => route.opts.receiver);
    for (const by of ["receiver", "team", "alertname"]) {
      for (const [sinceMs, untilMs, stepMs] of [[0, 200_000, 200_000], [20_000, 160_000, 10_000]] as const) {
        await sameStats(`computeStats by ${by} [${sinceMs}, ${untilMs}) step ${stepMs}`, (r) => computeStats(r, { sinceMs, untilMs, nowMs: 300_000, by, receiversOf }, stepMs));
      }
    }
  });

  it("the audit log's pages and explain's reads", async () => {
    const liteAudit: AuditReads = new AuditRepo(sqlite);
    const pgAudit: AuditReads = new PgAuditRepo(pool, new PgCommitQueue(pool));
    for (const q of [{ limit: 25 }, { actor: "Ωps", limit: 10 }, { action: "ack.create", sinceMs: 20_000, untilMs: 70_000, limit: 50 }, { beforeId: 60, limit: 7 }]) {
      let beforeId = q.beforeId;
      let pages = 0;
      do {
        const page = { ...q, ...(beforeId !== undefined ? { beforeId } : {}) };
        const a = await liteAudit.list(page);
        assert.deepEqual(await pgAudit.list(page), a, JSON.stringify(page));
        beforeId = a.length === q.limit ? a[a.length - 1]!.id : undefined;
        pages++;
      } while (beforeId !== undefined && pages < 50);
    }
    const liteExplain: ExplainReads = new ExplainRepo(sqlite);
    const pgExplain: ExplainReads = new PgExplainRepo(pool);
    for (const fp of [...FINGERPRINTS.slice(0, 6), "0000000000000000"]) {
      assert.deepEqual(await pgExplain.series(fp), await liteExplain.series(fp), fp);
      assert.deepEqual(await pgExplain.acks(fp, 110_000), await liteExplain.acks(fp, 110_000), fp);
    }
    for (const id of [1, 5, 40]) {
      for (const at of [0, 60_000, Number.MAX_SAFE_INTEGER]) assert.deepEqual(await pgExplain.lastLifecycle(id, at), await liteExplain.lastLifecycle(id, at), `${id} ${at}`);
    }
  });

  it("unusual alerts: episode starts, days per (alertname, service) pair, and the classes built on them", async () => {
    const lite: UnusualSource = new UnusualRepo(sqlite);
    const post: UnusualSource = new PgUnusualRepo(pool);
    for (const at of [0, 60_000, 150_000, 1e12]) {
      assert.deepEqual(await post.episodeStarts([...FINGERPRINTS, "0000000000000000"], at), await lite.episodeStarts([...FINGERPRINTS, "0000000000000000"], at), `starts at ${at}`);
    }
    assert.deepEqual(await post.episodeStarts([], 1), new Map());
    const pairs = [...new Set(LABELS.map((l) => `${l.alertname}\u0000${l.service ?? ""}`))].map((k) => k.split("\u0000") as [string, string]);
    pairs.push(["Disk", "nobody"], ["Ωmega", ""]);
    let days = 0;
    for (const [alertname, service] of pairs) {
      for (const [from, to] of [[0, 200_000], [30_000, 90_000], [-1e12, 1e12]]) {
        const a = await lite.episodeDayBounds(alertname, service, from!, to!);
        assert.deepEqual(await post.episodeDayBounds(alertname, service, from!, to!), a, `${alertname}/${service} [${from}, ${to})`);
        days += a.length;
      }
    }
    assert.ok(days > 0, "the fixture has episode days");
    assert.ok(pairs.some(([, service]) => service !== ""), "pairs with a service are compared too");
    const clock = { now: () => 200_000 } as ConstructorParameters<typeof UnusualAlerts>[0]["clock"];
    for (const [i, fp] of FINGERPRINTS.entries()) {
      const [a, b] = await Promise.all([lite, post].map((source) => new UnusualAlerts({ clock, source }).episodeAt(fp, LABELS[i]!, 200_000)));
      assert.deepEqual(b, a, fp);
    }
  });
});
