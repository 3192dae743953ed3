// Replica dedup with a real HA pair: two Prometheus 2.42 servers, identical but for
// external_labels {replica: a} / {replica: b}, evaluate the same always-firing rule and push to ONE
// AlertPrism with noise.dedup.ignore_labels: [replica]. AlertPrism must list one alert, send one
// notification to a local webhook sink, and record in its history that both replicas sent it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { fingerprint } from "../../src/types/labels.ts";
import { requireBinary, sleep, startAlertPrism, startPrometheus, startWebhookSink, type GettableAlert, type RunningServer, type WebhookSink } from "./harness.ts";

const RULES_YAML = `
groups:
  - name: ha
    rules:
      - alert: AlwaysFiringHA
        expr: vector(1)
        labels:
          severity: critical
          service: trading
        annotations:
          summary: always firing
`;
/** The alert as AlertPrism should hold it: the rule's labels, no replica label. */
const LABELS = { alertname: "AlwaysFiringHA", service: "trading", severity: "critical" };

const ALERTMANAGER_YML = (sink: string) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${sink}/hook
        send_resolved: true
`;
const ALERTPRISM_YML = `
noise:
  dedup:
    ignore_labels: [replica]
`;

const WAIT_MS = 25_000;

interface EventRow { kind: string; detail: string }
interface WebhookPayload { alerts: Array<{ labels: Record<string, string>; status: string }>; status: string }

describe("replica dedup with two real Prometheus servers (an HA pair)", { timeout: 60_000 }, () => {
  let sink: WebhookSink | undefined;
  let prism: (RunningServer & { dbPath: string }) | undefined;
  const proms: RunningServer[] = [];

  before(async () => {
    requireBinary("prometheus");
    sink = await startWebhookSink();
    prism = await startAlertPrism({ configYaml: ALERTMANAGER_YML(sink.url), alertprismYaml: ALERTPRISM_YML });
    for (const replica of ["a", "b"]) {
      proms.push(await startPrometheus({
        configYaml: `
global:
  evaluation_interval: 1s
  external_labels:
    replica: ${replica}
rule_files: ["RULES_FILE"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:${prism.port}"]
`,
        rulesYaml: RULES_YAML,
        // The first notification usually goes out before the target is discovered and is dropped;
        // without this the next one comes a minute later.
        extraArgs: ["--rules.alert.resend-delay=1s"],
      }));
    }
  });
  after(async () => {
    for (const p of proms) await p.stop();
    await prism?.stop();
    await sink?.close();
  });

  function logsTail(): string {
    const tail = (name: string, s: RunningServer | undefined) => `\n--- ${name} (tail) ---\n${(s?.logs() ?? "").slice(-4_000)}`;
    return tail("alertprism", prism) + proms.map((p, i) => tail(`prometheus ${"ab"[i]}`, p)).join("");
  }

  function historyOf(fp: string): EventRow[] {
    assert.ok(prism);
    const db = new Database(prism.dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT e.kind, e.detail FROM alert_events e JOIN series s ON s.id = e.series_id WHERE s.fingerprint = ? ORDER BY e.id").all(fp) as EventRow[];
    } finally {
      db.close();
    }
  }
  /** Every source named in the history's details, as JSON strings, sorted and unique. */
  const sourcesIn = (rows: EventRow[]): string[] => [...new Set(rows.flatMap((r) => {
    const d = JSON.parse(r.detail) as { sources?: unknown[] };
    return (d.sources ?? []).map((s) => JSON.stringify(s));
  }))].sort();

  async function sentTo(prom: RunningServer): Promise<number> {
    const text = await (await fetch(`${prom.url}/metrics`)).text();
    let n = 0;
    for (const line of text.split("\n")) if (line.startsWith("prometheus_notifications_sent_total{")) n += Number(line.split(" ").at(-1));
    return n;
  }

  it("lists ONE alert, sends ONE notification, and records both replicas as its sources", async () => {
    assert.ok(prism && sink && proms.length === 2, "servers did not start");
    const fp = fingerprint(LABELS);
    try {
      // Both Prometheus servers have pushed the alert (each counts what it sent to AlertPrism) …
      const deadline = Date.now() + WAIT_MS;
      let rows: EventRow[] = [];
      for (;;) {
        rows = historyOf(fp);
        const sent = await Promise.all(proms.map(sentTo));
        if (sent.every((n) => n > 0) && sourcesIn(rows).length >= 2) break;
        if (Date.now() > deadline) assert.fail(`both replicas never showed up: sent ${JSON.stringify(sent)}, history ${JSON.stringify(rows)}`);
        await sleep(250);
      }
      // … and AlertPrism holds ONE alert, without the replica label.
      const res = await fetch(`${prism.url}/api/v2/alerts`);
      assert.equal(res.status, 200);
      const alerts = (await res.json()) as GettableAlert[];
      assert.equal(alerts.length, 1, JSON.stringify(alerts));
      assert.deepEqual(alerts[0]!.labels, LABELS);
      assert.equal(alerts[0]!.fingerprint, fp);

      // History: one episode ("new" once), whose sources are both replicas.
      assert.deepEqual(sourcesIn(rows), ['{"replica":"a"}', '{"replica":"b"}'], JSON.stringify(rows));
      assert.equal(rows.filter((r) => r.kind === "new").length, 1, `one firing episode: ${JSON.stringify(rows)}`);
      assert.equal(rows.filter((r) => r.kind === "source_added").length, 1, JSON.stringify(rows));
      const last = JSON.parse(rows.find((r) => r.kind === "source_added")!.detail) as { sources: unknown };
      assert.deepEqual(last.sources, [{ replica: "a" }, { replica: "b" }]);
      assert.ok(!rows.some((r) => r.kind === "updated" && r.detail.includes("generatorURL")), `each replica's generatorURL is no update: ${JSON.stringify(rows)}`);

      // ONE notification: the first flush, and nothing more over two further group_intervals while
      // both replicas keep re-sending every second.
      await sink.waitFor((n) => n >= 1, WAIT_MS);
      await sleep(4_500);
      assert.equal(sink.received.length, 1, JSON.stringify(sink.received.map((r) => r.body)));
      const body = sink.received[0]!.body as WebhookPayload;
      assert.equal(body.status, "firing");
      assert.equal(body.alerts.length, 1);
      assert.deepEqual(body.alerts[0]!.labels, LABELS, "the notification carries no replica label");
      // Still one alert, still one episode.
      assert.equal(((await (await fetch(`${prism.url}/api/v2/alerts`)).json()) as unknown[]).length, 1);
      assert.equal(historyOf(fp).filter((r) => r.kind === "new").length, 1);
    } catch (err) {
      if (err instanceof Error) err.message += logsTail();
      throw err;
    }
  });
});
