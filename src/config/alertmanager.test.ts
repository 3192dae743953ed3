import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseAlertmanagerConfig } from "./alertmanager.ts";
import { maskWebhookUrlToken, originalConfigYaml } from "./original.ts";

const load = (text: string, env: NodeJS.ProcessEnv = {}) => parseAlertmanagerConfig(text, "am.yml", env);

test("errors name the file, line and path", () => {
  const cases: Array<[string, RegExp]> = [
    ["route:\n  receiver: nope\nreceivers:\n  - name: a\n", /^am\.yml:2:13 \(route\.receiver\): undefined receiver "nope" used in route$/],
    ["route:\n  receiver: a\n  routes:\n    - matchers: ['a~~b']\nreceivers:\n  - name: a\n", /am\.yml:4:18 \(route\.routes\[0\]\.matchers\[0\]\): bad matcher format: a~~b/],
    ["route:\n  receiver: a\n  group_by: ['...', x]\nreceivers:\n  - name: a\n", /wildcard group_by/],
    ["route:\n  receiver: a\n  group_interval: 0s\nreceivers:\n  - name: a\n", /group_interval cannot be zero/],
    ["route:\n  receiver: a\n  group_wait: 5x\nreceivers:\n  - name: a\n", /am\.yml:3:15 \(route\.group_wait\): not a valid duration string: "5x"/],
    ["route:\n  receiver: a\nreceivers:\n  - name: a\n  - name: a\n", /not unique/],
    ["route:\n  receiver: a\n  matchers: ['x=\"1\"']\nreceivers:\n  - name: a\n", /root route must not have any matchers/],
    ["route:\n  receiver: a\n  routes:\n    - mute_time_intervals: [nope]\nreceivers:\n  - name: a\n", /undefined time interval "nope" used in route/],
    ["route:\n  receiver: a\nreceivers:\n  - name: a\n    opsgenie_configs: [{}]\n", /opsgenie_configs are not supported/],
    ["route:\n  receiver: a\nbogus: 1\nreceivers:\n  - name: a\n", /Unrecognized key/],
    ["route: [\n", /^am\.yml:\d+:\d+: /],
    ["receivers:\n  - name: a\n", /no routes provided/],
  ];
  for (const [text, re] of cases) assert.throws(() => load(text), (err: Error) => re.test(err.message), text);
});

test("${VAR} expands from the environment, unset variables are an error, expanded values are masked", () => {
  const text = "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs:\n      - url: http://x/${TOKEN}\n";
  const c = load(text, { TOKEN: "s3cr3t" });
  assert.equal(c.receivers[0]!.integrations[0]!.settings.url, "http://x/s3cr3t");
  const original = originalConfigYaml(c);
  assert.ok(!original.includes("s3cr3t"));
  assert.match(original, /url: <secret>/);
  assert.throws(() => load(text, {}), /am\.yml:6:\d+ .*environment variable TOKEN is not set/);
});

test("${VAR:-default} uses the default when VAR is unset or empty, like the shell, and is masked either way", () => {
  const text = [
    "route:",
    "  receiver: a",
    "receivers:",
    "  - name: a",
    "    webhook_configs:",
    "      - url: http://${HOST:-127.0.0.1:5001}/${PATH_PART:-alerts}?t=${TOKEN:-}&x=${EXTRA:-a-b:c}",
    "",
  ].join("\n");
  const url = (env: NodeJS.ProcessEnv) => load(text, env).receivers[0]!.integrations[0]!.settings.url;
  // Unset: every default, including the empty one and one holding ":" and "-".
  assert.equal(url({}), "http://127.0.0.1:5001/alerts?t=&x=a-b:c");
  // Set and non-empty: the variable wins.
  assert.equal(url({ HOST: "h:1", PATH_PART: "p", TOKEN: "s3cr3t", EXTRA: "e" }), "http://h:1/p?t=s3cr3t&x=e");
  // Set but empty: the default, as with the shell's ":-" (a plain ${VAR} set to "" stays empty).
  assert.equal(url({ HOST: "", PATH_PART: "", TOKEN: "", EXTRA: "" }), "http://127.0.0.1:5001/alerts?t=&x=a-b:c");
  // The value is masked in config.original whether it came from the variable or from the default.
  for (const env of [{}, { TOKEN: "s3cr3t" }]) {
    const original = originalConfigYaml(load(text, env));
    assert.match(original, /url: <secret>/);
    assert.ok(!original.includes("s3cr3t") && !original.includes("127.0.0.1:5001"));
  }
  // Mixed with a plain reference, the plain one is still required.
  const mixed = "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs:\n      - url: http://x/${A:-a}/${B}\n";
  assert.throws(() => load(mixed, {}), /am\.yml:6:\d+ .*environment variable B is not set/);
  assert.equal(load(mixed, { B: "b" }).receivers[0]!.integrations[0]!.settings.url, "http://x/a/b");
  assert.equal(load(mixed, { A: "", B: "" }).receivers[0]!.integrations[0]!.settings.url, "http://x/a/");
});

test("the re-serialised config fills Alertmanager's defaults and parses back", () => {
  const c = load(`
global:
  slack_api_url: https://hooks.slack.example/services/T/B/X
  smtp_smarthost: localhost:25
  smtp_from: am@example.org
route:
  receiver: hook
  group_by: [alertname]
  repeat_interval: 90m
  routes:
    - matchers: ['team=ops']
      receiver: slack
receivers:
  - name: hook
    webhook_configs: [{url: "http://127.0.0.1:5001/"}]
  - name: slack
    slack_configs: [{channel: "#ops"}]
    email_configs: [{to: ops@example.org}]
`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking arbitrary YAML in a test
  const y = parse(originalConfigYaml(c)) as Record<string, any>;
  assert.equal(y.global.resolve_timeout, "5m");
  assert.equal(y.global.slack_api_url, "<secret>");
  assert.equal(y.route.repeat_interval, "1h30m");
  assert.deepEqual(y.route.routes[0].matchers, ['team="ops"']);
  assert.equal(y.route.routes[0].continue, false);
  assert.deepEqual(y.receivers[0].webhook_configs[0], { send_resolved: true, http_config: { follow_redirects: true, enable_http2: true }, url: "http://127.0.0.1:5001/", max_alerts: 0 });
  assert.equal(y.receivers[1].slack_configs[0].api_url, "<secret>");
  assert.equal(y.receivers[1].slack_configs[0].send_resolved, false);
  assert.equal(y.receivers[1].email_configs[0].smarthost, "localhost:25");
  assert.deepEqual(y.receivers[1].email_configs[0].headers, { From: "am@example.org", Subject: '{{ template "email.default.subject" . }}', To: "ops@example.org" });
  assert.deepEqual(y.templates, []);
});

test("config.original: a webhook URL carrying a token shows only scheme and host; plain URLs stay as Alertmanager 0.25 prints them", () => {
  const text = "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs:\n      - url: https://hooks.example:8443/services/T0AB12CD/whk7f3e2a91\n      - url: https://hook.example/a?x=1&y=2\n";
  const original = originalConfigYaml(parseAlertmanagerConfig(text));
  assert.ok(!original.includes("whk7f3e2a91") && !original.includes("T0AB12CD"));
  assert.match(original, /url: https:\/\/hooks\.example:8443\/<secret>/);
  assert.match(original, /url: https:\/\/hook\.example\/a\?x=1&y=2/);
  const cases: Array<[string, string]> = [
    ["http://127.0.0.1:9/hook/alerts", "http://127.0.0.1:9/hook/alerts"],
    ["http://h/x?token=abc123def456", "http://h/<secret>"],
    ["http://h/deadmanssnitch-check-in-path-long", "http://h/<secret>"],
    ["http://user:pw@h/plain", "http://h/<secret>"],
    ["not a url", "not a url"],
  ];
  for (const [url, shown] of cases) assert.equal(maskWebhookUrlToken(url), shown, url);
});
