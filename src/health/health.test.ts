import { test } from "node:test";
import assert from "node:assert/strict";
import { HealthModel, healthHttpStatus } from "./health.ts";

const T = Date.UTC(2026, 11, 1, 10, 0, 0);

function model(): HealthModel {
  const m = new HealthModel(T);
  m.configLoaded(T, ["a", "b"]);
  m.dispatcher(true);
  return m;
}

test("the worst component decides: degraded answers 200, down answers 503", () => {
  const m = model();
  assert.equal(m.report().status, "ok");
  m.deliveryAttempt("a", "webhook/0", T + 1, false, "POST http://h/<redacted>: HTTP 500");
  assert.equal(m.report().status, "degraded");
  assert.equal(healthHttpStatus(m.report()), 200);
  m.databaseWrite(T + 2, "database or disk is full");
  assert.equal(m.report().status, "down");
  assert.equal(healthHttpStatus(m.report()), 503);
  m.databaseWrite(T + 3, undefined);
  assert.equal(m.report().status, "degraded");
});

test("the dispatcher is down before it starts and after it stops", () => {
  const m = new HealthModel(T);
  m.configLoaded(T, []);
  assert.deepEqual(m.report().components.dispatcher, { status: "down" });
  m.dispatcher(true);
  assert.equal(m.report().status, "ok");
  m.dispatcher(false);
  assert.equal(m.report().status, "down");
});

test("a receiver is degraded while any integration's last attempt failed; its latest outcome is shown", () => {
  const m = model();
  m.deliveryAttempt("a", "webhook/0", T + 1, false, "POST https://hooks.example/T0KEN/x: HTTP 500");
  m.deliveryAttempt("a", "slack/0", T + 2, true);
  const a = m.report().components.receivers.a!;
  assert.equal(a.status, "degraded");
  assert.equal(a.lastOutcome, "success");
  assert.equal(a.lastAttemptAt, new Date(T + 2).toISOString());
  assert.equal(a.lastError, "POST https://hooks.example/<redacted>: HTTP 500", "URLs in reasons are redacted");
  assert.deepEqual(Object.keys(a.integrations), ["slack/0", "webhook/0"]);
  m.deliveryAttempt("a", "webhook/0", T + 3, true);
  assert.equal(m.report().components.receivers.a!.status, "ok");
  assert.equal(m.report().components.receivers.a!.lastError, undefined);
});

test("a reload that drops a receiver drops its outcomes; a failed reload keeps loadedAt", () => {
  const m = model();
  m.deliveryAttempt("b", "webhook/0", T + 1, false, "x");
  m.configReloadFailed(T + 2, "bad");
  const r = m.report();
  assert.equal(r.components.config.status, "degraded");
  assert.equal(r.components.config.loadedAt, new Date(T).toISOString());
  m.configLoaded(T + 3, ["a"]);
  assert.deepEqual(Object.keys(m.report().components.receivers), ["a"]);
  assert.equal(m.report().status, "ok");
});

test("prometheus is shown only while rules use it; degraded while any rule's last evaluation failed", () => {
  const m = model();
  assert.equal(m.report().components.prometheus, undefined);
  m.prometheusRulesConfigured(["r1", "r2"]);
  assert.deepEqual(m.report().components.prometheus, { status: "unknown", failingRules: [] });
  assert.equal(m.report().status, "ok", "unknown counts as ok");
  m.prometheusQuery("r1", T + 1, false, "http://user:pw@prom:9090/api/v1/query: connect ECONNREFUSED");
  m.prometheusQuery("r2", T + 2, true);
  const p = m.report().components.prometheus!;
  assert.equal(p.status, "degraded");
  assert.deepEqual(p.failingRules, ["r1"]);
  assert.equal(p.lastQueryAt, new Date(T + 2).toISOString());
  assert.equal(p.lastError, "http://prom:9090/<redacted>: connect ECONNREFUSED");
  m.prometheusRulesConfigured(["r2"]);
  assert.equal(m.report().components.prometheus!.status, "ok", "a removed rule's failure goes with it");
  m.prometheusRulesConfigured([]);
  assert.equal(m.report().components.prometheus, undefined);
});
