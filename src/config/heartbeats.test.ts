import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHeartbeats } from "./alertprism.ts";
import { loadRuntimeConfig } from "../runtime-config.ts";
import { silentLogger } from "../lib/log.ts";
import { ConfigError } from "../lib/errors.ts";

test("heartbeats: off when absent; entries load with a stable id, the timeout and the receiver", () => {
  assert.deepEqual(parseHeartbeats(""), []);
  const [a, b, ...rest] = parseHeartbeats([
    "heartbeats:",
    "  - matchers: ['alertname=\"Watchdog\"']",
    "    timeout: 5m",
    "    receiver: ops",
    "  - matchers: ['job=\"batch\"', 'alertname=\"Heartbeat\"']",
    "    timeout: 1h30m",
    "    receiver: team",
  ].join("\n"));
  assert.equal(rest.length, 0);
  assert.deepEqual([a?.id, a?.timeoutMs, a?.timeoutText, a?.receiver], ['{alertname="Watchdog"}', 300_000, "5m", "ops"]);
  assert.deepEqual([b?.id, b?.timeoutMs, b?.receiver], ['{alertname="Heartbeat",job="batch"}', 5_400_000, "team"]);
  assert.match(a?.where ?? "", /^alertprism\.yml:4:\d+ \(heartbeats\[0\]\.receiver\)$/);
});

test("heartbeats: a bad entry fails the load naming file, line and path", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["no matchers", "heartbeats:\n  - timeout: 5m\n    receiver: ops\n", /\(heartbeats\[0\]\.matchers\): /],
    ["empty matchers", "heartbeats:\n  - matchers: []\n    timeout: 5m\n    receiver: ops\n", /\(heartbeats\[0\]\.matchers\): at least one matcher/],
    ["bad matcher", "heartbeats:\n  - matchers: ['alertname=~\"(\"']\n    timeout: 5m\n    receiver: ops\n", /^alertprism\.yml:2:\d+ \(heartbeats\[0\]\.matchers\[0\]\): /],
    ["bad timeout", "heartbeats:\n  - matchers: ['alertname=\"W\"']\n    timeout: five\n    receiver: ops\n", /\(heartbeats\[0\]\.timeout\): not a valid duration/],
    ["zero timeout", "heartbeats:\n  - matchers: ['alertname=\"W\"']\n    timeout: 0s\n    receiver: ops\n", /\(heartbeats\[0\]\.timeout\): must be longer than 0/],
    ["no receiver", "heartbeats:\n  - matchers: ['alertname=\"W\"']\n    timeout: 5m\n", /\(heartbeats\[0\]\.receiver\): /],
    ["unknown key", "heartbeats:\n  - matchers: ['alertname=\"W\"']\n    timeout: 5m\n    receiver: ops\n    every: 1m\n", /heartbeats\[0\]/],
    ["twice the same alerts", "heartbeats:\n  - matchers: ['alertname=\"W\", a=\"b\"']\n    timeout: 5m\n    receiver: ops\n  - matchers: ['a=\"b\"', 'alertname=\"W\"']\n    timeout: 1m\n    receiver: team\n", /^alertprism\.yml:5:\d+ \(heartbeats\[1\]\.matchers\): same matchers as heartbeats\[0\]/],
  ];
  for (const [name, text, re] of cases) {
    assert.throws(() => parseHeartbeats(text), (err: unknown) => err instanceof ConfigError && re.test(err.message), name);
  }
});

test("heartbeats: the receiver must be a receiver of alertmanager.yml", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-hb-"));
  try {
    const files = { configFile: join(dir, "am.yml"), alertprismFile: join(dir, "alertprism.yml") };
    writeFileSync(files.configFile, "route:\n  receiver: team\nreceivers:\n  - name: team\n");
    writeFileSync(files.alertprismFile, "heartbeats:\n  - matchers: ['alertname=\"Watchdog\"']\n    timeout: 5m\n    receiver: ops\n");
    assert.throws(() => loadRuntimeConfig(files, silentLogger()),
      (err: unknown) => err instanceof ConfigError && /alertprism\.yml:4:\d+ \(heartbeats\[0\]\.receiver\): heartbeat receiver "ops" is not a receiver of/.test(err.message));
    writeFileSync(files.alertprismFile, "heartbeats:\n  - matchers: ['alertname=\"Watchdog\"']\n    timeout: 5m\n    receiver: team\n");
    assert.equal(loadRuntimeConfig(files, silentLogger()).heartbeats.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the commented-out heartbeats example in alertmanager/alertprism.example.yml loads once uncommented, its receiver one of alertmanager.example.yml", async () => {
  const { readFileSync } = await import("node:fs");
  const text = readFileSync(new URL("../../alertmanager/alertprism.example.yml", import.meta.url), "utf8");
  const start = text.indexOf("# heartbeats:\n");
  assert.ok(start > 0, "the example block is there");
  const block = text.slice(start).split("\n\n")[0]!.split("\n").map((l) => l.replace(/^# ?/, "")).join("\n");
  const [hb, ...rest] = parseHeartbeats(block);
  assert.equal(rest.length, 0);
  assert.deepEqual([hb?.id, hb?.timeoutText], ['{alertname="Watchdog"}', "5m"]);
  const routing = readFileSync(new URL("../../alertmanager/alertmanager.example.yml", import.meta.url), "utf8");
  assert.match(routing, new RegExp(`\\n  - name: ${hb?.receiver ?? "?"}\\n`));
});
