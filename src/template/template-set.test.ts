import assert from "node:assert/strict";
import { test } from "node:test";
import { TemplateError } from "./errors.ts";
import { TemplateSet } from "./template-set.ts";

function failure(f: () => unknown): TemplateError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof TemplateError, String(err));
    return err;
  }
  assert.fail("no error");
}

test("files add their definitions; later non-empty ones win, empty ones never replace", () => {
  const set = new TemplateSet();
  set.addFile("a.tmpl", '{{ define "greet" }}a{{ end }}{{ define "keep" }}kept{{ end }}');
  set.addFile("b.tmpl", '{{ define "greet" }}b{{ end }}{{ define "keep" }}  {{ end }}body of b');
  assert.equal(set.renderText('{{ template "greet" }} {{ template "keep" }} {{ template "b.tmpl" }}', null), "b kept body of b");
  assert.deepEqual(set.names(), ["a.tmpl", "b.tmpl", "greet", "keep"]);
});

test("a field's own definitions shadow the set's without changing it", () => {
  const set = TemplateSet.parse("base", '{{ define "t" }}set{{ end }}');
  assert.equal(set.renderText('{{ define "t" }}field{{ end }}{{ template "t" }}', null), "field");
  assert.equal(set.renderText('{{ define "t" }} {{ end }}{{ template "t" }}', null), "set");
  assert.equal(set.renderText('{{ template "t" }}', null), "set");
  assert.equal(set.executeTemplate("t", null), "set");
});

test("empty text renders as empty; parsed fields are cached", () => {
  const set = new TemplateSet();
  assert.equal(set.renderText("", null), "");
  const text = "{{ .a }}-{{ .b }}";
  assert.equal(set.renderText(text, { a: 1, b: "x" }), "1-x");
  assert.equal(set.renderText(text, { a: 2.5 }), "2.5-<no value>");
});

test("errors name the template and place as Go does", () => {
  const set = TemplateSet.parse("f.tmpl", '{{ define "x" }}\n  {{ index .L 9 }}{{ end }}');
  assert.equal(
    failure(() => set.renderText('{{ template "x" . }}', { L: [1] })).message,
    'template: f.tmpl:2:5: executing "x" at <index .L 9>: error calling index: index out of range: 9',
  );
  assert.equal(failure(() => set.renderText("{{ .X", null)).phase, "parse");
  assert.equal(failure(() => set.executeTemplate("nope", null)).message, 'template: no template "nope" associated with template "f.tmpl"');
  assert.equal(failure(() => set.addFile("bad.tmpl", "\n{{ humanize 1 }}")).message, 'template: bad.tmpl:2: function "humanize" not defined');
  set.checkText("{{ .Fine }}");
  assert.throws(() => set.checkText("{{ end }}"), TemplateError);
});

test("runaway recursion stops with Go's message", () => {
  const set = TemplateSet.parse("r", '{{ define "loop" }}{{ template "loop" . }}{{ end }}');
  assert.equal(
    failure(() => set.renderText('{{ template "loop" . }}', null)).message,
    'template: r:1:31: executing "loop" at <{{template "loop" .}}>: exceeded maximum template depth (100000)',
  );
});

test("files are named after their base names as ParseGlob names them, whitespace-only top levels too", () => {
  const set = new TemplateSet();
  set.addFile("only.tmpl", '{{ define "x" }}X{{ end }}\n \t\n{{ define "y" }}Y{{ end }}\n');
  assert.equal(set.renderText('[{{ template "only.tmpl" . }}]', null), "[\n \t\n\n]");
  // A later file of the same base name (another directory): its non-empty top level replaces...
  set.addFile("only.tmpl", "second {{ . }}");
  assert.equal(set.renderText('{{ template "only.tmpl" 2 }}', null), "second 2");
  // ...an empty one never does, while its definitions still replace.
  set.addFile("only.tmpl", '{{ define "x" }}X2{{ end }}  ');
  assert.equal(set.renderText('{{ template "only.tmpl" 3 }}{{ template "x" }}', null), "second 3X2");
  // A file whose name a {{define}} already took: an empty top level keeps the definition.
  set.addFile("x", "\n");
  assert.equal(set.executeTemplate("x", null), "X2");
});

test("addDefinitions adds only the {{define}}s: the top level takes no name", () => {
  const set = new TemplateSet();
  set.addDefinitions('{{ define "builtin" }}B{{ end }}\n');
  assert.deepEqual(set.names(), ["builtin"]);
  assert.equal(set.has(""), false);
  // A user's file may then take any name, and its definitions replace the built-in ones.
  set.addFile("default.tmpl", '{{ define "builtin" }}user{{ end }}top');
  assert.equal(set.renderText('{{ template "default.tmpl" . }} {{ template "builtin" . }}', null), "top user");
});
