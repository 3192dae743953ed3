import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { addMillis, fromMillis } from "../types/time.ts";
import { EMPTY_STATUS, type Alert } from "../types/alert.ts";
import { fingerprint } from "../types/labels.ts";
import { memoryStore } from "../store/test-db.ts";
import { AlertProvider, rewriteAfter } from "./alert-provider.ts";
import { testProvider } from "./test-provider.ts";
import type { StatusSource } from "./status.ts";

const M = 60_000;

function setup() {
  const clock = new FakeClock();
  const store = memoryStore();
  const { provider, silences } = testProvider({ alerts: store.alerts, silences: store.silences, queue: store.queue, clock });
  const alert = (labels: Record<string, string>, p: { endsIn?: number; timeout?: boolean } = {}): Alert => {
    const now = fromMillis(clock.now());
    return { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: now, endsAt: addMillis(now, p.endsIn ?? 5 * M), updatedAt: now, generatorURL: "", timeout: p.timeout ?? true };
  };
  const kinds = (labels: Record<string, string>) => store.alerts.events({ fingerprint: fingerprint(labels), limit: 100 }).reverse().map((e) => e.kind);
  return { clock, store, silences, provider, alert, kinds };
}

test("history records new, updated and resolved; a bare heartbeat re-post records nothing", async () => {
  const { provider, alert, kinds, clock } = setup();
  const labels = { alertname: "A" };
  const first = alert(labels);
  await provider.put([first]);
  clock.advance(M);
  await provider.put([alert(labels)]);
  // A Prometheus re-send: same startsAt, explicit endsAt beyond the stored one (replaced, not merged).
  await provider.put([{ ...alert(labels, { endsIn: 10 * M, timeout: false }), startsAt: first.startsAt }]);
  assert.deepEqual(kinds(labels), ["new"]);
  await provider.put([{ ...alert(labels), annotations: { summary: "changed" } }]);
  assert.deepEqual(kinds(labels), ["new", "updated"]);
  await provider.put([alert(labels, { endsIn: 0, timeout: false })]);
  assert.deepEqual(kinds(labels), ["new", "updated", "resolved"]);
  assert.equal(provider.get(fingerprint(labels))!.state, "resolved");
});

test("an alert left alone resolves at endsAt, recorded at that time, and is GC'd later", async () => {
  const { provider, alert, store, clock } = setup();
  const labels = { alertname: "Quiet" };
  await provider.put([alert(labels)]);
  const endsAt = clock.now() + 5 * M;
  clock.advance(5 * M + 1);
  await provider.sweep();
  const [resolved] = store.alerts.events({ fingerprint: fingerprint(labels), kinds: ["resolved"], limit: 1 });
  assert.equal(resolved!.atMs, endsAt);
  assert.deepEqual(resolved!.detail, { by: "resolve_timeout" });
  clock.advance(31 * M);
  await provider.sweep();
  assert.equal(provider.get(fingerprint(labels)), undefined);
  assert.equal(store.alerts.loadAll().length, 0);
  assert.equal(store.alerts.events({ fingerprint: fingerprint(labels), limit: 10 }).length, 2, "history outlives the live set");
});

test("silenced/unsilenced and inhibited/uninhibited are recorded", async () => {
  const { provider, alert, kinds, silences, clock } = setup();
  const warn = { alertname: "X", severity: "warning" };
  await provider.put([alert(warn, { endsIn: 60 * M })]);
  const id = await silences.set({
    matchers: [{ name: "alertname", value: "X", isRegex: false, isEqual: true }],
    startsAt: fromMillis(clock.now()), endsAt: fromMillis(clock.now() + 10 * M), createdBy: "t", comment: "",
  });
  await provider.refreshStatuses();
  assert.deepEqual(kinds(warn), ["new", "silenced"]);
  assert.deepEqual(provider.get(fingerprint(warn))!.status.silencedBy, [id]);
  clock.advance(10 * M + 1);
  await provider.sweep();
  assert.deepEqual(kinds(warn), ["new", "silenced", "unsilenced"]);
  await provider.put([alert({ alertname: "X", severity: "critical" }, { endsIn: 60 * M })]);
  await provider.refreshStatuses();
  assert.deepEqual(kinds(warn), ["new", "silenced", "unsilenced", "inhibited"]);
  await provider.put([alert({ alertname: "X", severity: "critical" }, { endsIn: 0, timeout: false })]);
  await provider.refreshStatuses();
  assert.deepEqual(kinds(warn), ["new", "silenced", "unsilenced", "inhibited", "uninhibited"]);
});

test("a batch is one transaction and the live set survives a reload with original startsAt", async () => {
  const { provider, alert, store, clock } = setup();
  const batch = Array.from({ length: 100 }, (_, i) => alert({ alertname: "Many", i: String(i) }));
  await provider.put(batch);
  const started = batch[0]!.startsAt;
  clock.advance(M);
  await provider.put(batch.map((a) => ({ ...a, startsAt: fromMillis(clock.now()), updatedAt: fromMillis(clock.now()) })));
  const reloaded = store.alerts.loadAll();
  assert.equal(reloaded.length, 100);
  assert.ok(reloaded.every((s) => s.alert.startsAt.ms === started.ms && s.state === "firing"));
});

test("a reload shares equal annotations and times between alerts, and keeps their values", async () => {
  const { provider, alert, store } = setup();
  const annotations = { runbook: "https://runbooks.example/disk", summary: "disk almost full" };
  const batch = Array.from({ length: 3 }, (_, i) => ({ ...alert({ alertname: "Shared", i: String(i) }), annotations: { ...annotations } }));
  await provider.put([...batch, { ...alert({ alertname: "Other" }), annotations: { summary: "other" } }]);
  const reloaded = store.alerts.loadAll().filter((s) => s.alert.labels.alertname === "Shared").map((s) => s.alert);
  assert.equal(reloaded.length, 3);
  const [a, b, c] = reloaded;
  assert.deepEqual(a!.annotations, annotations);
  assert.ok(a!.annotations === b!.annotations && b!.annotations === c!.annotations, "one annotation object for equal sets");
  assert.ok(a!.endsAt === b!.endsAt && a!.updatedAt === c!.updatedAt, "one timestamp for equal times");
  assert.deepEqual(a!.endsAt, batch[0]!.endsAt);
  assert.equal(store.alerts.loadAll().find((s) => s.alert.labels.alertname === "Other")!.alert.annotations.summary, "other");
});

test("a failed write leaves memory as it was", async () => {
  const { provider, alert, store } = setup();
  await provider.put([alert({ alertname: "Before" })]);
  store.db.exec("CREATE TRIGGER boom BEFORE INSERT ON alert_events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  await assert.rejects(provider.put([alert({ alertname: "After" })]), /disk full/);
  assert.equal(provider.get(fingerprint({ alertname: "After" })), undefined);
  assert.equal(provider.size, 1);
});

test("replica dedup: history records the sources of an episode once each, and they survive a restart", async () => {
  const { provider, alert, store, clock } = setup();
  const labels = { alertname: "HA" };
  const events = () => store.alerts.events({ fingerprint: fingerprint(labels), limit: 100 }).reverse().map((e) => [e.kind, e.detail]);
  const fromA = alert(labels, { endsIn: 4000, timeout: false });
  await provider.put([{ ...fromA, generatorURL: "http://prom-a/graph" }], [{ replica: "a" }]);
  clock.advance(500);
  // Replica b began evaluating a little earlier: an earlier startsAt covering the stored range is the same episode.
  const fromB = { ...alert(labels, { endsIn: 4000, timeout: false }), startsAt: fromMillis(fromA.startsAt.ms - 1000), generatorURL: "http://prom-b/graph" };
  await provider.put([fromB], [{ replica: "b" }]);
  clock.advance(500);
  // Re-sends from both replicas, alternating generatorURLs: nothing new to record.
  for (let i = 0; i < 3; i++) {
    await provider.put([{ ...alert(labels, { endsIn: 4000, timeout: false }), startsAt: fromB.startsAt, generatorURL: "http://prom-a/graph" }], [{ replica: "a" }]);
    await provider.put([{ ...alert(labels, { endsIn: 4000, timeout: false }), startsAt: fromB.startsAt, generatorURL: "http://prom-b/graph" }], [{ replica: "b" }]);
    clock.advance(500);
  }
  const sources = [{ replica: "a" }, { replica: "b" }];
  assert.deepEqual(events(), [
    ["new", { startsAt: fromA.startsAt.ms, annotations: {}, sources: [{ replica: "a" }] }],
    ["updated", { changed: ["startsAt"], annotations: {} }],
    ["source_added", { source: { replica: "b" }, sources }],
  ]);
  assert.deepEqual(provider.get(fingerprint(labels))!.sources, sources);
  assert.deepEqual(store.alerts.loadAll()[0]!.sources, sources, "persisted with the alert");

  // A restart (a new provider on the same store) knows both replicas: no second source_added.
  const restarted = new AlertProvider({ repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: { observe: () => undefined, forget: () => undefined, statusOf: () => ({ silencedBy: [], inhibitedBy: [] }), affectsOthers: () => false, nextTransitionMs: () => undefined, transitionedBetween: () => false }, gcIntervalMs: 30 * M });
  restarted.load();
  await restarted.put([{ ...alert(labels, { endsIn: 4000, timeout: false }), startsAt: fromB.startsAt }], [{ replica: "a" }]);
  assert.equal(events().length, 3);

  // Resolved by replica a: the event says who resolved it and which replicas the episode had.
  await restarted.put([{ ...alert(labels, { endsIn: 0, timeout: false }), startsAt: fromB.startsAt }], [{ replica: "a" }]);
  assert.deepEqual(events().at(-1), ["resolved", { by: "client", source: { replica: "a" }, sources }]);
  // The next episode starts with only its own sender.
  clock.advance(M);
  await restarted.put([alert(labels, { endsIn: 4000, timeout: false })], [{ replica: "b" }]);
  assert.deepEqual(events().at(-1)?.[0], "new");
  assert.deepEqual((events().at(-1)?.[1] as { sources: unknown }).sources, [{ replica: "b" }]);
});

test("without sources, history is exactly as before (no sources keys), and a generatorURL change is an update", async () => {
  const { provider, alert, store } = setup();
  const labels = { alertname: "Plain" };
  await provider.put([alert(labels)]);
  await provider.put([{ ...alert(labels), generatorURL: "http://other/graph" }]);
  const rows = store.alerts.events({ fingerprint: fingerprint(labels), limit: 10 }).reverse();
  assert.deepEqual(rows.map((e) => e.kind), ["new", "updated"]);
  assert.ok(rows.every((e) => !("sources" in e.detail)));
  assert.equal(provider.get(fingerprint(labels))!.sources, undefined);
  assert.equal((store.db.prepare("SELECT sources FROM alerts").get() as { sources: string }).sources, "[]");
});

test("resolved at endsAt (no client resolve): the resolved event carries the episode's sources", async () => {
  const { provider, alert, store, clock } = setup();
  const labels = { alertname: "Timeout" };
  await provider.put([alert(labels, { endsIn: 1000, timeout: false })], [{ replica: "a" }]);
  clock.advance(1001);
  await provider.sweep();
  const [resolved] = store.alerts.events({ fingerprint: fingerprint(labels), kinds: ["resolved"], limit: 1 });
  assert.deepEqual(resolved!.detail, { by: "endsAt", sources: [{ replica: "a" }] });
});

test("Prometheus re-sends that only move endsAt are written once 30-50 % of the stored horizon has passed", async () => {
  const { provider, store, clock } = setup();
  const labels = { alertname: "Refresh", instance: "a" };
  const fp = fingerprint(labels);
  const startsAt = fromMillis(clock.now());
  // As Prometheus sends it: same startsAt, endsAt 4 minutes after each evaluation, every minute.
  const resend = (annotations: Record<string, string> = {}): Promise<unknown> => {
    const now = fromMillis(clock.now());
    return provider.put([{ fingerprint: fp, labels, annotations, startsAt, endsAt: addMillis(now, 4 * M), updatedAt: now, generatorURL: "", timeout: false }]);
  };
  const storedEndsAt = () => store.db.prepare("SELECT a.ends_at_ms FROM alerts a JOIN series s ON s.id = a.series_id WHERE s.fingerprint = ?").pluck().get(fp) as number;
  await resend();
  const first = storedEndsAt();
  assert.equal(first, clock.now() + 4 * M);
  clock.advance(1 * M);
  await resend();
  assert.equal(storedEndsAt(), first, "1 minute in: the stored endsAt is still 3 minutes ahead, not rewritten");
  assert.equal(provider.get(fp)!.alert.endsAt.ms, clock.now() + 4 * M, "memory has the new endsAt");
  clock.advance(1 * M);
  await resend();
  assert.equal(storedEndsAt(), clock.now() + 4 * M, "2 minutes in (half of 4, the latest point): written again");
  clock.advance(30_000);
  await resend({ summary: "changed" });
  assert.equal(storedEndsAt(), clock.now() + 4 * M, "any other change is written at once");
  // What a crash would restore: still firing, at least half the horizon ahead of the last re-send.
  const reloaded = store.alerts.loadAll().find((s) => s.alert.fingerprint === fp)!;
  assert.equal(reloaded.state, "firing");
  assert.ok(reloaded.alert.endsAt.ms >= clock.now() + 2 * M);
});

test("a re-send that only moves endsAt is written after a failed write, and skipped after a restart", async () => {
  const { provider, store, clock, alert } = setup();
  const labels = { alertname: "Refresh", instance: "b" };
  const fp = fingerprint(labels);
  const startsAt = fromMillis(clock.now());
  const resend = (): Alert => {
    const now = fromMillis(clock.now());
    return { fingerprint: fp, labels, annotations: {}, startsAt, endsAt: addMillis(now, 4 * M), updatedAt: now, generatorURL: "", timeout: false };
  };
  const storedEndsAt = () => store.db.prepare("SELECT a.ends_at_ms FROM alerts a JOIN series s ON s.id = a.series_id WHERE s.fingerprint = ?").pluck().get(fp) as number;
  await provider.put([resend()]);
  clock.advance(30_000);
  // The unit fails on the other alert's history event: the re-send beside it is rolled back as well.
  store.db.exec("CREATE TRIGGER boom BEFORE INSERT ON alert_events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  await assert.rejects(provider.put([resend(), alert({ alertname: "New" })]), /disk full/);
  store.db.exec("DROP TRIGGER boom");
  clock.advance(30_000);
  await provider.put([resend()]);
  assert.equal(storedEndsAt(), clock.now() + 4 * M, "not knowing what the failed unit stored, the re-send is written");

  // Loaded at start, the stored endsAt counts as written at its updatedAt: a minute later, not rewritten.
  const restarted = new AlertProvider({ repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: { observe() {}, forget() {}, statusOf: () => EMPTY_STATUS, affectsOthers: () => false, nextTransitionMs: () => undefined, transitionedBetween: () => false }, gcIntervalMs: 30 * M });
  assert.equal(restarted.load(), 1);
  const written = storedEndsAt();
  clock.advance(1 * M);
  await restarted.put([resend()]);
  assert.equal(storedEndsAt(), written);
  assert.equal(restarted.get(fp)!.alert.endsAt.ms, clock.now() + 4 * M);
});

test("a silence change re-evaluates only the alerts it matches or muted, and still records mute and unmute", async () => {
  const { provider, alert, kinds, silences, clock } = setup();
  const many = Array.from({ length: 50 }, (_, i) => alert({ alertname: "Other", n: String(i) }, { endsIn: 60 * M }));
  const target = { alertname: "Target" };
  await provider.put([...many, alert(target, { endsIn: 60 * M })]);
  await new Promise((r) => setImmediate(r));
  // Count the status evaluations the silence's own refresh does.
  const evaluated: string[] = [];
  const inner = provider.statusOf.bind(provider);
  const source = (provider as unknown as { status: StatusSource }).status;
  const counting: StatusSource = { ...source, statusOf: (a, now) => { evaluated.push(a.labels.alertname!); return source.statusOf(a, now); } };
  provider.setStatusSource(counting);
  await new Promise((r) => setImmediate(r)); // the full refresh setStatusSource queues
  await new Promise((r) => setImmediate(r));
  evaluated.length = 0;
  const id = await silences.set({
    matchers: [{ name: "alertname", value: "Target", isRegex: false, isEqual: true }],
    startsAt: fromMillis(clock.now()), endsAt: fromMillis(clock.now() + 10 * M), createdBy: "t", comment: "",
  });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(evaluated, ["Target"], "only the matching alert is looked at");
  assert.deepEqual(kinds(target), ["new", "silenced"]);
  assert.deepEqual(inner(provider.get(fingerprint(target))!.alert).silencedBy, [id]);
  // Expired: it no longer matches as active, but the alert it muted is looked at and unmuted.
  evaluated.length = 0;
  await silences.expire(id);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(evaluated, ["Target"]);
  assert.deepEqual(kinds(target), ["new", "silenced", "unsilenced"]);
});

test("alerts that started together are rewritten spread over 30-50 % of their horizon, never later", async () => {
  const { provider, store, clock } = setup();
  const startsAt = fromMillis(clock.now());
  const fleet = Array.from({ length: 200 }, (_, i) => ({ alertname: "Fleet", instance: `host-${i}` }));
  const resendAll = (): Promise<unknown> => {
    const now = fromMillis(clock.now());
    return provider.put(fleet.map((labels) => ({ fingerprint: fingerprint(labels), labels, annotations: {}, startsAt, endsAt: addMillis(now, 4 * M), updatedAt: now, generatorURL: "", timeout: false })));
  };
  const rewritten = (since: number): number =>
    store.db.prepare("SELECT count(*) FROM alerts WHERE alerts.ends_at_ms > ?").pluck().get(since) as number;
  await resendAll();
  const firstEndsAt = clock.now() + 4 * M;
  const counts: number[] = [];
  // Re-sent every 12 s from 1 to 2.4 minutes in: 25 % to 60 % of the 4-minute horizon.
  clock.advance(60_000);
  for (let i = 0; i < 8; i++) {
    if (i > 0) clock.advance(12_000);
    await resendAll();
    counts.push(rewritten(firstEndsAt));
  }
  assert.deepEqual(counts.slice(0, 2), [0, 0], "at 25 and 30 % nothing is rewritten");
  assert.equal(counts[5], 200, "at 50 % every alert has been written again");
  assert.ok(counts.some((n) => n > 20 && n < 180), `some rewritten, some not, between 30 and 50 %: ${counts.join(", ")}`);
  assert.ok(rewriteAfter("ffff", 0, 100) > 30 && rewriteAfter("0000", 0, 100) === 50, "the window is 30-50 %, fingerprint-chosen");
});

test("alerts another replica stored are taken in without writing, newer local versions kept, and heard by listeners", async () => {
  const here = setup();
  const there = setup();
  const labels = { alertname: "Elsewhere", instance: "a" };
  const fp = fingerprint(labels);
  await there.provider.put([there.alert(labels)]);
  const heard: string[] = [];
  const transitions: string[] = [];
  here.provider.subscribe((alerts) => heard.push(...alerts.map((a) => a.fingerprint)));
  here.provider.subscribeTransitions((ts) => transitions.push(...ts.map((t) => `${t.alert.fingerprint} ${t.to}`)));

  here.provider.applyRemote(there.store.alerts.loadAll(), []);
  assert.equal(here.provider.get(fp)?.state, "firing");
  assert.deepEqual(heard, [fp]);
  assert.deepEqual(transitions, [`${fp} firing`]);
  assert.equal(here.store.alerts.loadAll().length, 0, "nothing written here: it is stored already");

  // A version this replica received later is kept over an older one read back.
  const stale = there.store.alerts.loadAll();
  here.clock.advance(M);
  await here.provider.put([here.alert(labels)]);
  const mine = here.provider.get(fp)!.alert.updatedAt.ms;
  here.provider.applyRemote(stale, []);
  assert.equal(here.provider.get(fp)!.alert.updatedAt.ms, mine);

  // Gone there: dropped here only once resolved here too.
  here.provider.applyRemote([], [fp]);
  assert.notEqual(here.provider.get(fp), undefined, "firing here: kept");
  await here.provider.put([here.alert(labels, { endsIn: 0, timeout: false })]);
  here.provider.applyRemote([], [fp]);
  assert.equal(here.provider.get(fp), undefined);
});
