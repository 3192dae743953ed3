import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseCidr } from "../auth/cidr.ts";
import { ConfigError } from "../lib/errors.ts";
import { silentLogger } from "../lib/log.ts";
import { fromMillis, ZERO_TIME } from "../types/time.ts";
import { parseFirewall } from "../config/firewall.ts";
import type { ChannelDeps } from "./channel.ts";
import { createDingTalkChannel } from "./dingtalk/config.ts";
import { Firewall, FirewallRefusal } from "./firewall.ts";
import { NotifyError, type NotificationData, type Notifier } from "./notifier.ts";
import { pagerdutyChannel } from "./pagerduty/config.ts";
import { slackChannel } from "./slack/config.ts";
import { GoTemplater } from "./templater.ts";
import { webhookChannel } from "./webhook/config.ts";

const firewall = (block: string[], allow: string[] = []) => new Firewall({ blockCidrs: block.map(parseCidr), allowCidrs: allow.map(parseCidr) });

test("refusal: IPv4, IPv6 and IPv4-mapped IPv6 addresses against the blocked ranges, allow_cidrs as exceptions", () => {
  const fw = firewall(["10.0.0.0/8", "127.0.0.0/8", "fd00::/8", "::1/128", "169.254.0.0/16"], ["10.1.2.0/24"]);
  assert.equal(fw.refusal("10.0.0.5"), "destination 10.0.0.5 is in blocked range 10.0.0.0/8 (notify.firewall.block_cidrs)");
  assert.match(fw.refusal("127.0.0.1") ?? "", /blocked range 127\.0\.0\.0\/8/);
  assert.match(fw.refusal("::ffff:127.0.0.1") ?? "", /blocked range 127\.0\.0\.0\/8/, "a mapped address is its IPv4 address");
  assert.match(fw.refusal("::ffff:a9fe:a9fe") ?? "", /169\.254\.0\.0\/16/, "the metadata address in hex-mapped form");
  assert.match(fw.refusal("fd12:3456::1") ?? "", /fd00::\/8/);
  assert.match(fw.refusal("::1") ?? "", /::1\/128/);
  assert.equal(fw.refusal("10.1.2.3"), undefined, "allow_cidrs makes an exception");
  assert.match(fw.refusal("10.1.3.3") ?? "", /10\.0\.0\.0\/8/, "only inside the exception");
  for (const open of ["8.8.8.8", "11.0.0.1", "2001:db8::1", "fe80::1", "::ffff:8.8.8.8", "not-an-ip"]) assert.equal(fw.refusal(open), undefined, open);
});

test("config: off by default, CIDRs validated with the path of the bad entry", () => {
  assert.equal(parseFirewall(""), undefined);
  assert.equal(parseFirewall("notify:\n  firewall:\n    block_cidrs: []\n"), undefined);
  const fw = parseFirewall("notify:\n  firewall:\n    block_cidrs: [10.0.0.0/8, '::ffff:192.168.0.0/112']\n    allow_cidrs: [10.9.0.0/16]\n");
  assert.ok(fw);
  assert.match(fw.refusal("192.168.7.7") ?? "", /::ffff:192\.168\.0\.0\/112/);
  assert.equal(fw.refusal("10.9.1.1"), undefined);
  const bad: Array<[string, RegExp]> = [
    ["notify:\n  firewall:\n    block_cidrs: [10.0.0.0/8, 10.0.0.0/33]\n", /alertprism\.yml:3:\d+ .*notify\.firewall\.block_cidrs\[1\].*prefix length/],
    ["notify:\n  firewall:\n    block_cidrs: [intranet]\n", /notify\.firewall\.block_cidrs\[0\].*"intranet" is not an IP address/],
    ["notify:\n  firewall:\n    block_cidrs: [10.0.0.0/8]\n    allow_cidrs: [10.0.0.0/x]\n", /notify\.firewall\.allow_cidrs\[0\]/],
    ["notify:\n  firewall:\n    allow_cidrs: [10.0.0.0/8]\n", /notify\.firewall\.allow_cidrs.*block_cidrs, which is empty/],
    ["notify:\n  firewall:\n    block: [10.0.0.0/8]\n", /notify\.firewall\.block/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseFirewall(text), (err: Error) => err instanceof ConfigError && re.test(err.message), text);
  }
});

test("lookup: a name whose every address is blocked fails with the refusal; allowed addresses pass", async () => {
  const lookupAll = (fw: Firewall, name: string) => new Promise<{ err: Error | null; addresses: unknown }>((resolve) => {
    fw.lookup(name, { all: true }, (err, addresses) => resolve({ err, addresses }));
  });
  const blocked = await lookupAll(firewall(["127.0.0.0/8", "::1/128"]), "localhost");
  assert.ok(blocked.err instanceof FirewallRefusal, String(blocked.err));
  assert.match(blocked.err.message, /destination (127\.0\.0\.1|::1) is in blocked range/);
  const open = await lookupAll(firewall(["10.0.0.0/8"]), "localhost");
  assert.equal(open.err, null);
  assert.ok(Array.isArray(open.addresses) && open.addresses.length > 0);
});

// ---------------------------------------------------------------------------------------------------------
// Every HTTP integration, against a local server that counts the requests it gets.

interface Sink { readonly port: number; readonly requests: string[] }

async function sink(reply: (url: string) => { status: number; headers?: Record<string, string>; body: string }): Promise<Sink> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      requests.push(req.url ?? "");
      const r = reply(req.url ?? "");
      res.writeHead(r.status, { "content-type": "application/json", ...r.headers }).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, requests };
}

const ok = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok","status":"success"}' });

const DATA: NotificationData = {
  receiver: "ops",
  status: "firing",
  alerts: [{
    status: "firing", labels: { alertname: "Down", instance: "a" }, annotations: {}, startsAt: fromMillis(Date.UTC(2026, 10, 22)),
    endsAt: ZERO_TIME, generatorURL: "", fingerprint: "0123456789abcdef",
  }],
  groupLabels: { alertname: "Down" },
  commonLabels: { alertname: "Down", instance: "a" },
  commonAnnotations: {},
  externalURL: "http://alertprism:9093",
};

function deps(fw?: Firewall): ChannelDeps {
  return { templater: new GoTemplater(), userAgent: "AlertPrism/test", log: silentLogger(), ...(fw ? { firewall: fw } : {}) };
}

const where = (p: ReadonlyArray<string | number>) => p.join(".");
const dingtalk = createDingTalkChannel();
after(() => dingtalk.stop());

/** One notifier per HTTP integration for a base URL such as http://127.0.0.1:1234. */
const INTEGRATIONS: Record<string, (base: string, d: ChannelDeps) => Notifier> = {
  webhook: (base, d) => webhookChannel.create(webhookChannel.parseConfig({ url: `${base}/hook/tok3n-path` }, {}, where), 0, d),
  slack: (base, d) => slackChannel.create(slackChannel.parseConfig({ api_url: `${base}/services/T000/B000/slacktoken1`, channel: "#ops" }, {}, where), 0, d),
  pagerduty: (base, d) => pagerdutyChannel.create(pagerdutyChannel.parseConfig({ routing_key: "0123456789abcdef0123456789abcdef", url: `${base}/v2/enqueue` }, {}, where), 0, d),
  dingtalk: (base, d) => dingtalk.create(dingtalk.parseConfig({ receiver: "ops", webhook_url: `${base}/robot/send?access_token=dingtoken123` }, {}, where), 0, d),
};

async function notifyError(n: Notifier): Promise<NotifyError | undefined> {
  try {
    await n.notify({ data: DATA, groupKey: '{}:{alertname="Down"}', signal: AbortSignal.timeout(20_000) });
    return undefined;
  } catch (err) {
    assert.ok(err instanceof NotifyError, String(err));
    return err;
  }
}

for (const [name, make] of Object.entries(INTEGRATIONS)) {
  test(`${name}: with 127.0.0.0/8 blocked the send is refused, not retryable, and the server gets no request`, async () => {
    const s = await sink(ok);
    const e = await notifyError(make(`http://127.0.0.1:${s.port}`, deps(firewall(["127.0.0.0/8"]))));
    assert.ok(e, "the send was refused");
    assert.equal(e.retryable, false);
    assert.equal(e.reason, "destination 127.0.0.1 is in blocked range 127.0.0.0/8 (notify.firewall.block_cidrs)");
    assert.deepEqual(s.requests, []);
  });

  test(`${name}: a host name resolving into the blocked ranges is refused too`, async () => {
    const s = await sink(ok);
    const e = await notifyError(make(`http://localhost:${s.port}`, deps(firewall(["127.0.0.0/8", "::1/128"]))));
    assert.ok(e, "the send was refused");
    assert.equal(e.retryable, false);
    assert.match(e.reason, /^destination (127\.0\.0\.1|::1) is in blocked range/);
    assert.deepEqual(s.requests, []);
  });

  test(`${name}: with the firewall off, or the address allowed, the send goes through`, async () => {
    const s = await sink(ok);
    assert.equal(await notifyError(make(`http://127.0.0.1:${s.port}`, deps())), undefined);
    assert.equal(await notifyError(make(`http://127.0.0.1:${s.port}`, deps(firewall(["10.0.0.0/8", "fd00::/8"])))), undefined);
    assert.equal(await notifyError(make(`http://127.0.0.1:${s.port}`, deps(firewall(["127.0.0.0/8"], ["127.0.0.1/32"])))), undefined);
    assert.equal(s.requests.length, 3);
  });
}

test("webhook: an IPv4-mapped IPv6 literal (normalised by URL to ::ffff:7f00:1) is its IPv4 address", async () => {
  const s = await sink(ok);
  const e = await notifyError(INTEGRATIONS.webhook!(`http://[::ffff:127.0.0.1]:${s.port}`, deps(firewall(["127.0.0.0/8"]))));
  assert.equal(e?.retryable, false);
  assert.match(e?.reason ?? "", /^destination ::ffff:7f00:1 is in blocked range 127\.0\.0\.0\/8/);
  assert.deepEqual(s.requests, []);
});

for (const name of ["webhook", "pagerduty"]) {
  test(`${name}: a redirect to a blocked destination is refused at the redirect's hop`, async () => {
    // Nothing listens on 127.0.0.2: without the firewall this would be a (retryable) refused connection.
    const s = await sink((url) => url.startsWith("/moved") ? ok() : { status: 307, headers: { location: "http://127.0.0.2:9/moved" }, body: "" });
    const e = await notifyError(INTEGRATIONS[name]!(`http://127.0.0.1:${s.port}`, deps(firewall(["127.0.0.2/32"]))));
    assert.equal(e?.retryable, false);
    assert.equal(e?.reason, "destination 127.0.0.2 is in blocked range 127.0.0.2/32 (notify.firewall.block_cidrs)");
    assert.equal(s.requests.length, 1, "only the first hop reached a server");
  });
}
