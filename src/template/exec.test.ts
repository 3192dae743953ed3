import assert from "node:assert/strict";
import { test } from "node:test";
import { TemplateError } from "./errors.ts";
import { TemplateSet } from "./template-set.ts";

// Plain data becomes map[string]interface{} / []interface{} / float64, as decoded JSON would in Go.
const data = { name: "web", n: 3, list: ["a", "b", "c"], empty: [], m: { b: "2", a: "1" }, nested: { deep: { x: "y" } }, nil: null };
const set = new TemplateSet();
const render = (text: string) => set.renderText(text, data);
function failure(text: string): string {
  try {
    render(text);
  } catch (err) {
    assert.ok(err instanceof TemplateError);
    return err.message;
  }
  assert.fail(`rendered: ${text}`);
}

test("fields, maps and missing keys", () => {
  assert.equal(render("{{ .name }} {{ .nested.deep.x }} {{ .missing }} {{ .m }}"), "web y <no value> map[a:1 b:2]");
  assert.equal(failure("{{ .nil.x }}"), 'template: :1:7: executing "" at <.nil.x>: nil pointer evaluating interface {}.x');
});

test("range over slices and maps, with else, break and continue", () => {
  assert.equal(render("{{ range $i, $e := .list }}{{ $i }}{{ $e }}{{ end }}|{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }}|{{ range .empty }}x{{ else }}none{{ end }}"), "0a1b2c|a1b2|none");
  assert.equal(render("{{ range .list }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ if eq . \"c\" }}{{ break }}{{ end }}{{ . }}{{ end }}"), "a");
});

test("variables: declaration, assignment, scope and $", () => {
  assert.equal(render('{{ $x := 1 }}{{ range .list }}{{ $x = . }}{{ end }}{{ $x }} {{ with .m }}{{ $.name }}{{ end }}'), "c web");
  assert.equal(failure("{{ $x = 1 }}"), 'template: :1:8: executing "" at <1>: undefined variable: $x');
});

test("and/or short-circuit, not, comparisons", () => {
  assert.equal(render("{{ and 1 0 (index .list 99) }}|{{ or 0 \"\" \"x\" }}|{{ not .empty }}|{{ eq .name \"a\" \"web\" }}|{{ lt 1 2 }}"), "0|x|true|true|true");
  assert.equal(failure('{{ eq 1 "a" }}'), 'template: :1:3: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison');
  assert.equal(failure("{{ lt 1 1.5 }}"), 'template: :1:3: executing "" at <lt 1 1.5>: error calling lt: incompatible types for comparison');
});

test("numbers keep Go's formatting; JSON numbers are float64", () => {
  assert.equal(render("{{ 1e6 }} {{ 1.5 }} {{ 'a' }} {{ .n }} {{ printf \"%T\" .n }} {{ printf \"%.2f\" .n }}"), "1e+06 1.5 97 3 float64 3.00");
});

test("call checking: arity and argument types", () => {
  assert.equal(failure('{{ join "," }}'), 'template: :1:3: executing "" at <join>: wrong number of args for join: want 2 got 1');
  assert.equal(failure("{{ join \",\" .list }}"), 'template: :1:12: executing "" at <.list>: wrong type for value; expected []string; got []interface {}');
  assert.equal(failure("{{ toUpper 1 }}"), 'template: :1:11: executing "" at <1>: expected string; found 1');
  assert.equal(failure("{{ .name 1 }}"), 'template: :1:3: executing "" at <.name>: name is not a method but has arguments');
});

test("pipelines pass the previous value last", () => {
  assert.equal(render('{{ .name | printf "%s-%s" "x" | toUpper }}'), "X-WEB");
});
