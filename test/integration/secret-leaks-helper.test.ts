/** The secret-leak helper itself: it must find what the configs hold and catch planted leaks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import { assertNoSecretLeaks, findLeaks, LeakScanner, secretsFromConfig } from "../helpers/secret-leaks.ts";
import { startTestApp } from "./app-fixture.ts";

const AM = `
global:
  smtp_smarthost: 127.0.0.1:2525
  smtp_from: am@example.org
  smtp_auth_username: am
  smtp_auth_password: smtp-pass-4411
  slack_api_url: https://hooks.slack.test/services/T0AAA1111/B0BBB2222/slackXoxTok3n99
route:
  receiver: all
receivers:
  - name: all
    webhook_configs:
      - url: http://127.0.0.1:9/hooks/whk-7f3e2a91?sig=qs-sig-5566
        http_config:
          basic_auth: { username: am, password: basic-pw-8812 }
      - url: http://127.0.0.1:9/plain/alerts
        http_config:
          authorization: { credentials: bearer-cred-2233 }
    pagerduty_configs:
      - routing_key: pdRoutingKey0123456789abcdef0001
        url: http://127.0.0.1:9/v2/enqueue
    slack_configs:
      - channel: "#ops"
    email_configs:
      - to: ops@example.org
        auth_password: mail-pw-\${MAIL_PASSWORD}
`;

const PRISM = `
webhook_receiver:
  bearer_token: receiver-bearer-9911
dingtalk_configs:
  - receiver: all
    webhook_url: http://127.0.0.1:9/robot/send?access_token=dingAccessTok3n42
    secret: SECdingSignSecret0042
auth:
  jwt:
    hs256_secret: jwt-hs256-secret-that-is-long-enough-0001
    issuer: test
    audience: alertprism
`;

test("secretsFromConfig: every configured secret, named by where it is configured", () => {
  const secrets = secretsFromConfig({ alertmanager: AM, alertprism: PRISM, env: { MAIL_PASSWORD: "fromEnv77", HOME: "/root", GITHUB_TOKEN: "unrelated-token" } });
  const byValue = new Map(secrets.map((s) => [s.value, s.kind]));
  const expect: Array<[string, RegExp]> = [
    ["smtp-pass-4411", /global\.smtp_auth_password/],
    ["/services/T0AAA1111/B0BBB2222/slackXoxTok3n99", /global\.slack_api_url \(URL path\)/],
    ["slackXoxTok3n99", /URL path token/],
    ["/hooks/whk-7f3e2a91?sig=qs-sig-5566", /receivers\[0\]\.webhook_configs\[0\]\.url \(URL path\)/],
    ["whk-7f3e2a91", /URL path token/],
    ["qs-sig-5566", /URL query token/],
    ["basic-pw-8812", /basic_auth\.password/],
    [Buffer.from("am:basic-pw-8812").toString("base64"), /basic auth header/],
    ["bearer-cred-2233", /authorization\.credentials/],
    ["pdRoutingKey0123456789abcdef0001", /pagerduty_configs\[0\]\.routing_key/],
    ["mail-pw-fromEnv77", /email_configs\[0\]\.auth_password/],
    ["fromEnv77", /environment variable MAIL_PASSWORD/],
    ["receiver-bearer-9911", /webhook_receiver\.bearer_token/],
    ["dingAccessTok3n42", /dingtalk_configs\[0\]\.webhook_url \(URL query token\)/],
    ["SECdingSignSecret0042", /dingtalk_configs\[0\]\.secret/],
    ["jwt-hs256-secret-that-is-long-enough-0001", /auth\.jwt\.hs256_secret/],
  ];
  for (const [value, kind] of expect) assert.match(byValue.get(value) ?? "(missing)", kind, value);
  // A path of plain words, hosts and unrelated environment variables are no secrets.
  for (const notSecret of ["/plain/alerts", "plain", "alerts", "127.0.0.1:9", "unrelated-token", "/root"]) assert.ok(!byValue.has(notSecret), notSecret);
});

test("findLeaks: the secret as written, URL-encoded, JSON-escaped or base64 is found; the report names kind and place only", () => {
  const secrets = [{ kind: "slack api_url (URL path)", value: "/services/T0/B0/tok3n+/x" }, { kind: "routing_key", value: "routingKey0123456789" }];
  const leaks = findLeaks(secrets, [
    { where: "log line 1", text: `{"msg":"POST https://hooks.slack.test/services/T0/B0/tok3n+/x failed"}` },
    { where: "GET /api/ops/v1/deliveries", text: JSON.stringify({ error: "url https://x/services/T0/B0/tok3n+/x" }).replace(/\//g, "\\/") },
    { where: "error reason", text: `request to https://x${encodeURIComponent("/services/T0/B0/tok3n+/x")}` },
    { where: "header dump", text: `Authorization: Basic ${Buffer.from("routingKey0123456789").toString("base64")}` },
    { where: "clean", text: "POST https://hooks.slack.test/<redacted> failed; routing_key <secret>" },
  ]);
  assert.deepEqual(leaks.map((l) => `${l.kind}|${l.where}|${l.form}`), [
    "slack api_url (URL path)|log line 1|as written",
    "slack api_url (URL path)|GET /api/ops/v1/deliveries|JSON-escaped",
    "slack api_url (URL path)|error reason|URL-encoded",
    "routing_key|header dump|base64",
  ]);
  try {
    assertNoSecretLeaks(secrets, [{ where: "log line 7", text: "routing key is routingKey0123456789" }]);
    assert.fail("the leak was not reported");
  } catch (err) {
    assert.ok(err instanceof AssertionError);
    assert.match(err.message, /routing_key found as written in log line 7/);
    assert.ok(!err.message.includes("routingKey0123456789"), "the report does not print the secret");
  }
  assert.doesNotThrow(() => assertNoSecretLeaks(secrets, [{ where: "x", text: "nothing to see" }]));
  assert.throws(() => assertNoSecretLeaks([], []), /no secrets to look for/);
});

test("LeakScanner: a secret logged through the captured logger fails check(); redacted keys and clean text pass", () => {
  const env = { MAIL_PASSWORD: "fromEnv77" };
  const scanner = new LeakScanner(secretsFromConfig({ alertmanager: AM, env }));
  const log = scanner.logger().child({ component: "notify" });
  log.warn({ routing_key: "pdRoutingKey0123456789abcdef0001", password: "basic-pw-8812" }, "redacted by the logger's own paths");
  log.info({ target: "http://127.0.0.1:9/<redacted>" }, "delivered");
  scanner.add("error reason", "webhook: unexpected status code 500");
  assert.doesNotThrow(() => scanner.check());
  // The planted leak: a URL under a key the logger does not redact.
  log.error({ target: "http://127.0.0.1:9/hooks/whk-7f3e2a91?sig=qs-sig-5566" }, "send failed");
  assert.throws(() => scanner.check(), (err: Error) => /webhook_configs\[0\]\.url \(URL path\) found as written in log line 3/.test(err.message)
    && !err.message.includes("whk-7f3e2a91"));
  // Secrets the test makes itself (a signed JWT) are looked for too.
  const clean = new LeakScanner(secretsFromConfig({ alertmanager: AM, env }));
  clean.addSecret("JWT the test signed", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig");
  clean.add("GET /api/ops/v1/audit (response 200)", '{"actor":"x","token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig"}');
  assert.throws(() => clean.check(), /JWT the test signed found as written in GET \/api\/ops\/v1\/audit/);
});

test("app fixture: a config with secrets turns the check on; close() fails on a leak it captured, naming it", async () => {
  const config = "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs:\n      - url: http://127.0.0.1:9/hooks/whk7f3e2a91c0\n";
  const t = await startTestApp({ config });
  assert.ok(t.leaks, "the check is on");
  assert.equal((await t.get("/api/v2/status")).status, 200);
  assert.ok(t.leaks.captures.some((c) => c.where === "GET /api/v2/status (response 200)"), "responses are captured");
  // Planted: as if a response had echoed the URL.
  t.leaks.add("planted response", "POST http://127.0.0.1:9/hooks/whk7f3e2a91c0 failed");
  await assert.rejects(t.close(), (err: Error) => /webhook_configs\[0\]\.url \(URL path\) found as written in planted response/.test(err.message) && !err.message.includes("whk7f3e2a91c0"));
  const plain = await startTestApp();
  assert.equal(plain.leaks, undefined, "no secrets configured, nothing to look for");
  await plain.close();
});
