import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { ConfigError } from "../../lib/errors.ts";
import { GoTemplater } from "../templater.ts";
import type { ChannelDeps, Where } from "../channel.ts";
import { NotifyError } from "../notifier.ts";
import type { NotificationData, NotifyAlert } from "../notifier.ts";
import { ZERO_TIME } from "../../types/time.ts";
import { pagerdutyChannel, parsePagerDutyConfig } from "./config.ts";
import {
  MAX_EVENT_BYTES, buildPagerDutyEvent, classifyPagerDutyReply, dedupKey, encodePagerDutyEvent, parseRetryAfter, truncateRunes,
} from "./pagerduty.ts";
import type { PagerDutyConfig, Secret } from "./pagerduty.ts";
import { failingUpstream, sendInEveryFailureMode, type FailureMode } from "../../../test/helpers/failing-upstream.ts";
import { LeakScanner, secretsFromSettings } from "../../../test/helpers/secret-leaks.ts";

const ROUTING_KEY = "R0UT1NGK3Y0123456789abcdefSECRET";
const GROUP_KEY = '{}/{severity="critical"}:{alertname="HighLatency"}';
const where: Where = (path) => `alertmanager.yml (receivers[0].pagerduty_configs[0]${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")})`;
const templater = new GoTemplater();

function alert(status: "firing" | "resolved", labels: Record<string, string>, annotations: Record<string, string> = {}): NotifyAlert {
  return {
    status,
    labels,
    annotations,
    startsAt: { ms: Date.UTC(2024, 0, 2, 3, 4, 5), subMsNanos: 0, offsetMinutes: 0 },
    endsAt: status === "firing" ? ZERO_TIME : { ms: Date.UTC(2024, 0, 2, 4, 0, 0), subMsNanos: 0, offsetMinutes: 0 },
    generatorURL: "http://prometheus:9090/graph?g0.expr=up",
    fingerprint: "0123456789abcdef",
  };
}

function data(status: "firing" | "resolved", commonLabels: Record<string, string> = { alertname: "HighLatency", severity: "critical", job: "api" }, annotations: Record<string, string> = { summary: "p99 above 1s" }): NotificationData {
  return {
    receiver: "ops",
    status,
    alerts: [alert(status, commonLabels, annotations)],
    groupLabels: { alertname: "HighLatency" },
    commonLabels,
    commonAnnotations: annotations,
    externalURL: "http://alertprism:9093",
  };
}

function parse(raw: Record<string, unknown>, global: Record<string, unknown> = {}): PagerDutyConfig {
  return parsePagerDutyConfig(raw, global, where);
}

function resolvedCfg(raw: Record<string, unknown> = {}): PagerDutyConfig & { routingKey: Secret } {
  const cfg = parse({ routing_key: ROUTING_KEY, ...raw });
  return { ...cfg, routingKey: cfg.routingKey! };
}

/** A logger whose every line is kept, so tests can assert that no secret was written. */
function captureDeps(): { deps: ChannelDeps; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
  return { deps: { templater, userAgent: "Alertmanager/0.25.0", log }, lines };
}

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Responder = (req: Received, res: http.ServerResponse) => void;

/** A stand-in for events.pagerduty.com on 127.0.0.1: records each request, answers with `respond`. */
async function fakePagerDuty(respond: Responder, tls?: { key: Buffer; cert: Buffer }) {
  const received: Received[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(r);
      respond(r, res);
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    base: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const accepted: Responder = (_req, res) => {
  res.writeHead(202, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ status: "success", message: "Event processed", dedup_key: "x" }));
};

function request(status: "firing" | "resolved", signal = new AbortController().signal) {
  return { data: data(status), groupKey: GROUP_KEY, signal };
}

async function notifyError(p: Promise<unknown>): Promise<NotifyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof NotifyError, `expected NotifyError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the send to fail");
}

describe("pagerduty config", () => {
  test("applies Alertmanager's defaults and the global pagerduty_url", () => {
    const cfg = parse({ routing_key: ROUTING_KEY }, { pagerduty_url: "http://pd.internal/v2/enqueue" });
    assert.equal(cfg.routingKey?.reveal(), ROUTING_KEY);
    assert.equal(cfg.url, "http://pd.internal/v2/enqueue");
    assert.equal(cfg.sendResolved, true);
    assert.equal(cfg.severity, undefined);
    assert.equal(cfg.description, '{{ template "pagerduty.default.description" .}}');
    assert.equal(cfg.client, '{{ template "pagerduty.default.client" . }}');
    assert.equal(cfg.source, cfg.client);
    assert.deepEqual(Object.keys(cfg.details).sort(), ["firing", "num_firing", "num_resolved", "resolved"]);
    assert.deepEqual(cfg.http, { followRedirects: true });
    assert.equal(parse({ routing_key: ROUTING_KEY }).url, "https://events.pagerduty.com/v2/enqueue");
    // As in Alertmanager, source follows a configured client unless set itself.
    assert.equal(parse({ routing_key: ROUTING_KEY, client: "prom-eu" }).source, "prom-eu");
    assert.equal(parse({ routing_key: ROUTING_KEY, client: "prom-eu", source: "api-1" }).source, "api-1");
  });

  test("merges configured details over the defaults, as Alertmanager does", () => {
    const cfg = parse({ routing_key: ROUTING_KEY, details: { runbook: "https://runbooks/x", num_firing: 3 } });
    assert.equal(cfg.details.runbook, "https://runbooks/x");
    assert.equal(cfg.details.num_firing, "3");
    assert.equal(cfg.details.firing, '{{ template "pagerduty.default.instances" .Alerts.Firing }}');
  });

  test("the key never shows when the config is printed or serialised", () => {
    const cfg = parse({ routing_key: ROUTING_KEY });
    assert.ok(!JSON.stringify(cfg).includes(ROUTING_KEY));
    assert.ok(!String(cfg.routingKey).includes(ROUTING_KEY));
    assert.ok(!(`${JSON.stringify({ cfg })}`).includes(ROUTING_KEY));
  });

  const rejects: Array<[string, Record<string, unknown>, RegExp, string, Record<string, unknown>?]> = [
    ["unknown key", { routing_key: ROUTING_KEY, severty: "info" }, /unknown field "severty"/, ".severty)"],
    ["unknown key in images", { routing_key: ROUTING_KEY, images: [{ src: "x", title: "y" }] }, /unknown field "title"/, ".images[0].title)"],
    ["no key", {}, /missing routing key/, "[0])"],
    ["both key and key file", { routing_key: ROUTING_KEY, routing_key_file: "/etc/hostname" }, /at most one of routing_key & routing_key_file/, ".routing_key_file)"],
    ["Events API v1", { service_key: ROUTING_KEY }, /Events API v1.*routing_key/, ".service_key)"],
    ["bad severity", { routing_key: ROUTING_KEY, severity: "page" }, /severity must be one of critical, error, warning, info/, ".severity)"],
    ["wrong type", { routing_key: ROUTING_KEY, send_resolved: "yes" }, /expected boolean/, ".send_resolved)"],
    ["broken template", { routing_key: ROUTING_KEY, description: "{{ .CommonLabels.alertname " }, /template: .*unclosed action/, ".description)"],
    ["non-http url", { routing_key: ROUTING_KEY, url: "ftp://x" }, /absolute http/, ".url)"],
    ["unreadable key file", { routing_key_file: "/nonexistent/pd-key" }, /cannot read routing_key_file \/nonexistent\/pd-key: ENOENT/, ".routing_key_file)"],
    ["proxy_url", { routing_key: ROUTING_KEY, http_config: { proxy_url: "http://proxy:3128" } }, /http_config.proxy_url is not supported/, ".http_config.proxy_url)"],
    ["inherited proxy_url", { routing_key: ROUTING_KEY }, /proxy_url is not supported.*inherited from global.http_config/, "[0])", { http_config: { proxy_url: "http://proxy:3128" } }],
    ["unknown tls key", { routing_key: ROUTING_KEY, http_config: { tls_config: { insecure: true } } }, /unknown field "insecure"/, ".http_config.tls_config.insecure)"],
  ];
  for (const [name, raw, message, at, global] of rejects) {
    test(`rejects at load: ${name}`, () => {
      assert.throws(() => parse(raw, global), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        assert.ok(err.where?.endsWith(at), `where ${err.where} should end with ${at}`);
        assert.ok(!err.message.includes(ROUTING_KEY), "the key must not appear in a config error");
        return true;
      });
    });
  }

  test("the channel object builds a pagerduty notifier", () => {
    const n = pagerdutyChannel.create(parse({ routing_key: ROUTING_KEY, send_resolved: false }), 2, captureDeps().deps);
    assert.equal(pagerdutyChannel.kind, "pagerduty");
    assert.equal(n.kind, "pagerduty");
    assert.equal(n.index, 2);
    assert.equal(n.sendResolved, false);
  });
});

describe("pagerduty event", () => {
  const instances = "Labels:\n - alertname = HighLatency\n - job = api\n - severity = critical\nAnnotations:\n - summary = p99 above 1s\nSource: http://prometheus:9090/graph?g0.expr=up\n";

  test("firing group: the exact Events API v2 event", () => {
    const cfg = resolvedCfg({
      class: "latency", component: "api", group: "prod",
      images: [{ src: "https://img/x.png", alt: "graph" }, { src: "" }],
      links: [{ href: "https://runbooks/latency", text: "runbook" }, { text: "no href" }],
    });
    const event = buildPagerDutyEvent(cfg, data("firing"), GROUP_KEY, templater);
    assert.deepEqual(event, {
      routing_key: ROUTING_KEY,
      dedup_key: createHash("sha256").update(GROUP_KEY).digest("hex"),
      event_action: "trigger",
      payload: {
        summary: "[FIRING:1] HighLatency (api critical)",
        source: "AlertPrism",
        severity: "critical",
        class: "latency",
        component: "api",
        group: "prod",
        custom_details: { firing: instances, num_firing: "1", num_resolved: "0", resolved: "" },
      },
      client: "AlertPrism",
      client_url: "http://alertprism:9093/#/alerts?receiver=ops",
      images: [{ src: "https://img/x.png", alt: "graph", href: "" }],
      links: [{ href: "https://runbooks/latency", text: "runbook" }],
    });
    // Key order follows Alertmanager's Go structs, so differential tests can compare bodies byte for byte.
    assert.deepEqual(Object.keys(event), ["routing_key", "dedup_key", "event_action", "payload", "client", "client_url", "images", "links"]);
  });

  test("resolved group: resolve action, same dedup key, empty optionals left out", () => {
    const cfg = resolvedCfg();
    const firing = buildPagerDutyEvent(cfg, data("firing"), GROUP_KEY, templater);
    const event = buildPagerDutyEvent(cfg, data("resolved"), GROUP_KEY, templater);
    assert.equal(event.event_action, "resolve");
    assert.equal(event.dedup_key, firing.dedup_key);
    assert.deepEqual(event.payload, {
      summary: "[RESOLVED] HighLatency (api critical)",
      source: "AlertPrism",
      severity: "critical",
      custom_details: { firing: "", num_firing: "0", num_resolved: "1", resolved: instances },
    });
    assert.equal("images" in event, false);
    assert.equal("links" in event, false);
  });

  test("dedup_key is the SHA-256 of the group key: stable, distinct, 64 hex chars", () => {
    assert.equal(dedupKey(GROUP_KEY), dedupKey(GROUP_KEY));
    assert.notEqual(dedupKey(GROUP_KEY), dedupKey(`${GROUP_KEY} `));
    assert.match(dedupKey("x".repeat(10_000)), /^[0-9a-f]{64}$/);
  });

  const severities: Array<[string, string | undefined, Record<string, string>, string]> = [
    ["configured severity wins over the label", "warning", { alertname: "A", severity: "critical" }, "warning"],
    ["critical label", undefined, { alertname: "A", severity: "critical" }, "critical"],
    ["warning label", undefined, { alertname: "A", severity: "warning" }, "warning"],
    ["label in capitals", undefined, { alertname: "A", severity: "INFO" }, "info"],
    ["label PagerDuty would reject", undefined, { alertname: "A", severity: "page" }, "error"],
    ["no severity label", undefined, { alertname: "A" }, "error"],
  ];
  for (const [name, severity, labels, expected] of severities) {
    test(`severity: ${name}`, () => {
      const cfg = resolvedCfg(severity === undefined ? {} : { severity });
      assert.equal(buildPagerDutyEvent(cfg, data("firing", labels), GROUP_KEY, templater).payload.severity, expected);
    });
  }

  test("summary is cut to 1024 runes, ending in …", () => {
    assert.equal(truncateRunes("abc", 1024), "abc");
    const long = "é".repeat(1000) + "😀".repeat(100);
    const cut = truncateRunes(long, 1024);
    assert.equal(Array.from(cut).length, 1024);
    assert.ok(cut.endsWith("😀…"));
    const event = buildPagerDutyEvent(resolvedCfg({ description: "x".repeat(5000) }), data("firing"), GROUP_KEY, templater);
    assert.equal(event.payload.summary, "x".repeat(1023) + "…");
  });

  test("an event over 512 KB loses custom_details, with a note of its original size", () => {
    const big = data("firing", { alertname: "HighLatency", job: "api" }, { summary: "y".repeat(600_000) });
    const event = buildPagerDutyEvent(resolvedCfg(), big, GROUP_KEY, templater);
    const { body, originalBytes } = encodePagerDutyEvent(event);
    assert.ok(originalBytes !== undefined && originalBytes > MAX_EVENT_BYTES);
    assert.ok(Buffer.byteLength(body) <= MAX_EVENT_BYTES);
    const sent = JSON.parse(body) as { payload: { custom_details: { error: string }; summary: string }; routing_key: string };
    assert.deepEqual(Object.keys(sent.payload.custom_details), ["error"]);
    assert.match(sent.payload.custom_details.error, new RegExp(`original event \\(${originalBytes} bytes\\) exceeds .* 512000 bytes`));
    assert.equal(sent.routing_key, ROUTING_KEY);
    // Small events pass untouched.
    const small = encodePagerDutyEvent(buildPagerDutyEvent(resolvedCfg(), data("firing"), GROUP_KEY, templater));
    assert.equal(small.originalBytes, undefined);
  });

  test("the body is encoded as Go's encoding/json does: <, > and & escaped", () => {
    const event = buildPagerDutyEvent(resolvedCfg({ class: "a<b>&c\u2028" }), data("firing"), GROUP_KEY, templater);
    const { body } = encodePagerDutyEvent(event);
    assert.ok(body.includes('"class":"a\\u003cb\\u003e\\u0026c\\u2028"'), body.slice(0, 300));
    assert.deepEqual(JSON.parse(body), event);
  });

  test("an event too big even without custom_details is refused, not sent", () => {
    const cfg = resolvedCfg({ links: [{ href: `https://x/${"z".repeat(600_000)}` }] });
    const event = buildPagerDutyEvent(cfg, data("firing"), GROUP_KEY, templater);
    assert.throws(() => encodePagerDutyEvent(event), (err: unknown) => err instanceof NotifyError && !err.retryable && !err.reason.includes(ROUTING_KEY));
  });
});

describe("pagerduty reply classification", () => {
  const now = Date.UTC(2024, 0, 1);
  const table: Array<[number, string, string | undefined, boolean | undefined, RegExp?, number?]> = [
    [202, '{"status":"success"}', undefined, undefined],
    [200, "", undefined, undefined],
    [429, '{"status":"throttled"}', "7", true, /rate-limiting.*429/, 7000],
    [429, "", new Date(now + 3000).toUTCString(), true, /429/, 3000],
    [500, "", undefined, true, /\(500\)/],
    [503, "<html>upstream down</html>", undefined, true, /503.*upstream down/],
    [400, '{"status":"invalid event","message":"Event object is invalid","errors":["\'payload.severity\' is invalid"]}', undefined, false, /rejected the event \(400\): Event object is invalid: 'payload.severity' is invalid/],
    [403, "", undefined, false, /\(403\)$/],
  ];
  for (const [status, body, retryAfter, retryable, reason, retryAfterMs] of table) {
    test(`${status} ${retryable === undefined ? "delivered" : retryable ? "retryable" : "not retryable"}`, () => {
      const err = classifyPagerDutyReply(status, body, retryAfter, [ROUTING_KEY], now);
      if (retryable === undefined) return assert.equal(err, undefined);
      assert.ok(err);
      assert.equal(err.retryable, retryable);
      assert.equal(err.opts.status, status);
      assert.match(err.reason, reason!);
      assert.equal(err.opts.retryAfterMs, retryAfterMs);
    });
  }

  test("a reply echoing the routing key is scrubbed", () => {
    const err = classifyPagerDutyReply(400, JSON.stringify({ message: "Invalid routing key", errors: [`routing_key ${ROUTING_KEY} is unknown`] }), undefined, [ROUTING_KEY]);
    assert.ok(err && !err.reason.includes(ROUTING_KEY));
    assert.match(err.reason, /routing_key <secret> is unknown/);
  });

  test("Retry-After: seconds, HTTP date, garbage", () => {
    assert.equal(parseRetryAfter("120", now), 120_000);
    assert.equal(parseRetryAfter(new Date(now - 5000).toUTCString(), now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe("pagerduty notifier against a local PagerDuty", () => {
  test("posts the firing and resolved events to the configured URL", async () => {
    const pd = await fakePagerDuty(accepted);
    try {
      const { deps, lines } = captureDeps();
      const cfg = parse({ routing_key: ROUTING_KEY, url: `${pd.base}/custom/path/enqueue` });
      const n = pagerdutyChannel.create(cfg, 0, deps);
      await n.notify(request("firing"));
      await n.notify(request("resolved"));
      assert.equal(pd.received.length, 2);
      const [first, second] = pd.received;
      assert.equal(first!.method, "POST");
      assert.equal(first!.url, "/custom/path/enqueue");
      assert.equal(first!.headers["content-type"], "application/json");
      assert.equal(first!.headers["user-agent"], "Alertmanager/0.25.0");
      const resolvedCfgValue = { ...cfg, routingKey: cfg.routingKey! };
      assert.equal(first!.body, encodePagerDutyEvent(buildPagerDutyEvent(resolvedCfgValue, data("firing"), GROUP_KEY, templater)).body);
      assert.equal(second!.body, encodePagerDutyEvent(buildPagerDutyEvent(resolvedCfgValue, data("resolved"), GROUP_KEY, templater)).body);
      assert.deepEqual(JSON.parse(first!.body), buildPagerDutyEvent(resolvedCfgValue, data("firing"), GROUP_KEY, templater));
      assert.ok(lines.some((l) => l.includes("PagerDuty accepted the event")));
      assert.ok(lines.every((l) => !l.includes(ROUTING_KEY)));
    } finally {
      await pd.close();
    }
  });

  const failures: Array<[number, Record<string, string>, string, boolean, RegExp]> = [
    [429, { "Retry-After": "2" }, '{"status":"throttled","message":"Requests for this service are arriving too quickly."}', true, /429.*too quickly/],
    [500, {}, "internal error", true, /500/],
    [400, { "Content-Type": "application/json" }, JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors: ["Length of 'routing_key' is incorrect (should be 32 characters)", `key was ${ROUTING_KEY}`] }), false, /Length of 'routing_key' is incorrect/],
  ];
  for (const [status, headers, body, retryable, reason] of failures) {
    test(`${status} from PagerDuty → ${retryable ? "retryable" : "not retryable"}, no key in the reason or logs`, async () => {
      const pd = await fakePagerDuty((_req, res) => {
        res.writeHead(status, headers);
        res.end(body);
      });
      try {
        const { deps, lines } = captureDeps();
        const n = pagerdutyChannel.create(parse({ routing_key: ROUTING_KEY, url: `${pd.base}/v2/enqueue` }), 0, deps);
        const err = await notifyError(n.notify(request("firing")));
        assert.equal(pd.received.length, 1, "a notifier never retries by itself");
        assert.equal(err.retryable, retryable);
        assert.equal(err.opts.status, status);
        assert.match(err.reason, reason);
        if (status === 429) assert.equal(err.opts.retryAfterMs, 2000);
        assert.ok(!err.reason.includes(ROUTING_KEY) && !err.message.includes(ROUTING_KEY) && !err.stack?.includes(ROUTING_KEY));
        assert.ok(lines.every((l) => !l.includes(ROUTING_KEY)));
      } finally {
        await pd.close();
      }
    });
  }

  test("oversized event: sent with custom_details replaced, and a warning logged without the key", async () => {
    const pd = await fakePagerDuty(accepted);
    try {
      const { deps, lines } = captureDeps();
      const n = pagerdutyChannel.create(parse({ routing_key: ROUTING_KEY, url: `${pd.base}/v2/enqueue` }), 0, deps);
      const big = data("firing", { alertname: "HighLatency" }, { summary: "y".repeat(600_000) });
      await n.notify({ data: big, groupKey: GROUP_KEY, signal: new AbortController().signal });
      const body = pd.received[0]!.body;
      assert.ok(Buffer.byteLength(body) <= MAX_EVENT_BYTES);
      assert.match(body, /Custom details have been removed/);
      assert.ok(lines.some((l) => l.includes("custom_details removed")));
      assert.ok(lines.every((l) => !l.includes(ROUTING_KEY)));
    } finally {
      await pd.close();
    }
  });

  test("connection refused is retryable and names only the origin", async () => {
    const pd = await fakePagerDuty(accepted);
    const url = `${pd.base}/v2/enqueue?token=QUERYSECRET`;
    await pd.close();
    const n = pagerdutyChannel.create(parse({ routing_key: ROUTING_KEY, url }), 0, captureDeps().deps);
    const err = await notifyError(n.notify(request("firing")));
    assert.equal(err.retryable, true);
    assert.match(err.reason, /ECONNREFUSED/);
    assert.ok(!err.reason.includes("QUERYSECRET") && !err.reason.includes(ROUTING_KEY));
  });

  test("an aborted flush ends the request, retryable", async () => {
    const pd = await fakePagerDuty(() => { /* never answers */ });
    try {
      const n = pagerdutyChannel.create(parse({ routing_key: ROUTING_KEY, url: `${pd.base}/v2/enqueue` }), 0, captureDeps().deps);
      const ac = new AbortController();
      const pending = n.notify(request("firing", ac.signal));
      setTimeout(() => ac.abort(), 20);
      const err = await notifyError(pending);
      assert.equal(err.retryable, true);
      assert.match(err.reason, /aborted/);
    } finally {
      await pd.close();
    }
  });

  test("routing_key_file is read at send time; its key never leaks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pd-key-"));
    const pd = await fakePagerDuty((_req, res) => {
      res.writeHead(400);
      res.end(JSON.stringify({ message: "Event object is invalid", errors: ["bad"] }));
    });
    try {
      const file = join(dir, "key");
      writeFileSync(file, `${ROUTING_KEY}\n`);
      const { deps, lines } = captureDeps();
      const n = pagerdutyChannel.create(parse({ routing_key_file: file, url: `${pd.base}/v2/enqueue` }), 0, deps);
      const err = await notifyError(n.notify(request("firing")));
      assert.equal((JSON.parse(pd.received[0]!.body) as { routing_key: string }).routing_key, ROUTING_KEY);
      assert.equal(err.retryable, false);
      assert.ok(!err.reason.includes(ROUTING_KEY) && lines.every((l) => !l.includes(ROUTING_KEY)));
      rmSync(file);
      const missing = await notifyError(n.notify(request("firing")));
      assert.equal(missing.retryable, false);
      assert.match(missing.reason, /cannot read routing_key_file .*ENOENT/);
    } finally {
      await pd.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("over TLS with a self-signed certificate", () => {
    let dir = "";
    let tls: { key: Buffer; cert: Buffer };
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "pd-tls-"));
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
        "-addext", "subjectAltName=DNS:localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
      tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test("ca_file + server_name verifies; without them the certificate is refused", async () => {
      const pd = await fakePagerDuty(accepted, tls);
      try {
        const url = `${pd.base}/v2/enqueue`;
        const trusted = parse({ routing_key: ROUTING_KEY, url, http_config: { tls_config: { ca_file: join(dir, "cert.pem"), server_name: "localhost" } } });
        await pagerdutyChannel.create(trusted, 0, captureDeps().deps).notify(request("firing"));
        const skip = parse({ routing_key: ROUTING_KEY, url, http_config: { tls_config: { insecure_skip_verify: true } } });
        await pagerdutyChannel.create(skip, 0, captureDeps().deps).notify(request("firing"));
        assert.equal(pd.received.length, 2);
        const err = await notifyError(pagerdutyChannel.create(parse({ routing_key: ROUTING_KEY, url }), 0, captureDeps().deps).notify(request("firing")));
        assert.match(err.reason, /self[- ]signed|certificate/i);
        assert.equal(err.retryable, false, "a certificate that fails verification will fail again");
        assert.equal(pd.received.length, 2);
      } finally {
        await pd.close();
      }
    });
  });
});

test("leak check: 5xx, 4xx, 429, a hang and a refused connection leave no routing key in errors or logs", async () => {
  const upstream = await failingUpstream();
  after(() => upstream.close());
  const raw = (mode: FailureMode) => ({ routing_key: "pdRoutingKey0123456789abcdef0001", url: `${upstream.base(mode)}/v2/enqueue` });
  const scanner = new LeakScanner(secretsFromSettings(raw("server-error"), ["pagerduty_configs", 0]));
  const deps: ChannelDeps = { templater: new GoTemplater(), userAgent: "Alertmanager/0.25.0", log: scanner.logger() };
  const errors = await sendInEveryFailureMode((mode) => pagerdutyChannel.create(pagerdutyChannel.parseConfig(raw(mode), {}, where), 0, deps), scanner);
  assert.equal(errors.get("client-error")!.retryable, false);
  scanner.check();
});
