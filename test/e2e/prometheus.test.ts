// Real Prometheus 2.42 as the client: it scrapes a gauge served by this test, evaluates alert rules
// and pushes to AlertPrism over API v2. Checks what AlertPrism lists, records in its history and counts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { fingerprint } from "../../src/types/labels.ts";
import { makeTempDir, requireBinary, sleep, startAlertPrism, startGaugeExporter, startPrometheus, type GaugeExporter, type GettableAlert } from "./harness.ts";
import type { RunningServer } from "./harness.ts";

const ALERTPRISM_CONFIG = `
route:
  receiver: default
  routes:
    - matchers: ['team="ops"']
      receiver: ops
receivers:
  - name: default
  - name: ops
`;

const RULES_YAML = `
groups:
  - name: e2e
    rules:
      - alert: QueueBackedUp
        expr: test_queue_depth > 10
        for: 0s
        labels:
          severity: warning
        annotations:
          summary: "Queue {{ $value }}"
      - alert: AlwaysOn
        expr: vector(1)
        labels:
          team: ops
`;

// Prometheus's first notifications go out well within this on an idle machine; the slack is for a busy one.
const WAIT_MS = 30_000;
const POLL_MS = 200;
const FAKE_EXPORTER_JOB = "fake";

interface EventRow {
  id: number;
  fingerprint: string;
  at_ms: number;
  kind: string;
  detail: string;
}

/** Polls `probe` until it returns a value; fails after `timeoutMs` with `what` and the last value seen. */
async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, lastSeen: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${lastSeen()}`);
    await sleep(POLL_MS);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${url} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${url} → ${res.status}: ${text}`);
  return text;
}

/** Sum of the samples of `name` in Prometheus text format whose labels include all of `want`. */
function metricValue(text: string, name: string, want: Record<string, string>): number {
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ""] = l[2] ?? "";
    if (!Object.entries(want).every(([k, v]) => labels[k] === v)) continue;
    found = true;
    sum += Number(m[3]);
  }
  assert.ok(found, `no sample of ${name}${JSON.stringify(want)} in:\n${text.split("\n").filter((l) => l.includes(name)).join("\n")}`);
  return sum;
}

describe("Prometheus 2.42 pushing to AlertPrism", { timeout: 90_000 }, () => {
  let exporter: GaugeExporter | undefined;
  let prism: (RunningServer & { dbPath: string }) | undefined;
  let prom: RunningServer | undefined;
  let exporterTarget = "";
  // Shared by the steps below, which run in order; a step whose predecessor failed says so.
  let lastList: GettableAlert[] = [];
  let always: GettableAlert | undefined;
  let queue: GettableAlert | undefined;
  let queueResolved = false;

  before(async () => {
    // The rules must be valid for Prometheus itself, or a missing alert would prove nothing.
    const rulesCopy = join(makeTempDir("promtool"), "alert.rules");
    writeFileSync(rulesCopy, RULES_YAML);
    const check = spawnSync(requireBinary("promtool"), ["check", "rules", rulesCopy], { encoding: "utf8", timeout: 20_000 });
    assert.equal(check.status, 0, `promtool check rules: ${check.error?.message ?? ""}\nstdout:\n${check.stdout}\nstderr:\n${check.stderr}`);

    exporter = await startGaugeExporter({ test_queue_depth: 0 });
    exporterTarget = `127.0.0.1:${exporter.port}`;
    prism = await startAlertPrism({ configYaml: ALERTPRISM_CONFIG });
    prom = await startPrometheus({
      configYaml: `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["RULES_FILE"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:${prism.port}"]
scrape_configs:
  - job_name: ${FAKE_EXPORTER_JOB}
    static_configs:
      - targets: ["${exporterTarget}"]
`,
      rulesYaml: RULES_YAML,
      // Without this the first notification (sent before the AM target is discovered) is dropped
      // and the retry comes a minute later.
      extraArgs: ["--rules.alert.resend-delay=1s"],
    });
  });
  after(async () => {
    // Prometheus first, so it stops pushing before AlertPrism goes.
    await prom?.stop();
    await prism?.stop();
    await exporter?.close();
  });

  function logsTail(): string {
    const tail = (s: RunningServer | undefined): string => {
      const l = s?.logs() ?? "";
      return l.length > 6_000 ? `[...]\n${l.slice(-6_000)}` : l;
    };
    return `\n--- alertprism logs (tail) ---\n${tail(prism)}\n--- prometheus logs (tail) ---\n${tail(prom)}`;
  }

  /** An ordered step; its failure message carries both servers' logs. */
  function step(name: string, fn: (p: RunningServer & { dbPath: string }, pr: RunningServer) => Promise<void>): void {
    it(name, async () => {
      assert.ok(prism && prom && exporter, "servers did not start");
      try {
        await fn(prism, prom);
      } catch (err) {
        if (err instanceof Error) err.message += logsTail();
        throw err;
      }
    });
  }

  async function listAlerts(): Promise<GettableAlert[]> {
    assert.ok(prism);
    lastList = await getJson<GettableAlert[]>(`${prism.url}/api/v2/alerts`);
    return lastList;
  }
  const seen = (): string => JSON.stringify(lastList);
  const byName = (list: GettableAlert[], name: string): GettableAlert | undefined => list.find((a) => a.labels.alertname === name);

  /** alert_events rows of a fingerprint in insertion order, read beside the running server. */
  function historyOf(dbPath: string, fp: string): EventRow[] {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      // The table is keyed by fingerprint or, in the newer layout, by a series id resolved through `series`.
      const keyedByFingerprint = (db.pragma("table_info(alert_events)") as Array<{ name: string }>).some((c) => c.name === "fingerprint");
      const sql = keyedByFingerprint
        ? "SELECT id, fingerprint, at_ms, kind, detail FROM alert_events WHERE fingerprint = ? ORDER BY id"
        : "SELECT e.id, s.fingerprint, e.at_ms, e.kind, e.detail FROM alert_events e JOIN series s ON s.id = e.series_id WHERE s.fingerprint = ? ORDER BY e.id";
      return db.prepare(sql).all(fp) as EventRow[];
    } finally {
      db.close();
    }
  }
  const lifecycleKinds = (rows: EventRow[]): string[] => rows.filter((e) => e.kind === "new" || e.kind === "resolved").map((e) => e.kind);

  step("AlwaysOn arrives with Prometheus's labels, endsAt and generatorURL", async (_p, pr) => {
    // Guard: the fingerprint under test must be Alertmanager's (spec section 3, measured value).
    assert.equal(fingerprint({ alertname: "Watchdog" }), "003b0a0f7d3fa569");
    const a = await waitUntil("AlwaysOn in GET /api/v2/alerts", WAIT_MS, async () => byName(await listAlerts(), "AlwaysOn"), seen);
    const labels = { alertname: "AlwaysOn", team: "ops" };
    // Exactly the rule's labels: no external labels are configured, so Prometheus adds none.
    assert.deepEqual(a.labels, labels);
    assert.equal(a.fingerprint, fingerprint(labels));
    assert.deepEqual(a.receivers, [{ name: "ops" }]);
    assert.deepEqual(a.annotations, {});
    assert.deepEqual(a.status, { inhibitedBy: [], silencedBy: [], state: "active" });
    assert.match(a.generatorURL ?? "", new RegExp(`^http://[^/]+:${pr.port}/graph\\?g0\\.expr=vector%281%29`), "generatorURL points at Prometheus");
    const now = Date.now();
    const endsAt = Date.parse(a.endsAt);
    assert.ok(endsAt > now, `endsAt ${a.endsAt} must be in the future`);
    // Prometheus's endsAt is eval + 4 × max(resend-delay, interval) = +4 s; a resolve_timeout default would be +5 min.
    assert.ok(endsAt - Date.parse(a.updatedAt) <= 60_000, `endsAt ${a.endsAt} looks resolve_timeout-derived (updatedAt ${a.updatedAt})`);
    assert.ok(Date.parse(a.startsAt) <= now, `startsAt ${a.startsAt} in the future`);
    assert.equal(byName(lastList, "QueueBackedUp"), undefined, "QueueBackedUp must not fire while the gauge is 0");
    always = a;
  });

  step("QueueBackedUp fires when the gauge reaches 50, with the templated summary", async () => {
    assert.ok(exporter);
    exporter.set("test_queue_depth", 50);
    const q = await waitUntil("QueueBackedUp in GET /api/v2/alerts", WAIT_MS, async () => byName(await listAlerts(), "QueueBackedUp"), seen);
    const labels = { alertname: "QueueBackedUp", instance: exporterTarget, job: FAKE_EXPORTER_JOB, severity: "warning" };
    assert.deepEqual(q.labels, labels);
    assert.equal(q.fingerprint, fingerprint(labels));
    assert.deepEqual(q.annotations, { summary: "Queue 50" });
    assert.deepEqual(q.receivers, [{ name: "default" }]);
    assert.deepEqual(q.status, { inhibitedBy: [], silencedBy: [], state: "active" });
    assert.ok(Date.parse(q.endsAt) > Date.now(), `QueueBackedUp endsAt ${q.endsAt} must be in the future`);
    assert.ok(byName(lastList, "AlwaysOn"), "AlwaysOn must still be listed");
    queue = q;
    // Hold it until Prometheus has re-sent it (same startsAt, later endsAt), so the history check below
    // always covers a re-send within one firing episode.
    const again = await waitUntil(
      "Prometheus to re-send QueueBackedUp",
      WAIT_MS,
      async () => {
        const x = byName(await listAlerts(), "QueueBackedUp");
        return x && x.updatedAt !== q.updatedAt ? x : undefined;
      },
      seen,
    );
    assert.equal(again.startsAt, q.startsAt, "a re-send keeps startsAt");
  });

  step("QueueBackedUp leaves GET /api/v2/alerts once the gauge is back to 0", async () => {
    assert.ok(exporter && queue, "QueueBackedUp never fired");
    exporter.set("test_queue_depth", 0);
    await waitUntil(
      "QueueBackedUp to leave GET /api/v2/alerts",
      WAIT_MS,
      async () => (byName(await listAlerts(), "QueueBackedUp") === undefined ? true : undefined),
      seen,
    );
    assert.ok(byName(lastList, "AlwaysOn"), "AlwaysOn must still be listed after QueueBackedUp resolved");
    queueResolved = true;
  });

  step("history: QueueBackedUp has one new then one resolved event, resolved by Prometheus", async (p) => {
    assert.ok(queue && queueResolved, "QueueBackedUp did not fire and resolve");
    const rows = historyOf(p.dbPath, queue.fingerprint);
    assert.deepEqual(lifecycleKinds(rows), ["new", "resolved"], `QueueBackedUp history: ${JSON.stringify(rows)}`);
    const created = rows.find((e) => e.kind === "new");
    const resolved = rows.find((e) => e.kind === "resolved");
    assert.ok(created && resolved);
    assert.ok(created.id < resolved.id && created.at_ms <= resolved.at_ms, `resolved before new: ${JSON.stringify(rows)}`);
    // The stored endsAt stays ≥ 2 s ahead while Prometheus re-sends, so this is the client's resolution, not a timeout.
    assert.deepEqual(JSON.parse(resolved.detail), { by: "client" }, `resolved event detail: ${resolved.detail}`);
  });

  step("history: AlwaysOn, firing throughout and re-sent every 2 s, has a single new event", async (p) => {
    assert.ok(always, "AlwaysOn never arrived");
    const now = byName(await listAlerts(), "AlwaysOn");
    assert.ok(now, "AlwaysOn must still be listed");
    assert.equal(now.startsAt, always.startsAt, "a re-send keeps startsAt");
    assert.notEqual(now.updatedAt, always.updatedAt, "Prometheus must have re-sent AlwaysOn meanwhile");
    const rows = historyOf(p.dbPath, always.fingerprint);
    assert.deepEqual(lifecycleKinds(rows), ["new"], `AlwaysOn fired continuously, yet its history is: ${JSON.stringify(rows)}`);
  });

  step("every request Prometheus sent was accepted and counted", async (p, pr) => {
    const prismMetrics = await getText(`${p.url}/metrics`);
    assert.ok(metricValue(prismMetrics, "alertmanager_alerts_received_total", { status: "firing", version: "v2" }) > 0);
    assert.ok(metricValue(prismMetrics, "alertmanager_alerts_received_total", { status: "resolved", version: "v2" }) > 0);
    const promMetrics = await getText(`${pr.url}/metrics`);
    const amUrl = `http://127.0.0.1:${p.port}/api/v2/alerts`;
    assert.ok(metricValue(promMetrics, "prometheus_notifications_sent_total", { alertmanager: amUrl }) > 0);
    assert.equal(metricValue(promMetrics, "prometheus_notifications_errors_total", { alertmanager: amUrl }), 0, "Prometheus saw non-2xx answers");
  });
});
