// Anomaly rules and predictions against a real Prometheus 2.42: it scrapes a test exporter every second
// whose order rate gets a spike and whose free disk space falls on a ramp; AlertPrism queries it and
// both alerts arrive at a webhook through the normal routing.
//
// The zscore detector is used because it scores after 30 samples (half a minute at a 1 s step); a model
// that young adapts within seconds, hence the lower threshold, the short `for`, and keep_firing_for (so
// the alert outlives group_wait and is notified). Fused
// needs 300 samples of its own scores before its likelihood says anything, which would make this test
// five minutes long. The fused path of the same engine is covered on a fake clock in
// test/integration/anomaly-rules.test.ts.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sleep, startAlertPrism, startPrometheus, startWebhookSink, type RunningServer, type WebhookSink } from "./harness.ts";

const RAMP_START = Date.now();
/**
 * Free space falls by 5 GB per second from 1 TB: full 200 s after the start. (A prediction extrapolates
 * at most 4 times the span of data its trend rests on, so with a minute of data it sees 4 minutes ahead.)
 */
const FULL_AT = RAMP_START + 200_000;
const diskFree = (t: number): number => 1e12 - 5e9 * ((t - RAMP_START) / 1000);
let spikeUntil = 0;
const orderRate = (t: number): number => (t < spikeUntil ? 400 : 100 + 3 * Math.sin(t / 1700) + 2 * Math.sin(t / 530));

let exporter: Server;
let prometheus: RunningServer;
let prism: RunningServer;
let sink: WebhookSink;

interface WebhookBody { status: string; alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }> }

before(async () => {
  exporter = createServer((req, res) => {
    const now = Date.now();
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    res.end(`# TYPE orders_rate gauge\norders_rate{venue="xnas"} ${orderRate(now)}\n# TYPE disk_free_bytes gauge\ndisk_free_bytes{mountpoint="/data"} ${diskFree(now)}\n`);
  });
  exporter.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => exporter.listen(0, "127.0.0.1", r));
  const port = (exporter.address() as AddressInfo).port;
  prometheus = await startPrometheus({
    configYaml: `
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: shop
    static_configs: [{ targets: ["127.0.0.1:${port}"] }]
`,
  });
  sink = await startWebhookSink();
  prism = await startAlertPrism({
    configYaml: `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
receivers:
  - name: hook
    webhook_configs: [{ url: "${sink.url}/hook" }]
`,
    alertprismYaml: `
prometheus:
  url: ${prometheus.url}
anomaly_rules:
  - name: OrderRateAnomaly
    query: max by (venue) (orders_rate)
    step: 1s
    detector: zscore
    threshold: 0.8
    for: 1s
    keep_firing_for: 30s
    warmup: 10m
    labels: { severity: warning, service: trading }
    annotations: { summary: "Order rate of {{ $labels.venue }} is unusual" }
predictions:
  - name: DiskWillFillSoon
    query: disk_free_bytes
    step: 1s
    lookback: 2m
    threshold: 0
    horizon: 1h
    labels: { severity: warning, service: host }
`,
  });
});

after(async () => {
  await prism?.stop();
  await prometheus?.stop();
  await sink?.close();
  exporter?.closeAllConnections();
  await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
});

function firing(name: string): WebhookBody["alerts"] {
  return sink.received.flatMap((r) => (r.body as WebhookBody).alerts ?? []).filter((a) => a.status === "firing" && a.labels.alertname === name);
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const rules = await (await fetch(`${prism.url}/api/ops/v1/anomaly/rules`)).text();
      assert.fail(`timed out waiting for ${what}\n--- rules ---\n${rules.slice(0, 3000)}\n--- alertprism ---\n${prism.logs().slice(-3000)}`);
    }
    await sleep(250);
  }
}

it("the ramp becomes a prediction alert with eta, time_to_threshold and a capacity note", { timeout: 90_000 }, async () => {
  const a = await waitFor("DiskWillFillSoon at the webhook", 60_000, () => firing("DiskWillFillSoon")[0]);
  assert.equal(a.labels.mountpoint, "/data");
  assert.equal(a.labels.job, "shop");
  const eta = Date.parse(a.annotations.eta ?? "");
  const remaining = FULL_AT - Date.parse(a.startsAt);
  assert.ok(Math.abs(eta - FULL_AT) <= 0.1 * remaining, `eta ${a.annotations.eta}, full at ${new Date(FULL_AT).toISOString()}`);
  assert.match(a.annotations.time_to_threshold ?? "", /^[1-3]m/);
  // 5 GB/s is 1.8e13/h. Prometheus stamps a sample when the scrape starts and the exporter reads the clock
  // when it answers, so on a busy machine the fitted rate is off by a little (18100000000000 seen).
  const m = /^falling (\d+)\/h; at this rate reaches 0 in /.exec(a.annotations.description ?? "");
  assert.ok(m, `description ${a.annotations.description}`);
  assert.ok(Math.abs(Number(m[1]) / 1.8e13 - 1) < 0.05, `rate ${m[1]}/h, expected about 18000000000000/h`);
});

it("a spike in the order rate becomes an anomaly alert with score, value and expected range", { timeout: 120_000 }, async () => {
  // zscore scores from its 30th sample on: let it see 40 s of normal traffic first.
  await sleep(Math.max(0, RAMP_START + 40_000 - Date.now()));
  assert.deepEqual(firing("OrderRateAnomaly"), [], "no anomaly on normal traffic");
  spikeUntil = Date.now() + 10_000;
  const a = await waitFor("OrderRateAnomaly at the webhook", 60_000, () => firing("OrderRateAnomaly")[0]);
  assert.deepEqual(a.labels, { alertname: "OrderRateAnomaly", venue: "xnas", severity: "warning", service: "trading" });
  assert.equal(a.annotations.summary, "Order rate of xnas is unusual");
  // Annotations are those of the evaluation before the flush: the score may have fallen since it fired
  // (keep_firing_for holds the alert), but it is there, in [0, 1].
  assert.match(a.annotations.score ?? "", /^[01]\.\d{3}$/);
  assert.equal(a.annotations.value, "400");
  const [low, high] = (a.annotations.expected ?? "").split(" – ").map(Number);
  assert.ok(low! < 100 && high! > 100 && high! < 400, a.annotations.expected);

  const rules = await (await fetch(`${prism.url}/api/ops/v1/anomaly/rules`)).json() as { rules: Array<{ name: string; health: string }> };
  assert.deepEqual(rules.rules.map((r) => [r.name, r.health]), [["OrderRateAnomaly", "ok"], ["DiskWillFillSoon", "ok"]]);
  const metrics = await (await fetch(`${prism.url}/metrics`)).text();
  assert.match(metrics, /^alertprism_anomaly_score\{rule="OrderRateAnomaly",series="\{venue=\\"xnas\\"\}"\} /m);
});
