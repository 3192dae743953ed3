import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIngestRules } from "./alertprism.ts";

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
