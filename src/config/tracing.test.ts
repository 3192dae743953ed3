import { test } from "node:test";
import assert from "node:assert/strict";
import { tracingSettings } from "./tracing.ts";
import { parseYaml, validateWith } from "./yaml-source.ts";
import { alertprismSchema } from "./alertprism.ts";

const V = "1.2.3";

test("off unless the file or the environment turns it on", () => {
  assert.equal(tracingSettings(undefined, {}, V), undefined);
  assert.equal(tracingSettings({ sampling_ratio: 0.5 }, {}, V), undefined);
  assert.equal(tracingSettings({ endpoint: "http://c:4318", enabled: false }, {}, V), undefined);
  assert.equal(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }, V), undefined);
  assert.equal(tracingSettings({ enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, V), undefined);
});

test("the file's endpoint is a base URL; /v1/traces is appended; defaults for the rest", () => {
  assert.deepEqual(tracingSettings({ endpoint: "http://collector:4318/" }, {}, V), {
    url: "http://collector:4318/v1/traces", headers: {}, samplingRatio: 1, serviceName: "alertprism", serviceVersion: V,
  });
  assert.equal(tracingSettings({ enabled: true }, {}, V)?.url, "http://localhost:4318/v1/traces");
  const s = tracingSettings({ endpoint: "https://c", headers: { "x-key": "k" }, sampling_ratio: 0.25, service_name: "prism-eu" }, {}, V)!;
  assert.deepEqual([s.headers, s.samplingRatio, s.serviceName], [{ "x-key": "k" }, 0.25, "prism-eu"]);
});

test("the OTEL_* environment turns it on and beats the file", () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318", OTEL_SERVICE_NAME: "from-env" };
  const s = tracingSettings({ endpoint: "http://file:4318", service_name: "from-file" }, env, V)!;
  assert.deepEqual([s.url, s.serviceName], ["http://env:4318/v1/traces", "from-env"]);
  assert.equal(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://env:4318/custom" }, V)?.url, "http://env:4318/custom");
  assert.throws(() => tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318?token=abc" }, V), (err: Error) => {
    assert.match(err.message, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
    assert.doesNotMatch(err.message, /abc/);
    return true;
  });
});

test("alertprism.yml: bad values name the key", () => {
  const check = (text: string) => validateWith(alertprismSchema, parseYaml(text, "alertprism.yml"));
  assert.throws(() => check("tracing:\n  endpoint: collector:4318\n"), /tracing\.endpoint.*http:\/\/ or https:\/\//);
  assert.throws(() => check("tracing:\n  sampling_ratio: 2\n"), /tracing\.sampling_ratio.*between 0 and 1/);
  assert.throws(() => check("tracing:\n  endpont: http://c\n"), /endpont/);
  assert.equal(check("tracing:\n  endpoint: http://c:4318\n  headers: {x-key: abc}\n").tracing?.headers?.["x-key"], "abc");
});

test("the commented-out example in alertmanager/alertprism.example.yml loads once uncommented", async () => {
  const { readFileSync } = await import("node:fs");
  const text = readFileSync(new URL("../../alertmanager/alertprism.example.yml", import.meta.url), "utf8");
  const block = text.slice(text.indexOf("# tracing:")).split("\n").filter((l) => l.startsWith("#")).map((l) => l.replace(/^# ?/, "")).join("\n");
  const parsed = validateWith(alertprismSchema, parseYaml(block, "alertprism.yml", { OTLP_API_KEY: "k-123456" }));
  assert.deepEqual(tracingSettings(parsed.tracing, {}, V), {
    url: "http://otel-collector:4318/v1/traces", headers: { "x-api-key": "k-123456" }, samplingRatio: 1, serviceName: "alertprism", serviceVersion: V,
  });
});
