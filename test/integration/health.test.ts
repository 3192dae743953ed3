// GET /health on the real app: each component's state as it changes (a failing receiver, a failed
// reload, storage refusing writes, Prometheus unreachable for anomaly rules), the overall status and its
// HTTP code, no secret in any answer (the fixture's leak scan), and an answer while another connection
// holds the database's write lock.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { startTestApp, isoIn, type TestApp } from "./app-fixture.ts";
import { startFaultServer } from "../helpers/fault-servers.ts";
import { startFakePrometheus } from "./fake-prometheus.ts";

interface Health {
  status: "ok" | "degraded" | "down";
  components: {
    database: { status: string; lastWriteOk: boolean; lastError?: string; failingSince?: string };
    config: { status: string; loadedAt: string; lastReloadError?: string; lastReloadFailedAt?: string };
    dispatcher: { status: string };
    receivers: Record<string, { status: string; lastOutcome?: string; lastAttemptAt?: string; lastError?: string; integrations: Record<string, { lastOutcome: string; lastError?: string }> }>;
    prometheus?: { status: string; lastQueryAt?: string; lastError?: string; failingRules: string[] };
  };
}

async function health(h: TestApp): Promise<{ status: number; body: Health }> {
  const r = await h.get("/health");
  return { status: r.status, body: r.json as Health };
}

/** Polls /health until `done` holds (the test's timeout bounds the wait). */
async function healthUntil(h: TestApp, done: (r: { status: number; body: Health }) => boolean): Promise<{ status: number; body: Health }> {
  for (;;) {
    const r = await health(h);
    if (done(r)) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function alert(name: string, summary = "s") {
  return { labels: { alertname: name }, annotations: { summary }, startsAt: isoIn(-60_000), endsAt: isoIn(3_600_000) };
}

async function start(t: TestContext, config: string, alertprism?: string): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-health-"));
  const flags: Record<string, string> = {};
  if (alertprism !== undefined) {
    flags["alertprism.config.file"] = join(dir, "alertprism.yml");
    writeFileSync(flags["alertprism.config.file"], alertprism);
  }
  const h = await startTestApp({ config, flags });
  t.after(() => h.close());
  return h;
}

const PLAIN = `
route: { receiver: a, group_by: [alertname] }
receivers: [{ name: a }, { name: b }]
`;

test("a fresh app: every component ok, receivers unknown until they are used, no prometheus component", async (t) => {
  const h = await start(t, PLAIN);
  const { status, body } = await health(h);
  assert.equal(status, 200);
  assert.equal(body.status, "ok");
  assert.deepEqual(body.components.database, { status: "ok", lastWriteOk: true });
  assert.equal(body.components.config.status, "ok");
  assert.ok(!Number.isNaN(Date.parse(body.components.config.loadedAt)));
  assert.deepEqual(body.components.dispatcher, { status: "ok" });
  assert.deepEqual(body.components.receivers, { a: { status: "unknown", integrations: {} }, b: { status: "unknown", integrations: {} } });
  assert.equal(body.components.prometheus, undefined);
});

test("a receiver whose endpoint answers 500: degraded with the redacted reason, ok again once a send succeeds", { timeout: 60_000 }, async (t) => {
  const sink = await startFaultServer();
  t.after(() => sink.close());
  sink.setFault({ kind: "status", status: 500, body: "upstream broke" });
  const origin = new URL(sink.url).origin;
  const h = await start(t, `
route: { receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s }
receivers:
  - name: hook
    webhook_configs:
      - url: ${origin}/hooks/T0KEN-s3cr3t-path?token=qu3ry-s3cr3t-value
  - name: idle
`);
  assert.ok(h.leaks, "the config holds secrets, so every answer is scanned for them");
  assert.equal((await h.post("/api/v2/alerts", [alert("Failing")])).status, 200);

  const failing = await healthUntil(h, (r) => r.body.components.receivers.hook?.status === "degraded");
  assert.equal(failing.status, 200, "a failing receiver degrades, it does not take the instance down");
  assert.equal(failing.body.status, "degraded");
  const hook = failing.body.components.receivers.hook!;
  assert.equal(hook.lastOutcome, "failed");
  assert.ok(!Number.isNaN(Date.parse(hook.lastAttemptAt!)));
  assert.match(hook.lastError!, /500/);
  assert.doesNotMatch(failing.body.components.receivers.hook!.lastError!, /T0KEN|s3cr3t/);
  assert.equal(hook.integrations["webhook/0"]?.lastOutcome, "failed");
  assert.equal(failing.body.components.receivers.idle?.status, "unknown");

  sink.setFault({ kind: "ok" }); // the retry loop's next attempt gets through
  const recovered = await healthUntil(h, (r) => r.body.components.receivers.hook?.status === "ok");
  assert.equal(recovered.body.status, "ok");
  assert.equal(recovered.body.components.receivers.hook!.lastOutcome, "success");
  assert.equal(recovered.body.components.receivers.hook!.lastError, undefined);
  assert.ok(sink.delivered().length >= 1);
});

test("a failed reload: config degraded with the reason while the old config stays; a good reload clears it", { timeout: 30_000 }, async (t) => {
  const h = await start(t, PLAIN);
  const file = join(h.dir, "alertmanager.yml");
  const good = readFileSync(file, "utf8");
  const before = (await health(h)).body.components.config.loadedAt;
  writeFileSync(file, "route: { receiver: nobody }\nreceivers: [{ name: a }]\n");
  assert.equal((await h.post("/-/reload", "")).status, 500);
  const { status, body } = await health(h);
  assert.equal(status, 200);
  assert.equal(body.status, "degraded");
  assert.equal(body.components.config.status, "degraded");
  assert.match(body.components.config.lastReloadError!, /nobody/);
  assert.equal(body.components.config.loadedAt, before, "the configuration in force is still the one loaded at start");
  assert.deepEqual(Object.keys(body.components.receivers), ["a", "b"]);

  writeFileSync(file, good.replace("{ name: b }", "{ name: c }"));
  assert.equal((await h.post("/-/reload", "")).status, 200);
  const after = (await health(h)).body;
  assert.equal(after.status, "ok");
  assert.equal(after.components.config.lastReloadError, undefined);
  assert.ok(Date.parse(after.components.config.loadedAt) >= Date.parse(before));
  assert.deepEqual(Object.keys(after.components.receivers), ["a", "c"], "receivers follow the configuration in force");
});

test("storage refusing writes (disk full): database down, /health 503; recovers without restart", { timeout: 60_000 }, async (t) => {
  const h = await start(t, PLAIN);
  assert.equal((await h.post("/api/v2/alerts", [alert("Before")])).status, 200);
  h.app.limitDatabasePages(1);
  let refused = false;
  for (let i = 0; i < 2000 && !refused; i++) refused = (await h.post("/api/v2/alerts", [alert(`Fill${i}`, "f".repeat(2048))])).status === 503;
  assert.ok(refused, "the capped database refused a write");

  const down = await health(h);
  assert.equal(down.status, 503);
  assert.equal(down.body.status, "down");
  assert.equal(down.body.components.database.status, "down");
  assert.equal(down.body.components.database.lastWriteOk, false);
  assert.match(down.body.components.database.lastError!, /full/);
  assert.ok(!Number.isNaN(Date.parse(down.body.components.database.failingSince!)));

  h.app.limitDatabasePages(1_000_000);
  assert.equal((await h.post("/api/v2/alerts", [alert("After")])).status, 200);
  const up = await health(h);
  assert.equal(up.status, 200);
  assert.deepEqual(up.body.components.database, { status: "ok", lastWriteOk: true });
});

test("answers while another connection holds the write lock, and reports the write that lock made fail", { timeout: 60_000 }, async (t) => {
  const h = await start(t, PLAIN);
  assert.equal((await h.post("/api/v2/alerts", [alert("Before")])).status, 200);
  const other = new BetterSqlite3(join(h.dir, "alertprism.db"));
  t.after(() => other.close());
  other.pragma("busy_timeout = 0");
  other.exec("BEGIN EXCLUSIVE");
  try {
    const locked = await health(h);
    assert.equal(locked.status, 200, "nothing on /health's path waits for the database");
    assert.equal(locked.body.status, "ok");
    assert.equal((await h.get("/metrics")).status, 200);

    // A write now waits out SQLite's busy timeout, then fails: /health says so.
    assert.equal((await h.post("/api/v2/alerts", [alert("WhileLocked")])).status, 503);
    const down = await health(h);
    assert.equal(down.status, 503);
    assert.equal(down.body.components.database.status, "down");
    assert.match(down.body.components.database.lastError!, /locked|busy/i);
  } finally {
    other.exec("ROLLBACK");
  }
  assert.equal((await h.post("/api/v2/alerts", [alert("Unlocked")])).status, 200);
  assert.equal((await health(h)).body.components.database.status, "ok");
});

test("anomaly rules with Prometheus unreachable: prometheus degraded with the reason; ok again when it answers", { timeout: 60_000 }, async (t) => {
  const prom = await startFakePrometheus();
  t.after(() => prom.close());
  prom.down = true;
  const h = await start(t, PLAIN, `
prometheus:
  url: ${prom.url}
  bearer_token: pr0m-b3arer-t0ken
anomaly_rules:
  - name: OrdersUnusual
    query: orders
    step: 1s
    warmup: 30s
    detector: zscore
    labels: { severity: warning }
`);
  assert.ok(h.leaks);
  const unknown = (await health(h)).body.components.prometheus;
  assert.ok(unknown, "shown while anomaly rules use Prometheus");

  const failing = await healthUntil(h, (r) => r.body.components.prometheus?.status === "degraded");
  assert.equal(failing.status, 200);
  assert.equal(failing.body.status, "degraded");
  assert.deepEqual(failing.body.components.prometheus!.failingRules, ["OrdersUnusual"]);
  assert.match(failing.body.components.prometheus!.lastError!, /fake Prometheus is down/);
  assert.ok(!Number.isNaN(Date.parse(failing.body.components.prometheus!.lastQueryAt!)));

  prom.down = false;
  const ok = await healthUntil(h, (r) => r.body.components.prometheus?.status === "ok");
  assert.equal(ok.body.status, "ok");
  assert.deepEqual(ok.body.components.prometheus!.failingRules, []);
  assert.equal(ok.body.components.prometheus!.lastError, undefined);
});
