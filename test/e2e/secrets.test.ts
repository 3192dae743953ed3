/**
 * The whole app with all five channels configured with secrets, every one of them failing in its own way
 * (error statuses that echo the request back, a server that never answers, a refused SMTP login, a
 * destination the receiver firewall blocks), then every read surface an operator has — /api/v2/status,
 * the ops API's deliveries, history and explain, /metrics, /health — scanned with the logs and stored rows for any
 * configured secret.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { startTestApp } from "../integration/app-fixture.ts";

const WEBHOOK_TOKEN = "whkTok3n7f3e2a91c0";
const WEBHOOK_SIG = "qsSig5566aa77";
const BASIC_PASSWORD = "basicPw8812xyz";
const SLACK_PATH = "/services/T0AAA1111/B0BBB2222/slackTok3n99xx";
const PD_ROUTING_KEY = "pdRoutingKey0123456789abcdef0001";
const DING_TOKEN = "dingAccessTok3n4242";
const DING_SECRET = "SECdingSignSecret004242";
const SMTP_PASSWORD = "smtpPass4411zz";
const HANG_TOKEN = "hangTok3n0099aa";
const BLOCKED_TOKEN = "blockedTok3n7711";
const RECEIVER_BEARER = "receiverBearer9911qq";

/** Answers like a misbehaving upstream: every error body echoes the request's URL, headers and body. */
function upstream(req: IncomingMessage, res: ServerResponse, body: string): void {
  const echo = `${req.method} ${req.url} authorization=${req.headers.authorization ?? ""} body=${body.slice(0, 300)}`;
  const url = req.url ?? "";
  if (url.startsWith("/hang/")) return; // never answers: the flush deadline aborts it
  if (url.startsWith("/hooks/")) res.writeHead(500).end(`internal error: ${echo}`);
  else if (url.startsWith("/services/")) res.writeHead(404).end(`no_service ${echo}`);
  else if (url.startsWith("/v2/enqueue")) {
    res.writeHead(400, { "content-type": "application/json" })
      .end(JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors: [`unknown routing_key ${PD_ROUTING_KEY}`, echo] }));
  } else if (url.startsWith("/robot/send")) {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ errcode: 300001, errmsg: `token is not exist: ${echo}` }));
  } else res.writeHead(418).end(echo);
}

async function until(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("all five channels failing with secrets configured: nothing an operator can read holds a secret", { timeout: 120_000 }, async () => {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      requests.push(req.url ?? "");
      upstream(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    // A server that quotes the credentials back in its rejection.
    onAuth: (auth, _session, cb) => cb(new Error(`535 credentials ${auth.username}/${auth.password ?? ""} rejected`)),
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
  const smarthost = `127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), "alertprism-secrets-"));
  const prism = join(dir, "alertprism.yml");
  writeFileSync(prism, `
webhook_receiver:
  bearer_token: ${RECEIVER_BEARER}
notify:
  firewall:
    block_cidrs: [127.0.0.2/32]
dingtalk_configs:
  - receiver: all
    webhook_url: ${base}/robot/send?access_token=${DING_TOKEN}
    secret: ${DING_SECRET}
`);
  const config = `
global:
  smtp_smarthost: ${smarthost}
  smtp_from: alertprism@example.org
  smtp_require_tls: false
  smtp_auth_username: alerts
  smtp_auth_password: ${SMTP_PASSWORD}
route:
  receiver: all
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: all
    webhook_configs:
      - url: ${base}/hooks/${WEBHOOK_TOKEN}?sig=${WEBHOOK_SIG}
        http_config:
          basic_auth: { username: am, password: ${BASIC_PASSWORD} }
      - url: ${base}/hang/${HANG_TOKEN}
      - url: http://127.0.0.2:9/hooks/${BLOCKED_TOKEN}
    slack_configs:
      - api_url: ${base}${SLACK_PATH}
        channel: "#ops"
    pagerduty_configs:
      - routing_key: ${PD_ROUTING_KEY}
        url: ${base}/v2/enqueue
    email_configs:
      - to: ops@example.org
`;
  const t = await startTestApp({ config, dir, flags: { "alertprism.config.file": prism } });
  try {
    const scanner = t.leaks;
    assert.ok(scanner, "the fixture's leak check is on for a config with secrets");
    for (const secret of [WEBHOOK_TOKEN, WEBHOOK_SIG, BASIC_PASSWORD, "slackTok3n99xx", PD_ROUTING_KEY, DING_TOKEN, DING_SECRET, SMTP_PASSWORD, HANG_TOKEN, BLOCKED_TOKEN, RECEIVER_BEARER]) {
      assert.ok(scanner.secrets.some((s) => s.value === secret), `the scan looks for the ${secret.slice(0, 4)}… secret`);
    }

    const posted = await t.post("/api/v2/alerts", [{ labels: { alertname: "Leaky", instance: "db-1", severity: "critical" }, annotations: { summary: "disk full" } }]);
    assert.equal(posted.status, 200);

    // Every integration has failed at least once; the hanging one only when its flush deadline passes.
    const integrations = ["webhook/0", "webhook/1", "webhook/2", "slack/0", "pagerduty/0", "email/0", "dingtalk/0"];
    type Delivery = { integration: string; status: string; error: string | null; retryable: boolean };
    let deliveries: Delivery[] = [];
    await until("a failed delivery of every integration", async () => {
      const r = await t.get("/api/ops/v1/deliveries?status=failed&limit=500");
      deliveries = (r.json as { deliveries: Delivery[] }).deliveries;
      return integrations.every((i) => deliveries.some((d) => d.integration === i));
    });
    assert.ok(requests.some((u) => u.includes(WEBHOOK_TOKEN)) && requests.some((u) => u.startsWith("/robot/send")), "the secrets did reach the servers");

    // The firewall: refused before connecting, recorded with its reason, not retried within the flush.
    const blocked = deliveries.filter((d) => d.integration === "webhook/2");
    assert.equal(blocked[0]!.error, "destination 127.0.0.2 is in blocked range 127.0.0.2/32 (notify.firewall.block_cidrs)");
    assert.equal(blocked[0]!.retryable, false);
    assert.match((await t.get("/metrics")).text, /^alertprism_notifications_firewall_refused_total\{integration="webhook"\} [1-9]/m);

    // Every read surface, captured by the fixture's client and scanned at close.
    const fingerprint = ((await t.get("/api/v2/alerts")).json as Array<{ fingerprint: string }>)[0]!.fingerprint;
    for (const path of [
      "/api/v2/status", "/api/v2/receivers", "/api/v2/alerts/groups", "/api/ops/v1/deliveries?limit=500", "/api/ops/v1/alerts/history",
      `/api/ops/v1/alerts/${fingerprint}`, `/api/ops/v1/alerts/${fingerprint}/explain`, "/api/ops/v1/alerts/now", "/api/ops/v1/stats", "/metrics", "/health",
    ]) {
      const r = await t.get(path);
      assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
    }
    // The failures are visible, only without their secrets.
    const health = (await t.get("/health")).json as { status: string; components: { receivers: Record<string, { status: string; lastError?: string }> } };
    assert.equal(health.status, "degraded");
    assert.ok(Object.values(health.components.receivers).some((r) => r.status === "degraded" && r.lastError !== undefined), JSON.stringify(health));
    const text = JSON.stringify(deliveries);
    assert.match(text, /unexpected status code 500/);
    assert.match(text, /deadline/);
  } finally {
    await t.close(); // runs the leak check over responses, logs and stored rows
    server.closeAllConnections();
    server.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  }
});
