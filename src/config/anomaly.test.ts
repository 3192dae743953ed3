import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAnomalySettings } from "./anomaly.ts";
import { ConfigError } from "../lib/errors.ts";

const EXAMPLE = `
prometheus:
  url: http://prometheus:9090/
anomaly_rules:
  - name: OrderRateAnomaly
    query: sum by (venue) (rate(trading_orders_total[5m]))
    step: 1m
    detector: fused
    threshold: 0.95
    for: 3m
    labels: { severity: warning, service: trading }
    annotations: { summary: "Order rate of {{ $labels.venue }} is unusual" }
predictions:
  - name: DiskWillFillIn24h
    query: node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}
    threshold: 0
    horizon: 24h
    labels: { severity: warning, service: host }
`;

test("the issue's example loads with its values and the defaults", () => {
  const s = parseAnomalySettings(EXAMPLE);
  assert.deepEqual(s.prometheus, { url: "http://prometheus:9090", timeoutMs: 30_000 });
  const [a, p] = s.rules;
  assert.equal(a?.kind, "anomaly");
  assert.equal(p?.kind, "prediction");
  if (a?.kind !== "anomaly" || p?.kind !== "prediction") return;
  assert.deepEqual([a.stepMs, a.forMs, a.threshold, a.detector, a.warmupMs, a.maxSeries], [60_000, 180_000, 0.95, "fused", 7 * 86_400_000, 100]);
  assert.deepEqual(a.labels, { severity: "warning", service: "trading" });
  assert.deepEqual([p.threshold, p.horizonMs, p.stepMs, p.lookbackMs, p.direction], [0, 86_400_000, 300_000, 7 * 86_400_000, undefined]);
  assert.match(a.stateKey, /^[0-9a-f]{16}$/);
});

test("the state key changes with what the model depends on, not with threshold or labels", () => {
  const key = (text: string) => parseAnomalySettings(text).rules[0]!.stateKey;
  const base = key(EXAMPLE);
  assert.equal(key(EXAMPLE.replace("threshold: 0.95", "threshold: 0.9").replace("severity: warning, service: trading", "severity: critical")), base);
  assert.notEqual(key(EXAMPLE.replace("detector: fused", "detector: zscore")), base);
  assert.notEqual(key(EXAMPLE.replace("step: 1m", "step: 2m")), base);
  assert.notEqual(key(EXAMPLE.replace("[5m]", "[10m]")), base);
});

test("nothing configured is off; prometheus alone is allowed", () => {
  assert.deepEqual(parseAnomalySettings("").rules, []);
  assert.equal(parseAnomalySettings("").prometheus, undefined);
  assert.equal(parseAnomalySettings("prometheus: { url: 'http://p:9090' }").rules.length, 0);
});

const fails = (text: string, message: RegExp, line?: number) => {
  assert.throws(() => parseAnomalySettings(text), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, message);
    if (line !== undefined) assert.match(err.message, new RegExp(`alertprism\\.yml:${line}\\b`));
    return true;
  });
};

test("bad rules fail with the file, the line and why", () => {
  fails("anomaly_rules:\n  - name: A\n    query: up\n", /prometheus\.url is required/);
  fails(EXAMPLE.replace("name: DiskWillFillIn24h", "name: OrderRateAnomaly"), /must be unique/);
  fails(EXAMPLE.replace("step: 1m", "step: 0s"), /longer than 0/, 7);
  fails(EXAMPLE.replace("for: 3m", "for: 3 minutes"), /not a valid duration/, 10);
  fails(EXAMPLE.replace("threshold: 0.95", "threshold: 1.5"), /at most 1/);
  fails(EXAMPLE.replace("detector: fused", "detector: prophet"), /zscore|fused/);
  fails(EXAMPLE.replace("severity: warning, service: trading", "\"bad-name\": x"), /invalid label name/);
  fails(EXAMPLE.replace("severity: warning, service: trading", "alertname: X"), /alertname is the rule's name/);
  fails(EXAMPLE.replace("{{ $labels.venue }}", "{{ $labels.venue "), /template/, 12);
  fails(EXAMPLE.replace("    horizon: 24h\n", ""), /horizon|expected string/);
  fails(EXAMPLE.replace("    threshold: 0\n", "    threshold: 0\n    lookback: 30m\n"), /at least 12 steps/);
  fails(EXAMPLE.replace("step: 1m", "step: 1s"), /warmup \/ step/);
  fails(EXAMPLE.replace("url: http://prometheus:9090/", "url: prometheus:9090"), /http:\/\/ or https:\/\//);
  fails(EXAMPLE.replace("    for: 3m\n", "    for: 3m\n    colour: red\n"), /colour|Unrecognized/);
});

test("the commented-out example in alertmanager/alertprism.example.yml loads once uncommented", async () => {
  const { readFileSync } = await import("node:fs");
  const text = readFileSync(new URL("../../alertmanager/alertprism.example.yml", import.meta.url), "utf8");
  const start = text.indexOf("# prometheus:\n");
  assert.ok(start > 0, "the example block is there");
  // The block runs to the next blank line (other sections' examples follow it).
  const block = text.slice(start).split("\n\n")[0]!.split("\n").map((l) => l.replace(/^# ?/, "")).join("\n");
  const s = parseAnomalySettings(block);
  assert.deepEqual(s.rules.map((r) => [r.kind, r.name]), [["anomaly", "OrderRateAnomaly"], ["prediction", "DiskWillFillIn24h"]]);
});
