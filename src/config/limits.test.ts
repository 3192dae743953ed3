import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLimits } from "./alertprism.ts";
import { DEFAULT_LIMITS } from "../limits/limits.ts";

const load = (text: string) => parseLimits(text, "alertprism.yml", {});

test("limits: defaults when absent, values and sizes when given", () => {
  assert.deepEqual(load(""), DEFAULT_LIMITS);
  assert.deepEqual(load("limits: {}\n"), DEFAULT_LIMITS);
  assert.deepEqual(load([
    "limits:",
    "  max_alerts: 500",
    "  max_alerts_per_alertname: 100",
    "  max_alert_size_bytes: 4KiB",
    "  max_silences: 20",
    "  max_silence_size_bytes: 1000",
    "  max_aggregation_groups: 300",
  ].join("\n")), {
    maxAlerts: 500, maxAlertsPerAlertname: 100, maxAlertSizeBytes: 4096, maxSilences: 20, maxSilenceSizeBytes: 1000, maxAggregationGroups: 300,
  });
});

test("limits: a lower max_alerts also lowers the default per-alertname limit", () => {
  const l = load("limits:\n  max_alerts: 1000\n");
  assert.equal(l.maxAlerts, 1000);
  assert.equal(l.maxAlertsPerAlertname, 1000);
});

test("limits: bad values are refused with file:line (path): reason", () => {
  const cases: Array<[string, RegExp]> = [
    ["limits:\n  max_alerts: 0\n", /^alertprism\.yml:2:15 \(limits\.max_alerts\): must be at least 1$/],
    ["limits:\n  max_alerts: -5\n", /^alertprism\.yml:2:15 \(limits\.max_alerts\): must be at least 1$/],
    ["limits:\n  max_silences: 2.5\n", /^alertprism\.yml:2:17 \(limits\.max_silences\): must be a whole number$/],
    ["limits:\n  max_aggregation_groups: lots\n", /\(limits\.max_aggregation_groups\): /],
    ["limits:\n  max_alert: 10\n", /^alertprism\.yml:2:14 \(limits\.max_alert\): Unrecognized key: "max_alert"$/],
    ["limits:\n  max_alert_size_bytes: 10 parsecs\n", /\(limits\.max_alert_size_bytes\): /],
    ["limits:\n  max_alert_size_bytes: 100\n", /^alertprism\.yml:2:25 \(limits\.max_alert_size_bytes\): must be at least 256 bytes/],
    ["limits:\n  max_silence_size_bytes: 0\n", /\(limits\.max_silence_size_bytes\): /],
    ["limits:\n  max_alerts: 100\n  max_alerts_per_alertname: 200\n", /^alertprism\.yml:3:29 \(limits\.max_alerts_per_alertname\): 200 is above max_alerts \(100\), so it could never apply$/],
    ["limits: 5\n", /\(limits\): /],
  ];
  for (const [yaml, want] of cases) {
    assert.throws(() => load(yaml), (err: Error) => {
      assert.equal(err.name, "ConfigError", yaml);
      assert.match(err.message, want, yaml);
      return true;
    });
  }
});
