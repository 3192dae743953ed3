// The shipped pieces end to end: real Prometheus 2.42 with the shipped prometheus.yml (targets pointed at
// 127.0.0.1) evaluating the SHIPPED rules/alert.rules, pushing to AlertPrism running the SHIPPED
// alertmanager/alertmanager.example.yml and alertprism.example.yml. A fake trading exporter served by this
// test drives backtest_queue_depth over BacktestQueueBackup's threshold and back; the alert (P3) must reach
// the P3/P4 webhook through the shipped routing, firing and then resolved.
//
// Test copies, each checked to differ from the shipped file ONLY as stated:
// - rules: every `for:` is 1s (the shortest shipped `for` is 1m, BacktestQueueBackup's 15m). Expressions,
//   labels and annotations are the shipped ones.
// - alertmanager.example.yml: every group_wait is 1s and every group_interval 2s (shipped 0s-30s and
//   1m-30m; the resolved notification waits for a group_interval tick). Routes, receivers, inhibition,
//   time intervals and repeat intervals are the shipped ones.
// The P3/P4 webhook URL is http://127.0.0.1:5001/${ALERT_WEBHOOK_PATH:-alerts}: its host and port cannot
// come from the environment (amtool rejects `${…}` there), so the sink listens on 127.0.0.1:5001 and the
// test sets ALERT_WEBHOOK_PATH, which also proves the variable reaches the receiver. SMTP_HOST=127.0.0.1
// keeps the P3 email (which fails: nothing listens on 127.0.0.1:587) off the network.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { REPO_ROOT, sleep, startAlertPrism, startGaugeExporter, startPrometheus } from "./harness.ts";
import type { GaugeExporter, RunningServer } from "./harness.ts";

const SHIPPED_RULES = join(REPO_ROOT, "rules", "alert.rules");
const SHIPPED_PROMETHEUS = join(REPO_ROOT, "prometheus", "prometheus.yml");
const SHIPPED_ROUTING = join(REPO_ROOT, "alertmanager", "alertmanager.example.yml");
const SHIPPED_SETTINGS = join(REPO_ROOT, "alertmanager", "alertprism.example.yml");
const ALERT = "BacktestQueueBackup";
const THRESHOLD = 100;
const WAIT_MS = 30_000;
const POLL_MS = 200;

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A deep copy without the given keys anywhere, to compare a test copy with the shipped file. */
function without(v: unknown, keys: ReadonlySet<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => without(x, keys));
  if (isRec(v)) return Object.fromEntries(Object.entries(v).filter(([k]) => !keys.has(k)).map(([k, x]) => [k, without(x, keys)]));
  return v;
}

/** Rewrites `key: value` lines (YAML block style, as the shipped files use) and checks that nothing else changed. */
function rewriteKeys(text: string, values: Readonly<Record<string, string>>): string {
  const keys = new Set(Object.keys(values));
  let count = 0;
  const out = text.replace(/^(\s*)([a-z_]+):[ \t]*\S+[ \t]*$/gm, (line, indent: string, key: string) => {
    const v = values[key];
    if (v === undefined) return line;
    count++;
    return `${indent}${key}: ${v}`;
  });
  assert.ok(count > 0, `nothing to rewrite for ${[...keys].join(", ")}`);
  // Every occurrence was rewritten (a value followed by a comment, or in flow style, would not be).
  const check = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(check);
    else if (isRec(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (keys.has(k)) assert.equal(x, values[k], `${k} left at ${String(x)} in the test copy`);
        check(x);
      }
    }
  };
  check(parse(out));
  assert.deepEqual(without(parse(out), keys), without(parse(text), keys), "the test copy differs from the shipped file only in " + [...keys].join(", "));
  return out;
}

// ---------------------------------------------------------------------------------------------

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

interface WebhookPayload {
  version: string;
  status: string;
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

interface Received {
  path: string;
  payload: WebhookPayload;
}

/** A webhook receiver on a fixed address (the one the shipped config names). */
function listenSink(host: string, port: number): Promise<{ received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST") {
        try {
          received.push({ path: req.url ?? "", payload: JSON.parse(Buffer.concat(chunks).toString("utf8")) as WebhookPayload });
        } catch {
          received.push({ path: req.url ?? "", payload: { version: "", status: "unparseable", receiver: "", groupKey: "", groupLabels: {}, commonLabels: {}, externalURL: "", alerts: [] } });
        }
      }
      res.writeHead(200).end("ok");
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${port}, the P3/P4 webhook address of the shipped alertmanager.example.yml` +
        `${err.code === "EADDRINUSE" ? " (in use: stop what listens there)" : ""}: ${err.message}`)));
    server.listen(port, host, () =>
      resolve({
        received,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      }));
  });
}

/** The shipped prometheus.yml with 1 s intervals, the test rules, AlertPrism and the fake trading target. */
function prometheusConfig(alertprismPort: number, exporterPort: number): string {
  const shipped: unknown = parse(readFileSync(SHIPPED_PROMETHEUS, "utf8"));
  assert.ok(isRec(shipped) && isRec(shipped.global) && isRec(shipped.alerting) && Array.isArray(shipped.scrape_configs));
  const am = shipped.alerting.alertmanagers;
  assert.ok(Array.isArray(am) && am.length === 1 && isRec(am[0]));
  const trading = shipped.scrape_configs.find((s): s is Rec => isRec(s) && s.job_name === "trading");
  assert.ok(trading, "prometheus.yml scrapes job trading");
  return stringify({
    ...shipped,
    global: { ...shipped.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: ["RULES_FILE"],
    alerting: { ...shipped.alerting, alertmanagers: [{ ...am[0], static_configs: [{ targets: [`127.0.0.1:${alertprismPort}`] }] }] },
    scrape_configs: [{ ...trading, static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
  });
}

/** host, port and path template of the (single) webhook of the shipped `webhook` receiver. */
function shippedWebhook(): { host: string; port: number; pathTemplate: string } {
  const cfg: unknown = parse(readFileSync(SHIPPED_ROUTING, "utf8"));
  assert.ok(isRec(cfg) && Array.isArray(cfg.receivers));
  const r = cfg.receivers.find((x): x is Rec => isRec(x) && x.name === "webhook");
  assert.ok(r && Array.isArray(r.webhook_configs) && isRec(r.webhook_configs[0]), "receiver webhook with one webhook_config");
  const url = String(r.webhook_configs[0].url);
  const m = /^http:\/\/(127\.0\.0\.1):(\d+)(\/.*)$/.exec(url);
  assert.ok(m, `the webhook URL ${url} is http://127.0.0.1:<port>/<path>`);
  return { host: m[1]!, port: Number(m[2]), pathTemplate: m[3]! };
}

interface GettableAlert {
  labels: Record<string, string>;
  receivers: Array<{ name: string }>;
  status: { state: string };
}

describe("shipped rules + routing: Prometheus → AlertPrism → the P3 webhook", { timeout: 90_000 }, () => {
  let sink: Awaited<ReturnType<typeof listenSink>> | undefined;
  let exporter: GaugeExporter | undefined;
  let prism: (RunningServer & { dbPath: string }) | undefined;
  let prom: RunningServer | undefined;
  const webhookPath = `full-stack-${randomBytes(4).toString("hex")}`;
  let expectedPath = "";
  let fired: Received | undefined;

  before(async () => {
    const rulesText = readFileSync(SHIPPED_RULES, "utf8");
    const testRules = rewriteKeys(rulesText, { for: "1s" });
    const routingText = readFileSync(SHIPPED_ROUTING, "utf8");
    const testRouting = rewriteKeys(routingText, { group_wait: "1s", group_interval: "2s" });
    // The rule under test is the shipped P3 alert on the metric the exporter serves.
    assert.match(rulesText, new RegExp(`alert: ${ALERT}\\n\\s+expr: backtest_queue_depth\\{job="trading"\\} > ${THRESHOLD}\\n`));

    const hook = shippedWebhook();
    expectedPath = hook.pathTemplate.replace("${ALERT_WEBHOOK_PATH:-alerts}", webhookPath);
    assert.notEqual(expectedPath, hook.pathTemplate, "the webhook path comes from ALERT_WEBHOOK_PATH");
    sink = await listenSink(hook.host, hook.port);
    // The trading service: backtest_queue_depth as the test sets it, and a healthy trading system.
    exporter = await startGaugeExporter({ backtest_queue_depth: 0, trading_system_health_status: 1 });
    prism = await startAlertPrism({
      configYaml: testRouting,
      alertprismYaml: readFileSync(SHIPPED_SETTINGS, "utf8"),
      env: { ALERT_WEBHOOK_PATH: webhookPath, SMTP_HOST: "127.0.0.1" },
    });
    prom = await startPrometheus({
      configYaml: prometheusConfig(prism.port, exporter.port),
      rulesYaml: testRules,
      // The first notifications usually go out before the AlertPrism target is discovered and are dropped;
      // without this the retry comes a minute later.
      extraArgs: ["--rules.alert.resend-delay=1s"],
    });
  });

  after(async () => {
    await prom?.stop();
    await prism?.stop();
    await exporter?.close();
    await sink?.close();
  });

  const tail = (s: RunningServer | undefined): string => (s?.logs() ?? "").slice(-5_000);
  const context = (): string =>
    `\n--- received by the sink ---\n${JSON.stringify(sink?.received ?? [], null, 1).slice(0, 5_000)}` +
    `\n--- alertprism logs (tail) ---\n${tail(prism)}\n--- prometheus logs (tail) ---\n${tail(prom)}`;

  async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) assert.fail(`timed out after ${WAIT_MS} ms waiting for ${what}${context()}`);
      await sleep(POLL_MS);
    }
  }

  async function alertsInPrism(): Promise<GettableAlert[]> {
    assert.ok(prism);
    const res = await fetch(`${prism.url}/api/v2/alerts`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    return (await res.json()) as GettableAlert[];
  }

  const notificationsFor = (status: string): Received[] =>
    (sink?.received ?? []).filter((r) => r.payload.status === status && r.payload.alerts.some((a) => a.labels.alertname === ALERT));

  it("the pipeline runs: Watchdog (P4, severity none) reaches AlertPrism and goes to the watchdog receiver only", async () => {
    const watchdog = await until("Watchdog in AlertPrism", async () => (await alertsInPrism()).find((a) => a.labels.alertname === "Watchdog"));
    assert.equal(watchdog.labels.priority, "P4");
    assert.equal(watchdog.labels.severity, "none");
    assert.equal(watchdog.labels.cluster, "alertprism-local", "prometheus.yml's external label");
    assert.deepEqual(watchdog.receivers.map((r) => r.name), ["watchdog"]);
    assert.equal((await alertsInPrism()).find((a) => a.labels.alertname === ALERT), undefined, `${ALERT} must not fire while the queue is empty`);
  });

  it(`${ALERT} fires above ${THRESHOLD} and is routed as P3: to the webhook (and email)`, async () => {
    assert.ok(exporter);
    exporter.set("backtest_queue_depth", THRESHOLD + 50);
    const inPrism = await until(`${ALERT} in AlertPrism`, async () => (await alertsInPrism()).find((a) => a.labels.alertname === ALERT));
    assert.equal(inPrism.labels.priority, "P3");
    assert.deepEqual(inPrism.receivers.map((r) => r.name).sort(), ["email", "webhook"]);

    fired = (await until(`a firing ${ALERT} notification at the webhook sink`, () => notificationsFor("firing")[0] ? notificationsFor("firing") : undefined))[0]!;
    assert.equal(fired.path, expectedPath, "delivered to the path from ALERT_WEBHOOK_PATH");
    const p = fired.payload;
    assert.equal(p.version, "4");
    assert.equal(p.receiver, "webhook");
    assert.deepEqual(p.groupLabels, { alertname: ALERT, cluster: "alertprism-local", service: "trading" }, "group_by [alertname, cluster, service]");
    assert.equal(p.alerts.length, 1);
    const a = p.alerts[0]!;
    assert.equal(a.status, "firing");
    assert.deepEqual(
      { alertname: a.labels.alertname, job: a.labels.job, severity: a.labels.severity, priority: a.labels.priority, service: a.labels.service },
      { alertname: ALERT, job: "trading", severity: "warning", priority: "P3", service: "trading" });
    assert.match(a.annotations.description ?? "", /^150 backtest jobs are waiting on 127\.0\.0\.1:\d+/, "the shipped annotation, templated by Prometheus");
    assert.equal(a.annotations.runbook_url, `https://runbooks.example.com/alertprism/${ALERT}`);
  });

  it(`${ALERT} resolves when the queue drains, and the webhook gets the resolved notification`, async () => {
    assert.ok(exporter && fired, "the firing step must have passed");
    exporter.set("backtest_queue_depth", 0);
    const resolved = (await until(`a resolved ${ALERT} notification at the webhook sink`, () => notificationsFor("resolved")[0] ? notificationsFor("resolved") : undefined))[0]!;
    assert.equal(resolved.path, expectedPath);
    assert.equal(resolved.payload.receiver, "webhook");
    assert.equal(resolved.payload.groupKey, fired.payload.groupKey, "the same group");
    const a = resolved.payload.alerts[0]!;
    assert.equal(a.status, "resolved");
    assert.equal(a.fingerprint, fired.payload.alerts[0]!.fingerprint);
    assert.ok(Date.parse(a.endsAt) >= Date.parse(a.startsAt));
    await until(`${ALERT} gone from AlertPrism's active alerts`, async () => ((await alertsInPrism()).some((x) => x.labels.alertname === ALERT) ? undefined : true));
  });

  it("nothing else reached the P3/P4 webhook: Watchdog is P4 but has its own route", () => {
    const others = (sink?.received ?? []).filter((r) => r.payload.alerts.some((a) => a.labels.alertname !== ALERT));
    assert.deepEqual(others, [], context());
    const firing = notificationsFor("firing").length;
    assert.equal(firing, 1, `one firing notification (repeat_interval is 12h), got ${firing}`);
  });
});
