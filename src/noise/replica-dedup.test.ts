import { test } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../types/labels.ts";
import { removeReplicaLabels } from "./replica-dedup.ts";

const IGNORE = new Set(["replica", "prometheus_replica"]);

test("removes exactly the listed labels and returns their values as the source", () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>, Record<string, string> | undefined]> = [
    ["one replica label", { alertname: "A", replica: "a" }, { alertname: "A" }, { replica: "a" }],
    ["both listed labels", { alertname: "A", prometheus_replica: "p1", replica: "b" }, { alertname: "A" }, { prometheus_replica: "p1", replica: "b" }],
    ["no listed label: unchanged, no source", { alertname: "A", instance: "x" }, { alertname: "A", instance: "x" }, undefined],
    ["similar names are not removed", { alertname: "A", replicas: "3", replica_set: "rs", Replica: "a" }, { alertname: "A", replicas: "3", replica_set: "rs", Replica: "a" }, undefined],
    ["an empty value is no label: removed, not a source", { alertname: "A", replica: "" }, { alertname: "A" }, undefined],
    ["only replica labels: nothing left", { replica: "a" }, {}, { replica: "a" }],
  ];
  for (const [name, input, labels, source] of cases) {
    const r = removeReplicaLabels(input, IGNORE);
    assert.deepEqual(r.labels, labels, name);
    assert.deepEqual(r.source, source, name);
  }
});

test("the labels of an alert without replica labels are returned as they are (no copy)", () => {
  const labels = { alertname: "A" };
  assert.equal(removeReplicaLabels(labels, IGNORE).labels, labels);
});

test("the input is not modified", () => {
  const labels = { alertname: "A", replica: "a" };
  removeReplicaLabels(labels, IGNORE);
  assert.deepEqual(labels, { alertname: "A", replica: "a" });
});

test("two replicas of one alert get one fingerprint, Alertmanager's for the label set without the replica label", () => {
  const a = removeReplicaLabels({ alertname: "HighLatency", service: "api", replica: "a" }, IGNORE);
  const b = removeReplicaLabels({ alertname: "HighLatency", service: "api", replica: "b" }, IGNORE);
  assert.equal(fingerprint(a.labels), fingerprint(b.labels));
  assert.equal(fingerprint(a.labels), fingerprint({ alertname: "HighLatency", service: "api" }));
  assert.notEqual(fingerprint({ alertname: "HighLatency", service: "api", replica: "a" }), fingerprint({ alertname: "HighLatency", service: "api", replica: "b" }), "without dedup they differ");
  assert.deepEqual([a.source, b.source], [{ replica: "a" }, { replica: "b" }]);
});

test("the source's labels are in Go's order whatever order they arrived in", () => {
  const r = removeReplicaLabels({ replica: "b", alertname: "A", prometheus_replica: "p" }, IGNORE);
  assert.deepEqual(Object.keys(r.source ?? {}), ["prometheus_replica", "replica"]);
});
