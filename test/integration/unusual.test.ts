// Unusual alerts through the whole app on a fake clock: the outlier class of each episode in a real
// notification's template (`.Unusual`, a method) and in the ops API's alert endpoint (validated against the
// served OpenAPI document).
/* eslint-disable @typescript-eslint/no-explicit-any -- bodies are checked against the OpenAPI document first, then read loosely */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFakeClockApp, S, MIN, type FakeClockApp } from "./fake-clock-app.ts";

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const ROUTING = (sink: string) => `
route:
  receiver: chat
  group_by: [alertname, service]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: chat
    slack_configs:
      - api_url: ${sink}/slack
        channel: '#alerts'
        title: '{{ range .Alerts }}{{ if eq .Unusual "new" }}first time in 30 days{{ end }}{{ end }}'
        text: '{{ range .Alerts }}{{ .Labels.instance }}:{{ .Unusual }} {{ end }}|{{ (index .Alerts 0) }}'
`;

describe("unusual alerts", () => {
  let h: FakeClockApp<any>;
  before(async () => {
    h = await startFakeClockApp<any>({ routing: ROUTING, alertTtlMs: 2 * HOUR });
  });
  after(async () => h.close());

  const messages = () => h.sink.received.filter((r) => r.path === "/slack").map((r) => (r.body as any).attachments[0] as { title: string; text: string });
  const episode = async (labels: Record<string, string>) => {
    const before = messages().length;
    await h.post([{ labels }]);
    await h.run(15 * S);
    const got = messages().slice(before);
    assert.equal(got.length, 1, JSON.stringify(got));
    await h.post([{ labels, endsAt: h.clock.now() }]);
    await h.run(2 * MIN, 10 * S);
    return got[0]!;
  };
  const fpOf = async (labels: Record<string, string>) => {
    const filter = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const r = await h.ops("GET", `/alerts/history?${filter.map((f) => `filter=${encodeURIComponent(f)}`).join("&")}&limit=1`, "/alerts/history");
    return r.json.events[0].fingerprint as string;
  };

  test("new, then rare (1 day of 30), then frequent; other services and a quiet month are new; the ops API agrees", async () => {
    const disk1 = { alertname: "DiskFull", service: "db", instance: "1" };
    const m1 = await episode(disk1);
    assert.equal(m1.title, "first time in 30 days");
    assert.match(m1.text, /^1:new \|/);
    // The method is not a field: the alert prints as Alertmanager's does.
    assert.doesNotMatch(m1.text.split("|")[1]!, /new|Unusual/);
    const api1 = await h.ops("GET", `/alerts/${await fpOf(disk1)}`, "/alerts/:fingerprint");
    assert.equal(api1.status, 200);
    assert.deepEqual({ ...api1.json.alert.unusual, episode_start: undefined }, { class: "new", days_with_episodes: 0, window_days: 30, episode_start: undefined });

    // A day later another instance of the same alertname and service: the pair fired on 1 day → rare.
    await h.run(DAY, HOUR);
    const disk2 = { ...disk1, instance: "2" };
    const m2 = await episode(disk2);
    assert.equal(m2.title ?? "", ""); // an empty title is left out
    assert.match(m2.text, /^2:rare \|/);
    // The same alertname with another service has its own history.
    const web = { alertname: "DiskFull", service: "web", instance: "9" };
    assert.match((await episode(web)).text, /^9:new \|/);

    // A day later: the pair fired on 2 days → frequent.
    await h.run(DAY, HOUR);
    assert.match((await episode(disk1)).text, /^1:frequent \|/);
    const api3 = await h.ops("GET", `/alerts/${await fpOf(disk1)}`, "/alerts/:fingerprint");
    assert.equal(api3.json.alert.unusual.class, "frequent");
    assert.equal(api3.json.alert.unusual.days_with_episodes, 2);
    // The API classifies the alert's last episode; disk2's (the second day) is still rare.
    assert.equal((await h.ops("GET", `/alerts/${await fpOf(disk2)}`, "/alerts/:fingerprint")).json.alert.unusual.class, "rare");

    // 31 quiet days: first time in 30 days again.
    await h.run(31 * DAY, 6 * HOUR);
    const m4 = await episode(disk2);
    assert.equal(m4.title, "first time in 30 days");
    assert.match(m4.text, /^2:new \|/);
  });

  test("a repeat notification of a long episode keeps its class", async () => {
    const labels = { alertname: "LongOne", service: "queue", instance: "1" };
    await h.post([{ labels }]);
    await h.run(15 * S);
    const before = messages().length;
    // Keep it firing past repeat_interval.
    for (let i = 0; i < 3; i++) {
      await h.post([{ labels }]);
      await h.run(30 * MIN, 30 * S);
    }
    const repeats = messages().slice(before);
    assert.ok(repeats.length >= 1);
    for (const m of repeats) assert.equal(m.title, "first time in 30 days");
  });
});
