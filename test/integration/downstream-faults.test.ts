// Channel × downstream fault: every HTTP channel and email against real misbehaving servers on 127.0.0.1
// (test/helpers/fault-servers.ts), driven through notify/retry.ts exactly as the pipeline drives them: an
// abort signal at the flush deadline, the retry loop on a FakeClock. Checked per case: the classification
// (retried or not), that the deadline ends it (in clock time, no wall-clock thresholds), that the reason is
// free of secrets, and — for faults that recover — that the sink got the notification exactly once.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { FakeClock } from "../../src/lib/clock.ts";
import type { ChannelDeps } from "../../src/notify/channel.ts";
import type { NotificationData, Notifier } from "../../src/notify/notifier.ts";
import { sendWithRetry, type AttemptReport } from "../../src/notify/retry.ts";
import { GoTemplater } from "../../src/notify/templater.ts";
import { webhookChannel } from "../../src/notify/webhook/config.ts";
import { slackChannel } from "../../src/notify/slack/config.ts";
import { pagerdutyChannel } from "../../src/notify/pagerduty/config.ts";
import { createDingTalkChannel, type DingTalkChannel } from "../../src/notify/dingtalk/config.ts";
import { emailChannel } from "../../src/notify/email/config.ts";
import { ZERO_TIME } from "../../src/types/time.ts";
import {
  refusedPort, selfSignedCert, startFaultServer, startFaultSmtp, UNRESOLVABLE_HOST,
  type FaultServer, type HttpFault, type SmtpFault, type TestCert,
} from "../helpers/fault-servers.ts";

const TOKEN = "tok-SECRET-7f3a9c21";
const ROUTING_KEY = "pdkey-SECRET-0123456789abcdef";
const DING_SECRET = "SECdingtalk-SECRET-abcdef";
const SECRETS = [TOKEN, ROUTING_KEY, DING_SECRET];
/** The flush deadline of these runs: Alertmanager's minimum flush timeout. */
const DEADLINE_MS = 10_000;
const STEP_MS = 100;

const logLines: string[] = [];
const deps: ChannelDeps = { templater: new GoTemplater(), userAgent: "Alertmanager/0.25.0", log: pino({ level: "debug" }, { write: (s: string) => void logLines.push(s) }) };

function data(): NotificationData {
  const labels = { alertname: "DiskFull", severity: "critical" };
  return {
    receiver: "ops", status: "firing",
    alerts: [{ status: "firing", labels, annotations: { summary: "disk full" }, startsAt: { ms: Date.UTC(2026, 0, 1), subMsNanos: 0, offsetMinutes: 0 }, endsAt: ZERO_TIME, generatorURL: "http://prometheus:9090/graph", fingerprint: "0011223344556677" }],
    groupLabels: { alertname: "DiskFull" }, commonLabels: labels, commonAnnotations: { summary: "disk full" }, externalURL: "http://alertprism:9093",
  };
}

type HttpChannel = "webhook" | "slack" | "pagerduty" | "dingtalk";
const HTTP_CHANNELS: readonly HttpChannel[] = ["webhook", "slack", "pagerduty", "dingtalk"];
const where = (p: ReadonlyArray<string | number>) => p.join(".");

/** A notifier of `kind` posting to `base` (scheme://host:port), with a secret in its URL or config. */
function httpNotifier(kind: HttpChannel, base: string, ding: DingTalkChannel): Notifier {
  const url = `${base}/hook/fault-sink?token=${TOKEN}`;
  const insecure = { tls_config: { insecure_skip_verify: false } };
  switch (kind) {
    case "webhook":
      return webhookChannel.create(webhookChannel.parseConfig({ url, http_config: insecure }, {}, where), 0, deps);
    case "slack":
      return slackChannel.create(slackChannel.parseConfig({ api_url: url, channel: "#ops", http_config: insecure }, {}, where), 0, deps);
    case "pagerduty":
      return pagerdutyChannel.create(pagerdutyChannel.parseConfig({ routing_key: ROUTING_KEY, url: `${base}/v2/enqueue`, http_config: insecure }, {}, where), 0, deps);
    case "dingtalk":
      return ding.create(ding.parseConfig({ receiver: "ops", webhook_url: `${base}/robot/send?access_token=${TOKEN}`, secret: DING_SECRET }, {}, where), 0, deps);
  }
}

interface Outcome {
  readonly ok: boolean;
  readonly attempts: readonly AttemptReport[];
  /** Clock time from the first attempt to the end, in ms. */
  readonly elapsedMs: number;
}

/**
 * What NotifyPipeline.deliver does, on a FakeClock: abort at the deadline, retry until it. Fake time moves
 * only while no attempt is running, unless `hangs` (the endpoint never finishes; then time must move for
 * the deadline to end it) — so real I/O of varying speed never races the fake clock.
 */
async function drive(n: Notifier, clock: FakeClock, opts: { hangs?: () => Promise<void> } = {}): Promise<Outcome> {
  const started = clock.now();
  const controller = new AbortController();
  clock.setTimeout(() => controller.abort(), DEADLINE_MS);
  const attempts: AttemptReport[] = [];
  let busy = false;
  let done = false;
  const p = sendWithRetry(async () => {
    busy = true;
    try {
      await n.notify({ data: data(), groupKey: '{}:{alertname="DiskFull"}', signal: controller.signal });
    } finally {
      busy = false;
    }
  }, { clock, deadlineMs: started + DEADLINE_MS, random: () => 0.5 }, (r) => attempts.push(r)).finally(() => (done = true));
  if (opts.hangs) await opts.hangs();
  while (!done) {
    if (busy && !opts.hangs) {
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    clock.advance(STEP_MS);
    await new Promise((r) => setTimeout(r, 1));
  }
  const r = await p;
  return { ok: r.ok, attempts, elapsedMs: clock.now() - started };
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

function reasons(o: Outcome): string[] {
  return o.attempts.map((a) => a.error?.reason ?? "");
}

function assertNoSecrets(o: Outcome): void {
  for (const text of [...reasons(o), ...logLines]) for (const s of SECRETS) assert.ok(!text.includes(s), `secret leaked: ${text}`);
}

/** Failed every attempt, was retried until the deadline (more than one attempt), and stopped by it. */
function assertRetriedUntilDeadline(o: Outcome): void {
  assert.equal(o.ok, false);
  assert.ok(o.attempts.length > 1, `expected retries, got ${o.attempts.length}: ${reasons(o).join(" | ")}`);
  assert.ok(o.attempts.every((a) => a.error?.retryable === true), reasons(o).join(" | "));
  assert.ok(o.elapsedMs <= DEADLINE_MS + STEP_MS, `ran ${o.elapsedMs} ms of clock time past a ${DEADLINE_MS} ms deadline`);
}

function assertGaveUpAtOnce(o: Outcome): void {
  assert.equal(o.ok, false);
  assert.equal(o.attempts.length, 1, reasons(o).join(" | "));
  assert.equal(o.attempts[0]!.error?.retryable, false, reasons(o).join(" | "));
}

describe("downstream faults × HTTP channels", () => {
  let cert: TestCert;
  let srv: FaultServer;
  let tlsSrv: FaultServer;
  let refused: number;
  before(async () => {
    cert = selfSignedCert();
    srv = await startFaultServer();
    tlsSrv = await startFaultServer({ tls: cert });
    refused = await refusedPort();
  });
  after(async () => {
    await srv.close();
    await tlsSrv.close();
  });
  const origin = (s: FaultServer) => new URL(s.url).origin;

  for (const kind of HTTP_CHANNELS) {
    describe(kind, () => {
      let clock: FakeClock;
      let ding: DingTalkChannel;
      const fresh = (base: string) => {
        clock = new FakeClock();
        ding = createDingTalkChannel({ clock });
        srv.requests.length = 0;
        tlsSrv.requests.length = 0;
        logLines.length = 0;
        return httpNotifier(kind, base, ding);
      };
      after(() => ding?.stop());

      test("connection refused: retried until the deadline", async () => {
        const o = await drive(fresh(`http://127.0.0.1:${refused}`), clock);
        assertRetriedUntilDeadline(o);
        assert.match(reasons(o)[0]!, /ECONNREFUSED/);
        assertNoSecrets(o);
      });

      test("DNS failure: retried until the deadline", async () => {
        const o = await drive(fresh(`http://${UNRESOLVABLE_HOST}`), clock);
        assertRetriedUntilDeadline(o);
        assert.match(reasons(o)[0]!, /ENOTFOUND|EAI_AGAIN/);
        assertNoSecrets(o);
      });

      test("TLS: a self-signed certificate is refused, not retried", async () => {
        const o = await drive(fresh(origin(tlsSrv)), clock);
        assertGaveUpAtOnce(o);
        assert.match(reasons(o)[0]!, /certificate/i);
        assert.equal(tlsSrv.requests.length, 0, "nothing may be sent over an unverified connection");
        assertNoSecrets(o);
      });

      test("TLS: https:// to a plain-HTTP server fails the handshake, not retried", async () => {
        const o = await drive(fresh(origin(srv).replace("http:", "https:")), clock);
        assertGaveUpAtOnce(o);
        assert.match(reasons(o)[0]!, /TLS|SSL|EPROTO|wrong version/i);
        assertNoSecrets(o);
      });

      test("blackhole: one attempt, ended by the flush deadline", async () => {
        srv.setFault({ kind: "blackhole" });
        const o = await drive(fresh(origin(srv)), clock, { hangs: () => until(() => srv.requests.length > 0) });
        assert.equal(o.ok, false);
        assert.equal(o.attempts.length, 1);
        assert.equal(o.attempts[0]!.error?.retryable, true);
        assert.match(reasons(o)[0]!, /deadline|abort/i);
        assert.ok(o.elapsedMs <= DEADLINE_MS + STEP_MS, `ran ${o.elapsedMs} ms`);
        assertNoSecrets(o);
      });

      test("trickle (1 byte/s): ended by the flush deadline, not when the last byte arrives", async () => {
        srv.setFault({ kind: "trickle", intervalMs: 1000 });
        const o = await drive(fresh(origin(srv)), clock, { hangs: () => until(() => srv.requests.length > 0) });
        assert.equal(o.ok, false);
        assert.equal(o.attempts.length, 1);
        assert.match(reasons(o)[0]!, /deadline|abort/i);
        assert.ok(o.elapsedMs <= DEADLINE_MS + STEP_MS, `ran ${o.elapsedMs} ms`);
        assertNoSecrets(o);
      });

      const recovering: Array<[string, (n: number) => HttpFault, (o: Outcome, at: number[]) => void]> = [
        ["429 with Retry-After seconds: waits that long, then delivers", (n) => (n === 1 ? { kind: "status", status: 429, headers: { "Retry-After": "4" } } : { kind: "ok" }),
          (_o, at) => assert.ok(at[1]! - at[0]! >= 4000, `retried after ${at[1]! - at[0]!} ms`)],
        ["429 with Retry-After as an HTTP date: waits until then, then delivers", (n) => {
          const now = Date.now();
          return n === 1 ? { kind: "status", status: 429, headers: { Date: new Date(now).toUTCString(), "Retry-After": new Date(now + 5000).toUTCString() } } : { kind: "ok" };
        }, (_o, at) => assert.ok(at[1]! - at[0]! >= 4000, `retried after ${at[1]! - at[0]!} ms`)],
        ["429 without Retry-After: backs off, then delivers", (n) => (n <= 2 ? { kind: "status", status: 429 } : { kind: "ok" }), () => undefined],
        ["5xx then recovery: retried, delivered once", (n) => (n <= 3 ? { kind: "status", status: 503, body: `upstream down, echo=${kind === "pagerduty" ? ROUTING_KEY : TOKEN}` } : { kind: "ok" }), () => undefined],
      ];
      for (const [name, fault, check] of recovering) {
        test(name, async () => {
          const n = fresh(origin(srv));
          const at: number[] = [];
          srv.setFault((i) => {
            at.push(clock.now());
            return fault(i);
          });
          const o = await drive(n, clock);
          assert.equal(o.ok, true, reasons(o).join(" | "));
          assert.ok(o.attempts.slice(0, -1).every((a) => a.error?.retryable === true));
          assert.equal(srv.delivered().length, 1, "delivered exactly once");
          check(o, at);
          assertNoSecrets(o);
        });
      }

      test("redirect loop: not retried, the number of hops bounded", async () => {
        srv.setFault({ kind: "redirect-loop" });
        const o = await drive(fresh(origin(srv)), clock);
        assertGaveUpAtOnce(o);
        assert.ok(srv.requests.length <= 11, `${srv.requests.length} requests for one attempt`);
        assertNoSecrets(o);
      });
    });
  }
});

describe("downstream faults × email", () => {
  const notifier = (host: string, port: number) => emailChannel.create(emailChannel.parseConfig(
    { to: "ops@example.com", from: "alertprism@example.com", smarthost: `${host}:${port}`, require_tls: false, auth_username: "alerts", auth_password: TOKEN },
    {}, where), 0, deps);
  const faults: Array<[string, SmtpFault, (o: Outcome, accepted: number) => void]> = [
    ["4xx then ok: retried, delivered once", { kind: "reject", code: 451, times: 2 }, (o, accepted) => {
      assert.equal(o.ok, true, reasons(o).join(" | "));
      assert.equal(accepted, 1);
      assert.equal(o.attempts.length, 3);
    }],
    ["5xx: not retried", { kind: "reject", code: 554, times: 99 }, (o, accepted) => {
      assertGaveUpAtOnce(o);
      assert.equal(accepted, 0);
    }],
    ["slow answers: delivered once", { kind: "slow", delayMs: 150 }, (o, accepted) => {
      assert.equal(o.ok, true, reasons(o).join(" | "));
      assert.equal(accepted, 1);
    }],
  ];
  for (const [name, fault, check] of faults) {
    test(name, async () => {
      const smtp = await startFaultSmtp(fault);
      try {
        logLines.length = 0;
        const clock = new FakeClock();
        const o = await drive(notifier("127.0.0.1", smtp.port), clock);
        check(o, smtp.accepted.length);
        assertNoSecrets(o);
      } finally {
        await smtp.close();
      }
    });
  }

  test("no greeting (hang): one attempt, ended by the flush deadline", async () => {
    const smtp = await startFaultSmtp({ kind: "hang" });
    try {
      const clock = new FakeClock();
      const o = await drive(notifier("127.0.0.1", smtp.port), clock, { hangs: () => new Promise((r) => setTimeout(r, 100)) });
      assert.equal(o.ok, false);
      assert.equal(o.attempts.length, 1);
      assert.equal(o.attempts[0]!.error?.retryable, true);
      assert.ok(o.elapsedMs <= DEADLINE_MS + STEP_MS);
      assertNoSecrets(o);
    } finally {
      await smtp.close();
    }
  });

  test("connection refused: retried until the deadline", async () => {
    const clock = new FakeClock();
    const o = await drive(notifier("127.0.0.1", await refusedPort()), clock);
    assertRetriedUntilDeadline(o);
    assertNoSecrets(o);
  });

  test("DNS failure: retried until the deadline", async () => {
    const clock = new FakeClock();
    const o = await drive(notifier(UNRESOLVABLE_HOST, 25), clock);
    assertRetriedUntilDeadline(o);
    assertNoSecrets(o);
  });
});
