// The dead man's switch end to end: a real Prometheus 2.42 evaluates the shipped rules/alert.rules (its
// Watchdog always fires) and pushes to a real AlertPrism process; Prometheus is stopped, and AlertPrism
// raises HeartbeatMissing to the heartbeat's receiver (a real HTTP webhook sink); Prometheus comes back,
// and the alert resolves.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, sleep, startAlertPrism, startPrometheus, startWebhookSink, type RunningServer, type WebhookSink } from "./harness.ts";

const TIMEOUT_S = 5;
const EVALUATION_S = 1;
// How long the test waits for something that should take seconds; the slack is for a busy machine.
const WAIT_MS = 60_000;

interface HeartbeatJson { heartbeat: string; status: string; last_arrival: string | null; missing_since: string | null }
interface WebhookBody { status: string; receiver: string; alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }> }

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) assert.fail(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe("heartbeats: real Prometheus with the shipped Watchdog rule, then stopped", { timeout: 180_000 }, () => {
  let sink: WebhookSink | undefined;
  let prism: RunningServer | undefined;
  let prom: RunningServer | undefined;

  const prometheusConfig = () => `
global:
  scrape_interval: ${EVALUATION_S}s
  evaluation_interval: ${EVALUATION_S}s
rule_files: ["RULES_FILE"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:${prism?.port ?? 0}"]
`;
  const shippedRules = readFileSync(join(REPO_ROOT, "rules", "alert.rules"), "utf8");
  const startProm = () => startPrometheus({ configYaml: prometheusConfig(), rulesYaml: shippedRules, extraArgs: ["--rules.alert.resend-delay=1s"] });

  before(async () => {
    assert.match(shippedRules, /- alert: Watchdog\n\s+expr: vector\(1\)/, "the shipped rules have the always-firing Watchdog");
    sink = await startWebhookSink();
    prism = await startAlertPrism({
      configYaml: `
route:
  receiver: default
receivers:
  - name: default
  - name: ops
    webhook_configs: [{ url: "${sink.url}/ops", send_resolved: true }]
`,
      alertprismYaml: `
heartbeats:
  - matchers: ['alertname="Watchdog"']
    timeout: ${TIMEOUT_S}s
    receiver: ops
`,
    });
    prom = await startProm();
  });
  after(async () => {
    await prom?.stop();
    await prism?.stop();
    await sink?.close();
  });

  const heartbeat = async (): Promise<HeartbeatJson> => {
    const res = await fetch(`${prism?.url}/api/ops/v1/heartbeats`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    const [hb] = ((await res.json()) as { heartbeats: HeartbeatJson[] }).heartbeats;
    assert.ok(hb);
    return hb;
  };
  const missingNotifications = () => (sink?.received ?? [])
    .filter((r) => r.path === "/ops")
    .map((r) => ({ at: r.at, body: r.body as WebhookBody }))
    .filter((r) => r.body.alerts.some((a) => a.labels.alertname === "HeartbeatMissing"));
  const logs = () => `\n--- alertprism ---\n${prism?.logs().slice(-4000) ?? ""}\n--- prometheus ---\n${prom?.logs().slice(-3000) ?? ""}`;

  let beforeStop = 0;

  it("Watchdog arrives: the heartbeat is ok, and stays ok while Prometheus re-sends", async () => {
    const hb = await waitUntil("the first Watchdog", async () => {
      const h = await heartbeat();
      return h.status === "ok" ? h : undefined;
    }).catch((err: Error) => assert.fail(err.message + logs()));
    assert.equal(hb.heartbeat, '{alertname="Watchdog"}');
    // AlertPrism starts first: if Prometheus took longer than the timeout to send its first Watchdog, the
    // heartbeat went missing meanwhile ("never" arrived) and the first Watchdog resolved it.
    await sleep(500);
    if (missingNotifications().length > 0) {
      // Its resolved notification follows the firing one once the group flushes again: wait for it.
      await waitUntil("the early HeartbeatMissing resolved", async () => (missingNotifications().length >= 2 ? true : undefined))
        .catch((err: Error) => assert.fail(err.message + logs()));
    }
    const early = missingNotifications();
    if (early.length > 0) {
      assert.deepEqual(early.map((n) => [n.body.status, n.body.alerts[0]?.annotations.last_heartbeat]), [["firing", "never"], ["resolved", "never"]]);
    }
    // Re-sends keep it ok: the last arrival moves on while Prometheus runs.
    const first = Date.parse(hb.last_arrival ?? "");
    await sleep((TIMEOUT_S + 1) * 1000);
    const later = await heartbeat();
    assert.equal(later.status, "ok");
    assert.ok(Date.parse(later.last_arrival ?? "") > first, "re-sends count as arrivals");
    assert.equal(missingNotifications().length, early.length, "nothing notified while heartbeats arrive");
    beforeStop = early.length;
  });

  it(`Prometheus stopped: HeartbeatMissing at the webhook sink, missing since the last arrival + ${TIMEOUT_S}s`, async () => {
    await prom?.stop();
    const stoppedAt = Date.now();
    const [note] = await waitUntil("HeartbeatMissing at the sink", async () => {
      const n = missingNotifications().slice(beforeStop);
      return n.length > 0 ? n : undefined;
    }).catch((err: Error) => assert.fail(err.message + logs()));
    assert.ok(note);
    const alert = note.body.alerts[0];
    assert.ok(alert);
    assert.equal(note.body.status, "firing");
    assert.equal(note.body.receiver, "ops");
    assert.deepEqual(alert.labels, { alertname: "HeartbeatMissing", alertprism: "heartbeat", heartbeat: '{alertname="Watchdog"}', receiver: "ops", severity: "critical" });
    assert.equal(alert.annotations.timeout, `${TIMEOUT_S}s`);
    const last = Date.parse(alert.annotations.last_heartbeat ?? "");
    const since = Date.parse(alert.startsAt);
    // Decided by AlertPrism's own clock: the last Watchdog came before Prometheus stopped, and the alert
    // starts exactly one timeout later; so it is raised within timeout + one evaluation of the stop.
    assert.ok(last <= stoppedAt, `last heartbeat ${alert.annotations.last_heartbeat} is before the stop`);
    assert.equal(since - last, TIMEOUT_S * 1000);
    assert.ok(since <= stoppedAt + (TIMEOUT_S + EVALUATION_S) * 1000, `missing since ${alert.startsAt}, Prometheus stopped at ${new Date(stoppedAt).toISOString()}`);
    assert.ok(note.at >= since, "not notified before the timeout ran out");
    console.log(`# HeartbeatMissing reached the sink ${note.at - stoppedAt} ms after Prometheus stopped (timeout ${TIMEOUT_S}s, last heartbeat ${stoppedAt - last} ms before the stop)`);
    const hb = await heartbeat();
    assert.equal(hb.status, "missing");
    assert.equal(Date.parse(hb.missing_since ?? ""), since);
  });

  it("Prometheus back: HeartbeatMissing resolves", async () => {
    prom = await startProm();
    const resolved = await waitUntil("the resolved HeartbeatMissing", async () => missingNotifications().slice(beforeStop).find((n) => n.body.status === "resolved"))
      .catch((err: Error) => assert.fail(err.message + logs()));
    assert.equal(resolved.body.alerts[0]?.status, "resolved");
    assert.equal((await heartbeat()).status, "ok");
    assert.equal(missingNotifications().slice(beforeStop).filter((n) => n.body.status === "firing").length, 1, "raised once");
  });
});
