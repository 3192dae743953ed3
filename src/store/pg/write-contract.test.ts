// The write side's contract, run on both backends: the same service (Silences) over SQLite's CommitQueue
// and SilencesRepo and over PostgreSQL's PgCommitQueue and PgSilencesRepo, driven through the same steps
// with the same clock, must hold the same silences in memory, store the same rows, and restore the same
// set after a restart. Ids are random UUIDs, so silences are compared by the step that created them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { FakeClock } from "../../lib/clock.ts";
import { LimitError, StorageError } from "../../lib/errors.ts";
import { fromMillis } from "../../types/time.ts";
import type { Silence } from "../../types/silence.ts";
import { Silences, type SilenceInput } from "../../silence/silences.ts";
import { memoryStore } from "../test-db.ts";
import type { SilenceRow, SilencesStore } from "../silences-repo.ts";
import type { WriteQueue } from "../write-queue.ts";
import { migrate } from "./migrate.ts";
import { PgCommitQueue } from "./commit-queue.ts";
import { PgSilencesRepo } from "./silences-repo.ts";
import { NotifyRepo, type NotifyStore } from "../notify-repo.ts";
import { PgNotifyRepo } from "./notify-repo.ts";
import { NotificationLog } from "../../nflog/nflog.ts";
import { rows as pgRows } from "./types.ts";
import type { Database } from "../db.ts";
import { AuditRepo, type AuditStore } from "../audit-repo.ts";
import { PgAuditRepo } from "./audit-repo.ts";
import { HeartbeatsRepo, type HeartbeatsStore } from "../heartbeats-repo.ts";
import { PgHeartbeatsRepo } from "./heartbeats-repo.ts";
import { AnomalyRepo, type AnomalyStore } from "../anomaly-repo.ts";
import { PgAnomalyRepo } from "./anomaly-repo.ts";
import type { StoredRule } from "../../anomaly/rules/store.ts";
import { AlertsRepo, type AlertsStore } from "../alerts-repo.ts";
import { PgAlertsRepo } from "./alerts-repo.ts";
import { testProvider } from "../../provider/test-provider.ts";
import { addMillis } from "../../types/time.ts";
import { fingerprint } from "../../types/labels.ts";
import type { Alert } from "../../types/alert.ts";
import { AcksRepo, type AcksStore } from "../acks-repo.ts";
import { PgAcksRepo } from "./acks-repo.ts";
import { NoiseRepo, type NoiseStore } from "../noise-repo.ts";
import { PgNoiseRepo } from "./noise-repo.ts";

const H = 3_600_000;
/** "Now" for the acks steps: escalations are loaded back 31 days from it. */
const ACKS_NOW = 1_000_000_000_000;
const RETENTION = 120 * H;
const LIMITS = { current: () => ({ maxSilences: 2, maxSilenceSizeBytes: 4096 }), refused: () => undefined };

interface Backend {
  readonly name: string;
  readonly store: SilencesStore;
  readonly notify: NotifyStore;
  /** A table's rows in a fixed order, flags as 0/1 on both. */
  table(name: string, orderBy: string): Promise<Array<Record<string, unknown>>>;
  reopenNotify(): Promise<NotifyStore>;
  readonly audit: AuditStore;
  readonly heartbeats: HeartbeatsStore;
  readonly anomaly: AnomalyStore;
  reopenHeartbeats(): Promise<HeartbeatsStore>;
  reopenAnomaly(): Promise<AnomalyStore>;
  readonly alerts: AlertsStore;
  reopenAlerts(): Promise<AlertsStore>;
  readonly acks: AcksStore;
  reopenAcks(nowMs: number): Promise<AcksStore>;
  readonly noise: NoiseStore;
  reopenNoise(): Promise<NoiseStore>;
  readonly queue: WriteQueue;
  /** The stored rows, as SQLite and PostgreSQL both give them. */
  rows(): Promise<SilenceRow[]>;
  /** A store reopened on the same database, as at a restart. */
  reopen(): Promise<SilencesStore>;
}

function sqliteTable(db: Database, name: string, orderBy: string): Array<Record<string, unknown>> {
  return db.prepare(`SELECT * FROM ${name} ORDER BY ${orderBy}`).all() as Array<Record<string, unknown>>;
}

const flagsAsNumbers = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "boolean" ? Number(v) : v]));

describe("the write side: services on SQLite and on PostgreSQL", () => {
  let cluster: PostgresCluster;
  let pool: pg.Pool;
  let backends: Backend[];

  before(async () => {
    cluster = await startPostgres();
    pool = new pg.Pool({ connectionString: await cluster.createDatabase("writes"), max: 3 });
    await migrate(pool);
    const lite = memoryStore();
    const pgQueue = new PgCommitQueue(pool);
    backends = [
      {
        name: "sqlite",
        store: lite.silences,
        notify: new NotifyRepo(lite.db),
        table: (name, orderBy) => Promise.resolve(sqliteTable(lite.db, name, orderBy)),
        reopenNotify: () => Promise.resolve(new NotifyRepo(lite.db)),
        audit: new AuditRepo(lite.db),
        heartbeats: new HeartbeatsRepo(lite.db),
        anomaly: new AnomalyRepo(lite.db),
        reopenHeartbeats: () => Promise.resolve(new HeartbeatsRepo(lite.db)),
        reopenAnomaly: () => Promise.resolve(new AnomalyRepo(lite.db)),
        alerts: lite.alerts,
        reopenAlerts: () => Promise.resolve(new AlertsRepo(lite.db)),
        acks: new AcksRepo(lite.db),
        reopenAcks: () => Promise.resolve(new AcksRepo(lite.db)),
        noise: new NoiseRepo(lite.db),
        reopenNoise: () => Promise.resolve(new NoiseRepo(lite.db)),
        queue: lite.queue,
        rows: () => Promise.resolve(lite.db.prepare("SELECT id, matchers, starts_at, ends_at, updated_at, created_by, comment FROM silences").all() as SilenceRow[]),
        reopen: () => Promise.resolve(lite.silences),
      },
      {
        name: "postgres",
        store: await PgSilencesRepo.open(pgQueue, pool),
        notify: await PgNotifyRepo.open(pgQueue, pool),
        table: async (name, orderBy) => (await pgRows<Record<string, unknown>>(pool, `SELECT * FROM ${name} ORDER BY ${orderBy}`)).map(flagsAsNumbers),
        reopenNotify: () => PgNotifyRepo.open(pgQueue, pool),
        audit: new PgAuditRepo(pool, pgQueue),
        heartbeats: await PgHeartbeatsRepo.open(pgQueue, pool),
        anomaly: await PgAnomalyRepo.open(pgQueue, pool),
        reopenHeartbeats: () => PgHeartbeatsRepo.open(pgQueue, pool),
        reopenAnomaly: () => PgAnomalyRepo.open(pgQueue, pool),
        alerts: await PgAlertsRepo.open(pgQueue, pool),
        reopenAlerts: () => PgAlertsRepo.open(pgQueue, pool),
        acks: await PgAcksRepo.open(pgQueue, pool, ACKS_NOW),
        reopenAcks: (nowMs) => PgAcksRepo.open(pgQueue, pool, nowMs),
        noise: await PgNoiseRepo.open(pgQueue, pool),
        reopenNoise: () => PgNoiseRepo.open(pgQueue, pool),
        queue: pgQueue,
        rows: async () => (await pool.query<SilenceRow>("SELECT id, matchers, starts_at, ends_at, updated_at, created_by, comment FROM silences")).rows,
        reopen: () => PgSilencesRepo.open(pgQueue, pool),
      },
    ];
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  it("the same steps give the same silences, rows and restored set", async () => {
    const clock = new FakeClock();
    const services = backends.map((b) => new Silences(b.store, b.queue, clock, RETENTION, LIMITS));
    /** Per backend: the id each step's silence got, so the ids compare by step. */
    const ids = backends.map(() => new Map<string, string>());
    const input = (step: string, p: { from?: number; to?: number; id?: string } = {}): SilenceInput => ({
      matchers: [{ name: "alertname", value: step, isRegex: false, isEqual: true }],
      startsAt: fromMillis(clock.now() + (p.from ?? 0)),
      endsAt: fromMillis(clock.now() + (p.to ?? H)),
      createdBy: "ops",
      comment: `step ${step} ✓`,
      id: p.id,
    });
    /** Runs a step on every backend; `id` names an earlier step whose silence it updates. */
    const step = async (name: string, p: { from?: number; to?: number; update?: string } = {}) => {
      const outcomes = await Promise.allSettled(services.map((s, i) => s.set(input(name, { ...p, ...(p.update ? { id: ids[i]!.get(p.update) } : {}) }))));
      outcomes.forEach((o, i) => {
        if (o.status !== "fulfilled") return;
        // A replaced silence stays (expired) under its old id: name that one after the step that replaced it.
        const before = ids[i]!.get(name);
        if (before !== undefined && before !== o.value) ids[i]!.set(`${name} replaced`, before);
        ids[i]!.set(name, o.value);
      });
      return outcomes;
    };
    const byStep = (i: number, list: readonly Silence[]) => {
      const stepOf = new Map([...ids[i]!].map(([k, v]) => [v, k]));
      return list.map((s) => ({ ...s, id: stepOf.get(s.id) ?? `unknown ${s.id}` })).sort((a, b) => (a.id < b.id ? -1 : 1));
    };
    const rowsByStep = async (i: number) => {
      const stepOf = new Map([...ids[i]!].map(([k, v]) => [v, k]));
      return (await backends[i]!.rows()).map((r) => ({ ...r, id: stepOf.get(r.id) ?? `unknown ${r.id}` })).sort((a, b) => (a.id < b.id ? -1 : 1));
    };
    const compare = async (what: string) => {
      assert.deepEqual(byStep(1, services[1]!.list()), byStep(0, services[0]!.list()), `memory after ${what}`);
      assert.deepEqual(await rowsByStep(1), await rowsByStep(0), `rows after ${what}`);
      for (let i = 0; i < backends.length; i++) {
        assert.deepEqual((await rowsByStep(i)).map((r) => r.id), byStep(i, services[i]!.list()).map((s) => s.id), `${backends[i]!.name}: rows = memory after ${what}`);
      }
    };

    for (const o of await step("a")) assert.equal(o.status, "fulfilled");
    clock.advance(1_000);
    await step("b", { from: H, to: 2 * H }); // pending
    await step("a", { to: 3 * H, update: "a" }); // active, longer end: updated in place
    await compare("create and update in place");
    clock.advance(1_000);
    await step("c", { from: -H, to: H, update: "b" }); // a pending one's start moved into the past: replaced
    await compare("replace");
    const limited = await step("d");
    for (const o of limited) {
      assert.equal(o.status, "rejected");
      assert.ok((o as PromiseRejectedResult).reason instanceof LimitError);
    }
    await Promise.all(services.map((s, i) => s.expire(ids[i]!.get("a")!)));
    await compare("a refusal at the limit and an expiry");
    clock.advance(RETENTION + 10 * H);
    const collected = await Promise.all(services.map((s) => s.gc()));
    assert.ok(collected[0]! > 0);
    assert.equal(collected[1], collected[0]);
    await step("e");
    await compare("garbage collection");

    const restored = await Promise.all(backends.map(async (b) => new Silences(await b.reopen(), b.queue, clock, RETENTION, LIMITS)));
    restored.forEach((s) => s.load());
    assert.deepEqual(byStep(1, restored[1]!.list()), byStep(1, services[1]!.list()), "postgres restores what it held");
    assert.deepEqual(byStep(1, restored[1]!.list()), byStep(0, restored[0]!.list()), "both restore the same");
  });

  it("on PostgreSQL, a silence the database refuses is not kept in memory and the caller learns why", async () => {
    const pgBackend = backends[1]!;
    const clock = new FakeClock();
    const silences = new Silences(pgBackend.store, pgBackend.queue, clock, RETENTION);
    const base = { matchers: [{ name: "alertname", value: "nul", isRegex: false, isEqual: true }], startsAt: fromMillis(clock.now()), endsAt: fromMillis(clock.now() + H), createdBy: "ops" };
    // PostgreSQL's text cannot hold U+0000 (SQLite's can): the unit fails in the database, after its work ran.
    const [refused, kept] = await Promise.allSettled([silences.set({ ...base, comment: "nul\u0000byte" }), silences.set({ ...base, comment: "fine" })]);
    assert.equal(refused.status, "rejected");
    assert.ok((refused as PromiseRejectedResult).reason instanceof StorageError);
    assert.equal(kept.status, "fulfilled");
    assert.deepEqual(silences.list().map((s) => s.comment), ["fine"]);
  });

  it("the notification log, the outbox and the delivery records: the same rows, and the same state restored", async () => {
    const logs = backends.map((b) => new NotificationLog(b.notify));
    const key = (g: string) => ({ groupKey: `{}:{alertname="${g}"}`, receiver: "team", integration: "webhook/0" });
    const outbox = (g: string, createdMs: number) => ({ ...key(g), payload: JSON.stringify({ g, createdMs }), createdMs });
    const delivery = (atMs: number, ok: boolean) => ({
      atMs, ...key("A"), attempt: ok ? 2 : 1, status: ok ? "success" as const : "failed" as const, retryable: !ok, error: ok ? undefined : "HTTP 503 ✗", durationMs: 12.5, firing: 3, resolved: 1,
    });
    const steps: Array<(b: Backend, log: NotificationLog) => void> = [
      (b, log) => { log.record(key("A"), new Set(["f2", "f1"]), new Set(), 1_000); b.notify.saveOutbox(outbox("A", 900)); },
      (b, log) => { log.record(key("B"), new Set(["f3"]), new Set(["f4"]), 1_200); b.notify.saveOutbox(outbox("B", 1_100)); },
      (b) => b.notify.recordDelivery(delivery(1_000, false)),
      (b) => b.notify.recordDelivery(delivery(1_300, true)),
      (b, log) => { log.record(key("A"), new Set(["f1"]), new Set(["f2"]), 2_000); b.notify.saveOutbox(outbox("A", 1_900)); },
      // A stale removal (an older decision's time) leaves the newer row; a matching one removes it.
      (b) => b.notify.removeOutbox(outbox("A", 900)),
      (b) => b.notify.removeOutbox(outbox("B", 1_100)),
      (b, log) => { log.prune(1_500); b.notify.pruneDeliveries(1_100); },
    ];
    for (const [i, step] of steps.entries()) {
      await Promise.all(backends.map((b, j) => b.queue.submit(() => step(b, logs[j]!))));
      for (const [table, order] of [["nflog", "group_key, receiver, integration"], ["outbox", "group_key, receiver, integration"], ["deliveries", "id"]] as const) {
        assert.deepEqual(await backends[1]!.table(table, order), await backends[0]!.table(table, order), `${table} after step ${i + 1}`);
      }
    }
    assert.deepEqual((await backends[0]!.table("outbox", "group_key")).map((r) => r.created_ms), [1_900]);
    assert.equal((await backends[0]!.table("nflog", "group_key")).length, 1);
    const reopened = await Promise.all(backends.map((b) => b.reopenNotify()));
    assert.deepEqual(reopened[1]!.loadLog(), reopened[0]!.loadLog());
    assert.deepEqual(reopened[1]!.loadOutbox(), reopened[0]!.loadOutbox());
    const restored = reopened.map((r) => new NotificationLog(r));
    assert.deepEqual(restored.map((l) => l.load()), [1, 1]);
    assert.deepEqual(restored[1]!.get(key("A")), logs[1]!.get(key("A")));
  });

  it("the audit log, heartbeat state and anomaly rule state: the same rows, loads and restored state", async () => {
    const rule = (name: string, savedAtMs: number, series: StoredRule["series"]): StoredRule => ({ name, stateKey: `key-${name}`, lastEvalMs: savedAtMs - 60_000, savedAtMs, series });
    const series = (fp: string, model?: Buffer) => ({ fp, labels: { instance: fp, note: "Ω" }, state: { mean: 1.5, n: 3 }, ...(model ? { model } : {}) });
    const steps: Array<(b: Backend) => void> = [
      (b) => { b.audit.record({ atMs: 1_000, actor: "alice", action: "silence.create", target: "s1", detail: { comment: "✓" } }); b.heartbeats.save("hb-1", { firstSeenMs: 1_000, lastArrivalMs: undefined }); },
      (b) => { b.heartbeats.save("hb-1", { firstSeenMs: 1_000, lastArrivalMs: 5_000 }); b.heartbeats.save("hb-2", { firstSeenMs: 2_000, lastArrivalMs: 2_500 }); },
      (b) => b.anomaly.save(rule("cpu", 10_000, [series("a", Buffer.from([0, 1, 0xff])), series("b")])),
      (b) => b.anomaly.save(rule("mem", 11_000, [series("c")])),
      (b) => { b.anomaly.save(rule("cpu", 20_000, [series("b")])); b.audit.record({ atMs: 3_000, actor: "bob", action: "ack.create", target: "f", detail: {} }); },
      (b) => { b.heartbeats.delete("hb-2"); b.anomaly.retain(["cpu", "disk"]); b.audit.prune(2_000); },
    ];
    const tables = [["audit", "id"], ["heartbeats", "id"], ["anomaly_rules", "name"], ["anomaly_series", "rule, fingerprint"]] as const;
    for (const [i, step] of steps.entries()) {
      await Promise.all(backends.map((b) => b.queue.submit(() => step(b))));
      for (const [table, order] of tables) {
        assert.deepEqual(await backends[1]!.table(table, order), await backends[0]!.table(table, order), `${table} after step ${i + 1}`);
      }
      for (const id of ["hb-1", "hb-2"]) assert.deepEqual(backends[1]!.heartbeats.load(id), backends[0]!.heartbeats.load(id), `heartbeat ${id} after step ${i + 1}`);
      for (const name of ["cpu", "mem"]) assert.deepEqual(backends[1]!.anomaly.load(name), backends[0]!.anomaly.load(name), `rule ${name} after step ${i + 1}`);
    }
    assert.deepEqual((await backends[0]!.table("audit", "id")).map((r) => r.actor), ["bob"]);
    assert.equal(backends[0]!.anomaly.load("mem"), undefined);
    assert.deepEqual(backends[0]!.anomaly.load("cpu")?.series.map((x) => x.fp), ["b"]);
    const [liteHb, pgHb] = await Promise.all(backends.map((b) => b.reopenHeartbeats()));
    assert.deepEqual(pgHb!.load("hb-1"), liteHb!.load("hb-1"));
    assert.equal(pgHb!.load("hb-2"), undefined);
    const [liteRules, pgRules] = await Promise.all(backends.map((b) => b.reopenAnomaly()));
    assert.deepEqual(pgRules!.load("cpu"), liteRules!.load("cpu"));
    const pagesOf = async (b: Backend) => b.audit.list({ limit: 10 });
    assert.deepEqual(await pagesOf(backends[1]!), await pagesOf(backends[0]!));
  });

  it("on PostgreSQL a repository's cache follows only committed writes", async () => {
    const pgBackend = backends[1]!;
    const refused = pgBackend.queue.submit(() => pgBackend.heartbeats.save("nul\u0000id", { firstSeenMs: 1, lastArrivalMs: undefined }));
    await assert.rejects(refused, StorageError);
    assert.equal(pgBackend.heartbeats.load("nul\u0000id"), undefined);
  });

  it("the alert provider: the same live set, history and restored set through new, re-sent, changed, silenced, inhibited, resolved and collected alerts", async () => {
    const M = 60_000;
    const clock = new FakeClock();
    const sides = backends.map((b) => ({ b, ...testProvider({ alerts: b.alerts, silences: b.store, queue: b.queue, clock }) }));
    const alert = (labels: Record<string, string>, p: { endsIn?: number; timeout?: boolean; summary?: string } = {}): Alert => {
      const now = fromMillis(clock.now());
      return {
        fingerprint: fingerprint(labels), labels, annotations: p.summary ? { summary: p.summary } : {}, startsAt: now,
        endsAt: addMillis(now, p.endsIn ?? 5 * M), updatedAt: now, generatorURL: "http://prometheus/graph", timeout: p.timeout ?? true,
      };
    };
    const tablesByFingerprint = async (b: Backend) => ({
      series: (await b.table("series", "fingerprint")).map(({ id: _id, ...r }) => r),
      labels: (await b.table("series_labels l JOIN series s ON s.id = l.series_id", "s.fingerprint, l.name")).map((r) => [r.fingerprint, r.name, r.value]),
      alerts: (await b.table("alerts a JOIN series s ON s.id = a.series_id", "s.fingerprint")).map(({ series_id: _s, id: _i, labels: _l, ...r }) => r),
      events: (await b.table("alert_events e JOIN series s ON s.id = e.series_id", "e.id")).map((r) => [r.fingerprint, r.at_ms, r.kind, r.detail]),
    });
    /** Each side's silence ids (random UUIDs) → one placeholder, wherever they appear. */
    const silenceIds: string[][] = sides.map(() => []);
    const normalise = (i: number, v: unknown): unknown => JSON.parse(silenceIds[i]!.reduce((text, id) => text.split(id).join("<silence>"), JSON.stringify(v)));
    const compare = async (what: string) => {
      const [lite, post] = sides.map((side, i) => normalise(i, [...side.provider.all()].map((e) => ({ ...e, origin: undefined })).sort((x, y) => (x.alert.fingerprint < y.alert.fingerprint ? -1 : 1))));
      assert.deepEqual(post, lite, `live set after ${what}`);
      assert.deepEqual(normalise(1, await tablesByFingerprint(backends[1]!)), normalise(0, await tablesByFingerprint(backends[0]!)), `tables after ${what}`);
    };
    const both = (f: (side: (typeof sides)[number]) => Promise<unknown>) => Promise.all(sides.map(f));

    const warn = { alertname: "Disk", severity: "warning", instance: "db-1" };
    const crit = { alertname: "Disk", severity: "critical", instance: "db-1" };
    const batch = Array.from({ length: 30 }, (_, i) => ({ alertname: "Many", i: String(i), note: "Ω ✓" }));
    await both((x) => x.provider.put([alert(warn, { endsIn: 60 * M }), ...batch.map((l) => alert(l))]));
    await compare("new alerts");
    clock.advance(M);
    await both((x) => x.provider.put(batch.map((l) => alert(l, { endsIn: 10 * M, timeout: false }))));
    await both((x) => x.provider.put([alert(batch[0]!, { summary: "changed" })]));
    await compare("re-sends and a changed annotation");
    await Promise.all(sides.map(async (x, i) => silenceIds[i]!.push(await x.silences.set({ matchers: [{ name: "i", value: "1", isRegex: false, isEqual: true }], startsAt: fromMillis(clock.now()), endsAt: fromMillis(clock.now() + 5 * M), createdBy: "ops", comment: "" }))));
    await both((x) => x.provider.refreshStatuses());
    await both((x) => x.provider.put([alert(crit, { endsIn: 60 * M })]));
    await both((x) => x.provider.refreshStatuses());
    await compare("a silence and an inhibition");
    await both((x) => x.provider.put([alert(crit, { endsIn: 0, timeout: false })]));
    await both((x) => x.provider.refreshStatuses());
    clock.advance(11 * M);
    await both((x) => x.provider.sweep());
    await compare("resolutions by endsAt and by timeout, and the silence's end");
    clock.advance(31 * M);
    await both((x) => x.provider.sweep());
    await compare("garbage collection");
    let pruned = [-1, -1];
    await Promise.all(backends.map((b, i) => b.queue.submit(() => b.alerts.pruneHistory(clock.now() - 20 * M, (n) => (pruned[i] = n)))));
    assert.ok(pruned[0]! > 0);
    assert.equal(pruned[1], pruned[0]);
    await compare("pruning history");
    const restored = await Promise.all(backends.map((b) => b.reopenAlerts()));
    const key = (list: ReturnType<AlertsStore["loadAll"]>) => [...list].sort((x, y) => (x.alert.fingerprint < y.alert.fingerprint ? -1 : 1));
    assert.deepEqual(key(restored[1]!.loadAll()), key(restored[0]!.loadAll()));
    assert.ok(restored[0]!.loadAll().length > 0);
    // After pruning, an alert of a pruned series is written again: the series is recreated.
    await both((x) => x.provider.put([alert(batch[5]!)]));
    await compare("an alert of a pruned series again");
    pruned = [];
  });

  it("acks, comments and escalations: the same ids, answers, rows and loaded state", async () => {
    const t = ACKS_NOW;
    const ack = (fingerprint: string, createdMs: number) => ({ fingerprint, episodeStartsMs: t - H, actor: "alice", comment: "on it ✓", createdMs, expiresMs: createdMs + H });
    const esc = (fingerprint: string, rule: string) => ({ fingerprint, episodeStartsMs: t - H, rule, receiver: "ops", groupKey: "{}:{}", notifiedMs: t, dueMs: t + 10 * 60_000 });
    const steps: Array<(r: AcksStore) => unknown> = [
      (r) => [r.saveAck(ack("f1", t)), r.saveAck(ack("f2", t + 1))],
      (r) => [r.endAck(1, t + 10, "bob"), r.endAck(1, t + 11, "carol")], // only the first ends it
      (r) => r.saveComment({ fingerprint: "f1", actor: "bob", text: "looking", createdMs: t + 12 }),
      (r) => [r.scheduleEscalation(esc("f2", "page")), r.scheduleEscalation(esc("f2", "page")), r.scheduleEscalation(esc("f2", "call"))],
      (r) => [r.markEscalationFired(1, t + 20), r.cancelEscalation(1, t + 21, "ack"), r.cancelEscalation(2, t + 22, "resolved"), r.markEscalationFired(2, t + 23)],
      (r) => [r.saveAck(ack("f1", t + 30)), r.endAck(3, t + 31, "replaced"), r.endAck(99, t + 32, "nobody")],
      (r) => {
        r.prune(t + 11);
      },
    ];
    const tables = [["acks", "id"], ["comments", "id"], ["escalations", "id"]] as const;
    for (const [i, step] of steps.entries()) {
      const answers = await Promise.all(backends.map((b) => b.queue.submit(() => step(b.acks))));
      assert.deepEqual(answers[1], answers[0], `answers of step ${i + 1}`);
      for (const [table, order] of tables) {
        assert.deepEqual(await backends[1]!.table(table, order), await backends[0]!.table(table, order), `${table} after step ${i + 1}`);
      }
    }
    assert.deepEqual((await backends[0]!.table("acks", "id")).map((r) => [r.id, r.ended_by]), [[2, null], [3, "replaced"]]);
    const reopened = await Promise.all(backends.map((b) => b.reopenAcks(t + 40)));
    assert.deepEqual(reopened[1]!.openAcks(), reopened[0]!.openAcks());
    assert.deepEqual(reopened[1]!.escalationsSince(t - 31 * 24 * H), reopened[0]!.escalationsSince(t - 31 * 24 * H));
    // Another replica's repository reserves its own ids from the same sequences: never one already given.
    const otherQueue = new PgCommitQueue(pool);
    const other = await PgAcksRepo.open(otherQueue, pool, t);
    const comment = await otherQueue.submit(() => other.saveComment({ fingerprint: "f9", actor: "x", text: "", createdMs: t }));
    assert.ok(comment.id > 64, `id ${comment.id} comes after the first replica's reserved block`);
  });

  it("on PostgreSQL an undone unit reverts what the acks repository assumed", async () => {
    const pgBackend = backends[1]!;
    const repo = pgBackend.acks;
    const saved = await pgBackend.queue.submit(() => repo.saveAck({ fingerprint: "undo", episodeStartsMs: 1, actor: "a", comment: "", createdMs: 1, expiresMs: undefined }));
    // The unit ends the ack, then writes a row PostgreSQL refuses: the whole unit is undone, the ack stays open.
    await assert.rejects(pgBackend.queue.submit(() => {
      assert.equal(repo.endAck(saved.id, 2, "bob"), true);
      repo.saveComment({ fingerprint: "undo", actor: "nul\u0000", text: "", createdMs: 2 });
    }), StorageError);
    assert.equal(await pgBackend.queue.submit(() => repo.endAck(saved.id, 3, "carol")), true, "still open after the undone unit");
  });

  it("flap and storm state and notification decisions: the same rows, loads and replayed history", async () => {
    const decision = (atMs: number, stage: string) => ({ atMs, groupKey: "{}:{}", receiver: "team", integration: "webhook/0", fingerprint: "f1", stage, outcome: "held", detail: { why: "Ω" } });
    const stormAlert = (stormId: string, fingerprint: string, lastMs: number) => ({ stormId, fingerprint, labels: { alertname: "Many" }, groups: ["{}:{a=\"1\"}"], firstMs: 1_000, lastMs });
    const steps: Array<(r: NoiseStore) => void> = [
      (r) => { r.saveFlapState("f1", { changes: [1, 2, 3], sinceMs: 1 }, 1_000); r.saveFlapState("f2", { changes: [4] }, 1_100); },
      (r) => { r.saveFlapState("f1", { changes: [1, 2, 3, 4], sinceMs: 1 }, 1_200); r.deleteFlapState("f2"); },
      (r) => { r.saveStorm({ id: "s1", receiver: "team", startedMs: 1_000, endedMs: undefined }); r.saveStorm({ id: "s0", receiver: "ops", startedMs: 500, endedMs: undefined }); },
      (r) => { r.saveStormAlert(stormAlert("s1", "f1", 1_100)); r.saveStormAlert(stormAlert("s1", "f2", 1_150)); r.saveStormAlert(stormAlert("s0", "f3", 600)); },
      (r) => { r.saveStormAlert(stormAlert("s1", "f1", 1_300)); r.recordDecisions([decision(1_000, "storm"), decision(1_400, "flap")]); },
      (r) => r.saveStorm({ id: "s0", receiver: "ops", startedMs: 500, endedMs: 900 }),
      (r) => r.prune(1_200),
    ];
    const tables = [["flap_states", "fingerprint"], ["storms", "id"], ["storm_alerts", "storm_id, fingerprint"], ["notify_decisions", "id"]] as const;
    for (const [i, step] of steps.entries()) {
      await Promise.all(backends.map((b) => b.queue.submit(() => step(b.noise))));
      for (const [table, order] of tables) {
        assert.deepEqual(await backends[1]!.table(table, order), await backends[0]!.table(table, order), `${table} after step ${i + 1}`);
      }
      const sortStorms = (list: ReturnType<NoiseStore["loadActiveStorms"]>) => list.map((x) => ({ ...x, alerts: [...x.alerts].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)) })).sort((a, b) => (a.storm.id < b.storm.id ? -1 : 1));
      assert.deepEqual(sortStorms(backends[1]!.noise.loadActiveStorms()), sortStorms(backends[0]!.noise.loadActiveStorms()), `active storms after step ${i + 1}`);
      const sortFlaps = (list: ReturnType<NoiseStore["loadFlapStates"]>) => [...list].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
      assert.deepEqual(sortFlaps(backends[1]!.noise.loadFlapStates()), sortFlaps(backends[0]!.noise.loadFlapStates()), `flap states after step ${i + 1}`);
    }
    assert.deepEqual((await backends[0]!.table("storms", "id")).map((r) => r.id), ["s1"], "the ended storm was pruned");
    assert.deepEqual(backends[0]!.noise.loadActiveStorms().map((x) => [x.storm.id, x.alerts.length]), [["s1", 2]]);
    const reopened = await Promise.all(backends.map((b) => b.reopenNoise()));
    assert.deepEqual(reopened[1]!.loadActiveStorms(), reopened[0]!.loadActiveStorms(), "read back in the same order (byte order of ids and fingerprints)");
    assert.deepEqual(reopened[1]!.loadFlapStates(), reopened[0]!.loadFlapStates());
    // The history the alert provider's test wrote, replayed as noise control would.
    const [liteHistory, pgHistory] = await Promise.all(backends.map((b) => b.noise.transitionsSince(0)));
    assert.ok(liteHistory!.length > 0);
    assert.deepEqual(pgHistory, liteHistory);
  });
});
