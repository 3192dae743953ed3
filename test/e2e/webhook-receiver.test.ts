// AlertPrism as the webhook receiver of a real Alertmanager 0.25: what Alertmanager notifies (bearer
// token in http_config.authorization) must show up in AlertPrism's live set and history, resolutions
// included; malformed payloads get a 400 that says what is wrong, and a missing or wrong token a 401
// that never echoes a token (nor does AlertPrism's log).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { sleep, startAlertPrism, startAlertmanager } from "./harness.ts";
import type { RunningServer } from "./harness.ts";

const TOKEN = `tok-${randomBytes(12).toString("hex")}`;
const WEBHOOK = "/api/v1/webhook";
/** Long enough for Alertmanager's group_wait / group_interval (1 s / 2 s) plus delivery. */
const ARRIVAL_TIMEOUT_MS = 10_000;

const PRISM_CONFIG = `
route:
  receiver: default
receivers:
  - name: default
`;

const amConfig = (prismUrl: string): string => `
route:
  receiver: prism
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: prism
    webhook_configs:
      - url: ${prismUrl}${WEBHOOK}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${TOKEN}
`;

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

interface Resp {
  status: number;
  text: string;
  headers: Headers;
}

async function request(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Resp> {
  const res = await fetch(url, { method: init.method ?? "GET", body: init.body, headers: init.headers, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function listAlerts(server: RunningServer): Promise<GettableAlert[]> {
  const r = await request(`${server.url}/api/v2/alerts`);
  assert.equal(r.status, 200, `GET /api/v2/alerts: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as GettableAlert[];
}

async function postToAlertmanager(am: RunningServer, alerts: unknown[]): Promise<void> {
  const r = await request(`${am.url}/api/v2/alerts`, { method: "POST", body: JSON.stringify(alerts), headers: { "Content-Type": "application/json" } });
  assert.equal(r.status, 200, `POST alerts to Alertmanager: ${r.status} ${r.text}`);
}

/** Polls AlertPrism's listing until `pred` holds; the last listing is in the error. */
async function waitForListing(ap: RunningServer, what: string, pred: (alerts: GettableAlert[]) => boolean): Promise<GettableAlert[]> {
  const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
  for (;;) {
    const alerts = await listAlerts(ap);
    if (pred(alerts)) return alerts;
    if (Date.now() >= deadline) throw new Error(`AlertPrism: ${what} not seen within ${ARRIVAL_TIMEOUT_MS} ms; listing: ${JSON.stringify(alerts)}`);
    await sleep(100);
  }
}

/** History events per fingerprint, oldest first (read-only, closed again at once). */
function historyKinds(dbPath: string): Map<string, string[]> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT s.fingerprint AS fingerprint, e.kind AS kind FROM alert_events e JOIN series s ON s.id = e.series_id ORDER BY e.id").all() as Array<{ fingerprint: string; kind: string }>;
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.fingerprint, [...(out.get(r.fingerprint) ?? []), r.kind]);
    return out;
  } finally {
    db.close();
  }
}

async function waitForHistory(dbPath: string, what: string, pred: (h: Map<string, string[]>) => boolean): Promise<Map<string, string[]>> {
  const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
  for (;;) {
    const h = historyKinds(dbPath);
    if (pred(h)) return h;
    if (Date.now() >= deadline) throw new Error(`history: ${what} not recorded within ${ARRIVAL_TIMEOUT_MS} ms; events: ${JSON.stringify([...h])}`);
    await sleep(100);
  }
}

// Alerts as sent to Alertmanager. B has a client start an hour ago, with nanoseconds and an offset:
// Alertmanager forwards it verbatim, both APIs must then render it identically (ms, same offset).
const A = { alertname: "Forwarded", instance: "a", severity: "warning" };
const B = { alertname: "Forwarded", instance: "b", severity: "critical" };
const HOUR_MS = 3_600_000;
/** An hour ago, written as the wall-clock time at +02:00. */
const B_STARTS = `${new Date(Date.now() - HOUR_MS + 2 * HOUR_MS).toISOString().slice(0, 19)}.123456789+02:00`;

describe("webhook receiver: a real Alertmanager 0.25 notifying AlertPrism", { timeout: 120_000 }, () => {
  let ap: (RunningServer & { dbPath: string }) | undefined;
  let am: RunningServer | undefined;

  before(async () => {
    ap = await startAlertPrism({ configYaml: PRISM_CONFIG, env: { ALERTPRISM_WEBHOOK_BEARER_TOKEN: TOKEN } });
    am = await startAlertmanager({ configYaml: amConfig(ap.url) });
  });

  after(async () => {
    await Promise.all([am?.stop(), ap?.stop()]);
  });

  it("alerts notified by Alertmanager (with and without endsAt) appear with the same identity and times", async () => {
    assert.ok(am && ap);
    await postToAlertmanager(am, [
      { labels: A, annotations: { summary: "no end time", runbook: "https://runbooks.example/a" }, generatorURL: "http://prometheus.example/graph?g0.expr=up%3D%3D0" },
      { labels: B, annotations: { summary: "explicit end" }, startsAt: B_STARTS, endsAt: new Date(Date.now() + HOUR_MS).toISOString() },
    ]);
    const fromAm = await listAlerts(am);
    assert.equal(fromAm.length, 2, `Alertmanager holds both: ${JSON.stringify(fromAm)}`);
    const got = await waitForListing(ap, "both alerts", (l) => l.length === 2);
    const view = (l: GettableAlert[]) =>
      l
        .map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, generatorURL: a.generatorURL ?? "" }))
        .sort((x, y) => x.fingerprint.localeCompare(y.fingerprint));
    assert.deepEqual(view(got), view(fromAm));
    assert.ok(got.every((a) => a.status.state === "active"), JSON.stringify(got));

    const fpA = fromAm.find((a) => a.labels.instance === "a")!.fingerprint;
    const fpB = fromAm.find((a) => a.labels.instance === "b")!.fingerprint;
    await waitForHistory(ap.dbPath, "`new` for both", (h) => (h.get(fpA) ?? []).includes("new") && (h.get(fpB) ?? []).includes("new"));
  });

  it("resolving the alert in Alertmanager resolves it in AlertPrism (listing and history)", async () => {
    assert.ok(am && ap);
    const fromAm = await listAlerts(am);
    const a = fromAm.find((x) => x.labels.instance === "a");
    assert.ok(a, "alert a still in Alertmanager");
    await postToAlertmanager(am, [{ labels: A, startsAt: a.startsAt, endsAt: new Date().toISOString() }]);
    const left = await waitForListing(ap, "alert a leaving the listing", (l) => !l.some((x) => x.fingerprint === a.fingerprint));
    assert.deepEqual(left.map((x) => x.labels.instance), ["b"], "the other alert stays");
    const h = await waitForHistory(ap.dbPath, "`resolved` for a", (m) => (m.get(a.fingerprint) ?? []).includes("resolved"));
    const fpB = left[0]!.fingerprint;
    assert.ok(!(h.get(fpB) ?? []).includes("resolved"), `b must not be resolved: ${JSON.stringify(h.get(fpB))}`);
    // Alertmanager itself saw every notification accepted (a 4xx/5xx would be logged as a failure).
    assert.doesNotMatch(am.logs(), /Notify for alerts failed|Notify attempt failed/);
  });

  // A well-formed v4 payload to mutate, as Alertmanager would send it.
  const payload = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      receiver: "prism",
      status: "firing",
      alerts: [{ status: "firing", labels: { alertname: "Direct" }, annotations: {}, startsAt: "2026-01-01T00:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "0" }],
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: "http://am.example",
      version: "4",
      groupKey: "{}:{}",
      truncatedAlerts: 0,
      ...over,
    });
  const alertWith = (a: Record<string, unknown>): unknown[] => [{ status: "firing", labels: { alertname: "Direct" }, startsAt: "2026-01-01T00:00:00Z", ...a }];
  const alertWithout = (key: string): unknown[] => {
    const o: Record<string, unknown> = { status: "firing", labels: { alertname: "Direct" }, startsAt: "2026-01-01T00:00:00Z" };
    delete o[key];
    return [o];
  };

  const BAD: Array<{ name: string; body: string; mentions: RegExp }> = [
    { name: "not JSON", body: "this is not json", mentions: /json/i },
    { name: "truncated JSON", body: '{"version":"4","alerts":[', mentions: /json/i },
    { name: "JSON array instead of an object", body: "[]", mentions: /object/i },
    { name: "wrong version", body: payload({ version: "3" }), mentions: /version/ },
    { name: "version missing", body: payload({ version: undefined }), mentions: /version/ },
    { name: "alerts not an array", body: payload({ alerts: { a: 1 } }), mentions: /alerts/ },
    { name: "alert without labels", body: payload({ alerts: alertWithout("labels") }), mentions: /labels/ },
    { name: "label value not a string", body: payload({ alerts: alertWith({ labels: { alertname: 1 } }) }), mentions: /labels/ },
    { name: "unparsable startsAt", body: payload({ alerts: alertWith({ startsAt: "yesterday" }) }), mentions: /startsAt/ },
    { name: "epoch number as time", body: payload({ alerts: alertWith({ startsAt: 1700000000 }) }), mentions: /startsAt/ },
    { name: "bad alert status", body: payload({ alerts: alertWith({ status: "maybe" }) }), mentions: /status/ },
  ];

  for (const c of BAD) {
    it(`bad payload → 400 with a clear message: ${c.name}`, async () => {
      assert.ok(ap);
      const r = await request(`${ap.url}${WEBHOOK}`, { method: "POST", body: c.body, headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 400, `${r.status} ${r.text}`);
      assert.match(r.headers.get("content-type") ?? "", /^application\/json\b/);
      const body = JSON.parse(r.text) as { code?: unknown; message?: unknown };
      assert.equal(body.code, 400, r.text);
      assert.equal(typeof body.message, "string", r.text);
      const message = body.message as string;
      assert.ok(message.startsWith("invalid webhook payload: "), `message should start with "invalid webhook payload: ": ${message}`);
      assert.match(message, c.mentions, `message should say what is wrong: ${message}`);
      assert.ok(!r.text.includes(TOKEN), "token echoed");
    });
  }

  const AUTH: Array<{ name: string; headers: Record<string, string> }> = [
    { name: "no Authorization header", headers: {} },
    { name: "wrong bearer token", headers: { Authorization: "Bearer wrong-token" } },
    { name: "token with a suffix", headers: { Authorization: `Bearer ${TOKEN}x` } },
    { name: "token as Basic credentials", headers: { Authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}` } },
  ];

  for (const c of AUTH) {
    it(`401 without the right bearer token: ${c.name}`, async () => {
      assert.ok(ap);
      const r = await request(`${ap.url}${WEBHOOK}`, { method: "POST", body: payload(), headers: { "Content-Type": "application/json", ...c.headers } });
      assert.equal(r.status, 401, `${r.status} ${r.text}`);
      const everything = `${r.text}\n${[...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}`;
      assert.ok(!everything.includes(TOKEN), `response echoes the token:\n${everything}`);
      assert.ok(!everything.includes("wrong-token"), `response echoes the presented token:\n${everything}`);
    });
  }

  it("rejected requests changed nothing, and the token is nowhere in AlertPrism's log", async () => {
    assert.ok(ap);
    const l = await listAlerts(ap);
    assert.deepEqual(l.map((a) => a.labels.alertname), ["Forwarded"], `only the forwarded alert: ${JSON.stringify(l)}`);
    const logs = ap.logs();
    assert.ok(logs.length > 0, "AlertPrism logged something");
    const line = logs.split("\n").find((x) => x.includes(TOKEN) || x.includes("wrong-token"));
    assert.equal(line, undefined, `AlertPrism's log contains a token: ${line}`);
  });
});
