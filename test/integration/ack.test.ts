// Acknowledgement, comments, one-click ack links and escalation through the whole app on a fake clock:
// alerts POSTed over HTTP, notifications received by a real HTTP sink, state in a real SQLite file,
// restarts with the same database. Every ops API response is checked against the served OpenAPI document.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../../src/types/labels.ts";
import { startFakeClockApp, S, MIN, type FakeClockApp as Harness, type Received, type WebhookAlert } from "./fake-clock-app.ts";

const KEY = "k".repeat(40);
// The ack tests' alerts stay firing for a day unless they say otherwise.
const DAY = 24 * 3600 * S;

const ROUTING = (sink: string) => `
route:
  receiver: team
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 10m
receivers:
  - name: team
    webhook_configs:
      - url: ${sink}/team
        send_resolved: true
  - name: manager
    webhook_configs:
      - url: ${sink}/manager
`;

const fp = (labels: Record<string, string>) => fingerprint(labels);
const to = (h: Harness, path: string, group?: string) => h.sink.received.filter((r) => r.path === path && (group === undefined || (r.body.groupLabels as Record<string, string>).alertname === group));
const alertsOf = (r: Received) => r.body.alerts as WebhookAlert[];

describe("acknowledgement", () => {
  test("repeats stop; others still repeat; a new alert is notified at once; the resolve is notified; re-firing is unacknowledged", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, alertTtlMs: DAY });
    try {
      const x1 = { alertname: "X", instance: "1" };
      const y1 = { alertname: "Y", instance: "1" };
      const y2 = { alertname: "Y", instance: "2" };
      await h.post([{ labels: x1 }, { labels: y1 }, { labels: y2 }]);
      await h.run(15 * S);
      assert.equal(to(h, "/team", "X").length, 1);
      assert.equal(to(h, "/team", "Y").length, 1);

      const ack = await h.ops("POST", `/alerts/${fp(x1)}/ack`, "/alerts/:fingerprint/ack", { comment: "looking" });
      assert.equal(ack.status, 200, ack.text);
      assert.equal((ack.json as { by: string }).by, "local");
      assert.equal((await h.ops("POST", `/alerts/${fp(y1)}/ack`, "/alerts/:fingerprint/ack", { comment: "y1 known" })).status, 200);

      // Past repeat_interval (10m): X (all acknowledged) is not repeated, Y (y2 not acknowledged) is,
      // still listing y1 as firing.
      await h.run(11 * MIN, 5 * S);
      assert.equal(to(h, "/team", "X").length, 1, "a group whose firing alerts are all acknowledged is not repeated");
      const ys = to(h, "/team", "Y");
      assert.equal(ys.length, 2, "a group with unacknowledged alerts still repeats");
      assert.deepEqual(alertsOf(ys[1]!).map((a) => a.labels.instance).sort(), ["1", "2"]);

      // A new alert in the acknowledged group: notified at the next group_interval tick.
      const x2 = { alertname: "X", instance: "2" };
      await h.post([{ labels: x2 }]);
      await h.run(61 * S);
      const xs = to(h, "/team", "X");
      assert.equal(xs.length, 2, "a new alert in the group is notified");
      assert.deepEqual(alertsOf(xs[1]!).map((a) => `${a.labels.instance}:${a.status}`).sort(), ["1:firing", "2:firing"]);

      // Acknowledge x2 too, then resolve x1: the resolve is notified.
      await h.ops("POST", `/alerts/${fp(x2)}/ack`, "/alerts/:fingerprint/ack", { comment: "x2" });
      await h.post([{ labels: x1, startsAt: h.clock.now() - 20 * MIN, endsAt: h.clock.now() }]);
      await h.run(61 * S);
      const afterResolve = to(h, "/team", "X");
      assert.equal(afterResolve.length, 3, "the acknowledged alert's resolve is notified");
      assert.deepEqual(alertsOf(afterResolve[2]!).map((a) => `${a.labels.instance}:${a.status}`).sort(), ["1:resolved", "2:firing"]);

      // x1 fires again: a new episode, notified and not acknowledged.
      await h.post([{ labels: x1 }]);
      await h.run(61 * S);
      assert.equal(to(h, "/team", "X").length, 4, "firing again is notified");
      const unack = await h.ops("DELETE", `/alerts/${fp(x1)}/ack`, "/alerts/:fingerprint/ack");
      assert.equal(unack.status, 404, "the new episode is not acknowledged");

      // The decisions and the history say who acknowledged.
      const db = h.db();
      try {
        const d = db.prepare("SELECT detail FROM notify_decisions WHERE stage = 'ack' AND outcome = 'acked' AND fingerprint = ?").all(fp(y1)) as Array<{ detail: string }>;
        assert.ok(d.length >= 1);
        assert.equal((JSON.parse(d[0]!.detail) as { by: string }).by, "local");
        const ev = db.prepare("SELECT kind FROM alert_events e JOIN series s ON s.id = e.series_id WHERE s.fingerprint = ? ORDER BY e.id").all(fp(x1)) as Array<{ kind: string }>;
        assert.ok(ev.some((e) => e.kind === "acked"), JSON.stringify(ev));
        const acks = db.prepare("SELECT ended_by FROM acks WHERE fingerprint = ?").all(fp(x1)) as Array<{ ended_by: string | null }>;
        assert.deepEqual(acks.map((a) => a.ended_by), ["resolved"]);
      } finally {
        db.close();
      }
    } finally {
      await h.close();
    }
  });

  test("an ack survives a restart; at expires the repeats resume; unack resumes them too", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, alertTtlMs: DAY });
    try {
      const z = { alertname: "Z", instance: "1" };
      await h.post([{ labels: z }]);
      await h.run(15 * S);
      assert.equal(to(h, "/team", "Z").length, 1);
      const r = await h.ops("POST", `/alerts/${fp(z)}/ack`, "/alerts/:fingerprint/ack", { comment: "until 30m", expires: "30m" });
      assert.equal(r.status, 200, r.text);
      assert.ok((r.json as { expiresAt?: string }).expiresAt);
      await h.restart();
      await h.run(25 * MIN, 10 * S);
      assert.equal(to(h, "/team", "Z").length, 1, "acknowledged across the restart: no repeat");
      await h.run(7 * MIN, 10 * S);
      assert.equal(to(h, "/team", "Z").length, 2, "the ack expired: the repeat resumes");

      // A second ack, removed with DELETE: repeats resume at the next due repeat.
      const again = await h.ops("POST", `/alerts/${fp(z)}/ack`, "/alerts/:fingerprint/ack", { comment: "again" });
      assert.equal(again.status, 200);
      await h.run(12 * MIN, 10 * S);
      assert.equal(to(h, "/team", "Z").length, 2);
      const del = await h.ops("DELETE", `/alerts/${fp(z)}/ack`, "/alerts/:fingerprint/ack");
      assert.equal(del.status, 200, del.text);
      assert.equal((del.json as { endedBy: string }).endedBy, "local");
      await h.run(61 * S);
      assert.equal(to(h, "/team", "Z").length, 3);
    } finally {
      await h.close();
    }
  });

  test("acks by matchers, comments, errors and audit rows", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, alertTtlMs: DAY });
    try {
      const a = { alertname: "Disk", instance: "db1", severity: "warning" };
      const b = { alertname: "Disk", instance: "db2", severity: "warning" };
      const c = { alertname: "Disk", instance: "web1", severity: "warning" };
      const gone = { alertname: "Disk", instance: "old" };
      await h.post([{ labels: a }, { labels: b }, { labels: c }, { labels: gone, startsAt: h.clock.now() - MIN, endsAt: h.clock.now() - S }]);
      await h.ops("POST", `/alerts/${fp(b)}/ack`, "/alerts/:fingerprint/ack", { comment: "first" });

      const m = await h.ops("POST", "/acks", "/acks", { matchers: ['alertname="Disk"', 'instance=~"db.*"'], comment: "db maintenance" });
      assert.equal(m.status, 200, m.text);
      const res = m.json as { acked: Array<{ fingerprint: string }>; alreadyAcked: Array<{ fingerprint: string; comment: string }> };
      assert.deepEqual(res.acked.map((x) => x.fingerprint), [fp(a)]);
      assert.deepEqual(res.alreadyAcked.map((x) => x.comment), ["first"]);

      const cm = await h.ops("POST", `/alerts/${fp(c)}/comments`, "/alerts/:fingerprint/comments", { text: "web1 is being replaced" });
      assert.equal(cm.status, 201, cm.text);
      assert.equal((cm.json as { by: string }).by, "local");

      const bad: Array<[string, string, string, unknown, number, RegExp]> = [
        ["POST", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", {}, 400, /comment is required/],
        ["POST", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", { comment: "  " }, 400, /must not be empty/],
        ["POST", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", { comment: "x", extra: 1 }, 400, /unknown key "extra"/],
        ["POST", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", { comment: "x", expires: "soon" }, 400, /neither an RFC 3339 time/],
        ["POST", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", { comment: "x", expires: "2020-01-01T00:00:00Z" }, 400, /in the future/],
        ["POST", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", [1], 400, /JSON object/],
        ["POST", "/alerts/0123456789abcdef/ack", "/alerts/:fingerprint/ack", { comment: "x" }, 404, /no alert/],
        ["POST", `/alerts/${fp(gone)}/ack`, "/alerts/:fingerprint/ack", { comment: "x" }, 409, /resolved/],
        ["DELETE", `/alerts/${fp(c)}/ack`, "/alerts/:fingerprint/ack", undefined, 404, /not acknowledged/],
        ["POST", "/acks", "/acks", { matchers: ['alertname=~"("'], comment: "x" }, 400, /matchers\[0\]/],
        ["POST", "/acks", "/acks", { matchers: [], comment: "x" }, 400, /non-empty array/],
        ["POST", "/acks", "/acks", { matchers: ['a="b"'] }, 400, /comment is required/],
        ["POST", `/alerts/${fp(c)}/comments`, "/alerts/:fingerprint/comments", { text: "" }, 400, /must not be empty/],
        ["POST", "/alerts/0123456789abcdef/comments", "/alerts/:fingerprint/comments", { text: "x" }, 404, /no alert/],
      ];
      for (const [method, path, table, body, status, message] of bad) {
        const r = await h.ops(method, path, table, body);
        assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
        assert.match((r.json as { message: string }).message, message);
      }

      const db = h.db();
      try {
        const audit = db.prepare("SELECT actor, action, target FROM audit ORDER BY id").all() as Array<{ actor: string; action: string; target: string }>;
        assert.deepEqual(audit.map((x) => `${x.action} ${x.target}`), [`ack ${fp(b)}`, `ack ${fp(a)}`, `comment ${fp(c)}`]);
        assert.ok(audit.every((x) => x.actor === "local"));
        const comments = db.prepare("SELECT text FROM comments").all() as Array<{ text: string }>;
        assert.deepEqual(comments.map((x) => x.text), ["web1 is being replaced"]);
      } finally {
        db.close();
      }
    } finally {
      await h.close();
    }
  });
});

const SLACK_ROUTING = (sink: string) => `
route:
  receiver: chat
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 10m
receivers:
  - name: chat
    slack_configs:
      - api_url: ${sink}/slack
        channel: '#alerts'
        send_resolved: true
`;

describe("one-click ack links", () => {
  test("the notification carries a signed link; GET confirms, POST acknowledges; tampered, expired and other methods are refused", async () => {
    const h = await startFakeClockApp({ routing: SLACK_ROUTING, prism: "ops:\n  external_url: http://prism.example/\n", env: { ALERTPRISM_ACK_LINK_KEY: KEY }, alertTtlMs: DAY });
    try {
      const a = { alertname: "Link", instance: "1" };
      const b = { alertname: "Link", instance: "2" };
      await h.post([{ labels: a }, { labels: b }]);
      await h.run(15 * S);
      const msgs = to(h, "/slack");
      assert.equal(msgs.length, 1);
      const text = JSON.stringify(msgs[0]!.body);
      const m = /<http:\/\/prism\.example\/ack\/([A-Za-z0-9_.-]+)\|Acknowledge>/.exec(text);
      assert.ok(m, `no link in ${text}`);
      const token = m[1]!;

      const page = await h.call("GET", `/ack/${token}`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(page.text, /Acknowledge 2 alerts/);
      assert.match(page.text, /<form method="post">/);
      assert.doesNotMatch(page.text, /<script/i);

      const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
      const t = await h.call("POST", `/ack/${tampered}`, "comment=x", { "content-type": "application/x-www-form-urlencoded" });
      assert.equal(t.status, 403);
      assert.match(t.text, /not valid/);
      const forged = await h.call("GET", `/ack/${Buffer.from(JSON.stringify({ g: "{}", r: "chat", f: [fp(a)], e: 9e9 })).toString("base64url")}.AAAA`);
      assert.equal(forged.status, 403);

      const put = await h.call("PUT", `/ack/${token}`);
      assert.equal(put.status, 405);
      assert.equal(put.headers.get("allow"), "GET, POST");

      const done = await h.call("POST", `/ack/${token}`, "comment=on+it+%3Cb%3E", { "content-type": "application/x-www-form-urlencoded" });
      assert.equal(done.status, 200, done.text);
      assert.match(done.text, /2 alerts acknowledged as <strong>link:chat<\/strong>/);
      const db = h.db();
      try {
        const rows = db.prepare("SELECT actor, comment FROM acks ORDER BY id").all() as Array<{ actor: string; comment: string }>;
        assert.deepEqual(rows, [{ actor: "link:chat", comment: "on it <b>" }, { actor: "link:chat", comment: "on it <b>" }]);
        assert.equal((db.prepare("SELECT COUNT(*) AS n FROM audit WHERE actor = 'link:chat' AND action = 'ack'").get() as { n: number }).n, 2);
      } finally {
        db.close();
      }
      const again = await h.call("GET", `/ack/${token}`);
      assert.match(again.text, /acknowledged by link:chat/);
      assert.match(again.text, /Nothing left to acknowledge/);

      // The next notification (a new alert in the group) shows who acknowledged, escaped for Slack.
      await h.post([{ labels: { alertname: "Link", instance: "3" } }]);
      await h.run(61 * S);
      const next = JSON.stringify(to(h, "/slack")[1]!.body);
      assert.match(next, /acknowledged by link:chat: on it b/);

      await h.run(25 * 3600 * S, 3600 * S);
      const expired = await h.call("GET", `/ack/${token}`);
      assert.equal(expired.status, 403);
      assert.match(expired.text, /expired/);
    } finally {
      await h.close();
    }
  });
});

const ESCALATION = `
escalation:
  - matchers: ['priority="P1"']
    after: 15m
    receiver: manager
`;

describe("escalation", () => {
  test("fires once after `after` without an ack; not when acknowledged or resolved; survives a restart mid-wait", async () => {
    const h = await startFakeClockApp({ routing: ROUTING, prism: ESCALATION, alertTtlMs: DAY });
    try {
      const e1 = { alertname: "E1", priority: "P1" };
      const e2 = { alertname: "E2", priority: "P1" };
      const e3 = { alertname: "E3", priority: "P1" };
      const p2 = { alertname: "E4", priority: "P2" };
      await h.post([{ labels: e1 }, { labels: e2 }, { labels: e3 }, { labels: p2 }]);
      await h.run(15 * S);
      assert.equal(to(h, "/team").length, 4);
      const notifiedAt = to(h, "/team")[0]!.at;

      await h.run(5 * MIN, 10 * S);
      await h.ops("POST", `/alerts/${fp(e2)}/ack`, "/alerts/:fingerprint/ack", { comment: "mine" });
      await h.post([{ labels: e3, startsAt: h.clock.now() - 6 * MIN, endsAt: h.clock.now() }]);
      await h.run(2 * MIN, 10 * S);
      await h.restart();
      await h.run(7 * MIN, 5 * S);
      assert.equal(to(h, "/manager").length, 0, "not before `after`");
      await h.run(2 * MIN, 5 * S);
      const esc = to(h, "/manager");
      assert.equal(esc.length, 1, "escalated once");
      assert.deepEqual(alertsOf(esc[0]!).map((a) => a.labels.alertname), ["E1"]);
      assert.deepEqual(esc[0]!.body.groupLabels, { alertname: "E1" });
      assert.ok(esc[0]!.at - notifiedAt >= 15 * MIN && esc[0]!.at - notifiedAt < 16 * MIN, `escalated ${(esc[0]!.at - notifiedAt) / 1000}s after the first notification`);

      await h.run(40 * MIN, 30 * S);
      assert.equal(to(h, "/manager").length, 1, "once per episode and rule");

      const db = h.db();
      try {
        const rows = db.prepare("SELECT fingerprint, fired_ms, cancelled_by FROM escalations ORDER BY id").all() as Array<{ fingerprint: string; fired_ms: number | null; cancelled_by: string | null }>;
        const byFp = new Map(rows.map((r) => [r.fingerprint, r]));
        assert.ok(byFp.get(fp(e1))?.fired_ms);
        assert.equal(byFp.get(fp(e2))?.cancelled_by, "ack:local");
        assert.equal(byFp.get(fp(e3))?.cancelled_by, "resolved");
        assert.equal(byFp.has(fp(p2)), false);
        const decisions = db.prepare("SELECT outcome FROM notify_decisions WHERE stage = 'escalation' AND fingerprint = ? ORDER BY id").all(fp(e1)) as Array<{ outcome: string }>;
        assert.deepEqual(decisions.map((d) => d.outcome), ["scheduled", "escalated"]);
      } finally {
        db.close();
      }
    } finally {
      await h.close();
    }
  });
});
