import { test } from "node:test";
import assert from "node:assert/strict";
import { parseMatchers } from "../matchers/index.ts";
import { enrichLabels, type EnrichRule } from "./enrich.ts";

const rule = (matchers: string[], set: Record<string, string>): EnrichRule => ({ matchers: matchers.flatMap((m) => parseMatchers(m)), set });

/** The priority policy of the README / alertprism.example.yml. */
const PRIORITY: EnrichRule[] = [
  rule(['severity="critical"', 'service=~"trading|database"'], { priority: "P1" }),
  rule(['severity="critical"'], { priority: "P2" }),
  rule(['severity="warning"'], { priority: "P3" }),
  rule([], { priority: "P4" }),
];

test("priority policy: the first matching rule sets the label", () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ alertname: "A", severity: "critical", service: "trading" }, "P1"],
    [{ alertname: "A", severity: "critical", service: "database" }, "P1"],
    [{ alertname: "A", severity: "critical", service: "tradingx" }, "P2"], // regex matchers are anchored
    [{ alertname: "A", severity: "critical" }, "P2"],
    [{ alertname: "A", severity: "warning", service: "trading" }, "P3"],
    [{ alertname: "A", severity: "info" }, "P4"],
    [{ alertname: "A" }, "P4"], // no matchers: any alert
  ];
  for (const [labels, priority] of cases) {
    assert.deepEqual(enrichLabels(labels, PRIORITY), { ...labels, priority }, JSON.stringify(labels));
  }
});

test("an alert's own label wins over every rule; an empty value is no label", () => {
  assert.deepEqual(enrichLabels({ alertname: "A", severity: "critical", service: "trading", priority: "P3" }, PRIORITY).priority, "P3");
  assert.deepEqual(enrichLabels({ alertname: "A", severity: "critical", priority: "" }, PRIORITY).priority, "P2");
});

test("first match wins per label: later rules still set the labels earlier ones did not", () => {
  const rules = [
    rule(['service="trading"'], { team: "markets" }),
    rule(['severity="critical"'], { priority: "P1", team: "sre" }),
    rule([], { priority: "P4", escalation: "none" }),
  ];
  assert.deepEqual(enrichLabels({ alertname: "A", service: "trading", severity: "critical" }, rules), {
    alertname: "A", service: "trading", severity: "critical", team: "markets", priority: "P1", escalation: "none",
  });
  assert.deepEqual(enrichLabels({ alertname: "A" }, rules), { alertname: "A", priority: "P4", escalation: "none" });
});

test("rules match the alert's own labels, not labels an earlier rule set", () => {
  const rules = [rule([], { team: "sre" }), rule(['team="sre"'], { priority: "P1" })];
  assert.deepEqual(enrichLabels({ alertname: "A" }, rules), { alertname: "A", team: "sre" });
  assert.deepEqual(enrichLabels({ alertname: "A", team: "sre" }, rules), { alertname: "A", team: "sre", priority: "P1" });
});

test("all matchers of a rule must match; negative and regex matchers treat a missing label as empty", () => {
  const rules = [rule(['env!="prod"', 'region=~"eu-.*|"'], { tier: "low" })];
  assert.equal(enrichLabels({ alertname: "A" }, rules).tier, "low");
  assert.equal(enrichLabels({ alertname: "A", region: "eu-west" }, rules).tier, "low");
  assert.equal(enrichLabels({ alertname: "A", env: "prod" }, rules).tier, undefined);
  assert.equal(enrichLabels({ alertname: "A", region: "us-east" }, rules).tier, undefined);
});

test("no rules, or an alert without labels, is returned unchanged (the same object)", () => {
  const labels = { alertname: "A" };
  assert.equal(enrichLabels(labels, []), labels);
  const empty = {};
  assert.equal(enrichLabels(empty, PRIORITY), empty, "an alert without labels stays invalid");
  const onlyEmpty = { x: "" };
  assert.equal(enrichLabels(onlyEmpty, PRIORITY), onlyEmpty);
});

test("the input is not modified and the result depends on the labels only", () => {
  const labels = { alertname: "A", severity: "warning" };
  const first = enrichLabels(labels, PRIORITY);
  assert.deepEqual(labels, { alertname: "A", severity: "warning" });
  assert.deepEqual(enrichLabels({ ...labels }, PRIORITY), first);
});

test("a label named like an Object.prototype property is an ordinary label", () => {
  assert.equal(enrichLabels({ alertname: "A" }, [rule([], { constructor: "x" })]).constructor, "x");
  assert.equal(enrichLabels({ alertname: "A", constructor: "own" }, [rule([], { constructor: "x" })]).constructor, "own");
});
