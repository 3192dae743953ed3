// The web page in a real browser (Debian's headless chromium through puppeteer-core) against AlertPrism
// processes with real data: alerts posted over the API, a silence and an ack through the ops API, anomaly
// rules reading a stand-in Prometheus over HTTP. Each view must load without a console error, failed
// request or error response; filters and actions must work; the route-prefix and JWT cases too.
// Screenshots of every view at desktop and phone width go to test-artifacts/screenshots/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import type { Browser, Page } from "puppeteer-core";
import { launchBrowser, openPage, saveScreenshot } from "./harness.ts";
import { startAlertPrism, startWebhookSink, type RunningServer, type WebhookSink } from "../e2e/harness.ts";
import { startFakePrometheus, type FakePrometheus } from "../integration/fake-prometheus.ts";

const ROUTING = (sink: string) => `
route:
  receiver: web
  group_by: [alertname]
  group_wait: 1s
  group_interval: 5s
  routes:
    - matchers: ['priority="P1"']
      receiver: pager
      group_by: [alertname, service]
receivers:
  - name: web
    webhook_configs: [{ url: "${sink}/web" }]
  - name: pager
    webhook_configs: [{ url: "${sink}/pager" }]
`;

const SECRET = "browser-test-secret-0123456789-abcdefghijklmnop";
const AUTH = `
auth:
  jwt: { hs256_secret: "${SECRET}", issuer: alertprism, audience: alertprism }
`;

function jwt(role: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: "alertprism", aud: "alertprism", sub: `${role}-user`, roles: [role], iat: now, exp: now + 3600 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(SECRET));
}

async function api(base: string, method: string, path: string, body?: unknown, token?: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

/** Alerts of every kind the page shows: priorities, a group of two, a silenced one, an acked one, a resolved one. */
async function seed(base: string, token?: string): Promise<{ latency: string; disk1: string }> {
  await api(base, "POST", "/api/v2/alerts", [
    { labels: { alertname: "HighLatency", service: "api", priority: "P1", severity: "critical" }, annotations: { summary: "p99 latency above 2 s" }, startsAt: iso(-25 * 60_000) },
    { labels: { alertname: "DiskFull", instance: "db1", priority: "P2", severity: "critical" }, annotations: { summary: "/var at 97%" }, startsAt: iso(-3 * 3600_000) },
    { labels: { alertname: "DiskFull", instance: "db2", priority: "P2", severity: "critical" }, annotations: { summary: "/var at 95%" } },
    { labels: { alertname: "CertExpiry", instance: "www", priority: "P3", severity: "warning" }, annotations: { summary: "expires in 9 days" } },
    { labels: { alertname: "NightlyBackupSlow", priority: "P4" }, startsAt: iso(-2 * 3600_000), endsAt: iso(-3600_000) },
  ], token);
  await api(base, "POST", "/api/ops/v1/silences", { matchers: ['instance="db2"'], duration: "4h", comment: "disk replacement" }, token);
  const now = await api(base, "GET", "/api/ops/v1/alerts/now", undefined, token);
  const fp = (name: string, key: string, value: string) => now.groups.flatMap((g: { alerts: Array<{ labels: Record<string, string>; fingerprint: string }> }) => g.alerts)
    .find((a: { labels: Record<string, string> }) => a.labels.alertname === name && a.labels[key] === value).fingerprint as string;
  const disk1 = fp("DiskFull", "instance", "db1");
  await api(base, "POST", `/api/ops/v1/alerts/${disk1}/ack`, { comment: "cleaning up old WAL files" }, token);
  return { latency: fp("HighLatency", "service", "api"), disk1 };
}

/** Waits for `selector`, then for the network to settle, then checks the page complained about nothing. */
async function settled(page: Page, selector: string, problems: string[], expected: RegExp[] = []): Promise<void> {
  await page.waitForSelector(selector, { timeout: 15_000 });
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 15_000 });
  assert.deepEqual(problems.filter((p) => !expected.some((e) => e.test(p))), [], `page problems at ${page.url()}`);
}

let browser: Browser;
let sink: WebhookSink;
let prom: FakePrometheus;
const servers: RunningServer[] = [];

before(async () => {
  browser = await launchBrowser();
  sink = await startWebhookSink();
  prom = await startFakePrometheus();
  const t0 = Date.now();
  // An order rate with a jump in the last three minutes, and a disk that fills up within the hour.
  prom.set("orders", [
    { labels: { venue: "xnas" }, value: (t) => (t > t0 - 180_000 ? 260 : 100) + 4 * Math.sin(t / 40_000) + 2 * Math.sin(t / 7_000) },
    { labels: { venue: "xlon" }, value: (t) => 60 + 3 * Math.sin(t / 50_000) },
  ]);
  prom.set("disk_free_bytes", [{ labels: { mountpoint: "/data" }, value: (t) => 4e11 - 1e8 * ((t - t0) / 1000 + 3600) }]);
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
  await sink?.close();
  await prom?.close();
});

async function start(opts: { prism?: string; args?: string[]; routing?: string } = {}): Promise<RunningServer> {
  const s = await startAlertPrism({ configYaml: opts.routing ?? ROUTING(sink.url), ...(opts.prism ? { alertprismYaml: opts.prism } : {}), extraArgs: opts.args ?? [] });
  servers.push(s);
  return s;
}

describe("the web page with data", () => {
  let prism: RunningServer;
  let fps: { latency: string; disk1: string };
  before(async () => {
    prism = await start({
      prism: `
prometheus:
  url: ${prom.url}
anomaly_rules:
  - name: OrderRateAnomaly
    query: orders
    step: 5s
    warmup: 2h
    detector: fused
    for: 10s
    labels: { severity: warning, service: trading }
predictions:
  - name: DiskWillFillSoon
    query: disk_free_bytes
    step: 5s
    lookback: 1h
    threshold: 0
    horizon: 2h
`,
    });
    fps = await seed(prism.url);
    // The rules evaluate every 5 s: wait until both have run.
    for (let i = 0; ; i++) {
      const rules = (await api(prism.url, "GET", "/api/ops/v1/anomaly/rules")).rules as Array<{ health: string; series: unknown[] }>;
      if (rules.length === 2 && rules.every((r) => r.health === "ok" && r.series.length > 0)) break;
      assert.ok(i < 100, JSON.stringify(rules));
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  const VIEWS: Array<[name: string, hash: () => string, ready: string]> = [
    ["now", () => "#/now", '[data-testid="alert-row"]'],
    ["alert", () => `#/alert/${fps.disk1}`, '[data-testid="timeline-entry"]'],
    ["history", () => "#/history", '[data-testid="history-row"]'],
    ["stats", () => "#/stats", '[data-testid="stats-cards"]'],
    ["anomalies", () => "#/anomalies", '[data-testid="anomaly-series"]'],
  ];
  for (const [name, hash, ready] of VIEWS) {
    for (const viewport of ["desktop", "phone"] as const) {
      it(`${name} loads without errors at ${viewport} width`, async () => {
        const { page, problems } = await openPage(browser, `${prism.url}/ui/${hash()}`, { viewport });
        await settled(page, ready, problems);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `no horizontal scrolling (${overflow}px too wide)`);
        await saveScreenshot(page, `${name}-${viewport}`);
        await page.close();
      });
    }
  }

  it("Now groups as the route tree does, dims muted alerts and shows the ack", async () => {
    const { page, problems } = await openPage(browser, `${prism.url}/ui/#/now`);
    await settled(page, '[data-testid="alert-row"]', problems);
    const rows = await page.$$eval('[data-testid="alert-row"]', (els) => els.map((e) => ({
      fp: e.getAttribute("data-fingerprint"), state: e.getAttribute("data-state"), acked: e.getAttribute("data-acked"), muted: e.classList.contains("muted-alert"),
      receiver: e.closest('[data-testid="now-group"]')?.getAttribute("data-receiver"), text: e.textContent ?? "",
    })));
    // The seeded alerts (the anomaly rules' own alerts are on Now too); the resolved one is not.
    const seeded = rows.filter((r) => /HighLatency|DiskFull|CertExpiry|NightlyBackupSlow/.test(r.text));
    assert.equal(seeded.length, 4, JSON.stringify(rows.map((r) => r.text)));
    assert.equal(seeded.find((r) => r.fp === fps.latency)?.receiver, "pager", "P1 goes to the pager route's group");
    const db2 = seeded.find((r) => r.text.includes("db2"))!;
    assert.deepEqual([db2.state, db2.muted, db2.receiver], ["suppressed", true, "web"]);
    assert.equal(seeded.find((r) => r.fp === fps.disk1)?.acked, "true");
    assert.ok(rows.some((r) => /OrderRateAnomaly|DiskWillFillSoon/.test(r.text)), "an anomaly rule's alert is an alert like any other");
    // Times are shown in the viewer's zone, with UTC on hover.
    const title = await page.$eval("time[datetime]", (e) => e.getAttribute("title") ?? "");
    assert.match(title, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z \(UTC\)$/);
    await page.close();
  });

  it("a matcher filter narrows Now and stays in the URL; a bad one shows the API's message", async () => {
    const { page, problems } = await openPage(browser, `${prism.url}/ui/#/now`);
    await settled(page, '[data-testid="alert-row"]', problems);
    await page.type('[data-testid="now-filter"]', '{priority="P1"}');
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="alert-row"]').length === 1, { timeout: 10_000 });
    assert.equal(await page.$eval('[data-testid="alert-row"]', (e) => e.getAttribute("data-fingerprint")), fps.latency);
    assert.match(decodeURIComponent(page.url()), /filter=.*priority="P1"/);
    await page.$eval('[data-testid="now-filter"]', (e) => ((e as HTMLInputElement).value = ""));
    await page.type('[data-testid="now-filter"]', '="P1"');
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-testid="now-filter-error"] .error', { timeout: 10_000 });
    const message = await page.$eval('[data-testid="now-filter-error"] .error', (e) => e.textContent ?? "");
    assert.match(message, /bad filter/);
    assert.ok(problems.every((p) => /\b400\b/.test(p)), JSON.stringify(problems));
    await page.close();
  });

  it("an ack from the page shows up in the ops API and in the alert's timeline", async () => {
    const { page, problems } = await openPage(browser, `${prism.url}/ui/#/now`);
    await settled(page, '[data-testid="alert-row"]', problems);
    await page.click(`[data-action="ack"][data-fingerprint="${fps.latency}"]`);
    await page.waitForSelector('[data-testid="action-form"][data-form="ack"]');
    await page.type('[data-testid="ack-comment"]', "rolling back release 2026.12.1");
    await page.click('[data-testid="action-submit"]');
    await page.waitForSelector('[data-testid="action-result"]', { timeout: 10_000 });
    await page.waitForSelector(`[data-testid="alert-row"][data-fingerprint="${fps.latency}"][data-acked="true"]`, { timeout: 10_000 });
    const alert = await api(prism.url, "GET", `/api/ops/v1/alerts/${fps.latency}`);
    assert.ok(JSON.stringify(alert).includes("rolling back release 2026.12.1"), "the ack's comment is in the ops API's alert");
    await page.goto(`${prism.url}/ui/#/alert/${fps.latency}`);
    await page.waitForSelector('[data-testid="timeline-entry"][data-type="ack"]', { timeout: 10_000 });
    const entry = await page.$eval('[data-testid="timeline-entry"][data-type="ack"]', (e) => e.textContent ?? "");
    assert.match(entry, /rolling back release 2026\.12\.1/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("Anomalies shows each rule's series with score, threshold and expected band, and the predicted crossing", async () => {
    const { page, problems } = await openPage(browser, `${prism.url}/ui/#/anomalies`);
    await settled(page, '[data-testid="anomaly-series"]', problems);
    const rules = await page.$$eval('[data-testid="anomaly-rule"]', (els) => els.map((e) => [e.getAttribute("data-rule"), e.getAttribute("data-health")]));
    assert.deepEqual(rules, [["OrderRateAnomaly", "ok"], ["DiskWillFillSoon", "ok"]]);
    assert.ok(await page.$('[data-rule="OrderRateAnomaly"] [data-testid="anomaly-value-chart"]'), "value chart with the expected band");
    assert.ok(await page.$('[data-rule="OrderRateAnomaly"] [data-testid="anomaly-score-chart"]'), "score chart with the threshold");
    const eta = await page.$eval('[data-rule="DiskWillFillSoon"] [data-testid="anomaly-series-eta"]', (e) => e.textContent ?? "");
    assert.notEqual(eta.trim(), "");
    await page.close();
  });
});

describe("under --web.route-prefix, with 10,000 firing alerts", () => {
  it("loads a page of alerts at a time below the prefix", async () => {
    // A receiver without integrations: this is about the page, not about sending 10,000 notifications.
    const prism = await start({ args: ["--web.route-prefix=/alerting"], routing: "route:\n  receiver: quiet\n  group_by: [alertname]\nreceivers:\n  - name: quiet\n" });
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({ labels: { alertname: `Load${i % 5}`, instance: `host-${i}`, priority: "P3" } }));
    for (let i = 0; i < alerts.length; i += 2500) await api(prism.url, "POST", "/alerting/api/v2/alerts", alerts.slice(i, i + 2500));
    assert.equal((await api(prism.url, "GET", "/alerting/api/ops/v1/alerts/now?limit=1")).totalAlerts, 10_000);
    const { page, problems } = await openPage(browser, `${prism.url}/alerting/ui/#/now`);
    await settled(page, '[data-testid="alert-row"]', problems);
    assert.match(await page.$eval('[data-testid="now-range"]', (e) => e.textContent ?? ""), /of 10000$/);
    assert.ok((await page.$$('[data-testid="alert-row"]')).length <= 200, "only one page in the DOM");
    const t = Date.now();
    // (A DOM click: puppeteer's mouse click lands on the sticky header bar once it scrolls the button to the top.)
    await page.$eval('[data-testid="now-next"]', (e) => (e as HTMLButtonElement).click());
    await page.waitForFunction(() => /^showing 201–/.test(document.querySelector('[data-testid="now-range"]')?.textContent ?? ""), { timeout: 60_000 }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; range now: ${await page.$eval('[data-testid="now-range"]', (e) => e.textContent)}`);
    });
    console.log(`next page after ${Date.now() - t} ms`);
    assert.deepEqual(problems, []);
    await saveScreenshot(page, "now-10000-alerts-desktop");
    await page.close();
  });
});

/** A reverse proxy on 127.0.0.1 that serves AlertPrism under `mount` (stripping it), as a path-based ingress does. */
async function startProxy(target: string, mount: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    if (!req.url?.startsWith(mount)) {
      res.writeHead(404).end();
      return;
    }
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url.slice(mount.length) || "/", headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${mount}`, server };
}

describe("behind a reverse proxy that mounts AlertPrism under a path", () => {
  it("the page and its API calls go through the proxy path", async () => {
    const prism = await start();
    await seed(prism.url);
    const proxy = await startProxy(prism.url, "/team-a/alerting");
    try {
      // Without the trailing slash: the redirect must keep the proxy's path.
      const { page, problems } = await openPage(browser, `${proxy.url}/ui`);
      await page.waitForFunction(() => window.location.pathname === "/team-a/alerting/ui/", { timeout: 10_000 });
      await page.goto(`${proxy.url}/ui/#/now`);
      await settled(page, '[data-testid="alert-row"]', problems);
      assert.equal((await page.$$('[data-testid="alert-row"]')).length, 4);
      await page.close();
    } finally {
      proxy.server.closeAllConnections();
      await new Promise<void>((r) => proxy.server.close(() => r()));
    }
  });
});

describe("with JWT auth on", () => {
  let prism: RunningServer;
  let fps: { latency: string; disk1: string };
  before(async () => {
    prism = await start({ prism: AUTH });
    fps = await seed(prism.url, await jwt("operator"));
  });

  it("without a token the page says to set one; with a token from the link it shows the alerts", async () => {
    const anon = await openPage(browser, `${prism.url}/ui/#/now`);
    await anon.page.waitForSelector(".error", { timeout: 10_000 });
    assert.match(await anon.page.$eval(".error", (e) => e.textContent ?? ""), /token/i);
    assert.ok(anon.problems.length > 0 && anon.problems.every((p) => /\b401\b/.test(p)), JSON.stringify(anon.problems));
    await anon.page.close();

    const { page, problems } = await openPage(browser, `${prism.url}/ui/#/now?token=${await jwt("viewer")}`);
    await settled(page, '[data-testid="alert-row"]', problems);
    assert.doesNotMatch(page.url(), /token=/, "the token leaves the address bar");
    // A viewer may look but not acknowledge.
    await page.click(`[data-action="ack"][data-fingerprint="${fps.latency}"]`);
    await page.type('[data-testid="ack-comment"]', "mine");
    await page.click('[data-testid="action-submit"]');
    await page.waitForSelector('[data-testid="action-error-slot"] .error', { timeout: 10_000 });
    assert.match(await page.$eval('[data-testid="action-error-slot"] .error', (e) => e.textContent ?? ""), /role/);
    // The token is kept for the tab: another view needs no new one.
    await page.goto(`${prism.url}/ui/#/history`);
    await page.waitForSelector('[data-testid="history-row"]', { timeout: 10_000 });
    assert.ok(problems.every((p) => /\b403\b/.test(p)), JSON.stringify(problems));
    await page.close();
  });

  it("a token pasted in the dialog works too", async () => {
    const { page, problems } = await openPage(browser, `${prism.url}/ui/#/stats`);
    await page.waitForSelector(".error", { timeout: 10_000 });
    await page.click("#token-button");
    await page.type("#token-input", await jwt("operator"));
    await page.click('#token-form button[value="save"]');
    await page.waitForSelector('[data-testid="stats-cards"]', { timeout: 10_000 });
    assert.ok(problems.every((p) => /\b401\b/.test(p)), JSON.stringify(problems));
    await page.close();
  });
});
