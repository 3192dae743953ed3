import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import {
  DINGTALK_DEFAULT_TEXT, DINGTALK_DEFAULT_TITLE, dingtalkChannel, dingtalkConfigsSchema, parseDingTalkConfig, parseDingTalkConfigs,
} from "./config.ts";

/** Renders paths the way the app's `where` does, minus the file and line. */
const where = (path: ReadonlyArray<string | number>) => `alertprism.yml (${path.join(".")})`;

const TOKEN = "a1b2c3d4e5f6";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail("expected a ConfigError");
}

test("a minimal entry gets every default, in camelCase", () => {
  const c = parseDingTalkConfig({ receiver: "ops", webhook_url: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}` }, where);
  assert.deepEqual(c, {
    receiver: "ops",
    webhookUrl: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`,
    secret: undefined,
    title: DINGTALK_DEFAULT_TITLE,
    text: DINGTALK_DEFAULT_TEXT,
    atMobiles: [],
    atUserIds: [],
    isAtAll: false,
    sendResolved: true,
    messagesPerMinute: 20,
    maxMessageBytes: 20_000,
  });
  assert.equal(DINGTALK_DEFAULT_TITLE, '{{ template "dingtalk.default.title" . }}');
  assert.equal(DINGTALK_DEFAULT_TEXT, '{{ template "dingtalk.default.text" . }}');
});

test("access_token builds the URL on DingTalk's endpoint or on `url`, e.g. a local test server", () => {
  assert.equal(parseDingTalkConfig({ access_token: TOKEN }, where).webhookUrl, `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`);
  assert.equal(parseDingTalkConfig({ access_token: "a b", url: "http://127.0.0.1:9000/robot/send" }, where).webhookUrl, "http://127.0.0.1:9000/robot/send?access_token=a%20b");
  assert.equal(parseDingTalkConfig({ webhook_url: "http://127.0.0.1:9000/send?access_token=x" }, where).receiver, undefined, "receiver may be taken off by the caller");
});

test("every field is read", () => {
  const c = parseDingTalkConfig({
    receiver: "ops", access_token: TOKEN, secret: "SECabc", title: "T", text: "X", at_mobiles: ["13800000000"], at_user_ids: ["user123"],
    is_at_all: true, send_resolved: false, messages_per_minute: 5, max_message_bytes: 4096,
  }, where);
  assert.deepEqual(
    [c.secret, c.title, c.text, c.atMobiles, c.atUserIds, c.isAtAll, c.sendResolved, c.messagesPerMinute, c.maxMessageBytes],
    ["SECabc", "T", "X", ["13800000000"], ["user123"], true, false, 5, 4096],
  );
});

test("bad entries fail with a message and the path of the offending key", () => {
  const url = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`;
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ webhook_url: url, access_token: TOKEN }, "access_token", "not both"],
    [{ receiver: "ops" }, "", "one of webhook_url or access_token is required"],
    [{ webhook_url: url, url: "https://example.com" }, "url", "only used with access_token"],
    [{ access_token: TOKEN, url: "https://example.com/send?access_token=zz" }, "url", "carries an access_token"],
    [{ webhook_url: "ftp://example.com/x" }, "webhook_url", "http"],
    [{ webhook_url: "not a url" }, "webhook_url", "http"],
    [{ webhook_url: `${url}&timestamp=1&sign=abc` }, "webhook_url", "must not carry timestamp or sign"],
    [{ webhook_url: url, at_mobiles: [13800000000] }, "at_mobiles.0", "quote"],
    [{ webhook_url: url, at_user_ids: ["two words"] }, "at_user_ids.0", "without spaces"],
    [{ webhook_url: url, messages_per_minute: 0 }, "messages_per_minute", ""],
    [{ webhook_url: url, messages_per_minute: 2.5 }, "messages_per_minute", ""],
    [{ webhook_url: url, max_message_bytes: 100 }, "max_message_bytes", ""],
    [{ webhook_url: url, max_message_bytes: 800, at_user_ids: Array.from({ length: 30 }, (_, i) => `user-number-${i}`) }, "max_message_bytes", "too small for the title and @mentions"],
    [{ webhook_url: url, send_resolved: "yes" }, "send_resolved", ""],
    [{ webhook_url: url, receiver: "" }, "receiver", "receiver must name"],
    [{ webhook_url: url, mentions: [] }, "mentions", "nrecognized"],
    [{ webhook_url: url, title: "{{ .CommonLabels.alertname " }, "title", "unclosed action"],
  ];
  for (const [raw, path, message] of cases) {
    const e = configError(() => parseDingTalkConfig(raw, where));
    assert.equal(e.where, where(path === "" ? [] : path.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p))), `${JSON.stringify(raw)}: ${e.message}`);
    assert.ok(e.message.includes(message), `${JSON.stringify(raw)}: ${e.message}`);
  }
});

test("the channel object parses through the same rules", () => {
  assert.equal(dingtalkChannel.kind, "dingtalk");
  const c = dingtalkChannel.parseConfig({ access_token: TOKEN }, {}, where);
  assert.equal(c.webhookUrl, `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`);
  assert.throws(() => dingtalkChannel.parseConfig({}, {}, where), ConfigError);
});

test("the list: receiver required; robots shared between entries must agree on secret and limit", () => {
  const url = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`;
  const ok = parseDingTalkConfigs([
    { receiver: "ops", webhook_url: url, secret: "SEC1" },
    { receiver: "db", webhook_url: url, secret: "SEC1", at_mobiles: ["13800000000"] },
    { receiver: "db", access_token: "other" },
  ], where);
  assert.deepEqual(ok.map((c) => c.receiver), ["ops", "db", "db"]);

  let e = configError(() => parseDingTalkConfigs([{ webhook_url: url }], where));
  assert.equal(e.where, where([0, "receiver"]));
  e = configError(() => parseDingTalkConfigs([{ receiver: "a", webhook_url: url, secret: "SEC1" }, { receiver: "b", webhook_url: url }], where));
  assert.equal(e.where, where([1, "secret"]));
  assert.match(e.message, /same robot as dingtalk_configs\[0\]/);
  e = configError(() => parseDingTalkConfigs([{ receiver: "a", webhook_url: url }, { receiver: "b", webhook_url: url, messages_per_minute: 10 }], where));
  assert.equal(e.where, where([1, "messages_per_minute"]));
  e = configError(() => parseDingTalkConfigs([{ receiver: "a", webhook_url: url, bogus: 1 }], where));
  assert.equal(e.where, where([0, "bogus"]), "unknown keys are refused in the list too");
  e = configError(() => parseDingTalkConfigs([{ receiver: "a", webhook_url: url, text: "{{ .Status " }], where));
  assert.equal(e.where, where([0, "text"]));
  assert.throws(() => parseDingTalkConfigs({}, where), ConfigError);
});

test("dingtalkConfigsSchema embeds in a bigger zod schema and outputs DingTalkConfig[]", () => {
  const fileSchema = z.strictObject({ dingtalk_configs: dingtalkConfigsSchema.optional() });
  const parsed = fileSchema.parse({ dingtalk_configs: [{ receiver: "ops", access_token: TOKEN, is_at_all: true }] });
  assert.equal(parsed.dingtalk_configs?.[0]?.isAtAll, true);
  assert.equal(parsed.dingtalk_configs?.[0]?.messagesPerMinute, 20);
  const bad = fileSchema.safeParse({ dingtalk_configs: [{ receiver: "ops" }] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ["dingtalk_configs", 0]);
});
