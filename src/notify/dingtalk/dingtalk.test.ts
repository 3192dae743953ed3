import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeClock } from "../../lib/clock.ts";
import { createLogger } from "../../lib/log.ts";
import { fromMillis, ZERO_TIME } from "../../types/time.ts";
import { GoTemplater } from "../templater.ts";
import type { ChannelDeps } from "../channel.ts";
import { NotifyError, type NotificationData, type NotifyAlert, type Notifier } from "../notifier.ts";
import { createDingTalkChannel, type DingTalkChannel } from "./config.ts";
import { DingTalkError, classifyResponse, parseRetryAfter, secretScrubber } from "./dingtalk.ts";
import { failingUpstream, sendInEveryFailureMode, type FailureMode } from "../../../test/helpers/failing-upstream.ts";
import { LeakScanner, secretsFromSettings } from "../../../test/helpers/secret-leaks.ts";

const TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SECRET = "SEC8b5a0c6e2f4d1a3b9c7e5f2d4a6b8c0e1f3a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4";
const S = 1_000;

interface Received {
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly bytes: number;
}

interface Reply {
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Never answer (to test aborts). */
  readonly hang?: boolean;
}

const OK: Reply = { body: '{"errcode":0,"errmsg":"ok"}' };

/** A stand-in for DingTalk's robot endpoint on 127.0.0.1 that records every request. */
async function robotServer(reply: (r: Received, n: number) => Reply = () => OK) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const buf = Buffer.concat(chunks);
      const r: Received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: buf.toString("utf8"), bytes: buf.length };
      received.push(r);
      const out = reply(r, received.length - 1);
      if (out.hang) return;
      res.writeHead(out.status ?? 200, { "Content-Type": "application/json", ...out.headers });
      res.end(out.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    webhookUrl: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Channel deps whose logger writes JSON lines into `lines`, at debug level so everything is visible. */
function deps(lines: string[] = []): ChannelDeps {
  return {
    templater: new GoTemplater(),
    userAgent: "AlertPrism/0.1.0",
    log: createLogger({ level: "debug", format: "json", destination: { write: (l: string) => void lines.push(l) } }),
  };
}

function alert(alertname: string, instance: string, summary: string, status: "firing" | "resolved" = "firing"): NotifyAlert {
  return {
    status,
    labels: { alertname, instance, severity: "critical" },
    annotations: { summary },
    startsAt: fromMillis(Date.UTC(2026, 10, 22, 2, 0, 0)),
    endsAt: status === "firing" ? ZERO_TIME : fromMillis(Date.UTC(2026, 10, 22, 2, 30, 0)),
    generatorURL: "http://prometheus:9090/graph?g0.expr=up",
    fingerprint: "d0f4c3b2a1e5f6a7",
  };
}

/** Notification data as the pipeline builds it: group by alertname, common labels of all alerts. */
function data(alertname: string, alerts: readonly NotifyAlert[]): NotificationData {
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(alerts[0]!.labels)) if (alerts.every((a) => a.labels[k] === v)) common[k] = v;
  return {
    receiver: "ops",
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts,
    groupLabels: { alertname },
    commonLabels: common,
    commonAnnotations: alerts.length === 1 ? alerts[0]!.annotations : {},
    externalURL: "http://alertprism:9093",
  };
}

const live = () => new AbortController().signal;

function notifier(ch: DingTalkChannel, raw: Record<string, unknown>, d: ChannelDeps = deps(), index = 0): Notifier {
  return ch.create(ch.parseConfig({ receiver: "ops", ...raw }, {}, (p) => p.join(".")), index, d);
}

function send(n: Notifier, d: NotificationData, signal = live()) {
  return n.notify({ data: d, groupKey: `{}:{alertname="${d.groupLabels.alertname}"}`, signal });
}

type Body = { msgtype: string; markdown: { title: string; text: string }; at: { atMobiles: string[]; atUserIds: string[]; isAtAll: boolean } };
const parse = (r: Received) => JSON.parse(r.body) as Body;

test("a firing notification is one markdown message, mentions in the at block and at the end of the text", async () => {
  const srv = await robotServer();
  try {
    const ch = createDingTalkChannel({ clock: new FakeClock() });
    const n = notifier(ch, { webhook_url: srv.webhookUrl, at_mobiles: ["13800000000"], at_user_ids: ["user123"] });
    assert.deepEqual([n.kind, n.index, n.sendResolved], ["dingtalk", 0, true]);
    await send(n, data("DiskFull", [alert("DiskFull", "db-0", "磁盘 db-0 空间不足")]));
    assert.equal(srv.received.length, 1);
    const r = srv.received[0]!;
    assert.equal(r.method, "POST");
    assert.equal(r.url, `/robot/send?access_token=${TOKEN}`, "no timestamp or sign without a secret");
    assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(r.headers["user-agent"], "AlertPrism/0.1.0");
    assert.equal(r.body, JSON.stringify({
      msgtype: "markdown",
      markdown: {
        title: "[FIRING:1] DiskFull (db-0 critical)",
        text: "### [FIRING:1] DiskFull (db-0 critical)\n\n" +
          "**DiskFull** 🔥\n\n" +
          "> summary: 磁盘 db-0 空间不足\n\n" +
          "> labels: alertname=DiskFull, instance=db-0, severity=critical\n\n" +
          "> [source](http://prometheus:9090/graph?g0.expr=up)\n\n" +
          "[AlertPrism](http://alertprism:9093/#/alerts?receiver=ops)\n\n" +
          "@13800000000 @user123",
      },
      at: { atMobiles: ["13800000000"], atUserIds: ["user123"], isAtAll: false },
    }));
    assert.equal(r.bytes, Number(r.headers["content-length"]));
  } finally {
    await srv.close();
  }
});

test("a resolved notification; is_at_all is only the flag; plain-text title and text pass through", async () => {
  const srv = await robotServer();
  try {
    const ch = createDingTalkChannel({ clock: new FakeClock() });
    const n = notifier(ch, { access_token: TOKEN, url: `${srv.base}/robot/send`, is_at_all: true, send_resolved: false }, deps(), 2);
    assert.deepEqual([n.index, n.sendResolved], [2, false]);
    await send(n, data("DiskFull", [alert("DiskFull", "db-0", "ok", "resolved")]));
    const b = parse(srv.received[0]!);
    assert.equal(b.markdown.title, "[RESOLVED] DiskFull (db-0 critical ok)".replace(" ok", ""));
    assert.match(b.markdown.text, /\*\*DiskFull\*\* ✅/);
    assert.ok(!b.markdown.text.includes("@"), "nothing appended for isAtAll");
    assert.deepEqual(b.at, { atMobiles: [], atUserIds: [], isAtAll: true });

    const plain = notifier(ch, { access_token: TOKEN, url: `${srv.base}/robot/send`, title: "告警", text: "数据库告警 (keyword)" });
    await send(plain, data("DiskFull", [alert("DiskFull", "db-0", "x")]));
    assert.deepEqual(parse(srv.received[1]!).markdown, { title: "告警", text: "数据库告警 (keyword)" });
  } finally {
    await srv.close();
  }
});

test("with a secret, every request carries the clock's timestamp and base64 HMAC-SHA256 sign, URL-encoded", async () => {
  const srv = await robotServer();
  try {
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0, 123));
    const ch = createDingTalkChannel({ clock });
    const n = notifier(ch, { webhook_url: srv.webhookUrl, secret: SECRET });
    await send(n, data("A", [alert("A", "x", "s")]));
    clock.advance(1_500);
    await send(n, data("B", [alert("B", "x", "s")]));
    const times = [Date.UTC(2026, 10, 22, 3, 0, 0, 123), Date.UTC(2026, 10, 22, 3, 0, 1, 623)];
    for (const [i, r] of srv.received.entries()) {
      // Recomputed here from DingTalk's documented recipe, not with the channel's own helper.
      const expected = createHmac("sha256", SECRET).update(`${times[i]}\n${SECRET}`).digest("base64");
      const m = /^\/robot\/send\?access_token=([0-9a-f]+)&timestamp=(\d+)&sign=([^&]+)$/.exec(r.url);
      assert.ok(m, r.url);
      assert.equal(m[1], TOKEN);
      assert.equal(m[2], String(times[i]));
      assert.equal(m[3], encodeURIComponent(expected), "raw query value: + / = percent-encoded");
      assert.equal(new URL(r.url, srv.base).searchParams.get("sign"), expected);
    }
  } finally {
    await srv.close();
  }
});

test("pure classification table: errcode and HTTP status → delivered, retryable or not", () => {
  const scrub = (s: string) => s;
  const now = Date.UTC(2026, 0, 1);
  const cases: Array<[number, string, string | undefined, { retryable: boolean; retryAfterMs?: number; errcode?: number } | undefined]> = [
    [200, '{"errcode":0,"errmsg":"ok"}', undefined, undefined],
    [200, '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}', undefined, { retryable: true, retryAfterMs: 60_000, errcode: 130101 }],
    [200, '{"errcode":310000,"errmsg":"keywords not in content"}', undefined, { retryable: false, errcode: 310000 }],
    [200, '{"errcode":300001,"errmsg":"token is not exist"}', undefined, { retryable: false, errcode: 300001 }],
    [200, '{"errcode":-1,"errmsg":"系统繁忙"}', undefined, { retryable: true, errcode: -1 }],
    [200, "<html>hello</html>", undefined, { retryable: false }],
    [200, '{"errmsg":"ok"}', undefined, { retryable: false }],
    [429, "slow down", "7", { retryable: true, retryAfterMs: 7_000 }],
    [429, "slow down", new Date(now + 30_000).toUTCString(), { retryable: true, retryAfterMs: 30_000 }],
    [500, "", undefined, { retryable: true }],
    [503, "", "2", { retryable: true, retryAfterMs: 2_000 }],
    [302, "", undefined, { retryable: false }],
    [400, "bad", undefined, { retryable: false }],
    [404, "", undefined, { retryable: false }],
  ];
  for (const [status, body, retryAfter, want] of cases) {
    const e = classifyResponse(status, body, retryAfter, now, scrub);
    const label = `${status} ${body}`;
    if (want === undefined) {
      assert.equal(e, undefined, label);
      continue;
    }
    assert.ok(e instanceof DingTalkError, label);
    assert.equal(e.retryable, want.retryable, label);
    assert.equal(e.opts.retryAfterMs, want.retryAfterMs, label);
    assert.equal(e.errcode, want.errcode, label);
    assert.equal(e.opts.status, status, label);
  }
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.match(classifyResponse(200, '{"errcode":310000,"errmsg":"sign not match"}', undefined, now, scrub)!.reason, /keyword, signature or IP allow-list/);
});

test("errcodes and statuses from the server; no reason and no log line holds the token, the secret or the sign", async () => {
  // The stand-in echoes the request URL (token, sign and all) in every answer, so a leak would show.
  const cases: Array<[Reply, { retryable: boolean; retryAfterMs?: number; errcode?: number } | undefined]> = [
    [OK, undefined],
    [{ body: '{"errcode":310000,"errmsg":"keywords not in content; url=ECHO"}' }, { retryable: false, errcode: 310000 }],
    [{ body: '{"errcode":300001,"errmsg":"token ECHO is not exist"}' }, { retryable: false, errcode: 300001 }],
    [{ body: '{"errcode":130101,"errmsg":"send too fast ECHO"}' }, { retryable: true, retryAfterMs: 60_000, errcode: 130101 }],
    [{ status: 429, headers: { "Retry-After": "7" }, body: "ECHO" }, { retryable: true, retryAfterMs: 7_000 }],
    [{ status: 502, body: "<html>ECHO</html>" }, { retryable: true }],
    [{ status: 400, body: '{"error":"ECHO"}' }, { retryable: false }],
    [{ status: 403, body: "ECHO" }, { retryable: false }],
    [{ status: 302, headers: { Location: "http://127.0.0.1:1/elsewhere" }, body: "ECHO" }, { retryable: false }],
    [{ body: "ECHO" }, { retryable: false }],
  ];
  let replyNow: Reply = OK;
  const srv = await robotServer((r) => ({ ...replyNow, body: replyNow.body?.replace("ECHO", `${srv.base}${r.url} ${decodeURIComponent(r.url)}`) }));
  const lines: string[] = [];
  const reasons: string[] = [];
  try {
    for (const [reply, want] of cases) {
      replyNow = reply;
      const ch = createDingTalkChannel({ clock: new FakeClock() });
      const n = notifier(ch, { webhook_url: srv.webhookUrl, secret: SECRET, at_mobiles: ["13800000000"] }, deps(lines));
      const before = srv.received.length;
      const label = JSON.stringify(reply);
      if (want === undefined) {
        await send(n, data("A", [alert("A", "x", "s")]));
        continue;
      }
      const err = await send(n, data("A", [alert("A", "x", "s")])).then(() => undefined, (e: unknown) => e);
      assert.equal(srv.received.length, before + 1, `${label}: one request, redirects not followed`);
      assert.ok(err instanceof NotifyError, label);
      assert.equal(err.retryable, want.retryable, label);
      assert.equal(err.opts.retryAfterMs, want.retryAfterMs, label);
      if (want.errcode !== undefined) assert.ok(err instanceof DingTalkError && err.errcode === want.errcode, label);
      assert.ok(err.reason.includes("<secret>") || !reply.body?.includes("ECHO"), `${label}: the echo was scrubbed: ${err.reason}`);
      reasons.push(err.reason, err.message, String(err.stack), JSON.stringify(err));
    }
    // The transport failing: nothing listens, and a server that never answers before the deadline.
    const closed = await robotServer();
    await closed.close();
    const ch = createDingTalkChannel({ clock: new FakeClock() });
    const down = notifier(ch, { webhook_url: closed.webhookUrl, secret: SECRET }, deps(lines));
    const netErr = await send(down, data("A", [alert("A", "x", "s")])).then(() => undefined, (e: unknown) => e);
    assert.ok(netErr instanceof NotifyError && netErr.retryable, String(netErr));
    assert.match(netErr.reason, /ECONNREFUSED/);
    reasons.push(netErr.reason, String(netErr.stack));

    replyNow = { hang: true };
    const ctrl = new AbortController();
    const slow = notifier(createDingTalkChannel({ clock: new FakeClock() }), { webhook_url: srv.webhookUrl, secret: SECRET }, deps(lines));
    const pending = send(slow, data("A", [alert("A", "x", "s")]), ctrl.signal).then(() => undefined, (e: unknown) => e);
    while (srv.received.length < cases.length + 1) await new Promise((r) => setTimeout(r, 5));
    ctrl.abort();
    const abortErr = await pending;
    assert.ok(abortErr instanceof NotifyError && abortErr.retryable, String(abortErr));
    reasons.push(abortErr.reason);
  } finally {
    await srv.close();
  }
  const signs = srv.received.map((r) => new URL(r.url, srv.base).searchParams.get("sign")!).filter(Boolean);
  assert.ok(signs.length >= cases.length);
  assert.ok(lines.length > 0, "the channel logged something to check");
  for (const text of [...reasons, ...lines]) {
    for (const secret of [TOKEN, SECRET, ...signs, ...signs.map(encodeURIComponent)]) {
      assert.ok(!text.includes(secret), `leaked into: ${text}`);
    }
  }
});

test("secretScrubber replaces the URL, token, secret and sign values, raw or encoded", () => {
  const url = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`;
  const scrub = secretScrubber(url, SECRET, ["abc+/=="]);
  assert.equal(scrub(`${url}&timestamp=1&sign=abc%2B%2F%3D%3D`), "<secret>&timestamp=1&sign=<secret>");
  assert.equal(scrub(`token ${TOKEN} secret ${SECRET} sign abc+/==`), "token <secret> secret <secret> sign <secret>");
  assert.equal(scrub("access_token=zzz&x=1"), "access_token=<secret>&x=1");
});

/** 25 notifications with distinct titles, one every 2 s, on a FakeClock. */
async function burst(ch: DingTalkChannel, srvUrl: string, clock: FakeClock, extra: Record<string, unknown> = {}) {
  const n = notifier(ch, { webhook_url: srvUrl, ...extra });
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < 25; i++) {
    sends.push(send(n, data(`Alert${i}`, [alert(`Alert${i}`, `host-${i}`, `问题 ${i}`), alert(`Alert${i}`, `host-${i}b`, `问题 ${i}b`)])));
    clock.advance(2 * S);
  }
  return sends;
}

test("budget: 25 notifications in a minute → 20 sent one by one, then ONE digest of the other 5 when the window frees", async () => {
  const srv = await robotServer();
  try {
    const clock = new FakeClock();
    const t0 = clock.now();
    const ch = createDingTalkChannel({ clock });
    const settled: boolean[] = Array.from({ length: 25 }, () => false);
    const sends = (await burst(ch, srv.webhookUrl, clock, { secret: SECRET })).map((p, i) => p.then(() => { settled[i] = true; }));
    await Promise.all(sends.slice(0, 20));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(srv.received.length, 20);
    assert.deepEqual(settled.slice(20), [false, false, false, false, false], "queued notifications wait for their digest");
    assert.deepEqual(srv.received.map((r) => parse(r).markdown.title), Array.from({ length: 20 }, (_, i) => `[FIRING:2] Alert${i} (critical)`));

    clock.advance(t0 + 60 * S - 1 - clock.now());
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(srv.received.length, 20, "not one ms early");
    clock.advance(1);
    await Promise.all(sends);
    assert.equal(srv.received.length, 21);
    const digest = srv.received[20]!;
    assert.match(digest.url, new RegExp(`&timestamp=${t0 + 60 * S}&sign=`), "the digest is signed too");
    const b = parse(digest);
    assert.equal(b.markdown.title, "[DIGEST] 5 notifications");
    for (let i = 20; i < 25; i++) {
      assert.ok(b.markdown.text.includes(`**${i - 19}. [FIRING:2] Alert${i} (critical)**`), `digest lists notification ${i}`);
      assert.ok(b.markdown.text.includes(`- 🔥 **Alert${i}** instance=host-${i} severity=critical — 问题 ${i}`), `and its alerts ${i}`);
      assert.ok(b.markdown.text.includes(`- 🔥 **Alert${i}** instance=host-${i}b severity=critical — 问题 ${i}b`));
    }
    for (let i = 0; i < 20; i++) assert.ok(!b.markdown.text.includes(`Alert${i} `), `notification ${i} was sent already`);
    assert.equal(settled.filter(Boolean).length, 25, "none lost");
  } finally {
    await srv.close();
  }
});

test("budget: a queued notification whose deadline passes throws a retryable NotifyError and is left out of the digest", async () => {
  const srv = await robotServer();
  try {
    const clock = new FakeClock();
    const ch = createDingTalkChannel({ clock });
    const n = notifier(ch, { webhook_url: srv.webhookUrl, messages_per_minute: 1 });
    await send(n, data("First", [alert("First", "a", "s")]));
    const ctrl = new AbortController();
    const late = send(n, data("Late", [alert("Late", "a", "s")]), ctrl.signal).then(() => undefined, (e: unknown) => e);
    const kept = send(n, data("Kept", [alert("Kept", "a", "s")]));
    clock.advance(20 * S);
    ctrl.abort();
    const err = await late;
    assert.ok(err instanceof NotifyError && err.retryable, String(err));
    assert.equal(err.opts.retryAfterMs, 40 * S, "says when the window frees");
    clock.advance(40 * S);
    await kept;
    assert.equal(srv.received.length, 2);
    const text = parse(srv.received[1]!).markdown.text;
    assert.ok(text.includes("Kept") && !text.includes("Late"));
    assert.equal(parse(srv.received[1]!).markdown.title, "[DIGEST] 1 notification");
  } finally {
    await srv.close();
  }
});

test("130101 from DingTalk: retryable after a minute, and the robot holds further sends for a whole window", async () => {
  let tooFast = true;
  const srv = await robotServer(() => (tooFast ? { body: '{"errcode":130101,"errmsg":"send too fast"}' } : OK));
  try {
    const clock = new FakeClock();
    const ch = createDingTalkChannel({ clock });
    const n = notifier(ch, { webhook_url: srv.webhookUrl });
    const err = await send(n, data("A", [alert("A", "a", "s")])).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof NotifyError && err.retryable && err.opts.retryAfterMs === 60 * S, String(err));
    tooFast = false;
    const next = send(n, data("B", [alert("B", "a", "s")]));
    clock.advance(30 * S);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(srv.received.length, 1, "nothing sent during the window DingTalk asked for");
    clock.advance(30 * S);
    await next;
    assert.equal(parse(srv.received[1]!).markdown.title, "[DIGEST] 1 notification");
  } finally {
    await srv.close();
  }
});

test("130101 on a digest keeps its notifications queued and sends them a window later", async () => {
  let answers = 0;
  const srv = await robotServer(() => (++answers === 2 ? { body: '{"errcode":130101,"errmsg":"send too fast"}' } : OK));
  try {
    const clock = new FakeClock();
    const ch = createDingTalkChannel({ clock });
    const n = notifier(ch, { webhook_url: srv.webhookUrl, messages_per_minute: 1 });
    await send(n, data("First", [alert("First", "a", "s")]));
    const queued = [send(n, data("Q1", [alert("Q1", "a", "s")])), send(n, data("Q2", [alert("Q2", "a", "s")]))];
    clock.advance(60 * S);
    while (srv.received.length < 2) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(60 * S);
    await Promise.all(queued);
    assert.equal(srv.received.length, 3);
    assert.equal(parse(srv.received[2]!).markdown.title, "[DIGEST] 2 notifications");
  } finally {
    await srv.close();
  }
});

test("configs naming the same robot share its budget; the digest mentions everyone its notifications would have", async () => {
  const srv = await robotServer();
  try {
    const clock = new FakeClock();
    const ch = createDingTalkChannel({ clock });
    const a = notifier(ch, { webhook_url: srv.webhookUrl, messages_per_minute: 2, at_mobiles: ["13800000001"] });
    const b = notifier(ch, { webhook_url: srv.webhookUrl, messages_per_minute: 2, at_user_ids: ["user9"], is_at_all: true }, deps(), 1);
    await send(a, data("A1", [alert("A1", "a", "s")]));
    await send(b, data("B1", [alert("B1", "a", "s")]));
    const q = [send(a, data("A2", [alert("A2", "a", "s")])), send(b, data("B2", [alert("B2", "a", "s")]))];
    clock.advance(60 * S);
    await Promise.all(q);
    assert.equal(srv.received.length, 3);
    const d = parse(srv.received[2]!);
    assert.equal(d.markdown.title, "[DIGEST] 2 notifications");
    assert.deepEqual(d.at, { atMobiles: ["13800000001"], atUserIds: ["user9"], isAtAll: true });
    assert.ok(d.markdown.text.endsWith("\n\n@13800000001 @user9"));
  } finally {
    await srv.close();
  }
});

test("an oversized CJK notification goes out as numbered parts, each within max_message_bytes, each with the mentions", async () => {
  const srv = await robotServer();
  try {
    const ch = createDingTalkChannel({ clock: new FakeClock() });
    const n = notifier(ch, { webhook_url: srv.webhookUrl, max_message_bytes: 2_000, at_mobiles: ["13800000000"], at_user_ids: ["user123"] });
    const alerts = Array.from({ length: 30 }, (_, i) => alert("磁盘空间不足", `数据库-${i}`, `主节点 ${i} 的磁盘使用率超过百分之九十，请尽快扩容或清理日志文件。`));
    await send(n, data("磁盘空间不足", alerts));
    const k = srv.received.length;
    assert.ok(k >= 3, `${k} parts`);
    const texts: string[] = [];
    for (const [i, r] of srv.received.entries()) {
      assert.ok(r.bytes <= 2_000, `part ${i + 1}: ${r.bytes} bytes`);
      const b = parse(r);
      assert.equal(b.markdown.title, `(${i + 1}/${k}) [FIRING:30] 磁盘空间不足 (critical)`);
      assert.ok(b.markdown.text.startsWith(`**(${i + 1}/${k})**\n\n`));
      assert.ok(b.markdown.text.endsWith("\n\n@13800000000 @user123"));
      assert.deepEqual(b.at, { atMobiles: ["13800000000"], atUserIds: ["user123"], isAtAll: false });
      texts.push(b.markdown.text);
    }
    const all = texts.join("\n");
    for (let i = 0; i < 30; i++) assert.equal(all.split(`instance=数据库-${i},`).length, 2, `alert ${i} appears exactly once`);
  } finally {
    await srv.close();
  }
});

test("stop() rejects queued notifications as retryable", async () => {
  const srv = await robotServer();
  try {
    const ch = createDingTalkChannel({ clock: new FakeClock() });
    const n = notifier(ch, { webhook_url: srv.webhookUrl, messages_per_minute: 1 });
    await send(n, data("A", [alert("A", "a", "s")]));
    const queued = send(n, data("B", [alert("B", "a", "s")])).then(() => undefined, (e: unknown) => e);
    ch.stop();
    ch.stop();
    const err = await queued;
    assert.ok(err instanceof NotifyError && err.retryable, String(err));
  } finally {
    await srv.close();
  }
});

test("leak check: 5xx, 4xx, 429, a hang and a refused connection leave no token, secret or signature in errors or logs", async () => {
  const upstream = await failingUpstream();
  const ch = createDingTalkChannel();
  try {
    const raw = (mode: FailureMode) => ({ receiver: "ops", webhook_url: `${upstream.base(mode)}/robot/send?access_token=dingAccessTok3n4242`, secret: "SECdingSignSecret004242" });
    const scanner = new LeakScanner(secretsFromSettings(raw("server-error"), ["dingtalk_configs", 0]));
    const d: ChannelDeps = { templater: new GoTemplater(), userAgent: "AlertPrism/test", log: scanner.logger() };
    await sendInEveryFailureMode((mode) => ch.create(ch.parseConfig(raw(mode), {}, (p) => p.join(".")), 0, d), scanner);
    scanner.check();
  } finally {
    ch.stop();
    await upstream.close();
  }
});
