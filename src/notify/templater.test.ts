import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../lib/errors.ts";
import { TemplateError } from "../template/index.ts";
import { templateSetWith } from "./templater.ts";

test("the built-in templates define their names but take no file name", () => {
  const set = templateSetWith();
  assert.ok(set.has("slack.default.title"));
  assert.ok(!set.has("default.tmpl"), "default.tmpl is left to the user's files, as in Alertmanager");
  assert.throws(() => set.renderText('{{ template "default.tmpl" . }}', {}), /template "default.tmpl" not defined/);
});

test("a user's default.tmpl runs by name, and its definitions replace the built-in ones", () => {
  const set = templateSetWith([{ name: "default.tmpl", text: '{{ define "slack.default.title" }}mine{{ end }}\n\n' }]);
  assert.equal(set.renderText('[{{ template "default.tmpl" . }}]{{ template "slack.default.title" . }}', {}), "[\n\n]mine");
});

test("loading stops at an entry carrying an error, after parsing the files before it (Go's order)", () => {
  const stop = new ConfigError("syntax error in pattern", "am.yml:5:5 (templates[1])");
  assert.throws(() => templateSetWith([{ name: "ok.tmpl", text: "fine" }, { name: "", text: "", error: stop }]), (err: unknown) => err === stop);
  assert.throws(
    () => templateSetWith([{ name: "bad.tmpl", text: "{{ nope }}" }, { name: "", text: "", error: stop }]),
    (err: unknown) => err instanceof TemplateError && err.message === 'template: bad.tmpl:1: function "nope" not defined',
  );
});
