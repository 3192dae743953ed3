import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signAckLink, verifyAckLink, ackLinkFor } from "./ack-link.ts";
import { parseOpsSettings } from "../config/alertprism.ts";
import { loadRuntimeConfig } from "../runtime-config.ts";
import { silentLogger } from "../lib/log.ts";
import { ConfigError } from "../lib/errors.ts";
import { NotificationLog } from "../nflog/nflog.ts";
import type { NflogRow, NotifyRepo } from "../store/notify-repo.ts";
import { GoTemplater } from "../notify/templater.ts";
import type { NotificationData } from "../notify/notifier.ts";
import { fromMillis, ZERO_TIME } from "../types/time.ts";
import { ackStage } from "../noise/ack-stage.ts";
import type { FlushContext, StageDecision } from "../notify/stage.ts";
import type { Alert } from "../types/alert.ts";

const KEY = "0123456789abcdef0123456789abcdef";
const NOW = Date.UTC(2026, 0, 1);

test("ack links: a signed token verifies; a changed payload or signature, another key and expiry are refused", () => {
  const token = signAckLink(KEY, { groupKey: '{}:{alertname="X"}', receiver: "team", fingerprints: ["a", "b"], expiresMs: NOW + 3600_000 });
  const ok = verifyAckLink(KEY, token, NOW);
  assert.ok(ok.ok);
  assert.deepEqual(ok.claims.fingerprints, ["a", "b"]);
  assert.equal(ok.claims.receiver, "team");
  const [payload, sig] = token.split(".") as [string, string];
  const other = Buffer.from(JSON.stringify({ g: '{}:{alertname="X"}', r: "team", f: ["a", "b", "c"], e: (NOW + 3600_000) / 1000 })).toString("base64url");
  assert.deepEqual(verifyAckLink(KEY, `${other}.${sig}`, NOW), { ok: false, reason: "invalid" });
  assert.deepEqual(verifyAckLink(KEY, `${payload}.${sig.slice(0, -1)}`, NOW), { ok: false, reason: "invalid" });
  assert.deepEqual(verifyAckLink("another key of enough length......", token, NOW), { ok: false, reason: "invalid" });
  assert.equal(verifyAckLink(KEY, "garbage", NOW).ok, false);
  assert.equal(verifyAckLink(KEY, "a.b.c", NOW).ok, false);
  const late = verifyAckLink(KEY, token, NOW + 3600_000);
  assert.equal(late.ok, false);
  assert.equal(!late.ok && late.reason, "expired");
});

test("ack links: no link without firing alerts or with too many", () => {
  const s = { baseUrl: "https://prism.example/am", key: KEY, ttlMs: 86_400_000 };
  assert.equal(ackLinkFor(s, { groupKey: "g", receiver: "r" }, [], NOW), undefined);
  assert.equal(ackLinkFor(s, { groupKey: "g", receiver: "r" }, Array.from({ length: 101 }, (_, i) => String(i)), NOW), undefined);
  assert.match(ackLinkFor(s, { groupKey: "g", receiver: "r" }, ["x"], NOW) ?? "", /^https:\/\/prism\.example\/am\/ack\/[\w-]+\.[\w-]+$/);
});

function memoryLog(rows: NflogRow[]): NotificationLog {
  const repo = { loadLog: () => rows, saveLog: () => undefined, pruneLog: () => undefined } as unknown as NotifyRepo;
  const log = new NotificationLog(repo);
  log.load();
  return log;
}

test("needsUpdate: quiet (acknowledged) alerts are never new or repeated on their own, but keep the group firing", () => {
  const key = { groupKey: "g", receiver: "r", integration: "webhook/0" };
  const log = memoryLog([{ ...key, firing: ["a", "b"], resolved: [], sentAtMs: 0 }]);
  const late = 3600_000;
  const s = (...x: string[]) => new Set(x);
  // Without quiet alerts: Alertmanager's rule.
  assert.equal(log.needsUpdate(key, s("a", "b"), s(), true, 600_000, late), true);
  // All firing alerts quiet: no repeat.
  assert.equal(log.needsUpdate(key, s("a", "b"), s(), true, 600_000, late, s("a", "b")), false);
  // One not quiet: the repeat is due.
  assert.equal(log.needsUpdate(key, s("a", "b"), s(), true, 600_000, late, s("a")), true);
  // A new quiet alert is not news; a new loud one is.
  assert.equal(log.needsUpdate(key, s("a", "b", "c"), s(), true, 600_000, 1, s("a", "b", "c")), false);
  assert.equal(log.needsUpdate(key, s("a", "b", "c"), s(), true, 600_000, 1, s("a", "b")), true);
  // A resolve next to quiet alerts is notified (send_resolved), and all-resolved always.
  assert.equal(log.needsUpdate(key, s("b"), s("a"), true, 600_000, 1, s("b")), true);
  assert.equal(log.needsUpdate(key, s(), s("a", "b"), false, 600_000, 1, s()), true);
  // No entry yet: only a loud alert makes the first notification.
  const empty = memoryLog([]);
  assert.equal(empty.needsUpdate(key, s("a"), s(), true, 600_000, 1, s("a")), false);
  assert.equal(empty.needsUpdate(key, s("a", "b"), s(), true, 600_000, 1, s("a")), true);
});

test("the ack stage passes every alert, marks acknowledged firing ones quiet and records who acknowledged", () => {
  const alert = (fp: string, resolved = false): Alert => ({
    fingerprint: fp, labels: { alertname: fp }, annotations: {}, startsAt: fromMillis(NOW - 60_000),
    endsAt: fromMillis(resolved ? NOW - 1 : NOW + 3600_000), updatedAt: fromMillis(NOW), generatorURL: "", timeout: false,
  });
  const acked = new Set(["a", "r"]);
  const stage = ackStage({ activeFor: (a) => (acked.has(a.fingerprint) ? { actor: "alice", createdMs: NOW - 1000, expiresMs: undefined } : undefined) });
  const quiet: string[] = [];
  const decisions: StageDecision[] = [];
  const ctx = { nowMs: NOW, receiver: "r", decide: (d: StageDecision) => decisions.push(d), quiet: (fp: string) => quiet.push(fp), coverAsNotified: () => undefined, retain: () => undefined } as unknown as FlushContext;
  const alerts = [alert("a"), alert("b"), alert("r", true)];
  assert.equal(stage.run(ctx, alerts), alerts);
  assert.deepEqual(quiet, ["a"]);
  assert.deepEqual(decisions, [{ stage: "ack", outcome: "acked", fingerprints: ["a"], detail: { by: "alice", acked_at_ms: NOW - 1000 } }]);
});

const data = (ack?: { by: string; atMs: number; comment: string }, ackURL?: string): NotificationData => ({
  receiver: "team", status: "firing",
  alerts: [
    { status: "firing", labels: { alertname: "Disk", instance: "db1" }, annotations: { summary: "full" }, startsAt: fromMillis(NOW), endsAt: ZERO_TIME, generatorURL: "http://prom/g", fingerprint: "0000000000000001", ...(ack ? { ack } : {}) },
  ],
  groupLabels: { alertname: "Disk" }, commonLabels: { alertname: "Disk", instance: "db1" }, commonAnnotations: { summary: "full" }, externalURL: "http://prism",
  ...(ackURL ? { ackURL } : {}),
});

test("template: .Ack and .AckURL are methods; fmt prints the same data with or without them", () => {
  const t = new GoTemplater({ onError: (m) => assert.fail(m) });
  const plain = data();
  const extra = data({ by: "alice", atMs: NOW + 60_000, comment: "on it" }, "https://prism/ack/t");
  for (const text of ["{{ . }}", '{{ printf "%#v" . }}', "{{ range .Alerts }}{{ . }}{{ end }}", '{{ printf "%+v" (index .Alerts 0) }}']) {
    assert.equal(t.render(text, extra), t.render(text, plain), text);
  }
  assert.equal(t.render("{{ range .Alerts }}{{ with .Ack }}{{ .By }}|{{ .At }}|{{ .Comment }}{{ else }}none{{ end }}{{ end }}", extra), "alice|2026-01-01 00:01:00 +0000 UTC|on it");
  assert.equal(t.render("{{ range .Alerts }}{{ with .Ack }}{{ .By }}{{ else }}none{{ end }}{{ end }}", plain), "none");
  assert.equal(t.render("{{ .AckURL }}", extra), "https://prism/ack/t");
  assert.equal(t.render("[{{ .AckURL }}]", plain), "[]");
});

test("default templates show the acknowledgement and the link, and print nothing new without them", () => {
  const t = new GoTemplater({ onError: (m) => assert.fail(m) });
  const plain = data();
  const extra = data({ by: "alice", atMs: NOW, comment: "on it" }, "https://prism/ack/t");
  const slack = t.render('{{ template "slack.default.text" . }}', extra);
  assert.equal(slack, "*Disk* acknowledged by alice: on it\n<https://prism/ack/t|Acknowledge>");
  assert.equal(t.render('{{ template "slack.default.text" . }}', plain), "");
  const email = t.render('{{ template "email.default.text" . }}', extra);
  assert.match(email, /Acknowledged by alice at 2026-01-01 00:00:00 \+0000 UTC: on it/);
  assert.match(email, /Acknowledge: https:\/\/prism\/ack\/t/);
  assert.match(t.render('{{ template "email.default.html" . }}', extra), /<a href="https:\/\/prism\/ack\/t">Acknowledge<\/a>[\s\S]*<em>Acknowledged by alice/);
  const ding = t.render('{{ template "dingtalk.default.text" . }}', extra);
  assert.match(ding, /> acknowledged by alice: on it/);
  assert.match(ding, /\[Acknowledge\]\(https:\/\/prism\/ack\/t\)/);
  for (const name of ["email.default.text", "email.default.html", "dingtalk.default.text", "slack.default.title"]) {
    const withNothing = t.render(`{{ template "${name}" . }}`, plain);
    assert.doesNotMatch(withNothing, /cknowledge/, name);
  }
});

test("config: ops and escalation are validated with file and line", () => {
  const env = { ALERTPRISM_ACK_LINK_KEY: KEY };
  const ok = parseOpsSettings("ops:\n  external_url: https://prism.example/\n  ack_links: { ttl: 2h }\nescalation:\n  - matchers: ['priority=\"P1\"']\n    after: 15m\n    receiver: mgr\n", "alertprism.yml", env);
  assert.deepEqual(ok.ackLinks, { baseUrl: "https://prism.example", key: KEY, ttlMs: 7_200_000 });
  assert.equal(ok.escalation[0]!.afterMs, 900_000);
  assert.equal(parseOpsSettings("ops:\n  external_url: https://prism.example/\n", "alertprism.yml", {}).ackLinks, undefined, "no key: links off");
  const bad: Array<[string, RegExp, NodeJS.ProcessEnv?]> = [
    ["escalation:\n  - matchers: ['priority=~\"(\"']\n    after: 15m\n    receiver: mgr\n", /alertprism\.yml:2:\d+ \(escalation\[0\]\.matchers\[0\]\)/],
    ["escalation:\n  - after: 0s\n    receiver: mgr\n", /escalation\[0\]\.after.*must be longer than 0/],
    ["escalation:\n  - after: soon\n    receiver: mgr\n", /not a valid duration/],
    ["escalation:\n  - after: 1m\n", /escalation\[0\]\.receiver/],
    ["escalation:\n  - after: 1m\n    receiver: mgr\n    extra: 1\n", /extra/],
    ["escalation:\n  - { after: 1m, receiver: mgr }\n  - { after: 2m, receiver: mgr }\n", /same matchers and receiver as escalation\[0\]/],
    ["ops:\n  external_url: prism.example\n", /http:\/\/ or https:\/\//],
    ["ops:\n  external_url: https://x\n", /at least 32 characters/, { ALERTPRISM_ACK_LINK_KEY: "short" }],
  ];
  for (const [text, message, e] of bad) assert.throws(() => parseOpsSettings(text, "alertprism.yml", e ?? env), (err: unknown) => err instanceof ConfigError && message.test(err.message), text);
});

test("config: an escalation receiver must be a receiver of alertmanager.yml", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-esc-"));
  try {
    writeFileSync(join(dir, "am.yml"), "route:\n  receiver: team\nreceivers:\n  - name: team\n");
    writeFileSync(join(dir, "alertprism.yml"), "escalation:\n  - after: 15m\n    receiver: oncall-manager\n");
    assert.throws(() => loadRuntimeConfig({ configFile: join(dir, "am.yml"), alertprismFile: join(dir, "alertprism.yml") }, silentLogger()),
      (err: unknown) => err instanceof ConfigError && /alertprism\.yml:3:\d+ \(escalation\[0\]\.receiver\): escalation receiver "oncall-manager" is not a receiver of/.test(err.message));
    writeFileSync(join(dir, "alertprism.yml"), "escalation:\n  - after: 15m\n    receiver: team\n");
    assert.equal(loadRuntimeConfig({ configFile: join(dir, "am.yml"), alertprismFile: join(dir, "alertprism.yml") }, silentLogger()).ops.escalation.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
