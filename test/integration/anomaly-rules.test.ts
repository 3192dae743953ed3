// Anomaly rules and predictions in the running app: a fake Prometheus on 127.0.0.1 serves series defined
// as functions of time, the app runs on a fake clock, and alerts are checked where users see them (the
// Alertmanager API, the webhook sink, the ops API, /metrics).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeClockApp, MIN, type FakeClockApp } from "./fake-clock-app.ts";
import { startFakePrometheus, type FakePrometheus, type FakeSeries } from "./fake-prometheus.ts";

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const HOUR = 60 * MIN;

const routing = (sink: string) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1m
receivers:
  - name: hook
    webhook_configs:
      - url: ${sink}/hook
`;

/** Deterministic wiggle, so the series is not flat (a flat series makes every change infinitely unusual). */
const wiggle = (t: number): number => {
  const i = t / MIN;
  return 2 * Math.sin(i * 1.7) + 1.5 * Math.sin(i * 0.37 + 1) + Math.sin(i * 5.3);
};

/** Deterministic noise in (−1, 1) per timestamp (a smooth curve would read as a change of slope). */
const jitter = (t: number): number => (Math.sin((t / MIN) * 12.9898) * 43758.5453) % 1;

/** Order rate of a venue: `base` with a wiggle, `spike` between from and to. */
const orders = (venue: string, base: number, spike?: { from: number; to: number; value: number }): FakeSeries => ({
  labels: { venue },
  value: (t) => (spike && t >= spike.from && t < spike.to ? spike.value : base) + wiggle(t),
});

const anomalyRule = (url: string, extra = "") => `
prometheus:
  url: ${url}
anomaly_rules:
  - name: OrderRateAnomaly
    query: orders
    step: 1m
    detector: fused
    threshold: 0.95
    for: 3m
    warmup: 1d
    labels: { severity: warning, service: trading }
    annotations: { summary: "Order rate of {{ $labels.venue }} is unusual" }
${extra}`;

interface RulesBody { rules: Array<{ name: string; health: string; lastError?: string; lastEvaluation?: string; evaluatedUntil?: string; series: Array<{ labels: Record<string, string>; state: string; score?: number; eta?: string }> }> }
interface AmAlert { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; status: { state: string } }

async function setup(t: TestContext, prism: (url: string) => string): Promise<{ h: FakeClockApp<never>; prom: FakePrometheus }> {
  const prom = await startFakePrometheus();
  const h = await startFakeClockApp<never>({ routing, prism: prism(prom.url), startMs: T0 });
  t.after(async () => {
    await h.close();
    await prom.close();
  });
  return { h, prom };
}

async function rules(h: FakeClockApp<never>): Promise<RulesBody["rules"]> {
  return ((await h.call("GET", "/api/ops/v1/anomaly/rules")).json as RulesBody).rules;
}

/** Advances whole minutes; after each, waits until every rule has evaluated at that minute. */
async function minutes(h: FakeClockApp<never>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    h.clock.advance(MIN);
    const at = new Date(h.clock.now()).toISOString();
    for (let tries = 0; ; tries++) {
      const rs = await rules(h);
      if (rs.every((r) => r.lastEvaluation === at)) break;
      assert.ok(tries < 500, `rules did not evaluate at ${at}: ${JSON.stringify(rs.map((r) => r.lastEvaluation))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  await h.run(0);
}

async function alerts(h: FakeClockApp<never>): Promise<AmAlert[]> {
  return (await h.call("GET", "/api/v2/alerts")).json as AmAlert[];
}

test("an anomaly that lasts `for` becomes an alert in the pipeline, with score, value and expected range, and resolves when normal", async (t) => {
  const { h, prom } = await setup(t, (url) => anomalyRule(url));
  prom.set("orders", [orders("a", 100, { from: T0 + 10 * MIN, to: T0 + 20 * MIN, value: 300 }), orders("b", 50)]);

  await minutes(h, 1);
  // The first evaluation warms up with a range query over `warmup`, then one instant query per step.
  assert.equal(prom.requests[0]?.path, "/api/v1/query_range");
  assert.equal(Number(prom.requests[0]?.params.end) - Number(prom.requests[0]?.params.start), 86_400);
  await minutes(h, 8);
  assert.ok(prom.requests.slice(1).every((r) => r.path === "/api/v1/query"), "after the warm-up, instant queries");
  assert.deepEqual(await alerts(h), [], "nothing fires on the normal series");

  await minutes(h, 10); // the spike runs 10:10–10:20; now 10:19
  const firing = (await alerts(h)).filter((a) => a.labels.alertname === "OrderRateAnomaly");
  assert.equal(firing.length, 1, JSON.stringify(firing));
  const a = firing[0]!;
  assert.deepEqual(a.labels, { alertname: "OrderRateAnomaly", venue: "a", severity: "warning", service: "trading" });
  assert.equal(a.annotations.summary, "Order rate of a is unusual");
  assert.ok(Number(a.annotations.score) >= 0.95, a.annotations.score);
  assert.match(a.annotations.value ?? "", /^30\d/);
  const [low, high] = (a.annotations.expected ?? "").split(" – ").map(Number);
  assert.ok(low! < 100 && high! > 100 && high! < 300, `expected range ${a.annotations.expected}`);
  // `for: 3m`: it fired at least 3 minutes after the spike began.
  assert.ok(Date.parse(a.startsAt) >= T0 + 13 * MIN, a.startsAt);
  assert.ok(h.sink.received.some((r) => r.status === "firing" && r.alerts.some((x) => x.labels.alertname === "OrderRateAnomaly" && x.labels.venue === "a")));

  const [rule] = await rules(h);
  assert.equal(rule?.health, "ok");
  assert.equal(rule?.series.length, 2);
  assert.equal(rule?.series.find((s) => s.labels.venue === "a")?.state, "firing");
  assert.equal(rule?.series.find((s) => s.labels.venue === "b")?.state, "inactive");
  assert.ok((await h.metric('alertprism_anomaly_score{rule="OrderRateAnomaly",series="{venue=\\"a\\"}"}')).length === 1);
  assert.match((await h.metric('alertprism_anomaly_evaluation_duration_seconds_count{rule="OrderRateAnomaly"}'))[0] ?? "", / 19$/);
  await h.ops("GET", "/anomaly/rules", "/anomaly/rules");
  const charted = (await h.ops("GET", "/anomaly/rules?recent=5", "/anomaly/rules")).json as { rules: Array<{ series: Array<{ labels: Record<string, string>; recent: number[][] }> }> };
  const recentA = charted.rules[0]!.series.find((s) => s.labels.venue === "a")!.recent;
  assert.equal(recentA.length, 5);
  assert.equal(recentA[4]![0], h.clock.now(), "the newest sample last");
  assert.ok(recentA.every((p) => p.length === 5));
  assert.equal((await h.call("GET", "/api/ops/v1/anomaly/rules?recent=9999")).status, 400);

  await minutes(h, 20);
  assert.ok(h.sink.received.some((r) => r.status === "resolved" && r.alerts.some((x) => x.labels.venue === "a")), "resolved once normal again");
  assert.equal((await rules(h))[0]?.series.find((s) => s.labels.venue === "a")?.state, "inactive");
});

test("Prometheus unreachable: the rule's last error shows in the ops API and metrics, ingest goes on, and the rule catches up", async (t) => {
  const { h, prom } = await setup(t, (url) => anomalyRule(url));
  prom.set("orders", [orders("a", 100)]);
  await minutes(h, 2);
  prom.down = true;
  await minutes(h, 3);
  const [rule] = await rules(h);
  assert.equal(rule?.health, "error");
  assert.match(rule?.lastError ?? "", /unavailable: fake Prometheus is down/);
  assert.deepEqual(await h.metric('alertprism_rule_evaluation_failures_total{rule="OrderRateAnomaly"}'), ['alertprism_rule_evaluation_failures_total{rule="OrderRateAnomaly"} 3']);
  assert.deepEqual(await h.metric('alertprism_rule_health{rule="OrderRateAnomaly"}'), ['alertprism_rule_health{rule="OrderRateAnomaly"} 0']);
  await h.post([{ labels: { alertname: "StillWorks" } }]);
  assert.equal((await alerts(h)).length, 1);

  prom.down = false;
  const before = prom.requests.length;
  await minutes(h, 1);
  const catchUp = prom.requests[before]!;
  assert.equal(catchUp.path, "/api/v1/query_range", "the missed steps are read in one range");
  assert.equal((Number(catchUp.params.end) - Number(catchUp.params.start)) / 60, 3, "from the step after the last good one to now");
  assert.equal((await rules(h))[0]?.health, "ok");
  assert.equal((await rules(h))[0]?.lastError, undefined);
});

test("a restart keeps the models and a pending `for`: the alert fires when it would have without the restart", async (t) => {
  const spike = { from: T0 + 30 * MIN, to: T0 + 45 * MIN, value: 300 };
  const run = async (restartAt: number | undefined) => {
    const { h, prom } = await setup(t, (url) => anomalyRule(url));
    prom.set("orders", [orders("a", 100, spike)]);
    let restartRequest: string | undefined;
    for (let m = 1; m <= 40; m++) {
      await minutes(h, 1);
      if (m === restartAt) {
        assert.equal((await rules(h))[0]?.series[0]?.state, "pending", "restarted while pending");
        await h.restart();
        const before = prom.requests.length;
        await minutes(h, 1);
        m++;
        restartRequest = prom.requests[before]!.path;
      }
    }
    const fired = (await alerts(h)).find((a) => a.labels.alertname === "OrderRateAnomaly");
    return { startsAt: fired?.startsAt, restartRequest };
  };
  const straight = await run(undefined);
  assert.ok(straight.startsAt, "fires without a restart");
  // Pending from the spike's onset (or shortly after) until `for` has passed: restart inside that window.
  const pendingAt = Date.parse(straight.startsAt) - 2 * MIN;
  const restarted = await run((pendingAt - T0) / MIN);
  assert.equal(restarted.startsAt, straight.startsAt);
  // The restored model needs only the next step, not a new day of warm-up.
  assert.equal(restarted.restartRequest, "/api/v1/query");
});

test("a prediction fires with eta, time_to_threshold and a capacity note; a flat series does not", async (t) => {
  const fullAt = T0 + 10 * HOUR; // the disk is full at 20:00
  const slope = 100e9 / (34 * HOUR); // 100 GB → 0 over 34 h
  const { h, prom } = await setup(t, (url) => `
prometheus:
  url: ${url}
predictions:
  - name: DiskWillFillIn24h
    query: node_filesystem_avail_bytes
    threshold: 0
    horizon: 24h
    lookback: 1d
    labels: { severity: warning, service: host }
    annotations: { summary: "{{ $labels.mountpoint }} fills up at {{ $eta }}" }
`);
  prom.set("node_filesystem_avail_bytes", [
    { labels: { mountpoint: "/data" }, value: (tt) => (fullAt - tt) * slope + 2e8 * jitter(tt) },
    { labels: { mountpoint: "/" }, value: () => 50e9 },
  ]);
  // Predictions run every 5 minutes.
  for (let i = 0; i < 5; i++) h.clock.advance(MIN);
  for (let tries = 0; (await rules(h))[0]?.lastEvaluation === undefined; tries++) {
    assert.ok(tries < 500);
    await new Promise((r) => setTimeout(r, 5));
  }
  await h.run(0);
  const fired = (await alerts(h)).filter((a) => a.labels.alertname === "DiskWillFillIn24h");
  assert.equal(fired.length, 1, JSON.stringify(await rules(h)));
  const a = fired[0]!;
  assert.equal(a.labels.mountpoint, "/data");
  const eta = Date.parse(a.annotations.eta ?? "");
  const remaining = fullAt - (T0 + 5 * MIN);
  assert.ok(Math.abs(eta - fullAt) <= 0.1 * remaining, `eta ${a.annotations.eta}`);
  assert.match(a.annotations.time_to_threshold ?? "", /^9h\d+m$|^10h/);
  assert.match(a.annotations.description ?? "", /^falling .*\/h; at this rate reaches 0 in/);
  assert.equal(a.annotations.summary, `/data fills up at ${a.annotations.eta}`);
  const view = (await rules(h))[0]!;
  assert.equal(view.series.find((s) => s.labels.mountpoint === "/")?.state, "inactive");
  assert.ok((await h.metric('alertprism_prediction_time_to_threshold_seconds{rule="DiskWillFillIn24h",series="{mountpoint=\\"/data\\"}"}')).length === 1);
});

test("a reload that changes only the threshold keeps the models; one that changes the query starts a new warm-up and resolves the old alerts", async (t) => {
  const { h, prom } = await setup(t, (url) => anomalyRule(url));
  const spike = { from: T0 + 5 * MIN, to: T0 + 60 * MIN, value: 300 };
  prom.set("orders", [orders("a", 100, spike)]);
  prom.set("orders_v2", [orders("a", 100)]);
  await minutes(h, 12);
  assert.equal((await rules(h))[0]?.series[0]?.state, "firing");

  writeFileSync(join(h.dir, "alertprism.yml"), anomalyRule(prom.url).replace("threshold: 0.95", "threshold: 0.9"));
  assert.equal((await h.call("POST", "/-/reload")).status, 200);
  const before = prom.requests.length;
  await minutes(h, 1);
  assert.deepEqual(prom.requests.slice(before).map((r) => r.path), ["/api/v1/query"], "no new warm-up");
  assert.equal((await rules(h))[0]?.series[0]?.state, "firing", "the firing state survived the reload");

  writeFileSync(join(h.dir, "alertprism.yml"), anomalyRule(prom.url).replace("query: orders", "query: orders_v2"));
  assert.equal((await h.call("POST", "/-/reload")).status, 200);
  const mark = prom.requests.length;
  await minutes(h, 1);
  assert.ok(h.sink.received.some((r) => r.status === "resolved" && r.alerts.some((a) => a.labels.alertname === "OrderRateAnomaly")), "the old rule's alert resolved");
  assert.equal(prom.requests[mark]?.path, "/api/v1/query_range");
  assert.equal(prom.requests[mark]?.query, "orders_v2");
});

test("shutdown does not wait for a query Prometheus never answers, and still saves the rule's state", { timeout: 60_000 }, async (t) => {
  const { h, prom } = await setup(t, (url) => anomalyRule(url).replace(`url: ${url}`, `url: ${url}\n  timeout: 10m`));
  prom.set("orders", [orders("a", 100)]);
  await minutes(h, 2);
  prom.hang = true;
  const before = prom.requests.length;
  h.clock.advance(MIN);
  while (prom.requests.length === before) await new Promise((r) => setTimeout(r, 5));
  await h.app.stop(); // with the query left hanging for 10 minutes, this returns only because it is aborted
  const saved = h.db().prepare("SELECT name, last_eval_ms FROM anomaly_rules").all() as Array<{ name: string; last_eval_ms: number }>;
  assert.deepEqual(saved, [{ name: "OrderRateAnomaly", last_eval_ms: T0 + 2 * MIN }], "the state of the last complete evaluation");
});
