import { test } from "node:test";
import assert from "node:assert/strict";
import { parseMatchers } from "../matchers/index.ts";
import { normaliseAlerts, type IncomingAlert } from "../ingest/normalise.ts";
import { createIngestRules, NO_INGEST_RULES } from "./index.ts";

const incoming = (labels: Record<string, string>): IncomingAlert => ({ labels, annotations: {}, startsAt: undefined, endsAt: undefined, generatorURL: "" });

const rules = createIngestRules({
  ignoreLabels: ["replica"],
  enrich: [
    { matchers: parseMatchers('severity="critical"'), set: { priority: "P1" } },
    { matchers: [], set: { priority: "P4" } },
  ],
});

test("nothing configured: the alerts pass through untouched (Alertmanager's behaviour)", () => {
  const alerts = [incoming({ alertname: "A", replica: "a" })];
  const r = createIngestRules(NO_INGEST_RULES)(alerts);
  assert.equal(r.alerts, alerts);
  assert.deepEqual(r.sources, [undefined]);
});

test("replica labels are removed, then enrichment adds labels; each alert keeps its source", () => {
  const r = rules([incoming({ alertname: "A", severity: "critical", replica: "a" }), incoming({ alertname: "B" })]);
  assert.deepEqual(r.alerts.map((a) => a.labels), [{ alertname: "A", severity: "critical", priority: "P1" }, { alertname: "B", priority: "P4" }]);
  assert.deepEqual(r.sources, [{ replica: "a" }, undefined]);
});

test("the two replicas of an HA pair normalise to one fingerprint, with priority, and different sources", () => {
  const r = rules([incoming({ alertname: "A", severity: "critical", replica: "a" }), incoming({ alertname: "A", severity: "critical", replica: "b" })]);
  const { valid, inputIndex } = normaliseAlerts(r.alerts, Date.UTC(2026, 0, 1), 300_000);
  assert.equal(valid.length, 2);
  assert.equal(valid[0]!.fingerprint, valid[1]!.fingerprint);
  assert.deepEqual(valid[0]!.labels, { alertname: "A", priority: "P1", severity: "critical" });
  assert.deepEqual(inputIndex.map((i) => r.sources[i]), [{ replica: "a" }, { replica: "b" }]);
});

test("an alert of replica labels only is still rejected: enrichment does not make it valid", () => {
  const r = rules([incoming({ replica: "a" }), incoming({ alertname: "Ok", replica: "b" })]);
  const { valid, errors, inputIndex } = normaliseAlerts(r.alerts, Date.UTC(2026, 0, 1), 300_000);
  assert.deepEqual(errors, ["at least one label pair required"]);
  assert.deepEqual(valid.map((a) => a.labels), [{ alertname: "Ok", priority: "P4" }]);
  assert.deepEqual(inputIndex, [1]);
});
