// GET /api/ops/v1/stats and /stats/timeseries on a scripted timeline with known answers (fake clock, real
// HTTP sink, real SQLite): episodes, notifications, MTTA and MTTR with nearest-rank percentiles, the top
// lists, and bad input. Every response is validated against the served OpenAPI document.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../../src/types/labels.ts";
import { startFakeClockApp, MIN, type FakeClockApp as Harness } from "./fake-clock-app.ts";

const ROUTING = (sink: string) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 2h
receivers:
  - name: hook
    webhook_configs: [{ url: "${sink}/hook", send_resolved: true }]
`;

const A1 = { alertname: "A", instance: "1", priority: "P1" };
const A2 = { alertname: "A", instance: "2", priority: "P2" };
const B1 = { alertname: "B", priority: "P1" };
const C1 = { alertname: "C", priority: "P3" };

interface Summary { samples: number; p50: number | null; p90: number | null; mean: number | null }
interface Bucket { value: string; episodes_started: number; episodes_resolved: number; notifications_sent: number; mtta_seconds: Summary; mttr_seconds: Summary }
interface Stats {
  totals: { episodes_started: number; episodes_resolved: number; notifications_sent: number; notifications_unattributed: number; mtta_seconds: Summary; mttr_seconds: Summary };
  buckets: Bucket[];
  noisiest: Array<{ fingerprint: string; episodes: number }>;
  most_flapping: Array<{ fingerprint: string; changes: number }>;
  longest_standing: Array<{ fingerprint: string; open: boolean; duration_seconds: number; started_at: string; ended_at: string | null }>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const summary = (samples: number, p50: number | null, p90: number | null, mean: number | null): Summary => ({ samples, p50, p90, mean });

describe("statistics", () => {
  let h: Harness;
  let t0: number;
  const at = async (offsetMs: number) => h.run(t0 + offsetMs - h.clock.now());
  const resolve = async (labels: Record<string, string>, startsAt: number) => h.post([{ labels, startsAt, endsAt: h.clock.now() }]);
  const ack = (labels: Record<string, string>, episodeStartsMs: number) => h.db({ writable: true })
    .prepare("INSERT INTO acks (fingerprint, episode_starts_ms, actor, comment, created_ms) VALUES (?, ?, 'alice', '', ?)")
    .run(fingerprint(labels), episodeStartsMs, h.clock.now());
  const stats = async (query: string): Promise<Stats> => {
    const r = await h.ops("GET", `/stats?${query}`, "/stats");
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as Stats;
  };

  before(async () => {
    h = await startFakeClockApp({ routing: ROUTING });
    t0 = h.clock.now();
    // t0: A1, A2, B1 fire. 5m: C1 fires and never resolves.
    await h.post([{ labels: A1 }, { labels: A2 }, { labels: B1 }]);
    await at(2 * MIN); ack(A1, t0);                     // MTTA A1 120 s
    await at(5 * MIN); ack(A2, t0);                     // MTTA A2 300 s
    await h.post([{ labels: C1 }]);
    await at(6 * MIN); ack(A2, t0);                     // a second ack of the same episode: not a sample
    await at(10 * MIN); await resolve(A1, t0);          // MTTR A1 600 s
    await at(20 * MIN); await resolve(A2, t0);          // MTTR A2 1200 s
    await at(30 * MIN); await resolve(B1, t0);          // MTTR B1 1800 s (never acked)
    await at(40 * MIN); await h.post([{ labels: B1 }]); // B1's second episode
    await at(43 * MIN); ack(B1, t0 + 40 * MIN);         // MTTA 180 s
    await at(50 * MIN); await resolve(B1, t0 + 40 * MIN); // MTTR 600 s
    await at(60 * MIN);
  });
  after(async () => h.close());

  test("by alertname: episodes, notifications, MTTA and MTTR (nearest rank) per bucket and overall", async () => {
    const s = await stats(`since=${iso(t0)}&until=${iso(t0 + 60 * MIN)}&by=alertname`);
    assert.deepEqual(s.totals, {
      episodes_started: 5, episodes_resolved: 4, notifications_sent: 8, notifications_unattributed: 0,
      mtta_seconds: summary(3, 180, 300, 200),
      mttr_seconds: summary(4, 600, 1800, 1050),
    });
    assert.deepEqual(s.buckets, [
      // Ranked by episodes started, then notifications sent, then value.
      { value: "B", episodes_started: 2, episodes_resolved: 2, notifications_sent: 4, mtta_seconds: summary(1, 180, 180, 180), mttr_seconds: summary(2, 600, 1800, 1200) },
      { value: "A", episodes_started: 2, episodes_resolved: 2, notifications_sent: 3, mtta_seconds: summary(2, 120, 300, 210), mttr_seconds: summary(2, 600, 1200, 900) },
      { value: "C", episodes_started: 1, episodes_resolved: 0, notifications_sent: 1, mtta_seconds: summary(0, null, null, null), mttr_seconds: summary(0, null, null, null) },
    ]);
    assert.deepEqual(s.noisiest.map((x) => [x.fingerprint, x.episodes]), [[fingerprint(B1), 2], ...[[fingerprint(A1), 1], [fingerprint(A2), 1], [fingerprint(C1), 1]].sort((a, b) => String(a[0]).localeCompare(String(b[0])))]);
    assert.deepEqual(s.most_flapping[0], { fingerprint: fingerprint(B1), labels: B1, changes: 4 });
    assert.deepEqual(s.longest_standing.map((x) => [x.fingerprint, x.open, x.duration_seconds]), [
      [fingerprint(C1), true, 3300], [fingerprint(B1), false, 1800], [fingerprint(A2), false, 1200],
      ...[[fingerprint(A1), false, 600], [fingerprint(B1), false, 600]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ]);
  });

  test("by priority: groups are not grouped by priority, so their notifications are unattributed", async () => {
    const s = await stats(`since=${iso(t0)}&until=${iso(t0 + 60 * MIN)}&by=priority`);
    assert.equal(s.totals.notifications_unattributed, 8);
    const p1 = s.buckets.find((b) => b.value === "P1");
    assert.deepEqual(p1, { value: "P1", episodes_started: 3, episodes_resolved: 3, notifications_sent: 0, mtta_seconds: summary(2, 120, 180, 150), mttr_seconds: summary(3, 600, 1800, 1000) });
  });

  test("by receiver, and by a label no alert has (one bucket \"\")", async () => {
    const r = await stats(`since=${iso(t0)}&until=${iso(t0 + 60 * MIN)}&by=receiver`);
    assert.deepEqual(r.buckets.map((b) => [b.value, b.episodes_started, b.notifications_sent]), [["hook", 5, 8]]);
    const none = await stats(`since=${iso(t0)}&until=${iso(t0 + 60 * MIN)}&by=team`);
    assert.deepEqual(none.buckets.map((b) => [b.value, b.episodes_started]), [["", 5]]);
  });

  test("a later range: episodes that started before it count for MTTR and standing, C open through all of it", async () => {
    const s = await stats(`since=${iso(t0 + 15 * MIN)}&until=${iso(t0 + 60 * MIN)}`);
    assert.equal(s.totals.episodes_started, 1);
    assert.equal(s.totals.episodes_resolved, 3);
    assert.deepEqual(s.totals.mttr_seconds, summary(3, 1200, 1800, 1200));
    assert.deepEqual(s.totals.mtta_seconds, summary(1, 180, 180, 180));
    assert.deepEqual(s.longest_standing.map((x) => [x.fingerprint, x.open, x.duration_seconds]), [
      [fingerprint(C1), true, 3300], [fingerprint(B1), false, 1800], [fingerprint(A2), false, 1200], [fingerprint(B1), false, 600],
    ]);
  });

  test("timeseries: counts per 10m step", async () => {
    const r = await h.ops("GET", `/stats/timeseries?since=${iso(t0)}&until=${iso(t0 + 60 * MIN)}&step=10m&by=alertname`, "/stats/timeseries");
    assert.equal(r.status, 200);
    const ts = r.json as { steps: string[]; total: { started: number[]; resolved: number[]; notifications: number[] }; series: Array<{ value: string; started: number[] }>; step_seconds: number };
    assert.equal(ts.step_seconds, 600);
    assert.deepEqual(ts.steps, Array.from({ length: 6 }, (_, i) => iso(t0 + i * 10 * MIN)));
    assert.deepEqual(ts.total, { started: [4, 0, 0, 0, 1, 0], resolved: [0, 1, 1, 1, 0, 1], notifications: [3, 1, 1, 1, 1, 1] });
    assert.deepEqual(ts.series.map((x) => [x.value, x.started]), [["B", [1, 0, 0, 0, 1, 0]], ["A", [2, 0, 0, 0, 0, 0]], ["C", [1, 0, 0, 0, 0, 0]]]);
  });

  test("bad input is a 400 that says what to fix, never a 5xx", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["/stats?since=yesterday", "/stats", /since: "yesterday" is neither an RFC 3339 time/],
      ["/stats?since=2026-12-01T12:00:00Z&until=2026-12-01T11:00:00Z", "/stats", /since .* must be before until/],
      ["/stats?by=not-a-label", "/stats", /by must be receiver or a label name/],
      ["/stats?limit=0", "/stats", /limit must be from 1 to 1000/],
      ["/stats/timeseries?step=abc", "/stats/timeseries", /step: "abc" is not a duration/],
      ["/stats/timeseries?step=0", "/stats/timeseries", /step must be at least 1s/],
      ["/stats/timeseries?step=1s&since=-24h", "/stats/timeseries", /86400 steps .* at most 2000/],
      ["/stats/timeseries?until=2026-13-01T00:00:00Z", "/stats/timeseries", /until: .* is neither/],
    ];
    for (const [path, route, message] of cases) {
      const r = await h.ops("GET", path, route);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
      assert.match((r.json as { message: string }).message, message, path);
    }
  });

  test("the range scans use migration 006's indexes", () => {
    const db = h.db();
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join("; ");
    assert.match(plan("SELECT id FROM alert_events WHERE kind IN ('new', 'resolved') AND at_ms >= 0 AND at_ms < 1 ORDER BY at_ms, id"), /alert_events_lifecycle_by_time/);
    assert.match(plan("SELECT id FROM alert_events WHERE series_id = 1 AND kind IN ('new', 'resolved') AND (at_ms < 5 OR (at_ms = 5 AND id < 3)) ORDER BY at_ms DESC, id DESC LIMIT 1"), /alert_events_lifecycle_by_series/);
    assert.match(plan("SELECT id FROM acks WHERE created_ms >= 0 AND created_ms < 1"), /acks_by_time/);
  });
});
