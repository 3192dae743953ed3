// The ops API's history, alert timeline, delivery log and storms through the whole app on a fake clock:
// alerts POSTed over HTTP, notifications received by a real HTTP sink (which fails once), state in a real
// SQLite file. Every response is validated against the OpenAPI document the server serves.
/* eslint-disable @typescript-eslint/no-explicit-any -- bodies are checked against the OpenAPI document first, then read loosely */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFakeClockApp, S, MIN, type FakeClockApp } from "./fake-clock-app.ts";

type Harness = FakeClockApp<any>;

const ROUTING = (sink: string) => `
route:
  receiver: team
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: team
    webhook_configs: [{ url: "${sink}/team", send_resolved: true }]
  - name: other
    webhook_configs: [{ url: "${sink}/other" }]
`;

const q = (params: Record<string, string | string[]>) => {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) parts.push(`${k}=${encodeURIComponent(x)}`);
  return parts.length ? "?" + parts.join("&") : "";
};

describe("ops API: history, timeline, deliveries", () => {
  let h: Harness;
  let fpA = "";
  let silenceId = "";

  before(async () => {
    h = await startFakeClockApp<any>({ routing: ROUTING, flags: { "alerts.gc-interval": "5m" } });
    // A silence for instance a; DiskFull on a (silenced) and b, one group. The sink fails the first send.
    const s = await h.call("POST", "/api/v2/silences", {
      matchers: [{ name: "instance", value: "a", isRegex: false, isEqual: true }],
      startsAt: new Date(h.clock.now()).toISOString(), endsAt: new Date(h.clock.now() + 3600 * S).toISOString(), createdBy: "test", comment: "maintenance",
    });
    assert.equal(s.status, 200);
    silenceId = (s.json as { silenceID: string }).silenceID;
    h.sink.failNext(1);
    await h.post([
      { labels: { alertname: "DiskFull", instance: "a", team: "db", severity: "warning" } },
      { labels: { alertname: "DiskFull", instance: "b", team: "db", severity: "critical" } },
      { labels: { alertname: "HighLatency", instance: "c", team: "web", severity: "warning" } },
    ]);
    await h.run(30 * S);
    // The silence ends: A is notified at the next flush. Then A resolves and the resolution is sent.
    assert.equal((await h.call("DELETE", `/api/v2/silence/${silenceId}`)).status, 200);
    await h.run(2 * MIN);
    await h.post([{ labels: { alertname: "DiskFull", instance: "a", team: "db", severity: "warning" }, endsAt: h.clock.now() }]);
    await h.run(2 * MIN);
    const listed = await h.call("GET", "/api/v2/alerts?filter=instance%3D%22a%22");
    fpA = (listed.json as Array<{ fingerprint: string }>)[0]?.fingerprint ?? "";
    if (fpA === "") {
      const hist = await h.ops("GET", `/alerts/history${q({ filter: 'instance="a"', limit: "1" })}`, "/alerts/history");
      fpA = hist.json.events[0].fingerprint;
    }
  });
  after(async () => h.close());

  test("history: newest first, label filters (= != =~ !~, ANDed), kinds, times", async () => {
    const all = await h.ops("GET", "/alerts/history", "/alerts/history");
    assert.equal(all.status, 200);
    const events = all.json.events as Array<{ id: number; time: string; kind: string; labels: Record<string, string>; fingerprint: string }>;
    assert.ok(events.length >= 6, JSON.stringify(events));
    for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.time >= events[i]!.time, "newest first");
    assert.equal(all.json.next_cursor, null);

    const db = await h.ops("GET", `/alerts/history${q({ filter: 'team="db"' })}`, "/alerts/history");
    assert.ok(db.json.events.length > 0);
    assert.ok(db.json.events.every((e: { labels: Record<string, string> }) => e.labels.team === "db"));
    const notA = await h.ops("GET", `/alerts/history${q({ filter: ['team="db"', 'instance!="a"'] })}`, "/alerts/history");
    assert.ok(notA.json.events.length > 0 && notA.json.events.every((e: { labels: Record<string, string> }) => e.labels.instance === "b"));
    const re = await h.ops("GET", `/alerts/history${q({ filter: 'alertname=~"Disk.*|High.+"' })}`, "/alerts/history");
    assert.equal(new Set(re.json.events.map((e: { fingerprint: string }) => e.fingerprint)).size, 3);
    const nre = await h.ops("GET", `/alerts/history${q({ filter: 'alertname!~"Disk.*"' })}`, "/alerts/history");
    assert.ok(nre.json.events.length > 0 && nre.json.events.every((e: { labels: Record<string, string> }) => e.labels.alertname === "HighLatency"));
    const missing = await h.ops("GET", `/alerts/history${q({ filter: 'nosuchlabel=""' })}`, "/alerts/history");
    assert.equal(missing.json.events.length, events.length, "a missing label equals the empty string");
    const none = await h.ops("GET", `/alerts/history${q({ filter: 'team="nobody"' })}`, "/alerts/history");
    assert.deepEqual(none.json, { events: [], next_cursor: null });

    const kinds = await h.ops("GET", `/alerts/history${q({ kind: "silenced,unsilenced", filter: 'instance="a"' })}`, "/alerts/history");
    assert.deepEqual(kinds.json.events.map((e: { kind: string }) => e.kind), ["unsilenced", "silenced"]);
    assert.deepEqual(kinds.json.events[1].detail, { silencedBy: [silenceId] });
    const resolved = await h.ops("GET", `/alerts/history${q({ kind: ["resolved"], filter: 'alertname="DiskFull"' })}`, "/alerts/history");
    assert.deepEqual(resolved.json.events.map((e: { labels: Record<string, string> }) => e.labels.instance), ["a"]);

    // Time ranges: relative and RFC 3339, inclusive.
    const recent = await h.ops("GET", `/alerts/history${q({ since: "-3m" })}`, "/alerts/history");
    assert.ok(recent.json.events.length > 0);
    assert.ok(recent.json.events.every((e: { time: string }) => Date.parse(e.time) >= h.clock.now() - 3 * MIN));
    assert.ok(recent.json.events.some((e: { kind: string }) => e.kind === "resolved"));
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    const first = await h.ops("GET", `/alerts/history${q({ since: new Date(t0).toISOString(), until: "2026-12-01T10:00:00Z" })}`, "/alerts/history");
    assert.ok(first.json.events.length >= 4);
    assert.ok(first.json.events.every((e: { time: string }) => Date.parse(e.time) === t0));
  });

  test("history pages: keyset cursor, stable when events are recorded between pages", async () => {
    const seen: number[] = [];
    const firstPage = await h.ops("GET", `/alerts/history${q({ limit: "2" })}`, "/alerts/history");
    assert.equal(firstPage.json.events.length, 2);
    seen.push(...firstPage.json.events.map((e: { id: number }) => e.id));
    // New events after the first page (newer than it) must not shift the next pages.
    await h.post([{ labels: { alertname: "Late", instance: "z", team: "db" } }]);
    let cursor: string | null = firstPage.json.next_cursor;
    while (cursor) {
      const page = await h.ops("GET", `/alerts/history${q({ limit: "2", cursor })}`, "/alerts/history");
      seen.push(...page.json.events.map((e: { id: number }) => e.id));
      cursor = page.json.next_cursor;
    }
    const fresh = await h.ops("GET", `/alerts/history${q({ limit: "1000" })}`, "/alerts/history");
    const ids: number[] = fresh.json.events.map((e: { id: number }) => e.id);
    assert.equal(new Set(seen).size, seen.length, "no duplicates");
    assert.deepEqual(seen, ids.filter((id) => !fresh.json.events.some((e: { id: number; labels: Record<string, string> }) => e.id === id && e.labels.alertname === "Late")), "no gaps: every event older than the first page, in order");
  });

  test("timeline: silenced, held, a failed delivery and its retry, notified, resolved — in time order", async () => {
    const r = await h.ops("GET", `/alerts/${fpA}`, "/alerts/:fingerprint");
    assert.equal(r.status, 200);
    const { alert, timeline } = r.json as { alert: any; timeline: Array<Record<string, any>> };
    assert.equal(alert.fingerprint, fpA);
    assert.equal(alert.labels.instance, "a");
    assert.deepEqual(alert.groups, ['{}:{alertname="DiskFull"}']);
    for (let i = 1; i < timeline.length; i++) assert.ok(timeline[i - 1]!.time <= timeline[i]!.time, "time order");
    const kinds = timeline.filter((e) => e.type === "event").map((e) => e.kind);
    assert.deepEqual(kinds, ["new", "silenced", "unsilenced", "resolved"]);
    const held = timeline.find((e) => e.type === "decision" && e.scope === "alert" && e.stage === "silence");
    assert.ok(held, "held by the silence");
    assert.equal(held.outcome, "silenced");
    assert.deepEqual(held.detail, { silenced_by: [silenceId] });
    const deliveries = timeline.filter((e) => e.type === "delivery");
    assert.equal(deliveries[0]?.status, "failed", "the first attempt failed");
    assert.equal(deliveries[0]?.retryable, true);
    assert.match(String(deliveries[0]?.error), /500/);
    assert.equal(deliveries[1]?.status, "success");
    assert.equal(deliveries[1]?.attempt, 2, "and its retry succeeded");
    assert.ok(deliveries.length >= 3, "notified after the silence ended, and resolved");
    assert.ok(deliveries.at(-1)!.resolved >= 1, "the resolution was sent");
    const sent = timeline.filter((e) => e.type === "decision" && e.scope === "group" && e.outcome === "sent");
    assert.ok(sent.length >= 2);
    const unsilenced = timeline.find((e) => e.type === "event" && e.kind === "unsilenced")!;
    assert.ok(timeline.some((e) => e.type === "delivery" && e.status === "success" && e.time > unsilenced.time && e.firing >= 2), "sent once the silence ended");
    assert.equal(r.json.next_cursor, null);
  });

  test("timeline pages: a small limit walks the same entries, none twice", async () => {
    const whole = await h.ops("GET", `/alerts/${fpA}`, "/alerts/:fingerprint");
    const walked: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.ops("GET", `/alerts/${fpA}${q({ limit: "3", ...(cursor ? { cursor } : {}) })}`, "/alerts/:fingerprint");
      assert.ok(page.json.timeline.length <= 3);
      walked.push(...page.json.timeline);
      cursor = page.json.next_cursor;
    } while (cursor);
    assert.deepEqual(walked, whole.json.timeline);
    const since = await h.ops("GET", `/alerts/${fpA}${q({ since: "-1m" })}`, "/alerts/:fingerprint");
    assert.ok(since.json.timeline.every((e: { time: string }) => Date.parse(e.time) >= h.clock.now() - MIN));
  });

  test("timeline: acks, comments and escalations of the alert, in their places", async () => {
    const now = h.clock.now();
    const db = h.db({ writable: true });
    try {
      db.prepare("INSERT INTO acks (fingerprint, episode_starts_ms, actor, comment, created_ms, expires_ms, ended_ms, ended_by) VALUES (?, ?, 'alice', 'on it', ?, NULL, ?, 'resolved')").run(fpA, 0, now - 90 * S, now - 60 * S);
      db.prepare("INSERT INTO comments (fingerprint, actor, text, created_ms) VALUES (?, 'bob', 'disk replaced', ?)").run(fpA, now - 80 * S);
      db.prepare("INSERT INTO escalations (fingerprint, episode_starts_ms, rule, receiver, group_key, notified_ms, due_ms, fired_ms, cancelled_ms, cancelled_by) VALUES (?, 0, 'other{}', 'other', 'g', ?, ?, NULL, ?, 'ack')").run(fpA, now - 95 * S, now - 30 * S, now - 90 * S);
    } finally {
      db.close();
    }
    const r = await h.ops("GET", `/alerts/${fpA}${q({ since: "-100s" })}`, "/alerts/:fingerprint");
    const extra = r.json.timeline.filter((e: { type: string }) => ["ack", "comment", "escalation"].includes(e.type));
    assert.deepEqual(extra.map((e: { type: string; action?: string; state?: string }) => e.type + ":" + (e.action ?? e.state ?? "")), ["ack:acked", "escalation:cancelled", "comment:", "ack:unacked"]);
    assert.equal(extra[3].actor, "resolved");
    assert.equal(extra[2].text, "disk replaced");
  });

  test("an alert gone from the live set keeps its timeline; one never seen is 404", async () => {
    const gone = await h.ops("GET", "/alerts/0123456789abcdef", "/alerts/:fingerprint");
    assert.equal(gone.status, 404);
    assert.match(gone.json.message, /no alert with fingerprint 0123456789abcdef was ever seen/);
    // HighLatency resolves and is garbage-collected from the live set.
    await h.post([{ labels: { alertname: "HighLatency", instance: "c", team: "web", severity: "warning" }, endsAt: h.clock.now() }]);
    await h.run(20 * MIN, 30 * S);
    const fp = (await h.ops("GET", `/alerts/history${q({ filter: 'alertname="HighLatency"', limit: "1" })}`, "/alerts/history")).json.events[0].fingerprint;
    const r = await h.ops("GET", `/alerts/${fp}`, "/alerts/:fingerprint");
    assert.equal(r.status, 200);
    assert.equal(r.json.alert.live, false);
    assert.equal(r.json.alert.state, "resolved");
    assert.equal(r.json.alert.labels.alertname, "HighLatency");
    assert.ok(r.json.timeline.some((e: { type: string; kind?: string }) => e.type === "event" && e.kind === "resolved"));
  });

  test("the alert's unusual class: DiskFull had no episode in the 30 days before its first → new", async () => {
    const r = await h.ops("GET", `/alerts/${fpA}`, "/alerts/:fingerprint");
    assert.equal(r.status, 200);
    const started = r.json.timeline.find((e: { type: string; kind?: string }) => e.type === "event" && e.kind === "new").time;
    assert.deepEqual(r.json.alert.unusual, { class: "new", days_with_episodes: 0, window_days: 30, episode_start: started });
  });

  test("deliveries: filters by receiver, integration, status, time; pages", async () => {
    const all = await h.ops("GET", "/deliveries", "/deliveries");
    const rows = all.json.deliveries as Array<{ receiver: string; status: string; integration: string; time: string }>;
    assert.ok(rows.length >= 3);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.time >= rows[i]!.time);
    const failed = await h.ops("GET", `/deliveries${q({ status: "failed" })}`, "/deliveries");
    assert.equal(failed.json.deliveries.length, 1);
    assert.equal(failed.json.deliveries[0].integration, "webhook/0");
    const ok = await h.ops("GET", `/deliveries${q({ status: "success", receiver: "team", integration: "webhook/0" })}`, "/deliveries");
    assert.equal(ok.json.deliveries.length, rows.length - 1);
    assert.deepEqual((await h.ops("GET", `/deliveries${q({ receiver: "other" })}`, "/deliveries")).json, { deliveries: [], next_cursor: null });
    assert.equal((await h.ops("GET", `/deliveries${q({ until: "2026-12-01T09:00:00Z" })}`, "/deliveries")).json.deliveries.length, 0);
    const p1 = await h.ops("GET", `/deliveries${q({ limit: "1" })}`, "/deliveries");
    const p2 = await h.ops("GET", `/deliveries${q({ limit: "1", cursor: p1.json.next_cursor })}`, "/deliveries");
    assert.deepEqual([...p1.json.deliveries, ...p2.json.deliveries], rows.slice(0, 2));
  });

  test("storms: an empty list when storm mode never ran", async () => {
    assert.deepEqual((await h.ops("GET", "/storms", "/storms")).json, { storms: [] });
  });

  test("bad input is a documented 400 that says what to fix, never a 5xx", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["/alerts/history", `/alerts/history${q({ filter: "=db" })}`, /bad filter "=db"/],
      ["/alerts/history", `/alerts/history${q({ filter: 'team=~"("' })}`, /bad filter/],
      ["/alerts/history", `/alerts/history${q({ since: "yesterday" })}`, /since: "yesterday" is neither/],
      ["/alerts/history", `/alerts/history${q({ until: "2026-13-45T00:00:00Z" })}`, /until/],
      ["/alerts/history", `/alerts/history${q({ since: "-1h", until: "-2h" })}`, /since .* is after until/],
      ["/alerts/history", `/alerts/history${q({ kind: "new,exploded" })}`, /kind: "exploded" is not one of new, updated/],
      ["/alerts/history", `/alerts/history${q({ limit: "0" })}`, /limit/],
      ["/alerts/history", `/alerts/history${q({ limit: "1001" })}`, /limit must be from 1 to 1000/],
      ["/alerts/history", `/alerts/history${q({ limit: "ten" })}`, /limit must be a whole number/],
      ["/alerts/history", `/alerts/history${q({ cursor: "not a cursor!" })}`, /bad cursor/],
      ["/alerts/history", `/alerts/history${q({ cursor: "x".repeat(5000) })}`, /bad cursor/],
      ["/alerts/history", `/alerts/history${q({ cursor: Buffer.from('{"k":"history","t":"x","i":1}').toString("base64url") })}`, /bad cursor/],
      ["/alerts/history", `/alerts/history${q({ cursor: Buffer.from("[1,2]").toString("base64url") })}`, /bad cursor/],
      ["/alerts/history", `/alerts/history${q({ filters: 'team="db"' })}`, /unknown query parameter "filters"/],
      ["/alerts/:fingerprint", "/alerts/not-a-fingerprint", /not an alert fingerprint/],
      ["/alerts/:fingerprint", `/alerts/${fpA}${q({ cursor: Buffer.from('{"k":"history","t":1,"i":1}').toString("base64url") })}`, /bad cursor/],
      ["/alerts/:fingerprint", `/alerts/${fpA}${q({ limit: "-5" })}`, /limit/],
      ["/deliveries", `/deliveries${q({ status: "exploded" })}`, /status: "exploded" is not one of success, failed/],
      ["/deliveries", `/deliveries${q({ since: "1700000000" })}`, /since/],
      ["/storms", `/storms${q({ until: "soon" })}`, /until/],
      ["/storms", `/storms${q({ limit: "99999" })}`, /limit/],
    ];
    for (const [route, path, message] of cases) {
      const r = await h.ops("GET", path, route);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.code, 400);
      assert.match(r.json.message, message, path);
    }
    // A cursor of another alert's timeline is refused, not misapplied.
    const p = await h.ops("GET", `/alerts/${fpA}${q({ limit: "1" })}`, "/alerts/:fingerprint");
    const other = (await h.ops("GET", `/alerts/history${q({ filter: 'instance="b"', limit: "1" })}`, "/alerts/history")).json.events[0].fingerprint;
    const r = await h.ops("GET", `/alerts/${other}${q({ cursor: p.json.next_cursor })}`, "/alerts/:fingerprint");
    assert.equal(r.status, 400);
  });
});

const STORM_ROUTING = (sink: string) => `
route:
  receiver: team
  group_by: [alertname, shard]
  group_wait: 5s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: team
    webhook_configs: [{ url: "${sink}/team" }]
`;

const STORM = `
noise:
  storm:
    enter: { new_alerts: 20, within: 1m }
    exit:  { below: 2, for: 2m }
    summary_interval: 2m
`;

describe("ops API: storms", () => {
  test("a storm's period and counts, active then ended; storm decisions in an alert's timeline", async () => {
    const h = await startFakeClockApp<any>({ routing: STORM_ROUTING, prism: STORM, flags: { "alerts.gc-interval": "5m" } });
    try {
      await h.post(Array.from({ length: 30 }, (_, i) => ({ labels: { alertname: "Burst", shard: `s${i % 10}`, instance: `n${i}` } })));
      await h.run(10 * S);
      const during = await h.ops("GET", "/storms", "/storms");
      assert.equal(during.json.storms.length, 1);
      const storm = during.json.storms[0];
      assert.equal(storm.receiver, "team");
      assert.equal(storm.active, true);
      assert.equal(storm.ended, null);
      assert.equal(storm.alerts, 30);
      assert.equal(storm.groups, 10);
      await h.run(4 * MIN, 5 * S);
      const after = await h.ops("GET", `/storms${q({ since: "-1h" })}`, "/storms");
      assert.equal(after.json.storms[0].active, false);
      assert.ok(Date.parse(after.json.storms[0].ended) > Date.parse(after.json.storms[0].started));
      assert.equal((await h.ops("GET", `/storms${q({ until: "2026-12-01T09:00:00Z" })}`, "/storms")).json.storms.length, 0);

      const fp = (await h.ops("GET", `/alerts/history${q({ filter: 'instance="n3"', limit: "1" })}`, "/alerts/history")).json.events[0].fingerprint;
      const t = await h.ops("GET", `/alerts/${fp}`, "/alerts/:fingerprint");
      const held = t.json.timeline.find((e: { type: string; stage?: string }) => e.type === "decision" && e.stage === "storm");
      assert.ok(held, JSON.stringify(t.json.timeline));
      assert.equal(held.outcome, "held");
      assert.equal(held.detail.storm_id, storm.id);
    } finally {
      await h.close();
    }
  });
});
