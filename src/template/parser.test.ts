import assert from "node:assert/strict";
import { test } from "node:test";
import { TemplateError } from "./errors.ts";
import { nodeString } from "./nodes.ts";
import { isEmptyTree, parseTemplates } from "./parser.ts";

const known = new Set(["printf", "len", "index", "eq", "and", "html"]);
const parse = (text: string, name = "") => parseTemplates(name, text, (f) => known.has(f));

function parseError(text: string, name = ""): string {
  try {
    parse(text, name);
  } catch (err) {
    assert.ok(err instanceof TemplateError);
    assert.equal(err.phase, "parse");
    return err.message;
  }
  assert.fail(`parsed: ${text}`);
}

test("nodes print back in Go's canonical form", () => {
  const text = '{{$x := .A.B}}{{if eq $x "y"}}a{{else if .C}}b{{else}}c{{end}}{{range $i, $e := .L}}{{break}}{{end}}{{template "t" (index . 1).F}}';
  const root = parse(text).get("")?.root;
  assert.ok(root);
  assert.equal(
    nodeString(root),
    '{{$x := .A.B}}{{if eq $x "y"}}a{{else}}{{if .C}}b{{else}}c{{end}}{{end}}{{range $i, $e := .L}}{{break}}{{end}}{{template "t" (index . 1).F}}',
  );
});

test("defines and blocks become separate trees", () => {
  const trees = parse('x{{define "a"}}A{{end}}{{block "b" .}}B{{end}}', "file.tmpl");
  assert.deepEqual([...trees.keys()].sort(), ["a", "b", "file.tmpl"]);
  assert.equal(nodeString(trees.get("file.tmpl")?.root ?? assert.fail()), 'x{{template "b" .}}');
  assert.equal(trees.get("a")?.src.parseName, "file.tmpl");
});

test("a whitespace-only definition is empty and never replaces a real one", () => {
  const trees = parse('{{define "a"}}A{{end}}{{define "a"}} \n {{end}}');
  const a = trees.get("a");
  assert.ok(a && !isEmptyTree(a.root));
  assert.equal(parseError('{{define "a"}}1{{end}}{{define "a"}}2{{end}}', "f"), 'template: f:1: template: multiple definition of template "a"');
});

test("parse errors carry Go's wording and line", () => {
  const cases: [string, string][] = [
    ["{{ .X", "template: :1: unclosed action"],
    ["{{ if .X\n\n", "template: :3: unclosed action started at :1"],
    ["{{ .X }", 'template: :1: unexpected "}" in operand'],
    ["{{ nope 1 }}", 'template: :1: function "nope" not defined'],
    ["{{ }}", "template: :1: missing value for command"],
    ["{{ end }}", "template: :1: unexpected {{end}}"],
    ["a\n{{ if 1 }}", "template: :2: unexpected EOF"],
    ["{{ if 1 }}{{ else }}{{ else }}{{ end }}", "template: :1: expected end; found {{else}}"],
    ["{{ range 1 }}{{ else if 1 }}{{ end }}", "template: :1: unexpected <if> in input"],
    ["{{ with 1 }}{{ else with 2 }}{{ end }}", "template: :1: unexpected <with> in else"],
    ["{{ $x }}", 'template: :1: undefined variable "$x"'],
    ['{{ "a" | "b" }}', "template: :1: non executable command in pipeline stage 2"],
    ["{{ break }}", "template: :1: {{break}} outside {{range}}"],
    ["{{ range 1 }}{{ continue 1 }}{{ end }}", 'template: :1: unexpected "1" in {{continue}}'],
    ["{{ range $a, $b, $c := 1 }}{{ end }}", "template: :1: too many declarations in range"],
    ["{{ range $k, 1 := 1 }}{{ end }}", "template: :1: range can only initialize variables"],
    ["{{ 08 }}", 'template: :1: integer overflow: "08"'],
    ["{{ 0x }}", 'template: :1: illegal number syntax: "0x"'],
    ["{{ 'ab' }}", "template: :1: malformed character constant: 'ab'"],
    ['{{ "\\q" }}', "template: :1: invalid syntax"],
    ['{{ "x".Y }}', 'template: :1: unexpected . after term "\\"x\\""'],
    ["{{ template }}", 'template: :1: unexpected "}}" in template clause'],
    ["{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}", "template: :1: unexpected <define> in command"],
    ["{{ .A \"abcdefghijklmn\" := }}", 'template: :1: unexpected ":=" in operand'],
  ];
  for (const [text, message] of cases) assert.equal(parseError(text), message, text);
});

test("Go 1.19 quirks are kept", () => {
  // A trailing pipe is accepted, and assignment to an unknown variable is only caught when run.
  parse("{{ .X | }}");
  parse("{{ $y = 1 }}{{ $y }}");
});
