// Heartbeats (alertprism.yml `heartbeats:`, the dead man's switch) through the whole app on a fake clock:
// Watchdog alerts POSTed over HTTP, HeartbeatMissing notifications received by a real HTTP webhook sink,
// the last arrival in a real SQLite file across restarts, reloads of the heartbeat list.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeClockApp, S, MIN, type FakeClockApp, type Received } from "./fake-clock-app.ts";

const ROUTING = (sink: string) => `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
receivers:
  - name: default
  - name: ops
    webhook_configs: [{ url: "${sink}/ops", send_resolved: true }]
  - name: team
    webhook_configs: [{ url: "${sink}/team", send_resolved: true }]
`;

const WATCHDOG_5M = `
heartbeats:
  - matchers: ['alertname="Watchdog"']
    timeout: 5m
    receiver: ops
`;

interface HeartbeatJson {
  heartbeat: string; matchers: string[]; timeout: string; timeout_seconds: number; receiver: string;
  status: string; last_arrival: string | null; missing_since: string | null; deadline: string; first_seen: string;
}

type SentAlert = Received["alerts"][number] & { startsAt: string; endsAt: string };

const iso = (ms: number) => new Date(ms).toISOString();
const missingAt = (h: FakeClockApp, path = "/ops") => h.sink.received.filter((n) => n.path === path && n.alerts.some((a) => a.labels.alertname === "HeartbeatMissing"));
const watchdog = () => ({ labels: { alertname: "Watchdog", severity: "none" } });

async function heartbeats(h: FakeClockApp): Promise<HeartbeatJson[]> {
  const r = await h.ops("GET", "/heartbeats", "/heartbeats");
  assert.equal(r.status, 200, r.text);
  return (r.json as { heartbeats: HeartbeatJson[] }).heartbeats;
}

/** Prometheus' way: the firing Watchdog re-sent every `everyMs` for `forMs`. */
async function sendFor(h: FakeClockApp, forMs: number, everyMs = 30 * S): Promise<number> {
  let last = h.clock.now();
  for (let t = 0; t < forMs; t += everyMs) {
    await h.post([watchdog()]);
    last = h.clock.now();
    await h.run(everyMs, 5 * S);
  }
  return last;
}

describe("heartbeats", () => {
  test("kept alive by re-sends; missing after the timeout: HeartbeatMissing to its receiver; resolved when heartbeats resume", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, prism: WATCHDOG_5M, alertTtlMs: 4 * MIN });
    try {
      const t0 = h.clock.now();
      const [waiting] = await heartbeats(h);
      assert.deepEqual(waiting, {
        heartbeat: '{alertname="Watchdog"}', matchers: ['alertname="Watchdog"'], timeout: "5m", timeout_seconds: 300, receiver: "ops",
        status: "waiting", last_arrival: null, missing_since: null, deadline: iso(t0 + 5 * MIN), first_seen: iso(t0),
      });

      // 10 minutes of re-sends (the same alert, same startsAt): never missing.
      const last = await sendFor(h, 10 * MIN);
      assert.equal(missingAt(h).length, 0);
      const [ok] = await heartbeats(h);
      assert.equal(ok?.status, "ok");
      assert.equal(ok?.last_arrival, iso(last));
      assert.deepEqual(await h.metric("alertprism_heartbeat_last_arrival_timestamp_seconds{"), [`alertprism_heartbeat_last_arrival_timestamp_seconds{heartbeat="{alertname=\\"Watchdog\\"}"} ${last / 1000}`]);

      // Prometheus stops: HeartbeatMissing reaches ops once the timeout has run out (group_wait 0).
      await h.run(last + 5 * MIN - h.clock.now() - S, 5 * S);
      assert.equal(missingAt(h).length, 0, "not before the timeout");
      await h.run(2 * S);
      const [raised] = missingAt(h);
      assert.ok(raised, "HeartbeatMissing notified");
      assert.equal(raised.status, "firing");
      assert.ok(raised.at - (last + 5 * MIN) <= S, `notified ${raised.at - (last + 5 * MIN)} ms after the deadline`);
      const alert = raised.alerts[0] as SentAlert;
      assert.deepEqual(alert.labels, { alertname: "HeartbeatMissing", alertprism: "heartbeat", heartbeat: '{alertname="Watchdog"}', receiver: "ops", severity: "critical" });
      assert.equal(Date.parse(alert.annotations.last_heartbeat ?? ""), last, "RFC 3339");
      assert.equal(alert.annotations.timeout, "5m");
      assert.equal(new Date(alert.startsAt).getTime(), last + 5 * MIN);
      const [missing] = await heartbeats(h);
      assert.equal(missing?.status, "missing");
      assert.equal(missing?.missing_since, iso(last + 5 * MIN));
      assert.deepEqual(await h.metric("alertprism_heartbeat_missing{"), ['alertprism_heartbeat_missing{heartbeat="{alertname=\\"Watchdog\\"}"} 1']);
      const listed = (await h.call("GET", "/api/v2/alerts?filter=alertname%3D%22HeartbeatMissing%22")).json as Array<{ receivers: Array<{ name: string }> }>;
      assert.deepEqual(listed.map((a) => a.receivers), [[{ name: "ops" }]], "straight to its receiver, not the tree's root");

      // Still missing half an hour later: kept firing (not resolved by its endsAt), not re-notified before repeat_interval.
      await h.run(30 * MIN, 10 * S);
      assert.equal(missingAt(h).length, 1);
      assert.equal((await heartbeats(h))[0]?.status, "missing");

      // Heartbeats resume: resolved at once.
      const back = h.clock.now();
      await h.post([watchdog()]);
      await h.run(3 * S);
      const notes = missingAt(h);
      assert.equal(notes.length, 2);
      assert.equal(notes[1]?.status, "resolved");
      assert.ok((notes[1]?.at ?? Infinity) - back <= 2 * S);
      assert.equal((await heartbeats(h))[0]?.status, "ok");
      assert.deepEqual(await h.metric("alertprism_heartbeat_missing{"), ['alertprism_heartbeat_missing{heartbeat="{alertname=\\"Watchdog\\"}"} 0']);
      assert.equal(h.sink.received.filter((n) => n.path !== "/ops").length, 0, "nothing else was notified");
    } finally {
      await h.close();
    }
  });

  test("a restart keeps the timer; an outage of AlertPrism longer than the timeout is reported right after start", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, prism: WATCHDOG_5M, alertTtlMs: 4 * MIN });
    try {
      await h.post([watchdog()]);
      const arrival = h.clock.now();
      await h.run(MIN);
      // Down for 3 minutes: back with 1 minute left, not 5.
      await h.app.stop();
      h.clock.advance(3 * MIN);
      await h.restart();
      assert.equal((await heartbeats(h))[0]?.last_arrival, iso(arrival), "the last arrival survives the restart");
      await h.run(arrival + 5 * MIN - h.clock.now() - S, 5 * S);
      assert.equal(missingAt(h).length, 0);
      await h.run(2 * S);
      assert.equal(missingAt(h).length, 1, "missing 5 minutes after the arrival before the restart");
      assert.equal(new Date((missingAt(h)[0]?.alerts[0] as SentAlert).startsAt).getTime(), arrival + 5 * MIN);

      // Resume, then a long outage (30 minutes): reported once AlertPrism is back, before any heartbeat.
      await h.post([watchdog()]);
      const second = h.clock.now();
      await h.run(3 * S);
      assert.equal(missingAt(h).at(-1)?.status, "resolved");
      await h.app.stop();
      h.clock.advance(30 * MIN);
      await h.restart();
      await h.run(2 * S);
      const after = missingAt(h);
      assert.equal(after.length, 3);
      assert.equal(after[2]?.status, "firing");
      assert.equal(new Date((after[2]?.alerts[0] as SentAlert).startsAt).getTime(), second + 5 * MIN, "missing since 5 minutes after the last arrival before the outage");
      assert.equal(Date.parse((after[2]?.alerts[0] as SentAlert).annotations.last_heartbeat ?? ""), second);

      // Prometheus re-sends once it reaches AlertPrism again: resolved.
      await h.post([watchdog()]);
      await h.run(3 * S);
      assert.equal(missingAt(h).at(-1)?.status, "resolved");
      assert.equal(missingAt(h).length, 4);
    } finally {
      await h.close();
    }
  });

  test("a restart whose configuration no longer makes it missing resolves the previous run's HeartbeatMissing at once", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, prism: WATCHDOG_5M, alertTtlMs: 4 * MIN });
    try {
      await h.post([watchdog()]);
      await h.run(5 * MIN + S);
      assert.deepEqual(missingAt(h).map((n) => n.status), ["firing"]);
      await h.app.stop();
      writeFileSync(join(h.dir, "alertprism.yml"), WATCHDOG_5M.replace("timeout: 5m", "timeout: 2h"));
      await h.restart();
      await h.run(2 * S);
      assert.deepEqual(missingAt(h).map((n) => n.status), ["firing", "resolved"], "not left firing until its endsAt");
      assert.equal((await heartbeats(h))[0]?.status, "ok");
    } finally {
      await h.close();
    }
  });

  test("a storm on the heartbeat's receiver does not hold HeartbeatMissing", async () => {
    const routing = (sink: string) => ROUTING(sink).replace("  group_wait: 30s\n", "  group_wait: 30s\n  routes:\n    - matchers: ['alertname=\"Burst\"']\n      receiver: ops\n      group_by: [instance]\n");
    const prism = `${WATCHDOG_5M}
noise:
  storm:
    enter: { new_alerts: 5, within: 1m }
    exit: { below: 1, for: 30m }
`;
    const h = await startFakeClockApp({ routing, prism, alertTtlMs: 2 * 3600 * S });
    try {
      await h.post([watchdog()]);
      await h.post(Array.from({ length: 10 }, (_, i) => ({ labels: { alertname: "Burst", instance: `n${i}` } })));
      await h.run(MIN);
      const storm = h.sink.received.filter((n) => n.path === "/ops" && n.alerts.some((a) => a.labels.alertname === "AlertStorm"));
      assert.equal(storm.length, 1, "ops is in a storm");
      assert.equal(h.sink.received.filter((n) => n.alerts.some((a) => a.labels.alertname === "Burst")).length, 0, "its groups are held");
      await h.run(4 * MIN + S);
      assert.deepEqual(missingAt(h).map((n) => n.status), ["firing"], "HeartbeatMissing gets through the storm");
    } finally {
      await h.close();
    }
  });

  test("reload: a removed heartbeat's alert resolves, a new one waits, a bad list is refused and the old one kept", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, prism: WATCHDOG_5M, alertTtlMs: 4 * MIN });
    try {
      await h.run(5 * MIN + S);
      assert.equal(missingAt(h).length, 1, "missing: none arrived within the timeout after it was configured");
      assert.equal((missingAt(h)[0]?.alerts[0] as SentAlert).annotations.last_heartbeat, "never");

      const file = join(h.dir, "alertprism.yml");
      writeFileSync(file, "heartbeats:\n  - matchers: ['alertname=\"Watchdog\"']\n    timeout: 5m\n    receiver: nobody\n");
      const bad = await h.call("POST", "/-/reload");
      assert.notEqual(bad.status, 200);
      assert.match(bad.text, /alertprism\.yml:4:\d+ \(heartbeats\[0\]\.receiver\): heartbeat receiver "nobody" is not a receiver of/);
      assert.equal((await heartbeats(h))[0]?.status, "missing", "the previous list still applies");

      writeFileSync(file, "heartbeats:\n  - matchers: ['alertname=\"Heartbeat\", job=\"batch\"']\n    timeout: 1h\n    receiver: team\n");
      assert.equal((await h.call("POST", "/-/reload")).status, 200);
      await h.run(3 * S);
      assert.equal(missingAt(h).at(-1)?.status, "resolved", "the removed heartbeat's alert resolves at its receiver");
      const list = await heartbeats(h);
      assert.deepEqual(list.map((b) => [b.heartbeat, b.receiver, b.status]), [['{alertname="Heartbeat",job="batch"}', "team", "waiting"]]);

      await h.post([{ labels: { alertname: "Heartbeat", job: "batch" } }]);
      const batch = h.clock.now();
      assert.equal((await heartbeats(h))[0]?.status, "ok");
      // Long steps up to the deadline, short ones across it: a send in flight must not outlive its fake-time deadline.
      await h.run(batch + 60 * MIN - h.clock.now() - S, 10 * S);
      assert.equal(missingAt(h, "/team").length, 0);
      await h.run(2 * S);
      await h.run(2 * MIN, 5 * S);
      const team = missingAt(h, "/team");
      assert.equal(team.length, 1, JSON.stringify(team.map((n) => [n.at, n.status, n.alerts.map((a) => [a.status, a.labels.heartbeat, (a as SentAlert).startsAt, (a as SentAlert).endsAt])])));
      assert.equal(team[0]?.alerts[0]?.labels.heartbeat, '{alertname="Heartbeat",job="batch"}');

      // Without heartbeats: the feature is off again; the raised alert resolves.
      writeFileSync(file, "");
      assert.equal((await h.call("POST", "/-/reload")).status, 200);
      await h.run(3 * S);
      assert.equal(missingAt(h, "/team").at(-1)?.status, "resolved");
      assert.deepEqual(await heartbeats(h), []);
      assert.deepEqual(await h.metric("alertprism_heartbeat_missing{"), []);
    } finally {
      await h.close();
    }
  });
});
