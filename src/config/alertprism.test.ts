import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIngestRules, parseNoiseStages } from "./alertprism.ts";

const load = (text: string, env: NodeJS.ProcessEnv = {}) => parseIngestRules(text, "alertprism.yml", env);

test("noise.dedup and enrich are off when absent", () => {
  assert.deepEqual(load("storage:\n  synchronous: normal\n"), { ignoreLabels: [], enrich: [] });
  assert.deepEqual(load(""), { ignoreLabels: [], enrich: [] });
});

test("noise.dedup.ignore_labels and enrich rules load into domain values", () => {
  const r = load([
    "noise:",
    "  dedup:",
    "    ignore_labels: [prometheus_replica, replica]",
    "enrich:",
    "  - matchers: ['severity=\"critical\"', 'service=~\"trading|database\"']",
    "    set: { priority: P1 }",
    "  - matchers: ['severity=\"critical\", team=\"db\"']",
    "    set: { priority: P2, escalate: \"${ESCALATE:-yes}\" }",
    "  - set: { priority: P4 }",
  ].join("\n"));
  assert.deepEqual(r.ignoreLabels, ["prometheus_replica", "replica"]);
  assert.equal(r.enrich.length, 3);
  assert.deepEqual(r.enrich.map((e) => e.matchers.map((m) => `${m.name}${m.type}${m.value}`)), [
    ["severity=critical", "service=~trading|database"],
    ["severity=critical", "team=db"],
    [],
  ]);
  assert.deepEqual(r.enrich[1]!.set, { priority: "P2", escalate: "yes" });
  assert.ok(r.enrich[0]!.matchers[1]!.matches("database") && !r.enrich[0]!.matchers[1]!.matches("databases"), "regex is anchored");
});

test("bad input is refused with file:line (path): reason", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["unknown key under noise", "noise:\n  dedupe:\n    ignore_labels: [replica]\n", /^alertprism\.yml:3:5 \(noise\.dedupe\): Unrecognized key: "dedupe"$/],
    ["unknown key under dedup", "noise:\n  dedup:\n    ignore_label: [replica]\n", /^alertprism\.yml:3:19 \(noise\.dedup\.ignore_label\): Unrecognized key: "ignore_label"$/],
    ["unknown key in a rule", "enrich:\n  - set: {priority: P4}\n    labels: {a: b}\n", /^alertprism\.yml:3:13 \(enrich\[0\]\.labels\): Unrecognized key: "labels"$/],
    ["ignore_labels missing", "noise:\n  dedup: {}\n", /^alertprism\.yml:2:10 \(noise\.dedup\): ignore_labels is required: the labels that tell replicas apart$/],
    ["invalid label name in ignore_labels", "noise:\n  dedup:\n    ignore_labels: [replica, prometheus-replica]\n", /^alertprism\.yml:3:30 \(noise\.dedup\.ignore_labels\[1\]\): invalid label name "prometheus-replica"$/],
    ["bad matcher", "enrich:\n  - matchers: ['severity~~critical']\n    set: {priority: P1}\n", /^alertprism\.yml:2:16 \(enrich\[0\]\.matchers\[0\]\): bad matcher format: severity~~critical$/],
    ["bad regex", "enrich:\n  - matchers: ['service=~\"(trading\"']\n    set: {priority: P1}\n", /^alertprism\.yml:2:16 \(enrich\[0\]\.matchers\[0\]\): error parsing regexp: missing closing \)/],
    ["set missing", "enrich:\n  - matchers: ['a=\"b\"']\n", /^alertprism\.yml:2:5 \(enrich\[0\]\.set\): required: the labels this rule sets/],
    ["set empty (null)", "enrich:\n  - set:\n", /^alertprism\.yml:2:\d+ \(enrich\[0\]\.set\): required: the labels this rule sets/],
    ["set empty ({})", "enrich:\n  - set: {}\n", /^alertprism\.yml:2:10 \(enrich\[0\]\.set\): must set at least one label/],
    ["invalid label name in set", "enrich:\n  - set: {'bad-name': x}\n", /^alertprism\.yml:2:23 \(enrich\[0\]\.set\.bad-name\): invalid label name "bad-name"$/],
    ["empty label value in set", "enrich:\n  - set: {priority: ''}\n", /^alertprism\.yml:2:21 \(enrich\[0\]\.set\.priority\): empty value for label "priority"/],
    ["empty value from the environment", "enrich:\n  - set: {priority: '${PRIO:-}'}\n", /^alertprism\.yml:2:21 \(enrich\[0\]\.set\.priority\): empty value for label "priority"/],
    ["non-string value in set", "enrich:\n  - set: {priority: 1}\n", /^alertprism\.yml:2:21 \(enrich\[0\]\.set\.priority\): Invalid input: expected string, received number$/],
    ["matchers not a list", "enrich:\n  - matchers: 'a=\"b\"'\n    set: {p: x}\n", /^alertprism\.yml:2:15 \(enrich\[0\]\.matchers\): Invalid input: expected array/],
    ["matcher on a label dedup removes", "noise:\n  dedup:\n    ignore_labels: [replica]\nenrich:\n  - matchers: ['replica=\"a\"']\n    set: {p: x}\n", /^alertprism\.yml:5:16 \(enrich\[0\]\.matchers\[0\]\): matcher on label "replica", which noise\.dedup\.ignore_labels removes before enrichment$/],
    ["setting a label dedup removes", "noise:\n  dedup:\n    ignore_labels: [replica]\nenrich:\n  - set: {replica: a}\n", /^alertprism\.yml:5:20 \(enrich\[0\]\.set\.replica\): label "replica" is removed by noise\.dedup\.ignore_labels/],
  ];
  for (const [name, text, re] of cases) {
    assert.throws(() => load(text), (err: Error) => {
      assert.match(err.message, re, name);
      return true;
    }, name);
  }
});

test("noise.storm and noise.flapping load into stage configs, off when absent", () => {
  assert.deepEqual(parseNoiseStages("noise:\n  dedup:\n    ignore_labels: [replica]\n"), {});
  const c = parseNoiseStages([
    "noise:",
    "  storm:",
    "    enter: { new_alerts: 50, within: 1m }",
    "    exit:  { below: 5, for: 5m }",
    "    bypass: ['priority=\"P1\"', '{team=\"db\", severity=\"critical\"}']",
    "  flapping: { changes: 4, within: 30m, quiet_for: 20m }",
  ].join("\n"));
  assert.equal(c.storm?.enterNewAlerts, 50);
  assert.equal(c.storm?.enterWithinMs, 60_000);
  assert.equal(c.storm?.exitBelow, 5);
  assert.equal(c.storm?.exitForMs, 300_000);
  assert.equal(c.storm?.summaryIntervalMs, 120_000, "summary_interval defaults to 2m");
  assert.deepEqual(c.storm?.bypass.map((ms) => ms.map((m) => `${m.name}${m.type}${m.value}`)), [["priority=P1"], ["team=db", "severity=critical"]]);
  assert.deepEqual(c.flapping, { changes: 4, withinMs: 1_800_000, quietForMs: 1_200_000 });
});

test("bad noise.storm and noise.flapping input is refused with file:line (path): reason", () => {
  const storm = (body: string) => `noise:\n  storm:\n${body}`;
  const ok = "    enter: { new_alerts: 50, within: 1m }\n    exit: { below: 5, for: 5m }\n";
  const cases: Array<[string, string, RegExp]> = [
    ["exit.below not below enter.new_alerts", storm("    enter: { new_alerts: 5, within: 1m }\n    exit: { below: 5, for: 5m }\n"), /^alertprism\.yml:4:20 \(noise\.storm\.exit\.below\): exit\.below \(5\) must be below enter\.new_alerts \(5\)/],
    ["zero duration", storm("    enter: { new_alerts: 50, within: 0s }\n    exit: { below: 5, for: 5m }\n"), /^alertprism\.yml:3:38 \(noise\.storm\.enter\.within\): must be longer than 0$/],
    ["bad duration", storm(ok + "    summary_interval: soon\n"), /^alertprism\.yml:5:23 \(noise\.storm\.summary_interval\): not a valid duration/],
    ["zero count", storm("    enter: { new_alerts: 0, within: 1m }\n    exit: { below: 5, for: 5m }\n"), /\(noise\.storm\.enter\.new_alerts\): must be at least 1$/],
    ["fractional count", storm("    enter: { new_alerts: 2.5, within: 1m }\n    exit: { below: 1, for: 5m }\n"), /\(noise\.storm\.enter\.new_alerts\): must be a whole number$/],
    ["missing exit", storm("    enter: { new_alerts: 50, within: 1m }\n"), /\(noise\.storm(\.exit)?\): .*(exit|required|expected object)/i],
    ["unknown key", storm(ok + "    summary: 2m\n"), /^alertprism\.yml:5:14 \(noise\.storm\.summary\): Unrecognized key: "summary"$/],
    ["bad bypass matcher", storm(ok + "    bypass: ['priority=~\"(\"']\n"), /^alertprism\.yml:5:14 \(noise\.storm\.bypass\[0\]\): /],
    ["flapping changes below 2", "noise:\n  flapping: { changes: 1, within: 30m, quiet_for: 30m }\n", /\(noise\.flapping\.changes\): must be at least 2/],
    ["flapping zero quiet_for", "noise:\n  flapping: { changes: 4, within: 30m, quiet_for: 0m }\n", /\(noise\.flapping\.quiet_for\): must be longer than 0$/],
    ["flapping unknown key", "noise:\n  flapping: { changes: 4, within: 30m, quiet_for: 30m, window: 1h }\n", /\(noise\.flapping\.window\): Unrecognized key: "window"$/],
  ];
  for (const [name, text, want] of cases) {
    assert.throws(() => parseNoiseStages(text), (err: Error) => {
      assert.match(err.message, want, name);
      return true;
    }, name);
  }
});
