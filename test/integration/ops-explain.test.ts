// GET /api/ops/v1/alerts/{fingerprint}/explain through the whole app on a fake clock: one alert per reason a
// notification can be held, the "will be notified" case, a resolved alert, bad and unknown fingerprints.
// Every response is validated against the served OpenAPI document.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../../src/types/labels.ts";
import { startFakeClockApp, S, MIN, type FakeClockApp as Harness } from "./fake-clock-app.ts";

const ROUTING = (sink: string) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 1h
  routes:
    - matchers: ['case="mute"']
      mute_time_intervals: [always]
    - matchers: ['case="active"']
      active_time_intervals: [never]
    - matchers: ['case="storm"']
      receiver: stormy
receivers:
  - name: hook
    webhook_configs: [{ url: "${sink}/hook", send_resolved: true }]
  - name: stormy
    webhook_configs: [{ url: "${sink}/stormy" }]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
time_intervals:
  - name: always
    time_intervals:
      - weekdays: ['sunday:saturday']
  - name: never
    time_intervals:
      - years: ['1999']
`;

const PRISM = `
noise:
  storm:
    enter: { new_alerts: 20, within: 1m }
    exit:  { below: 1, for: 30m }
    summary_interval: 2m
  flapping:
    changes: 4
    within: 30m
    quiet_for: 30m
`;

interface Route { route_id: string; receiver: string; status: string; reason: string | null; verdict: string; group: { group_key: string; next_flush_at: string | null; first_flush_pending: boolean } | null;
  path: Array<{ id: string; matchers: string }>; time_intervals: Array<{ name: string; kind: string; in_force: boolean }>; time_intervals_hold_group: boolean;
  storm: { id: string; since: string } | null; integrations: Array<{ integration: string; last_notification: { sent_at: string; alert_firing: boolean } | null; next_repeat_at: string | null; verdict: string }> }
interface Explanation { fingerprint: string; state: string; in_live_set: boolean; summary: string; routes: Route[]; silenced_by: Array<{ id: string; created_by: string; matchers: string[] }>;
  inhibited_by: Array<{ fingerprint: string; labels: Record<string, string> }>; flapping: { enabled: boolean; flapping: boolean; quiet_until: string | null }; ack: { by: string } | null }

const iso = (ms: number) => new Date(ms).toISOString();

describe("explain", () => {
  let h: Harness;
  let t0: number;
  const explain = async (labels: Record<string, string>): Promise<Explanation> => {
    const r = await h.ops("GET", `/alerts/${fingerprint(labels)}/explain`, "/alerts/:fingerprint/explain");
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as Explanation;
  };
  const only = (e: Explanation): Route => {
    assert.equal(e.routes.length, 1, JSON.stringify(e.routes));
    return e.routes[0]!;
  };

  const L = {
    silenced: { alertname: "Silenced", case: "silence" },
    source: { alertname: "Inh", severity: "critical" },
    target: { alertname: "Inh", severity: "warning" },
    mute: { alertname: "Muted", case: "mute" },
    active: { alertname: "Inactive", case: "active" },
    acked: { alertname: "Acked" },
    repeat: { alertname: "Repeat", instance: "a" },
    joiner: { alertname: "Repeat", instance: "b" },
    flap: { alertname: "Flappy" },
    done: { alertname: "Done" },
    fresh: { alertname: "Fresh" },
  };

  before(async () => {
    h = await startFakeClockApp({ routing: ROUTING, prism: PRISM });
    t0 = h.clock.now();
    const res = await h.call("POST", "/api/v2/silences", {
      matchers: [{ name: "case", value: "silence", isRegex: false, isEqual: true }], startsAt: iso(t0), endsAt: iso(t0 + 6 * 3600 * S), createdBy: "carol", comment: "maintenance",
    });
    assert.equal(res.status, 200);
    await h.post([L.silenced, L.source, L.target, L.mute, L.active, L.acked, L.repeat, L.flap, L.done].map((labels) => ({ labels })));
    await h.run(31 * S); // every group's first flush (group_wait 30s)
    // The acknowledgement, as the ack feature stores it (migration 005's acks table).
    h.db({ writable: true }).prepare("INSERT INTO acks (fingerprint, episode_starts_ms, actor, comment, created_ms) VALUES (?, ?, ?, ?, ?)")
      .run(fingerprint(L.acked), t0, "alice", "looking", h.clock.now());
    // Flappy fires, resolves, fires, resolves: 4 changes within 30m, so it flaps.
    await h.post([{ labels: L.flap, startsAt: t0, endsAt: h.clock.now() - 1 }, { labels: L.done, startsAt: t0, endsAt: h.clock.now() - 1 }]);
    await h.run(MIN);
    await h.post([{ labels: L.flap }]);
    await h.run(MIN);
    await h.post([{ labels: L.flap, startsAt: h.clock.now() - MIN, endsAt: h.clock.now() - 1 }]);
    await h.run(MIN);
    // A burst of 20 alerts to receiver stormy opens a storm.
    await h.post(Array.from({ length: 20 }, (_, i) => ({ labels: { alertname: "Burst", case: "storm", n: String(i) } })));
    await h.run(2 * S, 500);
    // An alert joining the already-notified Repeat group, and a fresh group still in group_wait.
    await h.post([{ labels: L.joiner }, { labels: L.fresh }]);
  });
  after(async () => h.close());

  test("silenced: the silence's id, matchers, author and end", async () => {
    const e = await explain(L.silenced);
    const r = only(e);
    assert.equal(r.status, "held");
    assert.equal(r.reason, "silenced");
    assert.equal(e.silenced_by.length, 1);
    assert.equal(e.silenced_by[0]?.created_by, "carol");
    assert.deepEqual(e.silenced_by[0]?.matchers, ['case="silence"']);
    assert.equal(r.verdict, `held: silenced by ${e.silenced_by[0]?.id} (carol, until ${iso(t0 + 6 * 3600 * S)})`);
    assert.deepEqual(r.path.map((p) => p.id), ["0"]);
  });

  test("inhibited: the inhibiting alert's fingerprint and labels", async () => {
    const e = await explain(L.target);
    const r = only(e);
    assert.equal(r.reason, "inhibited");
    assert.deepEqual(e.inhibited_by, [{ fingerprint: fingerprint(L.source), labels: L.source }]);
    assert.match(r.verdict, new RegExp(`^held: inhibited by ${fingerprint(L.source)}`));
    // The source itself was notified and is not due again for an hour.
    const src = only(await explain(L.source));
    assert.equal(src.reason, "repeat_not_due");
  });

  test("mute time interval: the route's interval is in force and holds the group", async () => {
    const r = only(await explain(L.mute));
    assert.equal(r.route_id, "0/0");
    assert.deepEqual(r.path.map((p) => [p.id, p.matchers]), [["0", "{}"], ["0/0", '{case="mute"}']]);
    assert.deepEqual(r.time_intervals, [{ name: "always", kind: "mute", in_force: true }]);
    assert.equal(r.time_intervals_hold_group, true);
    assert.equal(r.reason, "mute_time_interval");
    assert.equal(r.verdict, "held: muted by time interval always");
  });

  test("outside the active time interval", async () => {
    const r = only(await explain(L.active));
    assert.deepEqual(r.time_intervals, [{ name: "never", kind: "active", in_force: false }]);
    assert.equal(r.reason, "outside_active_time_interval");
    assert.equal(r.verdict, "held: outside the active time intervals never");
  });

  test("acknowledged: the ack's author", async () => {
    const e = await explain(L.acked);
    assert.equal(e.ack?.by, "alice");
    const r = only(e);
    assert.equal(r.reason, "acknowledged");
    assert.match(r.verdict, /^held: acknowledged by alice at /);
  });

  test("repeat_interval not due: last notification per integration, when the repeat is due", async () => {
    const e = await explain(L.repeat);
    const r = only(e);
    assert.equal(r.reason, "repeat_not_due");
    const i = r.integrations[0]!;
    assert.equal(i.integration, "webhook/0");
    // Recorded when the delivery completed: the flush at t0+30s, plus the harness's 1s time steps at most.
    const sentAt = Date.parse(i.last_notification?.sent_at ?? "");
    assert.ok(sentAt >= t0 + 30 * S && sentAt <= t0 + 31 * S, i.last_notification?.sent_at);
    assert.deepEqual(i.last_notification, { sent_at: iso(sentAt), alert_firing: true, alert_resolved: false });
    assert.equal(i.next_repeat_at, iso(sentAt + 3600 * S));
    // Ticks every minute from t0+30s: the first one after the due time is t0+1h+1m30s.
    assert.equal(r.verdict, `held: repeat not due until ${iso(sentAt + 3600 * S)} (last sent ${iso(sentAt)}); next notification at ${iso(t0 + 3600 * S + 90 * S)} unless the group changes`);
  });

  test("will be notified: an alert new to an already-notified group, at the group's next tick", async () => {
    const r = only(await explain(L.joiner));
    assert.equal(r.status, "will_notify");
    assert.equal(r.reason, null);
    assert.equal(r.group?.first_flush_pending, false);
    assert.equal(r.verdict, `will be notified at ${r.group?.next_flush_at}`);
    const next = Date.parse(r.group?.next_flush_at ?? "");
    assert.ok(next > h.clock.now() && next <= h.clock.now() + MIN, r.group?.next_flush_at ?? "");
    assert.equal(r.integrations[0]?.last_notification?.alert_firing, false);
  });

  test("group_wait pending: the first flush of a new group", async () => {
    const r = only(await explain(L.fresh));
    assert.equal(r.reason, "group_wait");
    assert.equal(r.group?.first_flush_pending, true);
    assert.equal(r.group?.next_flush_at, iso(h.clock.now() + 30 * S));
    assert.equal(r.verdict, `held: group_wait pending; the first notification is due at ${iso(h.clock.now() + 30 * S)}`);
    assert.match(r.group?.group_key ?? "", /^\{\}:\{alertname="Fresh"\}$/);
  });

  test("storm: the receiver's storm id and since", async () => {
    const r = only(await explain({ alertname: "Burst", case: "storm", n: "3" }));
    assert.equal(r.receiver, "stormy");
    assert.equal(r.reason, "storm");
    assert.ok(r.storm?.id);
    assert.equal(r.verdict, `held: receiver stormy is in storm ${r.storm.id} since ${r.storm.since}; the storm summary covers it`);
  });

  test("flapping: a resolved flapping alert's resolve is damped until quiet_for has passed", async () => {
    const e = await explain(L.flap);
    assert.equal(e.state, "resolved");
    assert.equal(e.flapping.enabled, true);
    assert.equal(e.flapping.flapping, true);
    const r = only(e);
    assert.equal(r.reason, "flapping_damped");
    assert.equal(r.verdict, `held: the resolve is damped as flapping (shown as firing) until ${e.flapping.quiet_until}`);
  });

  test("resolved: the resolve notification and when it went", async () => {
    const e = await explain(L.done);
    assert.equal(e.state, "resolved");
    const r = only(e);
    assert.equal(r.status, "resolved");
    assert.match(r.verdict, /^resolved at .*; the resolve was notified at /);
    assert.match(e.summary, /^resolved; hook: resolved at /);
  });

  test("unknown fingerprint: 404; malformed: 400", async () => {
    const unknown = await h.ops("GET", "/alerts/0123456789abcdef/explain", "/alerts/:fingerprint/explain");
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { code: 404, message: "no alert with fingerprint 0123456789abcdef has been seen" });
    const bad = await h.ops("GET", "/alerts/nope/explain", "/alerts/:fingerprint/explain");
    assert.equal(bad.status, 400);
  });
});
