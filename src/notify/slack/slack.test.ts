import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../lib/errors.ts";
import { createLogger, silentLogger } from "../../lib/log.ts";
import { parseApiTime, ZERO_TIME } from "../../types/time.ts";
import { GoTemplater } from "../templater.ts";
import type { ChannelDeps, Where } from "../channel.ts";
import { encodeGoJson } from "../http.ts";
import { NotifyError, type NotificationData, type Notifier, type NotifyAlert } from "../notifier.ts";
import { slackChannel } from "./config.ts";
import { buildSlackPayload, truncateRunes } from "./slack.ts";
import { failingUpstream, sendInEveryFailureMode, type FailureMode } from "../../../test/helpers/failing-upstream.ts";
import { LeakScanner, secretsFromSettings } from "../../../test/helpers/secret-leaks.ts";

const dir = mkdtempSync(join(tmpdir(), "alertprism-slack-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const where: Where = (path) => `am.yml (receivers[0].slack_configs[0]${path.map((k) => `.${k}`).join("")})`;
const templater = new GoTemplater();
const deps: ChannelDeps = { templater, userAgent: "Alertmanager/0.25.0", log: silentLogger() };
const HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX";

function alert(status: NotifyAlert["status"], instance: string): NotifyAlert {
  return {
    status,
    labels: { alertname: "Disk", cluster: "eu", instance },
    annotations: { summary: "disk full" },
    startsAt: parseApiTime("2026-11-22T02:48:01.84855Z"),
    endsAt: status === "firing" ? ZERO_TIME : parseApiTime("2026-11-22T02:50:00Z"),
    generatorURL: "http://prom:9090/graph?g0.expr=x&g0.tab=1",
    fingerprint: `f${instance}`,
  };
}

function groupData(status: "firing" | "resolved"): NotificationData {
  return {
    receiver: "ops",
    status,
    alerts: status === "firing" ? [alert("firing", "a"), alert("firing", "b"), alert("resolved", "c")] : [alert("resolved", "a")],
    groupLabels: { alertname: "Disk" },
    commonLabels: status === "firing" ? { alertname: "Disk", cluster: "eu" } : { alertname: "Disk", cluster: "eu", instance: "a" },
    commonAnnotations: { summary: "disk full" },
    externalURL: "http://ap:9093",
  };
}

// ---------------------------------------------------------------------------------------------------------
// Config

function configError(raw: Record<string, unknown>, message: RegExp, at: string, global: Record<string, unknown> = {}): void {
  assert.throws(() => slackChannel.parseConfig(raw, global, where), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, message);
    assert.equal(err.where, at.startsWith("am.yml") ? at : `am.yml (receivers[0].slack_configs[0]${at})`);
    return true;
  });
}

test("config: Alertmanager 0.25's defaults, and the global API URL", () => {
  const c = slackChannel.parseConfig({}, { slack_api_url: HOOK }, where);
  assert.deepEqual(c, {
    apiUrl: HOOK,
    sendResolved: false,
    httpConfig: { tls: { insecureSkipVerify: false }, followRedirects: true, enableHttp2: true },
    channel: "",
    username: '{{ template "slack.default.username" . }}',
    color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
    title: '{{ template "slack.default.title" . }}',
    titleLink: '{{ template "slack.default.titlelink" . }}',
    pretext: '{{ template "slack.default.pretext" . }}',
    text: '{{ template "slack.default.text" . }}',
    fields: [],
    shortFields: false,
    footer: '{{ template "slack.default.footer" . }}',
    fallback: '{{ template "slack.default.fallback" . }}',
    callbackId: '{{ template "slack.default.callbackid" . }}',
    iconEmoji: '{{ template "slack.default.iconemoji" . }}',
    iconUrl: '{{ template "slack.default.iconurl" . }}',
    imageUrl: "",
    thumbUrl: "",
    linkNames: false,
    mrkdwnIn: [],
    actions: [],
  });
  // The entry's own URL wins over the global one; a file is an alternative.
  assert.equal(slackChannel.parseConfig({ api_url: "https://other.example/x" }, { slack_api_url: HOOK }, where).apiUrl, "https://other.example/x");
  const f = join(dir, "url");
  writeFileSync(f, HOOK);
  assert.equal(slackChannel.parseConfig({}, { slack_api_url_file: f }, where).apiUrlFile, f);
  assert.equal(slackChannel.parseConfig({ api_url_file: f }, {}, where).apiUrlFile, f);
});

test("config: invalid entries name the key", () => {
  configError({}, /no global Slack API URL set/, "");
  configError({ api_url: HOOK, api_url_file: "/x" }, /at most one of api_url & api_url_file/, ".api_url");
  configError({ api_url: "hooks.slack.com/x" }, /invalid URL/, ".api_url");
  configError({}, /unsupported scheme "ftp"/, "am.yml (receivers[0].slack_configs[0]), inherited from global.slack_api_url", { slack_api_url: "ftp://h/x" });
  configError({ api_url: HOOK, chanel: "#x" }, /chanel/, ".chanel");
  configError({ api_url: HOOK, title: "{{ .CommonLabels.team " }, /template: .*unclosed action/, ".title");
  configError({ api_url: HOOK, fields: [{ title: "ok", value: "{{ .Status | nope }}" }] }, /function "nope" not defined/, ".fields.0.value");
  configError({ api_url: HOOK, fields: [{ title: "t" }] }, /^am.yml .*: missing value in Slack field configuration$/, ".fields.0.value");
  configError({ api_url: HOOK, actions: [{ text: "t", url: "u" }] }, /missing type in Slack action configuration/, ".actions.0.type");
  configError({ api_url: HOOK, actions: [{ type: "button", text: "t", url: "u", confirm: {} }] }, /missing text in Slack confirmation configuration/, ".actions.0.confirm.text");
  configError({ api_url: HOOK, actions: [{ type: "button", text: "t" }] }, /missing name or url in Slack action configuration/, ".actions.0");
  configError({ api_url: HOOK, http_config: { tls_config: { bogus: true } } }, /bogus/, ".http_config.tls_config.bogus");
  configError({ api_url: "https://slack.com/api/chat.postMessage", channel: "#ops" }, /needs a bot token/, ".api_url");
  configError({ api_url: "https://slack.com/api/chat.postMessage", http_config: { authorization: { credentials: "xoxb-1" } } }, /needs a channel/, ".channel");
});

// ---------------------------------------------------------------------------------------------------------
// Payload

test("payload: a firing group with the default templates, in Alertmanager's field order", () => {
  const cfg = slackChannel.parseConfig({ api_url: HOOK, channel: "#ops" }, {}, where);
  const body = JSON.stringify(buildSlackPayload(cfg, groupData("firing"), templater));
  assert.equal(
    body,
    '{"channel":"#ops","username":"AlertPrism","attachments":[{' +
      '"title":"[FIRING:2] Disk (eu)","title_link":"http://ap:9093/#/alerts?receiver=ops",' +
      '"text":"","fallback":"[FIRING:2] Disk (eu) | http://ap:9093/#/alerts?receiver=ops","callback_id":"",' +
      '"footer":"","color":"danger","mrkdwn_in":["fallback","pretext","text"]}]}',
  );
});

test("payload: a resolved group", () => {
  const cfg = slackChannel.parseConfig({ api_url: HOOK, send_resolved: true }, {}, where);
  assert.equal(
    JSON.stringify(buildSlackPayload(cfg, groupData("resolved"), templater)),
    '{"username":"AlertPrism","attachments":[{' +
      '"title":"[RESOLVED] Disk (eu a)","title_link":"http://ap:9093/#/alerts?receiver=ops",' +
      '"text":"","fallback":"[RESOLVED] Disk (eu a) | http://ap:9093/#/alerts?receiver=ops","callback_id":"",' +
      '"footer":"","color":"good","mrkdwn_in":["fallback","pretext","text"]}]}',
  );
});

test("payload: every optional field, omitempty as in Go", () => {
  const cfg = slackChannel.parseConfig({
    api_url: HOOK, channel: "#ops", username: "bot", icon_emoji: ":fire:", icon_url: "", link_names: true,
    title: "T", title_link: "", pretext: "pre", text: "body", footer: "foot", fallback: "fb", callback_id: "cb", color: "#ff0000",
    image_url: "https://img/x.png", thumb_url: "", short_fields: true, mrkdwn_in: ["text"],
    fields: [{ title: "a", value: "1" }, { title: "b", value: "2", short: false }],
    actions: [
      { type: "button", text: "Runbook", url: "https://runbook", name: "dropped", value: "dropped" },
      { type: "button", text: "Ack", name: "ack", value: "1", style: "primary", confirm: { text: "Sure?", ok_text: "Yes" } },
    ],
  }, {}, where);
  assert.equal(
    JSON.stringify(buildSlackPayload(cfg, groupData("firing"), templater)),
    '{"channel":"#ops","username":"bot","icon_emoji":":fire:","link_names":true,"attachments":[{' +
      '"title":"T","pretext":"pre","text":"body","fallback":"fb","callback_id":"cb",' +
      '"fields":[{"title":"a","value":"1","short":true},{"title":"b","value":"2","short":false}],' +
      '"actions":[{"type":"button","text":"Runbook","url":"https://runbook"},' +
      '{"type":"button","text":"Ack","style":"primary","name":"ack","value":"1","confirm":{"text":"Sure?","ok_text":"Yes"}}],' +
      '"image_url":"https://img/x.png","footer":"foot","color":"#ff0000","mrkdwn_in":["text"]}]}',
  );
});

test("payload: titles are cut to 1024 characters like Alertmanager's TruncateInRunes", () => {
  const cfg = slackChannel.parseConfig({ api_url: HOOK, title: "é".repeat(2000) }, {}, where);
  const title = buildSlackPayload(cfg, groupData("firing"), templater).attachments[0]!.title!;
  assert.equal([...title].length, 1024);
  assert.ok(title.endsWith("é…"));
  assert.equal(truncateRunes("abcdef", 3), "abc");
  assert.equal(truncateRunes("abc", 3), "abc");
});

// ---------------------------------------------------------------------------------------------------------
// Sending to a local stand-in for Slack

interface Seen {
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Reply = { status: number; body: string; headers?: Record<string, string> };

async function fakeSlack(reply: (req: IncomingMessage) => Reply): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => { body += c; });
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: req.headers, body });
      const r = reply(req);
      res.writeHead(r.status, { "Content-Type": "text/html", ...r.headers }).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => { server.closeAllConnections(); server.close(); });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function notifier(raw: Record<string, unknown>, global: Record<string, unknown> = {}): Notifier {
  return slackChannel.create(slackChannel.parseConfig(raw, global, where), 2, deps);
}

const send = (n: Notifier, status: "firing" | "resolved" = "firing"): Promise<void> =>
  n.notify({ data: groupData(status), groupKey: '{}:{alertname="Disk"}', signal: new AbortController().signal });

async function sendError(n: Notifier): Promise<NotifyError> {
  try {
    await send(n);
  } catch (err) {
    assert.ok(err instanceof NotifyError, String(err));
    return err;
  }
  assert.fail("expected a NotifyError");
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  ({ status, body: JSON.stringify(body), headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });

test("incoming webhook: posts the Alertmanager body; `ok` is success", async () => {
  const slack = await fakeSlack(() => ({ status: 200, body: "ok" }));
  const path = "/services/T000/B000/XXXXXXXXXXXXXXXX";
  const n = notifier({ api_url: slack.base + path, channel: "#ops" });
  assert.equal(n.kind, "slack");
  assert.equal(n.index, 2);
  assert.equal(n.sendResolved, false);
  await send(n);
  const [seen] = slack.seen;
  assert.equal(seen!.url, path);
  assert.equal(seen!.body, encodeGoJson(buildSlackPayload(slackChannel.parseConfig({ api_url: HOOK, channel: "#ops" }, {}, where), groupData("firing"), templater)));
  assert.equal(seen!.headers["content-type"], "application/json");
  assert.equal(seen!.headers["user-agent"], "Alertmanager/0.25.0");
  assert.equal(seen!.headers.authorization, undefined);
});

test("incoming webhook: a 200 whose body is not `ok`, or JSON ok:false, is a failure", async () => {
  const replies: Reply[] = [
    { status: 200, body: "no_service" },
    { status: 200, body: "" },
    json(200, { ok: false, error: "channel_not_found" }),
    json(200, { ok: false, error: "ratelimited" }),
    json(200, { ok: true }),
    { status: 204, body: "" },
  ];
  const slack = await fakeSlack(() => replies.shift()!);
  const n = notifier({ api_url: `${slack.base}/services/T/B/TOKEN123456`, channel: "#ops" });
  const e1 = await sendError(n);
  assert.equal(e1.retryable, false);
  assert.equal(e1.reason, 'slack channel "#ops": error response from Slack: no_service');
  assert.equal((await sendError(n)).retryable, false);
  const e3 = await sendError(n);
  assert.equal(e3.retryable, false);
  assert.equal(e3.reason, 'slack channel "#ops": error response from Slack: channel_not_found');
  assert.equal((await sendError(n)).retryable, true);
  await send(n);
  await send(n);
});

test("HTTP errors: 429 with Retry-After and 5xx retry, other 4xx do not", async () => {
  const replies: Reply[] = [
    { status: 429, body: "rate limited", headers: { "Retry-After": "30" } },
    { status: 503, body: "" },
    { status: 400, body: "invalid_payload" },
    { status: 404, body: "no_team" },
  ];
  const slack = await fakeSlack(() => replies.shift()!);
  const n = notifier({ api_url: `${slack.base}/services/T/B/TOKEN123456` });
  const limited = await sendError(n);
  assert.equal(limited.retryable, true);
  assert.equal(limited.opts.retryAfterMs, 30_000);
  assert.equal(limited.opts.status, 429);
  assert.equal((await sendError(n)).retryable, true);
  const bad = await sendError(n);
  assert.equal(bad.retryable, false);
  assert.equal(bad.reason, "slack: unexpected status code 400: invalid_payload");
  assert.equal((await sendError(n)).retryable, false);
});

test("Web API: chat.postMessage with the bot token from http_config.authorization", async () => {
  const token = "xoxb-1111-2222-abcdefSECRET";
  const slack = await fakeSlack((req) =>
    req.headers.authorization === `Bearer ${token}`
      ? json(200, { ok: true, channel: "C1", ts: "1.2" })
      // Slack does not echo tokens, but a proxy in between might; the reason must not carry it either way.
      : json(200, { ok: false, error: `invalid_auth (got ${req.headers.authorization})` }));
  const url = `${slack.base}/api/chat.postMessage`;
  await send(notifier({ api_url: url, channel: "#ops", http_config: { authorization: { credentials: token } } }));
  assert.equal(slack.seen[0]!.headers.authorization, `Bearer ${token}`);
  assert.equal(JSON.parse(slack.seen[0]!.body).channel, "#ops");

  const wrong = await sendError(notifier({ api_url: url, channel: "#ops", http_config: { authorization: { credentials: `${token}-revoked` } } }));
  assert.equal(wrong.retryable, false);
  assert.match(wrong.reason, /^slack channel "#ops": error response from Slack: invalid_auth/);
  assert.ok(!wrong.reason.includes(token), wrong.reason);
});

test("neither the webhook URL token nor the bot token appears in any error", async () => {
  const urlToken = "Zq8RrW2v7Hk3Lm9N";
  const botToken = "xoxb-9999-8888-leaky";
  const slack = await fakeSlack((req) => ({ status: 500, body: `failed ${req.url} ${req.headers.authorization} http://${req.headers.host}${req.url}` }));
  const reasons: string[] = [];
  const webhook = notifier({ api_url: `${slack.base}/services/T1/B1/${urlToken}` });
  reasons.push((await sendError(webhook)).reason);
  const api = notifier({ api_url: `${slack.base}/api/chat.postMessage`, channel: "#x", http_config: { bearer_token: botToken } });
  reasons.push((await sendError(api)).reason);
  const dead = notifier({ api_url: `http://127.0.0.1:1/services/T1/B1/${urlToken}`, http_config: { bearer_token: botToken } });
  reasons.push((await sendError(dead)).reason);
  assert.equal(slack.seen.length, 2);
  for (const r of reasons) {
    for (const secret of [urlToken, botToken]) assert.ok(!r.includes(secret), `${secret} leaked into ${r}`);
  }
});

test("api_url_file is read at every send", async () => {
  const slack = await fakeSlack(() => ({ status: 200, body: "ok" }));
  const f = join(dir, "hook-url");
  writeFileSync(f, `${slack.base}/services/one\n`);
  const n = notifier({}, { slack_api_url_file: f });
  await send(n);
  writeFileSync(f, `${slack.base}/services/two`);
  await send(n);
  assert.deepEqual(slack.seen.map((s) => s.url), ["/services/one", "/services/two"]);
});

test("a truncated title is logged as a warning, without the URL", async () => {
  const slack = await fakeSlack(() => ({ status: 200, body: "ok" }));
  const lines: string[] = [];
  const log = createLogger({ level: "warn", format: "json", destination: { write: (line: string) => { lines.push(line); } } });
  const cfg = slackChannel.parseConfig({ api_url: `${slack.base}/services/T/B/SECRETPATH1`, title: "x".repeat(1100) }, {}, where);
  await slackChannel.create(cfg, 0, { ...deps, log }).notify({ data: groupData("firing"), groupKey: "{}:{}", signal: new AbortController().signal });
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /truncated Slack title/);
  assert.ok(!lines[0]!.includes("SECRETPATH1"));
});

test("leak check: 5xx, 4xx, 429, a hang and a refused connection leave no configured secret in errors or logs", async () => {
  const upstream = await failingUpstream();
  after(() => upstream.close());
  const raw = (mode: FailureMode) => ({
    api_url: `${upstream.base(mode)}/services/T0AAA1111/B0BBB2222/slackTok3n99xx`,
    channel: "#ops",
    http_config: { authorization: { credentials: "slackBearer4455zz" } },
  });
  const scanner = new LeakScanner(secretsFromSettings(raw("server-error"), ["slack_configs", 0]));
  const d = { ...deps, log: scanner.logger() };
  const errors = await sendInEveryFailureMode((mode) => slackChannel.create(slackChannel.parseConfig(raw(mode), {}, where), 0, d), scanner);
  assert.equal(errors.get("server-error")!.retryable, true);
  scanner.check();
});
