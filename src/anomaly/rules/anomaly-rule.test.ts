import { test } from "node:test";
import assert from "node:assert/strict";
import { AnomalyRuleSeries } from "./anomaly-rule.ts";
import type { AnomalyRule } from "./types.ts";
import type { QuerySeries } from "./prometheus-client.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30);

const rule: AnomalyRule = {
  kind: "anomaly", name: "Unusual", query: "q", stepMs: MIN, forMs: 3 * MIN, keepFiringForMs: 0, labels: { severity: "warning" },
  annotations: {}, maxSeries: 2, stateKey: "k", detector: "fused", threshold: 0.95, warmupMs: 86_400_000,
};

const value = (venue: string, t: number): number => {
  const i = (t - T0) / MIN;
  const spike = venue === "a" && i >= 1500 && i < 1512 ? 200 : 0;
  return (venue === "a" ? 100 : 40) + spike + 2 * Math.sin(i * 1.7) + Math.sin(i * 5.3);
};

const at = (t: number, venues = ["a", "b"]): QuerySeries[] => venues.map((v) => ({ labels: { venue: v }, samples: [[t, value(v, t)]] }));
const range = (from: number, to: number): QuerySeries[] => ["a", "b"].map((v) => {
  const samples: Array<[number, number]> = [];
  for (let t = from; t <= to; t += MIN) samples.push([t, value(v, t)]);
  return { labels: { venue: v }, samples };
});

test("a state saved mid-anomaly and replayed from Prometheus gives the same states and alerts as an uninterrupted run (crash recovery)", () => {
  const straight = new AnomalyRuleSeries(rule);
  const crashed = new AnomalyRuleSeries(rule);
  const warm = T0 + 1440 * MIN;
  straight.ingest(range(T0, warm), warm);
  crashed.ingest(range(T0, warm), warm);
  let saved: ReturnType<AnomalyRuleSeries["snapshot"]> = [];
  for (let t = warm + MIN; t <= T0 + 1530 * MIN; t += MIN) {
    straight.ingest(at(t), t);
    if (t <= T0 + 1504 * MIN) crashed.ingest(at(t), t);
    if (t === T0 + 1504 * MIN) saved = crashed.snapshot(); // a periodic save while the anomaly is pending
  }
  assert.ok(saved.some((s) => (s.state as { alert: { phase: string } }).alert.phase === "pending"));
  const restored = new AnomalyRuleSeries(rule);
  assert.equal(restored.restore(saved), 2);
  // The crash lost minutes 1505–1530; the restart reads them in one range.
  restored.ingest(range(T0 + 1505 * MIN, T0 + 1530 * MIN), T0 + 1530 * MIN);
  // `recent` (chart points) is not saved: the restored series has only what it saw since.
  const withoutRecent = (rs: AnomalyRuleSeries) => rs.view().map(({ recent: _recent, ...rest }) => rest);
  assert.deepEqual(withoutRecent(restored), withoutRecent(straight));
  assert.deepEqual(restored.view()[0]?.recent, straight.view()[0]?.recent?.slice(-26), "the replayed samples are charted");
  const now = T0 + 1530 * MIN;
  assert.deepEqual(restored.alerts(now, "http://p/graph"), straight.alerts(now, "http://p/graph"));
});

test("series beyond max_series are counted, not tracked; a series gone for 5 steps resolves and is forgotten", () => {
  const rs = new AnomalyRuleSeries({ ...rule, forMs: 0, threshold: 0.01 });
  rs.ingest([...at(T0, ["a", "b"]), { labels: { venue: "c" }, samples: [[T0, 1]] }], T0);
  assert.equal(rs.size, 2);
  assert.equal(rs.overflow, 1);
  rs.ingest(range(T0 + MIN, T0 + 600 * MIN), T0 + 600 * MIN);
  const firing = rs.view().filter((s) => s.phase === "firing").length;
  assert.ok(firing > 0, "a threshold of 0.01 fires");
  for (let i = 1; i <= 5; i++) rs.ingest([], T0 + (600 + i) * MIN);
  assert.ok(rs.view().every((s) => s.phase === "inactive"));
  const resolved = rs.alerts(T0 + 605 * MIN, "http://p/graph");
  assert.equal(resolved.length, firing);
  assert.ok(resolved.every((a) => a.endsAt!.ms === T0 + 605 * MIN));
  assert.deepEqual(rs.alerts(T0 + 621 * MIN, "http://p/graph"), []);
  assert.equal(rs.size, 0);
});

test("a pending series that disappears ends pending and is forgotten, instead of staying pending", () => {
  const rs = new AnomalyRuleSeries({ ...rule, detector: "zscore", forMs: 24 * 60 * MIN, threshold: 1e-6 });
  rs.ingest(range(T0, T0 + 600 * MIN), T0 + 600 * MIN);
  assert.ok(rs.view().some((s) => s.phase === "pending"), "any deviation is anomalous, and `for` is a day: series are pending");
  for (let i = 1; i <= 5; i++) rs.ingest([], T0 + (600 + i) * MIN);
  assert.deepEqual(rs.alerts(T0 + 605 * MIN, "http://p/graph"), [], "nothing had fired, nothing to resolve");
  assert.equal(rs.size, 0, "forgotten: it no longer holds a max_series place");
});
