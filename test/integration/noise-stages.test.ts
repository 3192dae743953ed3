// Storm mode and flap damping (alertprism.yml `noise.storm`, `noise.flapping`) through the whole app on a
// fake clock: alerts POSTed over HTTP, notifications received by a real HTTP sink, state in a real SQLite
// file, restarts with the same database.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startFakeClockApp, S, MIN, type FakeClockApp as Harness, type Received as Notification, type WebhookAlert } from "./fake-clock-app.ts";

const STORM_ROUTING = (sink: string) => `
route:
  receiver: default
  group_by: [alertname, shard]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['alertname=~"NodeDown|TradingHalted|Burst|Trickle|Slower"']
      receiver: team
receivers:
  - name: default
  - name: team
    webhook_configs: [{ url: "${sink}/team" }]
`;

const STORM = `
noise:
  storm:
    enter: { new_alerts: 50, within: 1m }
    exit:  { below: 5, for: 5m }
    summary_interval: 2m
    bypass: ['priority="P1"']
`;

const isSummary = (n: Notification) => n.alerts.some((a) => a.labels.alertname === "AlertStorm");

describe("storm mode", () => {
  test("a burst to one receiver: held, one summary refreshed every summary_interval, resolved with totals, no burst after", async () => {
    const h = await startFakeClockApp({ routing: STORM_ROUTING, prism: STORM });
    try {
      // 1,000 alerts in 200 groups within 30 s, and one P1 alert that bypasses the storm.
      const t0 = h.clock.now();
      for (let batch = 0; batch < 20; batch++) {
        await h.post(Array.from({ length: 50 }, (_, i) => ({ labels: { alertname: "NodeDown", shard: `s${(batch * 50 + i) % 200}`, instance: `n${batch * 50 + i}` } })));
        if (batch === 10) await h.post([{ labels: { alertname: "TradingHalted", priority: "P1", shard: "p1" } }]);
        await h.run(1500, 500);
      }
      const summaries = () => h.sink.received.filter(isSummary);
      assert.ok(summaries().length >= 1, "a summary was sent");
      const first = summaries()[0] as Notification;
      assert.ok(first.at - t0 <= 5 * S, `first summary ${first.at - t0} ms after the storm began`);
      const summaryAlert = first.alerts[0] as WebhookAlert;
      assert.deepEqual(summaryAlert.labels, { alertname: "AlertStorm", alertprism: "storm", receiver: "team", severity: "critical" });
      assert.match(summaryAnnotation(summaryAlert, "summary"), /^Alert storm on team: \d+ alerts in \d+ groups$/);
      assert.ok(summaryAnnotation(summaryAlert, "storm_id").length > 0);

      await h.run(60 * S);
      const groupNotifications = () => h.sink.received.filter((n) => !isSummary(n));
      const bypass = groupNotifications().filter((n) => n.groupLabels.alertname === "TradingHalted");
      assert.equal(bypass.length, 1, "the P1 alert is notified as usual");
      assert.equal(groupNotifications().length, 1, "no other group notification during the storm");

      // The listing shows the summary as an alert, with the final counts after a refresh.
      await h.run(2 * MIN);
      const latest = summaries()[summaries().length - 1] as Notification;
      assert.ok(summaries().length >= 2, "re-sent at summary_interval");
      assert.equal(summaryAnnotation(latest.alerts[0] as WebhookAlert, "alerts"), "1000");
      assert.equal(summaryAnnotation(latest.alerts[0] as WebhookAlert, "groups"), "200");
      const listed = (await h.call("GET", "/api/v2/alerts?filter=alertname%3D%22AlertStorm%22")).json as Array<{ annotations: Record<string, string>; receivers: Array<{ name: string }> }>;
      assert.equal(listed.length, 1);
      assert.deepEqual(listed[0]?.receivers, [{ name: "team" }], "the summary's receiver, not the route tree's root");
      assert.match(listed[0]?.annotations.description ?? "", /By alertname: NodeDown=1000/);
      assert.deepEqual((await h.metric("alertprism_storm_active")).filter((l) => l.includes('"team"')), ['alertprism_storm_active{receiver="team"} 1']);
      const held = await h.metric("alertprism_storm_held_notifications_total");
      assert.ok(Number(held[0]?.split(" ")[1]) >= 199, `held: ${held.join()}`);

      // Quiet for exit.for: the storm ends, the summary resolves with the totals, no burst follows.
      await h.run(6 * MIN);
      const resolved = summaries().filter((n) => n.status === "resolved");
      assert.equal(resolved.length, 1, "the summary resolves once");
      assert.equal(summaryAnnotation(resolved[0]?.alerts[0] as WebhookAlert, "alerts"), "1000");
      assert.deepEqual((await h.metric("alertprism_storm_active")).filter((l) => l.includes('"team"')), ['alertprism_storm_active{receiver="team"} 0']);
      await h.run(15 * MIN, 5 * S);
      assert.equal(groupNotifications().length, 1, "the end of the storm lets no burst through");

      const Alertmanager_would_send = 201;
      assert.ok(h.sink.received.length <= 0.05 * Alertmanager_would_send, `${h.sink.received.length} messages`);
      const d = h.db();
      try {
        const newEvents = d.prepare("SELECT count(*) AS n FROM alert_events WHERE kind = 'new'").get() as { n: number };
        assert.ok(newEvents.n >= 1001, "every alert is in the history");
        const tagged = d.prepare("SELECT count(DISTINCT fingerprint) AS n FROM storm_alerts WHERE storm_id = ?").get(summaryAnnotation(summaryAlert, "storm_id")) as { n: number };
        assert.equal(tagged.n, 1000, "every storm alert is tagged with the storm id");
        const heldDecisions = d.prepare("SELECT count(DISTINCT fingerprint) AS n FROM notify_decisions WHERE stage = 'storm' AND outcome = 'held'").get() as { n: number };
        assert.equal(heldDecisions.n, 1000);
      } finally {
        d.close();
      }
    } finally {
      await h.close();
    }
  });

  test("hysteresis: a storm goes on while 5 alerts a minute start, and ends once fewer do", async () => {
    const h = await startFakeClockApp({ routing: STORM_ROUTING, prism: STORM });
    try {
      await h.post(Array.from({ length: 50 }, (_, i) => ({ labels: { alertname: "Burst", shard: `b${i}` } })));
      await h.run(5 * S);
      assert.equal(h.sink.received.filter(isSummary).length, 1);
      for (let m = 0; m < 8; m++) {
        await h.post(Array.from({ length: 5 }, (_, i) => ({ labels: { alertname: "Trickle", shard: `m${m}-${i}` } })));
        await h.run(MIN, 5 * S);
      }
      assert.equal(h.sink.received.filter((n) => isSummary(n) && n.status === "resolved").length, 0, "5 a minute keeps it open");
      for (let m = 0; m < 7; m++) {
        await h.post(Array.from({ length: 4 }, (_, i) => ({ labels: { alertname: "Slower", shard: `x${m}-${i}` } })));
        await h.run(MIN, 5 * S);
      }
      const resolved = h.sink.received.filter((n) => isSummary(n) && n.status === "resolved");
      assert.equal(resolved.length, 1, "4 a minute ends it");
      const ids = new Set(h.sink.received.filter(isSummary).map((n) => summaryAnnotation(n.alerts[0] as WebhookAlert, "storm_id")));
      assert.equal(ids.size, 1, "one storm, not one that ends and re-opens");
    } finally {
      await h.close();
    }
  });

  test("a restart or a reload neither forgets a storm nor opens a new one; a silenced summary is not sent", async () => {
    const h = await startFakeClockApp({ routing: STORM_ROUTING, prism: STORM });
    try {
      await h.post(Array.from({ length: 60 }, (_, i) => ({ labels: { alertname: "Burst", shard: `b${i}` } })));
      await h.run(5 * S);
      const id = summaryAnnotation(h.sink.received.filter(isSummary)[0]?.alerts[0] as WebhookAlert, "storm_id");
      await h.restart();
      const reload = await fetch(`${h.base}/-/reload`, { method: "POST" });
      assert.equal(reload.status, 200);
      await h.run(40 * S);
      assert.equal(h.sink.received.filter((n) => !isSummary(n)).length, 0, "still held after the restart");
      assert.deepEqual((await h.metric("alertprism_storm_active")).filter((l) => l.includes('"team"')), ['alertprism_storm_active{receiver="team"} 1']);
      const silence = await fetch(`${h.base}/api/v2/silences`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ matchers: [{ name: "alertname", value: "AlertStorm", isRegex: false }], startsAt: new Date(h.clock.now()).toISOString(), endsAt: new Date(h.clock.now() + 3600 * S).toISOString(), createdBy: "test", comment: "quiet" }),
      });
      assert.equal(silence.status, 200);
      const before = h.sink.received.filter(isSummary).length;
      await h.run(3 * MIN);
      assert.equal(h.sink.received.filter(isSummary).length, before, "a silenced summary is not re-sent");
      const ids = new Set(h.sink.received.filter(isSummary).map((n) => summaryAnnotation(n.alerts[0] as WebhookAlert, "storm_id")));
      assert.deepEqual([...ids], [id]);
    } finally {
      await h.close();
    }
  });

  test("without noise.storm a burst is notified group by group, as Alertmanager does", async () => {
    const h = await startFakeClockApp({ routing: STORM_ROUTING });
    try {
      await h.post(Array.from({ length: 60 }, (_, i) => ({ labels: { alertname: "Burst", shard: `b${i}` } })));
      await h.run(35 * S);
      assert.equal(h.sink.received.length, 60);
      assert.equal(h.sink.received.filter(isSummary).length, 0);
    } finally {
      await h.close();
    }
  });
});

function summaryAnnotation(a: WebhookAlert, name: string): string {
  return a.annotations[name] ?? "";
}

const FLAP_ROUTING = (sink: string) => `
route:
  receiver: team
  group_by: [alertname]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: team
    webhook_configs: [{ url: "${sink}/team" }]
`;

const FLAPPING = `
noise:
  flapping:
    changes: 4
    within: 30m
    quiet_for: 30m
`;

/** Fires and resolves an alert every 2 minutes for an hour. */
async function flapForAnHour(h: Harness): Promise<void> {
  const labels = { alertname: "Flappy", instance: "db-1" };
  for (let m = 0; m < 60; m += 2) {
    if ((m / 2) % 2 === 0) await h.post([{ labels }]);
    else await h.post([{ labels, endsAt: h.clock.now() }]);
    await h.run(2 * MIN, 5 * S);
  }
}

describe("flap damping", () => {
  test("an alert that fires and resolves every 2 minutes for an hour: at most 5 notifications, every change in history", async () => {
    const h = await startFakeClockApp({ routing: FLAP_ROUTING, prism: FLAPPING });
    try {
      await flapForAnHour(h);
      const during = h.sink.received.length;
      assert.ok(during <= 5, `${during} notifications in the hour`);
      assert.deepEqual(await h.metric("alertprism_flapping_alerts"), ["alertprism_flapping_alerts 1"]);

      // Another alert of the group is notified: the flapping one goes along as firing, marked flapping.
      await h.post([{ labels: { alertname: "Flappy", instance: "db-9" } }]);
      await h.run(MIN, 5 * S);
      assert.equal(h.sink.received.length, during + 1);
      const withBoth = h.sink.received[during] as Notification;
      const flappy = withBoth.alerts.find((a) => a.labels.instance === "db-1");
      assert.equal(flappy?.status, "firing", "a resolved flapping alert counts as firing");
      assert.equal(flappy?.annotations.flapping, "true", "and is marked in the notification");
      assert.equal(withBoth.alerts.find((a) => a.labels.instance === "db-9")?.annotations.flapping, undefined);
      const listed = (await h.call("GET", "/api/v2/alerts")).json as Array<{ annotations: Record<string, string> }>;
      for (const a of listed) assert.equal(a.annotations.flapping, undefined, "the stored alert shows what was sent");

      // Resolved for quiet_for: the final resolve is notified, and it no longer flaps.
      await h.run(32 * MIN, 10 * S);
      assert.equal(h.sink.received.length, during + 2);
      const last = h.sink.received[during + 1] as Notification;
      assert.equal(last.alerts.find((a) => a.labels.instance === "db-1")?.status, "resolved");
      assert.deepEqual(await h.metric("alertprism_flapping_alerts"), ["alertprism_flapping_alerts 0"]);

      const d = h.db();
      try {
        const changes = d.prepare("SELECT count(*) AS n FROM alert_events e JOIN series s ON s.id = e.series_id WHERE kind IN ('new', 'resolved') AND s.labels LIKE '%db-1%'").get() as { n: number };
        assert.equal(changes.n, 30, "every firing and every resolve is in the history");
        const damped = d.prepare("SELECT count(*) AS n FROM notify_decisions WHERE stage = 'flap' AND outcome = 'damped'").get() as { n: number };
        assert.ok(damped.n >= 1, "damping is recorded as a decision");
      } finally {
        d.close();
      }
    } finally {
      await h.close();
    }
  });

  test("without noise.flapping the same alert is notified at almost every group_interval", async () => {
    const h = await startFakeClockApp({ routing: FLAP_ROUTING });
    try {
      await flapForAnHour(h);
      assert.ok(h.sink.received.length >= 25, `${h.sink.received.length} notifications`);
    } finally {
      await h.close();
    }
  });

  test("flap state survives a restart", async () => {
    const h = await startFakeClockApp({ routing: FLAP_ROUTING, prism: FLAPPING });
    try {
      const labels = { alertname: "Flappy", instance: "db-2" };
      for (let m = 0; m < 10; m += 2) {
        await h.post([{ labels, ...((m / 2) % 2 === 1 ? { endsAt: h.clock.now() } : {}) }]);
        await h.run(2 * MIN, 5 * S);
      }
      assert.deepEqual(await h.metric("alertprism_flapping_alerts"), ["alertprism_flapping_alerts 1"]);
      await h.restart();
      assert.deepEqual(await h.metric("alertprism_flapping_alerts"), ["alertprism_flapping_alerts 1"]);
    } finally {
      await h.close();
    }
  });
});
